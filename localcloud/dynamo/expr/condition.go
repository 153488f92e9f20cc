package expr

import (
	"bytes"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// maxInOperands is the most operands the IN operator takes.
const maxInOperands = 100

type condKind uint8

const (
	cCmp     condKind = iota // args[0] op args[1]
	cBetween                 // args[0] BETWEEN args[1] AND args[2]
	cIn                      // args[0] IN (args[1:]...)
	cAnd
	cOr
	cNot
	cFunc  // fn(args...): attribute_exists, attribute_not_exists, attribute_type, begins_with, contains
	cParen // ( l )
)

// cond is a node of a parsed condition.
type cond struct {
	kind condKind
	op   tokKind // comparator of cCmp
	fn   string
	args []*operand
	l, r *cond
}

// Condition is a parsed ConditionExpression or FilterExpression. It is
// immutable and safe for concurrent use.
type Condition struct {
	kind string
	root *cond
	usage
}

// ParseCondition parses a ConditionExpression: comparisons (= <> < <= > >=),
// BETWEEN, IN, the functions attribute_exists, attribute_not_exists,
// attribute_type, begins_with, contains and size, combined with NOT, AND, OR
// and parentheses.
func ParseCondition(s string) (*Condition, error) { return parseCondition(kindCondition, s) }

// ParseFilter parses a FilterExpression: the grammar of ParseCondition, with
// errors naming the FilterExpression.
func ParseFilter(s string) (*Condition, error) { return parseCondition(kindFilter, s) }

func parseCondition(kind, s string) (*Condition, error) {
	p, err := newParser(kind, s)
	if err != nil {
		return nil, err
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	return &Condition{kind: kind, root: root, usage: p.usage}, nil
}

func (p *parser) parseOr() (*cond, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.atKeyword("OR") {
		p.next()
		if err := p.countOperator(); err != nil {
			return nil, err
		}
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &cond{kind: cOr, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseAnd() (*cond, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.atKeyword("AND") {
		p.next()
		if err := p.countOperator(); err != nil {
			return nil, err
		}
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &cond{kind: cAnd, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseNot() (*cond, error) {
	if p.atKeyword("NOT") {
		p.next()
		if err := p.countOperator(); err != nil {
			return nil, err
		}
		c, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &cond{kind: cNot, l: c}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (*cond, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen); err != nil {
			return nil, err
		}
		if inner.kind == cParen && !p.allowRedundantParens {
			return nil, invalidf(p.kind, "The expression has redundant parentheses;")
		}
		return &cond{kind: cParen, l: inner}, nil
	}
	if t.kind == tWord && p.peekAt(1).kind == tLParen {
		if _, ok := condFuncs[t.text]; ok {
			name, args, err := p.parseCall(false)
			if err != nil {
				return nil, err
			}
			return &cond{kind: cFunc, fn: name, args: args}, nil
		}
	}
	left, err := p.parseOperand(false)
	if err != nil {
		return nil, err
	}
	switch t := p.peek(); {
	case t.kind >= tEq && t.kind <= tGe || isKeyword(t, "BETWEEN") || isKeyword(t, "IN"):
		if err := p.countOperator(); err != nil {
			return nil, err
		}
	}
	switch t := p.peek(); {
	case t.kind >= tEq && t.kind <= tGe:
		p.next()
		right, err := p.parseOperand(false)
		if err != nil {
			return nil, err
		}
		return &cond{kind: cCmp, op: t.kind, args: []*operand{left, right}}, nil
	case isKeyword(t, "BETWEEN"):
		p.next()
		lo, err := p.parseOperand(false)
		if err != nil {
			return nil, err
		}
		if !p.atKeyword("AND") {
			return nil, p.syntaxErr()
		}
		p.next()
		hi, err := p.parseOperand(false)
		if err != nil {
			return nil, err
		}
		return &cond{kind: cBetween, args: []*operand{left, lo, hi}}, nil
	case isKeyword(t, "IN"):
		p.next()
		if err := p.expect(tLParen); err != nil {
			return nil, err
		}
		args := []*operand{left}
		for {
			o, err := p.parseOperand(false)
			if err != nil {
				return nil, err
			}
			args = append(args, o)
			if p.peek().kind == tComma {
				p.next()
				continue
			}
			if err := p.expect(tRParen); err != nil {
				return nil, err
			}
			break
		}
		if len(args)-1 > maxInOperands {
			return nil, invalidf(p.kind, "The IN operator is provided with too many operands; number of operands: %d", len(args)-1)
		}
		return &cond{kind: cIn, args: args}, nil
	case left.kind == oSize && (t.kind == tEOF || t.kind == tRParen || isKeyword(t, "AND") || isKeyword(t, "OR")):
		return nil, invalidf(p.kind, "The function is not allowed to be used this way in an expression; function: size")
	}
	return nil, p.syntaxErr()
}

var opNames = map[tokKind]string{tEq: "=", tNe: "<>", tLt: "<", tLe: "<=", tGt: ">", tGe: ">="}

// env is what an expression is evaluated with.
type env struct {
	kind   string
	item   attr.Item
	names  Names
	values Values
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
func (e *env) operand(o *operand) (attr.Value, bool, error) {
	switch o.kind {
	case oValue:
		v, err := e.value(o.value)
		return v, err == nil, err
	case oPath:
		return e.lookup(e.item, o.path)
	case oSize:
		v, ok, err := e.lookup(e.item, o.args[0].path)
		if err != nil || !ok {
			return attr.Value{}, false, err
		}
		n, ok := sizeOf(v)
		if !ok {
			return attr.Value{}, false, nil
		}
		return attr.Num(itoa(n)), true, nil
	}
	return attr.Value{}, false, invalidf(e.kind, "Syntax error; unexpected operand")
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

// sizeOf is the size() function: string length in bytes, binary length,
// number of elements of a set, list or map.
func sizeOf(v attr.Value) (int, bool) {
	switch v.Kind {
	case attr.S:
		return len(v.Str), true
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

// Eval reports whether item satisfies c. A nil item is an item with no
// attributes (a condition on a missing item). Comparisons of different types
// are false, not errors. It fails with an *Error if a placeholder is not
// defined or an operand has a type the operator never accepts.
func (c *Condition) Eval(item attr.Item, names Names, values Values) (bool, error) {
	e := &env{kind: c.kind, item: item, names: names, values: values}
	if err := e.check(c.root); err != nil {
		return false, err
	}
	return e.eval(c.root)
}

// Check validates c against names and values without an item: undefined
// placeholders, operand types and bounds that no item could make valid.
// DynamoDB reports these even when no item is evaluated (a Scan of an empty
// table), so call Check once per request before evaluating items.
func (c *Condition) Check(names Names, values Values) error {
	e := &env{kind: c.kind, names: names, values: values}
	return e.check(c.root)
}

// NamesUsed returns the #name placeholders c uses.
func (c *Condition) NamesUsed() []string { return c.usage.names }

// ValuesUsed returns the :value placeholders c uses.
func (c *Condition) ValuesUsed() []string { return c.usage.values }

func (c *Condition) exprKind() string { return c.kind }

// check validates placeholders and operand types without looking at the item.
func (e *env) check(c *cond) error {
	switch c.kind {
	case cAnd, cOr:
		if err := e.check(c.l); err != nil {
			return err
		}
		return e.check(c.r)
	case cNot, cParen:
		return e.check(c.l)
	}
	for _, a := range c.args {
		if err := e.checkOperand(a); err != nil {
			return err
		}
	}
	if err := e.checkDistinct(c); err != nil {
		return err
	}
	switch c.kind {
	case cCmp:
		if c.op != tEq && c.op != tNe {
			for _, a := range c.args {
				if err := e.requireScalar(opNames[c.op], a); err != nil {
					return err
				}
			}
		}
	case cBetween:
		for _, a := range c.args {
			if err := e.requireScalar("BETWEEN", a); err != nil {
				return err
			}
		}
		if c.args[1].kind == oValue && c.args[2].kind == oValue {
			lo, hi := e.values[c.args[1].value], e.values[c.args[2].value]
			if lo.Kind != hi.Kind {
				return invalidf(e.kind, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {%s:%s}, upper bound operand: AttributeValue: {%s:%s}",
					lo.Kind, scalarText(lo), hi.Kind, scalarText(hi))
			}
			if n, ok := attr.Compare(lo, hi); ok && n > 0 {
				return invalidf(e.kind, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {%s:%s}, upper bound operand: AttributeValue: {%s:%s}",
					lo.Kind, scalarText(lo), hi.Kind, scalarText(hi))
			}
		}
	case cFunc:
		switch c.fn {
		case "begins_with":
			for _, a := range c.args {
				if a.kind == oValue {
					if v := e.values[a.value]; v.Kind != attr.S && v.Kind != attr.B {
						return invalidf(e.kind, "Incorrect operand type for operator or function; operator or function: begins_with, operand type: %s", v.Kind)
					}
				}
			}
		case "attribute_type":
			if a := c.args[1]; a.kind == oValue {
				v := e.values[a.value]
				if v.Kind != attr.S {
					return invalidf(e.kind, "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: %s", v.Kind)
				}
				if !validTypeName(v.Str) {
					return invalidf(e.kind, "Invalid attribute type name found; type: %s, valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }", v.Str)
				}
			}
		}
	}
	return nil
}

// checkDistinct rejects a first operand that is repeated among the others
// ("a = a", "contains(a, a)").
func (e *env) checkDistinct(c *cond) error {
	var op string
	switch c.kind {
	case cCmp:
		op = opNames[c.op]
	case cBetween:
		op = "BETWEEN"
	case cIn:
		op = "IN"
	case cFunc:
		if c.fn != "begins_with" && c.fn != "contains" {
			return nil
		}
		op = c.fn
	default:
		return nil
	}
	first := c.args[0]
	if first.kind != oPath {
		return nil
	}
	for _, a := range c.args[1:] {
		if a.kind == oPath && e.samePath(first.path, a.path) {
			p, err := e.resolve(first.path)
			if err != nil {
				return err
			}
			return invalidf(e.kind, "The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s", op, p)
		}
	}
	return nil
}

// samePath reports whether two paths name the same element once their
// placeholders are substituted (undefined placeholders never match).
func (e *env) samePath(a, b docPath) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.isIdx != y.isIdx || x.index != y.index {
			return false
		}
		if x.isIdx {
			continue
		}
		nx, err1 := e.name(x)
		ny, err2 := e.name(y)
		if err1 != nil || err2 != nil || nx != ny {
			return false
		}
	}
	return true
}

func scalarText(v attr.Value) string {
	if v.Kind == attr.B {
		return string(v.Bytes)
	}
	return v.Str
}

func validTypeName(s string) bool {
	switch s {
	case "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS":
		return true
	}
	return false
}

// requireScalar rejects :values that an ordering operator cannot compare.
func (e *env) requireScalar(op string, a *operand) error {
	if a.kind != oValue {
		return nil
	}
	v := e.values[a.value]
	switch v.Kind {
	case attr.S, attr.N, attr.B:
		return nil
	}
	return invalidf(e.kind, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, v.Kind)
}

func (e *env) checkOperand(o *operand) error {
	switch o.kind {
	case oValue:
		_, err := e.value(o.value)
		return err
	case oPath:
		for _, el := range o.path {
			if el.ph {
				if _, err := e.name(el); err != nil {
					return err
				}
			}
		}
	}
	for _, a := range o.args {
		if err := e.checkOperand(a); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) eval(c *cond) (bool, error) {
	switch c.kind {
	case cAnd:
		l, err := e.eval(c.l)
		if err != nil || !l {
			return false, err
		}
		return e.eval(c.r)
	case cOr:
		l, err := e.eval(c.l)
		if err != nil || l {
			return l, err
		}
		return e.eval(c.r)
	case cNot:
		l, err := e.eval(c.l)
		return !l && err == nil, err
	case cParen:
		return e.eval(c.l)
	}
	if c.kind == cIn {
		return e.evalIn(c)
	}
	// Every other node has at most three operands.
	var valBuf [3]attr.Value
	var okBuf [3]bool
	vals, oks := valBuf[:len(c.args)], okBuf[:len(c.args)]
	for i, a := range c.args {
		v, ok, err := e.operand(a)
		if err != nil {
			return false, err
		}
		vals[i], oks[i] = v, ok
	}
	switch c.kind {
	case cCmp:
		return compare(c.op, vals[0], oks[0], vals[1], oks[1]), nil
	case cBetween:
		if !oks[0] || !oks[1] || !oks[2] {
			return false, nil
		}
		lo, ok1 := attr.Compare(vals[0], vals[1])
		hi, ok2 := attr.Compare(vals[0], vals[2])
		return ok1 && ok2 && lo >= 0 && hi <= 0, nil
	case cFunc:
		return callCondFunc(c.fn, vals, oks), nil
	}
	return false, nil
}

func (e *env) evalIn(c *cond) (bool, error) {
	v, ok, err := e.operand(c.args[0])
	if err != nil || !ok {
		return false, err
	}
	for _, a := range c.args[1:] {
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
	if !oks[0] || !oks[1] {
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
