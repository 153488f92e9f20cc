package expr

import (
	"testing"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

var projectionCases = []struct {
	expr string
	want attr.Item
	err  string // from ParseProjection or CheckUsage
}{
	{expr: "n", want: attr.Item{"n": attr.Num("5")}},
	{expr: "n, s", want: attr.Item{"n": attr.Num("5"), "s": attr.Str("str")}},
	{expr: "m.x, s", want: attr.Item{"m": attr.Map(map[string]attr.Value{"x": attr.Num("1")}), "s": attr.Str("str")}},
	{expr: "l[1], l[3]", want: attr.Item{"l": attr.List(strs("b", "d")...)}},
	{expr: "l[3],l[1]", want: attr.Item{"l": attr.List(strs("b", "d")...)}},
	{expr: "l[1], l[9]", want: attr.Item{"l": attr.List(strs("b")...)}},
	{expr: "m.ml[0].q", want: attr.Item{"m": attr.Map(map[string]attr.Value{"ml": attr.List(attr.Map(map[string]attr.Value{"q": attr.Num("1")}))})}},
	{expr: "#m.#x", want: attr.Item{"m": attr.Map(map[string]attr.Value{"x": attr.Num("1")})}},
	{expr: "#s", want: attr.Item{}},
	{expr: "absent", want: attr.Item{}},
	{expr: "m.absent", want: attr.Item{}},
	{expr: "s.y", want: attr.Item{}},
	{expr: "s[0]", want: attr.Item{}},
	{expr: "l[0], m.in2, id", want: attr.Item{"l": attr.List(strs("a")...), "m": attr.Map(map[string]attr.Value{"in2": attr.Map(map[string]attr.Value{})}), "id": attr.Str("k")}},
	{expr: "", err: "Invalid ProjectionExpression: The expression can not be empty;"},
	{expr: "a,,b", err: `Invalid ProjectionExpression: Syntax error; token: ",", near: ",,b"`},
	{expr: "a b", err: `Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"`},
	{expr: "a,", err: `Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","`},
	{expr: "a = :v", err: `Invalid ProjectionExpression: Syntax error; token: "=", near: "a = :v"`},
	{expr: ":v", err: `Invalid ProjectionExpression: Syntax error; token: ":v", near: ":v"`},
	{expr: "name", err: "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
	{expr: "sz(a)", err: `Invalid ProjectionExpression: Syntax error; token: "(", near: "sz(a"`},
	{expr: "size(a)", err: `Invalid ProjectionExpression: Syntax error; token: "(", near: "size(a"`},
	{expr: "a, size", err: "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: size"},
	{expr: "m, m.x", err: "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, x]"},
	{expr: "#m.x, m", err: "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, x], path two: [m]"},
	{expr: "l[1], l.a, #m.b, m", err: "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m, b], path two: [m]"},
	{expr: "m.b, #m[1], n", err: "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [m, b], path two: [m, [1]]"},
	{expr: "n, n", err: "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [n], path two: [n]"},
	{expr: "l[0], l.x", err: "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l, x]"},
	{expr: "#nope", err: "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #nope"},
}

func TestProjection(t *testing.T) {
	t.Parallel()
	all := testNames()
	for _, tt := range projectionCases {
		t.Run(tt.expr, func(t *testing.T) {
			base := updateBase()
			p, err := ParseProjection(tt.expr)
			if err == nil {
				// Pass only the names the expression uses, so CheckUsage finds no unused ones.
				names := Names{}
				for _, n := range p.NamesUsed() {
					if v, ok := all[n]; ok {
						names[n] = v
					}
				}
				if len(names) == 0 {
					names = nil
				}
				err = CheckUsage(names, nil, p)
			}
			if msg := errMsg(t, err); msg != tt.err {
				t.Fatalf("error: got %q, want %q", msg, tt.err)
			}
			if tt.err != "" {
				return
			}
			got := p.Apply(base, all)
			mustEqualItems(t, got, tt.want)
			mustEqualItems(t, base, updateBase())
		})
	}
}

func TestProjectionResultSharesNothing(t *testing.T) {
	t.Parallel()
	p, err := ParseProjection("l, m")
	if err != nil {
		t.Fatal(err)
	}
	base := updateBase()
	got := p.Apply(base, nil)
	got["l"].List[0] = attr.Str("changed")
	got["m"].Map["x"] = attr.Str("changed")
	mustEqualItems(t, base, updateBase())
}
