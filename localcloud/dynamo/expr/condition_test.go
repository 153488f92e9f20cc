package expr

import (
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// conditionCases are the condition and filter spec cases, evaluated on
// testItem with testNames and testValues. want is the result when err is "".
var conditionCases = []struct {
	expr string
	want bool
	err  string
}{
	// comparators
	{expr: "n = :ten", want: true},
	{expr: "n = :ten2", want: true},
	{expr: "n <> :ten", want: false},
	{expr: "n < :twenty", want: true},
	{expr: "n <= :ten", want: true},
	{expr: "n > :five", want: true},
	{expr: "n >= :twenty", want: false},
	{expr: "n>:five", want: true},
	{expr: "neg < :zero", want: true},
	{expr: "neg = :neg", want: true},
	{expr: "s = :hello", want: false},
	{expr: "s > :hello", want: true},
	{expr: "s < :world", want: true},
	{expr: "b = :b12", want: false},
	{expr: "b > :b12", want: true},
	{expr: "t = :true", want: true},
	{expr: "nul = :null", want: true},
	{expr: "ns = :nsSet", want: true},
	{expr: "ss = :ssSet", want: true},
	{expr: "n = n", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [n]"},
	{expr: "contains(#m, m)", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [m]"},
	{expr: "n BETWEEN :one AND n", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: BETWEEN, first operand: [n]"},
	{expr: "m.a.b IN (:one, m.a.b)", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: IN, first operand: [m, a, b]"},
	{expr: "m.a.b = m.a", want: false},
	{expr: "n > neg", want: true},
	{expr: ":ten = n", want: true},
	// different types compare false, not error
	{expr: "n = :numstr", want: false},
	{expr: "n <> :numstr", want: true},
	{expr: "n < :numstr", want: false},
	{expr: "n >= :numstr", want: false},
	{expr: "t < s", want: false},
	// absent attributes
	{expr: "absent = :ten", want: false},
	{expr: "absent <> :ten", want: true},
	{expr: "absent < :ten", want: false},
	// document paths
	{expr: "l[0] = :x", want: true},
	{expr: "l[2] = :kv", want: true},
	{expr: "l[2].k = :v", want: true},
	{expr: "l[5] = :x", want: false},
	{expr: "l [0] = :x", want: true},
	{expr: "m.a.b = :three", want: true},
	{expr: "m.lst[1][0] = :deep", want: true},
	{expr: "m.lst[0] = :seven", want: true},
	{expr: "m.#dash = :d", want: true},
	{expr: "#m.a.b = :three", want: true},
	{expr: "#s = :active", want: true},
	{expr: "#ab = :dotted", want: true},
	{expr: "a.b = :dotted", want: false},
	{expr: "s.x = :x", want: false},
	{expr: "s[0] = :x", want: false},
	{expr: "m[0] = :x", want: false},
	// BETWEEN
	{expr: "n BETWEEN :five AND :twenty", want: true},
	{expr: "n BETWEEN :ten AND :ten", want: true},
	{expr: "n BETWEEN :eleven AND :twenty", want: false},
	{expr: "n BETWEEN :hello AND :world", want: false},
	{expr: "n BETWEEN :five AND :numstr", err: "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:10}"},
	{expr: "s BETWEEN :hello AND :world", want: true},
	{expr: "absent BETWEEN :five AND :twenty", want: false},
	{expr: "n between :five and :twenty", want: true},
	// IN
	{expr: "n IN (:five, :ten)", want: true},
	{expr: "n IN (:five)", want: false},
	{expr: "s IN (:five, :ten)", want: false},
	{expr: "n in (:ten)", want: true},
	{expr: "absent IN (:ten)", want: false},
	{expr: "l[2] IN (:x, :kv)", want: true},
	// functions
	{expr: "attribute_exists(n)", want: true},
	{expr: "attribute_exists(absent)", want: false},
	{expr: "attribute_not_exists(absent)", want: true},
	{expr: "attribute_not_exists(n)", want: false},
	{expr: "attribute_exists(m.a.b)", want: true},
	{expr: "attribute_exists(l[3])", want: false},
	{expr: "attribute_exists(#s)", want: true},
	{expr: "attribute_exists(nul)", want: true},
	{expr: "attribute_type(n, :N)", want: true},
	{expr: "attribute_type(n, :S)", want: false},
	{expr: "attribute_type(ss, :SS)", want: true},
	{expr: "attribute_type(absent, :S)", want: false},
	{expr: "begins_with(s, :hello)", want: true},
	{expr: "begins_with(s, :world)", want: false},
	{expr: "begins_with(n, :hello)", want: false},
	{expr: "begins_with(b, :b12)", want: true},
	{expr: "begins_with(absent, :hello)", want: false},
	{expr: "contains(s, :world)", want: true},
	{expr: "contains(s, :blue)", want: false},
	{expr: "contains(ss, :red)", want: true},
	{expr: "contains(ss, :blue)", want: false},
	{expr: "contains(ns, :two5)", want: true},
	{expr: "contains(ns, :ten)", want: false},
	{expr: "contains(l, :x)", want: true},
	{expr: "contains(l, :kv)", want: true},
	{expr: "contains(bs, :b1)", want: true},
	{expr: "contains(n, :one)", want: false},
	{expr: "contains(ss, :one)", want: false},
	{expr: "contains(absent, :x)", want: false},
	{expr: "size(s) = :eleven", want: true},
	{expr: "size(ss) = :two", want: true},
	{expr: "size(l) = :three", want: true},
	{expr: "size(m) = :three", want: true},
	{expr: "size(b) = :three", want: true},
	{expr: "size(m.lst[1]) = :one", want: true},
	{expr: "size(n) > :zero", want: false},
	{expr: "size(absent) = :zero", want: false},
	{expr: "size(s) > size(ss)", want: true},
	{expr: "size(s) BETWEEN :ten AND :twenty", want: true},
	{expr: "size(l) IN (:one, :three)", want: true},
	// logic and precedence: NOT > AND > OR
	{expr: "n = :ten AND s = :hello", want: false},
	{expr: "n = :ten OR s = :hello", want: true},
	{expr: "NOT n = :ten", want: false},
	{expr: "NOT NOT n = :ten", want: true},
	{expr: "n = :five OR n = :ten AND s = :hello", want: false},
	{expr: "n = :ten OR n = :five AND s = :hello", want: true},
	{expr: "(n = :five OR n = :ten) AND s = :helloworld", want: true},
	{expr: "NOT n = :five AND n = :ten", want: true},
	{expr: "NOT (n = :ten AND s = :hello)", want: true},
	{expr: "n = :ten and not s = :hello", want: true},
	{expr: "(n = :ten)", want: true},
	{expr: "((n = :ten) AND (s = :helloworld))", want: true},
	{expr: "attribute_exists(n) AND NOT attribute_exists(absent) AND contains(ss, :red) OR n = :five", want: true},
	{expr: "\tn\n=\r:ten ", want: true},

	// errors
	{expr: "", err: "Invalid ConditionExpression: The expression can not be empty;"},
	{expr: "   ", err: "Invalid ConditionExpression: The expression can not be empty;"},
	{expr: "n = = :ten", err: `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :ten"`},
	{expr: "n == :ten", err: `Invalid ConditionExpression: Syntax error; token: "=", near: "== :ten"`},
	{expr: "n = :ten AND", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"`},
	{expr: "n ! :ten", err: `Invalid ConditionExpression: Syntax error; token: "!", near: "n ! :ten"`},
	{expr: "n != :ten", err: `Invalid ConditionExpression: Syntax error; token: "!", near: "n !="`},
	{expr: "n = = :ten !!!", err: `Invalid ConditionExpression: Syntax error; token: "!", near: ":ten !!"`},
	{expr: "!!!", err: `Invalid ConditionExpression: Syntax error; token: "!", near: "!!"`},
	{expr: "n = :tén", err: `Invalid ConditionExpression: Syntax error; token: "é", near: ":tén"`},
	{expr: "n = :ten AND __typename = :x", err: `Invalid ConditionExpression: Syntax error; token: "_", near: "AND __"`},
	{expr: "_a = :x", err: `Invalid ConditionExpression: Syntax error; token: "_", near: "_a"`},
	{expr: "n = 10", err: `Invalid ConditionExpression: Syntax error; token: "10", near: "= 10"`},
	{expr: "n = :ten extra", err: `Invalid ConditionExpression: Syntax error; token: "extra", near: ":ten extra"`},
	{expr: "n", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "n"`},
	{expr: "(n = :ten", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":ten"`},
	{expr: "n = :ten)", err: `Invalid ConditionExpression: Syntax error; token: ")", near: ":ten)"`},
	{expr: "n IN ()", err: `Invalid ConditionExpression: Syntax error; token: ")", near: "()"`},
	{expr: "n BETWEEN :five OR :ten", err: `Invalid ConditionExpression: Syntax error; token: "OR", near: ":five OR :ten"`},
	{expr: "l[x] = :x", err: `Invalid ConditionExpression: Syntax error; token: "x", near: "[x]"`},
	{expr: "l[-1] = :x", err: `Invalid ConditionExpression: Syntax error; token: "-", near: "[-1"`},
	{expr: "1abc = :x", err: `Invalid ConditionExpression: Syntax error; token: "1", near: "1abc"`},
	{expr: "#4g > n", err: "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #4g"},
	{expr: "a_1 = :x", want: false},
	{expr: "# = :x", err: `Invalid ConditionExpression: Syntax error; token: "#", near: "# ="`},
	{expr: "n = :", err: `Invalid ConditionExpression: Syntax error; token: ":", near: "= :"`},
	{expr: "m. = :x", err: `Invalid ConditionExpression: Syntax error; token: "=", near: ". = :x"`},
	{expr: "n = :ten AND AND", err: `Invalid ConditionExpression: Syntax error; token: "AND", near: "AND AND"`},
	{expr: "a > between", err: `Invalid ConditionExpression: Syntax error; token: "between", near: "> between"`},
	{expr: "a in b", err: `Invalid ConditionExpression: Syntax error; token: "b", near: "in b"`},
	{expr: "a in (b,c,)", err: `Invalid ConditionExpression: Syntax error; token: ")", near: ",)"`},
	{expr: "(a)between(b.(c.d))and(c)", err: `Invalid ConditionExpression: Syntax error; token: "(", near: ".(c"`},
	{expr: "(size(a)).b > a", err: `Invalid ConditionExpression: Syntax error; token: ".", near: ").b"`},
	{expr: "size(a)[0] > a", err: `Invalid ConditionExpression: Syntax error; token: "[", near: ")[0"`},
	{expr: "a.:a < b", err: `Invalid ConditionExpression: Syntax error; token: ":a", near: ".:a <"`},
	{expr: "b[#_] > a", err: `Invalid ConditionExpression: Syntax error; token: "#_", near: "[#_]"`},
	{expr: "(a)", err: `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ")"`},
	{expr: "(a AND b)", err: `Invalid ConditionExpression: Syntax error; token: "AND", near: "a AND b"`},
	// validation phases: parentheses, function names, function use, reserved words
	{expr: "n = :ten AND n > ((views))", err: "Invalid ConditionExpression: The expression has redundant parentheses;"},
	{expr: "n > whatever((:things), ((a)))", err: "Invalid ConditionExpression: The expression has redundant parentheses;"},
	{expr: "n = :ten AND ((n = :ten AND n = :ten)) AND n = :ten", err: "Invalid ConditionExpression: The expression has redundant parentheses;"},
	{expr: "n = :ten and whatever((:things)) > a", err: "Invalid ConditionExpression: Invalid function name; function: whatever"},
	{expr: "attRIbute_exIsts((views), #a)", err: "Invalid ConditionExpression: Invalid function name; function: attRIbute_exIsts"},
	{expr: "n = :ten and attribute_exists((views), (#a)) > b", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
	{expr: "contains(:things, c) > b", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: contains"},
	{expr: "size(contains(a, b)) > a", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: contains"},
	{expr: "a in (b, attribute_exists(things))", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
	{expr: "attribute_exists(views, #a)", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: views"},
	{expr: ":ten < abOrT", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: abOrT"},
	{expr: "begins_with(:undefined, #a, #b)", err: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
	{expr: "(#undef between :lo and :hi) and (#x in (:c1, :c2))", err: "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #undef"},
	{expr: "begins_with(s, size(s), b)", err: "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 3"},
	{expr: "size(s, n) > n", err: "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: size, number of operands: 2"},
	{expr: "begins_with(s, size(s)) and n = :ten", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
	{expr: "begins_with(:ten, s)", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
	{expr: "size(size(s)) > :ten", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"},
	{expr: "size(:true) > n", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: BOOL"},
	{expr: "attribute_not_exists(size(:ten))", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"},
	{expr: "attribute_not_exists(size(:hello))", err: "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_not_exists"},
	{expr: "attribute_type(n, size(n)) and n = :ten", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
	{expr: "size(:hello) = :five", want: true},
	{expr: "size(:accented) = :three", want: true},
	{expr: "(size(s)) = :eleven", want: true},
	{expr: "((size(s)) = :eleven) AND n = :ten", want: true},
	{expr: "(n)between(:five)and(:twenty)", want: true},
	{expr: "(n) IN ((:ten), :five)", want: true},
	{expr: "#n <> n", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [n]"},
	{expr: "((n = n) OR (n = n))", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [n]"},
	{expr: "attribute_type(m.lst[1].#x, m.lst[1].x)", err: "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: attribute_type, first operand: [m, lst, [1], x]"},
	{expr: ":ten > :ten", want: false},
	{expr: "status = :active", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"},
	{expr: "m.name = :x", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
	{expr: "attribute_exists(data)", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: data"},
	{expr: "Count > :one", err: "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Count"},
	{expr: "foo(n)", err: "Invalid ConditionExpression: Invalid function name; function: foo"},
	{expr: "Attribute_Exists(n)", err: "Invalid ConditionExpression: Invalid function name; function: Attribute_Exists"},
	{expr: "begins_with(s)", err: "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
	{expr: "attribute_exists(n, s)", err: "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
	{expr: "attribute_exists(:ten)", err: "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"},
	{expr: "size(s)", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"},
	{expr: "n = attribute_exists(s)", err: "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
	{expr: "if_not_exists(n, :ten) = :ten", err: "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"},
	{expr: "n = list_append(l, :x)", err: "Invalid ConditionExpression: The function is not allowed in a condition expression; function: list_append"},
	{expr: "l[99999999999] = :x", err: "Invalid ConditionExpression: List index is not within the allowable range; index: 99999999999"},
	{expr: "n BETWEEN :one AND :hello", err: "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:hello}"},
	{expr: strings.Repeat("NOT ", 300) + "n = :ten", err: "Invalid ConditionExpression: The expression contains too many operators; operator count: 301"},
	{expr: strings.Repeat("NOT ", 299) + "n = :ten", want: false},
	{expr: "((n = :ten))", err: "Invalid ConditionExpression: The expression has redundant parentheses;"},
	{expr: "#undefined = :ten", err: "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #undefined"},
	{expr: "n = :undefined", err: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
	{expr: "n = :ten OR n = :undefined", err: "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :undefined"},
	{expr: "begins_with(s, :ten)", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
	{expr: "attribute_type(n, :bad)", err: "Invalid ConditionExpression: Invalid attribute type name found; type: XX, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
	{expr: "attribute_type(n, :ten)", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
	{expr: "n < :map", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: M"},
	{expr: "n BETWEEN :true AND :ten", err: "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL"},
	{expr: "n BETWEEN :twenty AND :five", err: "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:20}, upper bound operand: AttributeValue: {N:5}"},
	{expr: "n IN (" + strings.Repeat(":one, ", 100) + ":one)", err: "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"},
	{expr: "n = :one OR " + strings.Repeat("n = :one OR ", 400) + "n = :one", err: "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4820"},
}

func TestCondition(t *testing.T) {
	t.Parallel()
	item, names, values := testItem(), testNames(), testValues()
	for _, tt := range conditionCases {
		t.Run(caseName(tt.expr), func(t *testing.T) {
			c, err := ParseCondition(tt.expr)
			var got bool
			if err == nil {
				got, err = c.Eval(item, names, values)
			}
			if msg := errMsg(t, err); msg != tt.err {
				t.Fatalf("error: got %q, want %q", msg, tt.err)
			}
			if tt.err == "" && got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInOperandLimit(t *testing.T) {
	t.Parallel()
	c, err := ParseCondition("n IN (" + strings.Repeat(":one, ", 99) + ":ten)")
	if err != nil {
		t.Fatalf("100 operands: got %v, want nil", err)
	}
	if ok, err := c.Eval(testItem(), nil, testValues()); !ok || err != nil {
		t.Fatalf("got %v, %v; want true", ok, err)
	}
}

func TestFilterNamesItsKind(t *testing.T) {
	t.Parallel()
	_, err := ParseFilter("n = = :x")
	if got, want := errMsg(t, err), `Invalid FilterExpression: Syntax error; token: "=", near: "= = :x"`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	f, err := ParseFilter("n = :nope")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Eval(testItem(), nil, Values{})
	if got, want := errMsg(t, err), "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :nope"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestConditionOnMissingItem(t *testing.T) {
	t.Parallel()
	c, err := ParseCondition("attribute_not_exists(id) AND NOT n = :ten")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Eval(nil, nil, testValues()); !ok || err != nil {
		t.Fatalf("got %v, %v; want true", ok, err)
	}
}

func TestConditionUsage(t *testing.T) {
	t.Parallel()
	c, err := ParseCondition("#s = :active AND (#s <> :x OR size(#m.a) > :zero)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(c.NamesUsed(), ","), "#s,#m"; got != want {
		t.Errorf("NamesUsed: got %s, want %s", got, want)
	}
	if got, want := strings.Join(c.ValuesUsed(), ","), ":active,:x,:zero"; got != want {
		t.Errorf("ValuesUsed: got %s, want %s", got, want)
	}
}

func TestReservedWords(t *testing.T) {
	t.Parallel()
	if n := len(reservedWords); n != 573 {
		t.Errorf("got %d reserved words, want 573", n)
	}
	for _, w := range []string{"status", "name", "data", "count", "Date", "timestamp", "user", "value", "type", "size", "year", "key", "order", "comment", "level", "ttl", "hash", "range", "items"} {
		if !isReserved(w) {
			t.Errorf("%s is not reserved", w)
		}
	}
	for _, w := range []string{"id", "pk", "sk", "title", "email", "price", "version", "createdAt", "remove"} {
		if isReserved(w) {
			t.Errorf("%s is reserved", w)
		}
	}
}

// caseName shortens long expressions for subtest names.
func caseName(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func TestConditionCheckWithoutItem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr   string
		values Values
		err    string
	}{
		{expr: "begins_with(#p, :n)", values: Values{":n": attr.Num("5")}, err: "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{expr: "a = :v OR begins_with(#p, :n)", values: Values{":v": attr.Str("x"), ":n": attr.Num("5")}, err: "Invalid FilterExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{expr: "a = :nope", values: Values{}, err: "Invalid FilterExpression: An expression attribute value used in expression is not defined; attribute value: :nope"},
		{expr: "#p = :v", values: Values{":v": attr.Str("x")}},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := errMsg(t, f.Check(Names{"#p": "p"}, tt.values)); got != tt.err {
			t.Errorf("Check(%s): got %q, want %q", tt.expr, got, tt.err)
		}
	}
}
