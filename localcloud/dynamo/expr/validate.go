package expr

import (
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// DynamoDB validates an expression in phases, each over the whole
// expression, and reports the first failure of the earliest phase: syntax,
// redundant parentheses, function names, where functions are used,
// reserved words; then, with the request's placeholders, each node after
// its operands: undefined names and values, operand counts, operand
// types, repeated operands and the checks particular to an operator.

// Functions, their operand counts, and where they may appear.
var (
	funcArity = map[string]int{
		"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
		"begins_with": 2, "contains": 2, "size": 1, "if_not_exists": 2, "list_append": 2,
	}
	condFuncs   = map[string]bool{"attribute_exists": true, "attribute_not_exists": true, "attribute_type": true, "begins_with": true, "contains": true}
	updateFuncs = map[string]bool{"if_not_exists": true, "list_append": true}
)

// walk calls f on n and its descendants in pre-order, left to right,
// stopping at the first error.
func walk(n *node, f func(*node) error) error {
	if err := f(n); err != nil {
		return err
	}
	for _, a := range n.args {
		if err := walk(a, f); err != nil {
			return err
		}
	}
	return nil
}

// checkRedundantParens rejects ((x)).
func checkRedundantParens(kind string, n *node) error {
	return walk(n, func(n *node) error {
		if n.kind == nParen && n.args[0].kind == nParen {
			return invalidf(kind, "The expression has redundant parentheses;")
		}
		return nil
	})
}

// checkFuncNames rejects unknown functions (names are case-sensitive).
func checkFuncNames(kind string, n *node) error {
	return walk(n, func(n *node) error {
		if n.kind == nCall {
			if _, ok := funcArity[n.fn]; !ok {
				return invalidf(kind, "Invalid function name; function: %s", n.fn)
			}
		}
		return nil
	})
}

// checkCondContext rejects functions where a condition expression cannot
// use them: size as a condition, condition functions as operands, update
// functions anywhere. cond tells whether n stands where a condition is
// expected.
func checkCondContext(kind string, n *node, cond bool) error {
	switch n.kind {
	case nAnd, nOr, nNot:
		for _, a := range n.args {
			if err := checkCondContext(kind, a, true); err != nil {
				return err
			}
		}
		return nil
	case nParen:
		return checkCondContext(kind, n.args[0], cond)
	case nCall:
		switch {
		case updateFuncs[n.fn]:
			return invalidf(kind, "The function is not allowed in a condition expression; function: %s", n.fn)
		case condFuncs[n.fn] != cond:
			return invalidf(kind, "The function is not allowed to be used this way in an expression; function: %s", n.fn)
		}
	}
	for _, a := range n.args {
		if err := checkCondContext(kind, a, false); err != nil {
			return err
		}
	}
	return nil
}

// checkUpdateContext rejects functions an update expression cannot use.
func checkUpdateContext(kind string, n *node) error {
	return walk(n, func(n *node) error {
		if n.kind == nCall && !updateFuncs[n.fn] {
			return invalidf(kind, "The function is not allowed in an update expression; function: %s", n.fn)
		}
		return nil
	})
}

// checkReserved rejects reserved words used as attribute names.
func checkReserved(kind string, n *node) error {
	return walk(n, func(n *node) error {
		if n.kind == nPath {
			return checkReservedPath(kind, n.path)
		}
		return nil
	})
}

func checkReservedPath(kind string, path docPath) error {
	for _, el := range path {
		if !el.ph && !el.isIdx && isReserved(el.name) {
			return invalidf(kind, "Attribute name is a reserved keyword; reserved keyword: %s", el.name)
		}
	}
	return nil
}

// validate checks n with the request's placeholders, operands first.
func (e *env) validate(n *node) error {
	switch n.kind {
	case nPath:
		return e.checkPathNames(n.path)
	case nValue:
		_, err := e.value(n.value)
		return err
	case nParen:
		return e.validate(n.args[0])
	}
	for _, a := range n.args {
		if err := e.validate(a); err != nil {
			return err
		}
	}
	return e.validateOp(n)
}

func (e *env) checkPathNames(path docPath) error {
	for _, el := range path {
		if el.ph {
			if _, err := e.name(el); err != nil {
				return err
			}
		}
	}
	return nil
}

// Operand kinds some operators accept; the others accept any.
var (
	scalarKinds  = map[attr.Kind]bool{attr.S: true, attr.N: true, attr.B: true}
	prefixKinds  = map[attr.Kind]bool{attr.S: true, attr.B: true}
	sizedKinds   = map[attr.Kind]bool{attr.S: true, attr.B: true, attr.SS: true, attr.NS: true, attr.BS: true, attr.L: true, attr.M: true}
	listKinds    = map[attr.Kind]bool{attr.L: true}
	numericKinds = map[attr.Kind]bool{attr.N: true}
)

// opInfo returns an operator's name in messages and the operand kinds it
// accepts (nil for any).
func opInfo(n *node) (string, map[attr.Kind]bool) {
	switch n.kind {
	case nCmp:
		if n.op == tEq || n.op == tNe {
			return opNames[n.op], nil
		}
		return opNames[n.op], scalarKinds
	case nBetween:
		return "BETWEEN", scalarKinds
	case nIn:
		return "IN", nil
	case nPlus:
		return "+", numericKinds
	case nMinus:
		return "-", numericKinds
	case nCall:
		switch n.fn {
		case "begins_with":
			return n.fn, prefixKinds
		case "size":
			return n.fn, sizedKinds
		case "list_append":
			return n.fn, listKinds
		}
		return n.fn, nil
	}
	return "", nil
}

// returnKind is the kind an operand evaluates to, when it is known
// without an item.
func (e *env) returnKind(n *node) (attr.Kind, bool) {
	n = unparen(n)
	switch n.kind {
	case nValue:
		return e.values[n.value].Kind, true
	case nPlus, nMinus:
		return attr.N, true
	case nCall:
		switch n.fn {
		case "size":
			return attr.N, true
		case "list_append":
			return attr.L, true
		}
	}
	return attr.Invalid, false
}

// validateOp checks one operator or function whose operands are valid.
func (e *env) validateOp(n *node) error {
	switch n.kind {
	case nAnd, nOr, nNot:
		return nil
	case nCall:
		if len(n.args) != funcArity[n.fn] {
			return invalidf(e.kind, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", n.fn, len(n.args))
		}
	}
	name, kinds := opInfo(n)
	if kinds != nil {
		for _, a := range n.args {
			if k, ok := e.returnKind(a); ok && !kinds[k] {
				return invalidf(e.kind, "Incorrect operand type for operator or function; operator or function: %s, operand type: %s", name, k)
			}
		}
	}
	if err := e.checkDistinct(n, name); err != nil {
		return err
	}
	switch n.kind {
	case nBetween:
		lo, hi := unparen(n.args[1]), unparen(n.args[2])
		if lo.kind == nValue && hi.kind == nValue {
			lv, hv := e.values[lo.value], e.values[hi.value]
			if lv.Kind != hv.Kind {
				return invalidf(e.kind, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {%s:%s}, upper bound operand: AttributeValue: {%s:%s}",
					lv.Kind, scalarText(lv), hv.Kind, scalarText(hv))
			}
			if c, ok := attr.Compare(lv, hv); ok && c > 0 {
				return invalidf(e.kind, "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {%s:%s}, upper bound operand: AttributeValue: {%s:%s}",
					lv.Kind, scalarText(lv), hv.Kind, scalarText(hv))
			}
		}
	case nIn:
		if len(n.args)-1 > maxInOperands && !e.unlimited {
			return invalidf(e.kind, "The IN operator is provided with too many operands; number of operands: %d", len(n.args)-1)
		}
	case nCall:
		switch n.fn {
		case "attribute_exists", "attribute_not_exists", "if_not_exists":
			if unparen(n.args[0]).kind != nPath {
				return invalidf(e.kind, "Operator or function requires a document path; operator or function: %s", n.fn)
			}
		case "attribute_type":
			k, known := e.returnKind(n.args[1])
			if !known {
				return invalidf(e.kind, "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
			}
			if k != attr.S || unparen(n.args[1]).kind != nValue {
				return invalidf(e.kind, "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: %s", k)
			}
			v := e.values[unparen(n.args[1]).value]
			if !validTypeName(v.Str) {
				return invalidf(e.kind, "Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", v.Str)
			}
		}
	}
	return nil
}

// checkDistinct rejects a first operand repeated among the others
// ("a = a", "contains(a, a)").
func (e *env) checkDistinct(n *node, op string) error {
	switch n.kind {
	case nCmp, nBetween, nIn:
	case nCall:
		if n.fn != "begins_with" && n.fn != "contains" && n.fn != "attribute_type" {
			return nil
		}
	default:
		return nil
	}
	first := unparen(n.args[0])
	if first.kind != nPath {
		return nil
	}
	for _, a := range n.args[1:] {
		if a := unparen(a); a.kind == nPath && e.samePath(first.path, a.path) {
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
