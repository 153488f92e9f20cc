package expr

import (
	"bytes"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// maxInOperands is the most operands the IN operator takes.
const maxInOperands = 100

var opNames = map[tokKind]string{tEq: "=", tNe: "<>", tLt: "<", tLe: "<=", tGt: ">", tGe: ">="}

// Condition is a parsed ConditionExpression or FilterExpression. It is
// immutable and safe for concurrent use.
type Condition struct {
	kind string
	root *node
	usage
	// legacy: translated from ScanFilter or QueryFilter, which have none of
	// the expression limits (length, operators, IN operands).
	legacy bool
}

// ParseCondition parses a ConditionExpression: comparisons (= <> < <= > >=),
// BETWEEN, IN, the functions attribute_exists, attribute_not_exists,
// attribute_type, begins_with, contains and size, combined with NOT, AND, OR
// and parentheses. It reports the errors that do not depend on the
// request's placeholders: syntax, redundant parentheses, unknown or
// misplaced functions, reserved words.
func ParseCondition(s string) (*Condition, error) { return parseCondition(kindCondition, s) }

// ParseFilter parses a FilterExpression: the grammar of ParseCondition, with
// errors naming the FilterExpression.
func ParseFilter(s string) (*Condition, error) { return parseCondition(kindFilter, s) }

// ParseLegacyFilter parses a FilterExpression translated from ScanFilter or
// QueryFilter: as ParseFilter, without the limits expressions have
// (DynamoDB documents them for expressions; a ScanFilter IN takes tens of
// thousands of values).
func ParseLegacyFilter(s string) (*Condition, error) {
	return parseConditionWith(kindFilter, s, true)
}

func parseCondition(kind, s string) (*Condition, error) {
	return parseConditionWith(kind, s, false)
}

func parseConditionWith(kind, s string, legacy bool) (*Condition, error) {
	p, err := newParserWith(kind, s, legacy)
	if err != nil {
		return nil, err
	}
	root, err := p.parseConditionTree()
	if err != nil {
		return nil, err
	}
	if err := checkRedundantParens(kind, root); err != nil {
		return nil, err
	}
	if err := checkConditionTree(kind, root); err != nil {
		return nil, err
	}
	return &Condition{kind: kind, root: root, usage: p.usage, legacy: legacy}, nil
}

// checkConditionTree runs the phases after parentheses: function names,
// function context, reserved words.
func checkConditionTree(kind string, root *node) error {
	if err := checkFuncNames(kind, root); err != nil {
		return err
	}
	if err := checkCondContext(kind, root, true); err != nil {
		return err
	}
	return checkReserved(kind, root)
}

// parseConditionTree parses a whole condition.
func (p *parser) parseConditionTree() (*node, error) {
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return root, nil
}

func (p *parser) parseOr() (*node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	return p.orTail(l)
}

func (p *parser) orTail(l *node) (*node, error) {
	for p.atKeyword("OR") {
		p.next()
		if err := p.countOperator(); err != nil {
			return nil, err
		}
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &node{kind: nOr, args: []*node{l, r}}
	}
	return l, nil
}

func (p *parser) parseAnd() (*node, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	return p.andTail(l)
}

func (p *parser) andTail(l *node) (*node, error) {
	for p.atKeyword("AND") {
		p.next()
		if err := p.countOperator(); err != nil {
			return nil, err
		}
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &node{kind: nAnd, args: []*node{l, r}}
	}
	return l, nil
}

func (p *parser) parseNot() (*node, error) {
	if p.atKeyword("NOT") {
		p.next()
		if err := p.countOperator(); err != nil {
			return nil, err
		}
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &node{kind: nNot, args: []*node{c}}, nil
	}
	n, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if isBare(n) {
		// A path or value is not a condition: a comparator was expected.
		return nil, p.syntaxErr()
	}
	return n, nil
}

// parsePrimary parses a comparison, a function call or a parenthesized
// group. It may return a bare operand, which only a parenthesized operand
// such as "(a) = :v" makes valid; parseNot rejects it elsewhere.
func (p *parser) parsePrimary() (*node, error) {
	var left *node
	if p.peek().kind == tLParen {
		p.next()
		inner, err := p.parseGroup()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen); err != nil {
			return nil, err
		}
		left = &node{kind: nParen, args: []*node{inner}}
	} else {
		var err error
		if left, err = p.parseAtom(); err != nil {
			return nil, err
		}
	}
	t := p.peek()
	isCmp := t.kind >= tEq && t.kind <= tGe
	if !isCmp && !isKeyword(t, "BETWEEN") && !isKeyword(t, "IN") {
		return left, nil
	}
	if !isOperand(left) {
		return nil, p.syntaxErr()
	}
	p.next()
	if err := p.countOperator(); err != nil {
		return nil, err
	}
	switch {
	case isCmp:
		right, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return &node{kind: nCmp, op: t.kind, args: []*node{left, right}}, nil
	case isKeyword(t, "BETWEEN"):
		lo, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if !p.atKeyword("AND") {
			return nil, p.syntaxErr()
		}
		p.next()
		hi, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return &node{kind: nBetween, args: []*node{left, lo, hi}}, nil
	}
	if err := p.expect(tLParen); err != nil {
		return nil, err
	}
	n := &node{kind: nIn, args: []*node{left}}
	for {
		o, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, o)
		if p.peek().kind == tComma {
			p.next()
			continue
		}
		if err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	}
}

// parseGroup parses the inside of parentheses: a condition, or a bare
// operand when the group is an operand of a comparison.
func (p *parser) parseGroup() (*node, error) {
	if p.atKeyword("NOT") {
		return p.parseOr()
	}
	first, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if isBare(first) {
		return first, nil
	}
	l, err := p.andTail(first)
	if err != nil {
		return nil, err
	}
	return p.orTail(l)
}

// env is what an expression is evaluated with.
type env struct {
	kind      string
	item      attr.Item
	names     Names
	values    Values
	unlimited bool // no IN operand limit (a legacy filter)
}

func (e *env) name(el elem) (string, error) {
	if !el.ph {
		return el.name, nil
	}
	n, ok := e.names[el.name]
	if !ok {
		return "", invalidf(e.kind, "An expression attribute name used in the document path is not defined; attribute name: %s", el.name)
	}
	return n, nil
}

func (e *env) value(ph string) (attr.Value, error) {
	v, ok := e.values[ph]
	if !ok {
		return attr.Value{}, invalidf(e.kind, "An expression attribute value used in expression is not defined; attribute value: %s", ph)
	}
	return v, nil
}

// lookup finds the value at path in item; ok is false if any step is missing
// or of the wrong type.
func (e *env) lookup(item attr.Item, path docPath) (attr.Value, bool, error) {
	var cur attr.Value
	for i, el := range path {
		if el.isIdx {
			if cur.Kind != attr.L || el.index >= len(cur.List) {
				return attr.Value{}, false, nil
			}
			cur = cur.List[el.index]
			continue
		}
		n, err := e.name(el)
		if err != nil {
			return attr.Value{}, false, err
		}
		var ok bool
		if i == 0 {
			cur, ok = item[n]
		} else if cur.Kind == attr.M {
			cur, ok = cur.Map[n]
		}
		if !ok {
			return attr.Value{}, false, nil
		}
	}
	return cur, true, nil
}

// operand evaluates a condition operand against the item.
func (e *env) operand(n *node) (attr.Value, bool, error) {
	switch n.kind {
	case nParen:
		return e.operand(n.args[0])
	case nValue:
		v, err := e.value(n.value)
		return v, err == nil, err
	case nPath:
		return e.lookup(e.item, n.path)
	case nCall: // size, the only function a condition uses as an operand
		v, ok, err := e.operand(n.args[0])
		if err != nil || !ok {
			return attr.Value{}, false, err
		}
		size, ok := sizeOf(v)
		if !ok {
			return attr.Value{}, false, nil
		}
		return attr.Num(itoa(size)), true, nil
	}
	return attr.Value{}, false, nil
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// sizeOf is the size() function: string length in characters (UTF-16
// code units, as DynamoDB counts them: "abÿ" has size 3), binary length in
// bytes, number of elements of a set, list or map. Other kinds have none.
func sizeOf(v attr.Value) (int, bool) {
	switch v.Kind {
	case attr.S:
		n := 0
		for _, r := range v.Str {
			n++
			if r >= 0x10000 {
				n++ // a surrogate pair
			}
		}
		return n, true
	case attr.B:
		return len(v.Bytes), true
	case attr.SS, attr.NS:
		return len(v.Strs), true
	case attr.BS:
		return len(v.Bins), true
	case attr.L:
		return len(v.List), true
	case attr.M:
		return len(v.Map), true
	}
	return 0, false
}

// Check validates c against names and values without an item: undefined
// placeholders, operand counts and types, repeated operands, bounds that no
// item could make valid. DynamoDB reports these even when no item is
// evaluated (a Scan of an empty table), so call Check once per request
// before evaluating items.
func (c *Condition) Check(names Names, values Values) error {
	e := &env{kind: c.kind, names: names, values: values, unlimited: c.legacy}
	return e.validate(c.root)
}

// Eval reports whether item satisfies c. A nil item is an item with no
// attributes (a condition on a missing item). Comparisons of different types
// are false, not errors. It performs Check first and fails with its error.
func (c *Condition) Eval(item attr.Item, names Names, values Values) (bool, error) {
	e := &env{kind: c.kind, item: item, names: names, values: values, unlimited: c.legacy}
	if err := e.validate(c.root); err != nil {
		return false, err
	}
	return e.eval(c.root)
}

// NamesUsed returns the #name placeholders c uses.
func (c *Condition) NamesUsed() []string { return c.usage.names }

// ValuesUsed returns the :value placeholders c uses.
func (c *Condition) ValuesUsed() []string { return c.usage.values }

func (c *Condition) exprKind() string { return c.kind }

func (e *env) eval(n *node) (bool, error) {
	switch n.kind {
	case nParen:
		return e.eval(n.args[0])
	case nAnd:
		l, err := e.eval(n.args[0])
		if err != nil || !l {
			return false, err
		}
		return e.eval(n.args[1])
	case nOr:
		l, err := e.eval(n.args[0])
		if err != nil || l {
			return l, err
		}
		return e.eval(n.args[1])
	case nNot:
		l, err := e.eval(n.args[0])
		return !l && err == nil, err
	case nIn:
		return e.evalIn(n)
	}
	// Every other node has at most three operands.
	var valBuf [3]attr.Value
	var okBuf [3]bool
	if len(n.args) > len(valBuf) {
		return false, nil
	}
	vals, oks := valBuf[:len(n.args)], okBuf[:len(n.args)]
	for i, a := range n.args {
		v, ok, err := e.operand(a)
		if err != nil {
			return false, err
		}
		vals[i], oks[i] = v, ok
	}
	switch n.kind {
	case nCmp:
		return compare(n.op, vals[0], oks[0], vals[1], oks[1]), nil
	case nBetween:
		if !oks[0] || !oks[1] || !oks[2] {
			return false, nil
		}
		lo, ok1 := attr.Compare(vals[0], vals[1])
		hi, ok2 := attr.Compare(vals[0], vals[2])
		return ok1 && ok2 && lo >= 0 && hi <= 0, nil
	case nCall:
		return callCondFunc(n.fn, vals, oks), nil
	}
	return false, nil
}

func (e *env) evalIn(n *node) (bool, error) {
	v, ok, err := e.operand(n.args[0])
	if err != nil || !ok {
		return false, err
	}
	for _, a := range n.args[1:] {
		w, ok, err := e.operand(a)
		if err != nil {
			return false, err
		}
		if ok && attr.Equal(v, w) {
			return true, nil
		}
	}
	return false, nil
}

func compare(op tokKind, a attr.Value, aok bool, b attr.Value, bok bool) bool {
	switch op {
	case tEq:
		return aok && bok && attr.Equal(a, b)
	case tNe:
		return !(aok && bok && attr.Equal(a, b))
	}
	if !aok || !bok {
		return false
	}
	n, ok := attr.Compare(a, b)
	if !ok {
		return false
	}
	switch op {
	case tLt:
		return n < 0
	case tLe:
		return n <= 0
	case tGt:
		return n > 0
	}
	return n >= 0
}

func callCondFunc(fn string, vals []attr.Value, oks []bool) bool {
	switch fn {
	case "attribute_exists":
		return oks[0]
	case "attribute_not_exists":
		return !oks[0]
	}
	if len(vals) < 2 || !oks[0] || !oks[1] {
		return false
	}
	a, b := vals[0], vals[1]
	switch fn {
	case "attribute_type":
		return b.Kind == attr.S && a.Kind.String() == b.Str
	case "begins_with":
		switch {
		case a.Kind == attr.S && b.Kind == attr.S:
			return strings.HasPrefix(a.Str, b.Str)
		case a.Kind == attr.B && b.Kind == attr.B:
			return bytes.HasPrefix(a.Bytes, b.Bytes)
		}
		return false
	case "contains":
		return contains(a, b)
	}
	return false
}

func contains(a, b attr.Value) bool {
	switch a.Kind {
	case attr.S:
		return b.Kind == attr.S && strings.Contains(a.Str, b.Str)
	case attr.B:
		return b.Kind == attr.B && bytes.Contains(a.Bytes, b.Bytes)
	case attr.SS:
		if b.Kind == attr.S {
			for _, s := range a.Strs {
				if s == b.Str {
					return true
				}
			}
		}
	case attr.NS:
		if b.Kind == attr.N {
			for _, s := range a.Strs {
				if attr.CompareNumbers(s, b.Str) == 0 {
					return true
				}
			}
		}
	case attr.BS:
		if b.Kind == attr.B {
			for _, x := range a.Bins {
				if bytes.Equal(x, b.Bytes) {
					return true
				}
			}
		}
	case attr.L:
		for _, x := range a.List {
			if attr.Equal(x, b) {
				return true
			}
		}
	}
	return false
}
