package expr

import (
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// KeyCondition is a parsed and resolved KeyConditionExpression: equality on
// the partition (hash) key and at most one condition on the sort (range)
// key. Because the parser does not know the table's key schema, call
// ForSchema to put the conditions in the right fields before using them.
type KeyCondition struct {
	HashName string
	Hash     attr.Value
	Range    *RangeCondition

	names, values []string
	conds         []RangeCondition // every condition, in order, for ForSchema
}

// RangeCondition is the sort key condition of a KeyCondition. Op is one of
// "=", "<", "<=", ">", ">=", "BETWEEN" (Values holds the two bounds) and
// "begins_with"; Values holds one value for the others.
type RangeCondition struct {
	Name   string
	Op     string
	Values []attr.Value
}

// Match reports whether v, the item's sort key value, satisfies r.
// Values of another kind never match.
func (r *RangeCondition) Match(v attr.Value) bool {
	if r == nil {
		return true
	}
	if r.Op == "begins_with" {
		return callCondFunc("begins_with", []attr.Value{v, r.Values[0]}, []bool{true, true})
	}
	if r.Op == "BETWEEN" {
		lo, ok1 := attr.Compare(v, r.Values[0])
		hi, ok2 := attr.Compare(v, r.Values[1])
		return ok1 && ok2 && lo >= 0 && hi <= 0
	}
	for k, name := range opNames {
		if name == r.Op {
			return compare(k, v, true, r.Values[0], true)
		}
	}
	return false
}

// NamesUsed returns the #name placeholders the key condition uses.
func (k KeyCondition) NamesUsed() []string { return k.names }

// ValuesUsed returns the :value placeholders the key condition uses.
func (k KeyCondition) ValuesUsed() []string { return k.values }

func (k KeyCondition) exprKind() string { return kindKey }

// ParseKeyCondition parses a KeyConditionExpression and resolves its
// placeholders: one or two conditions joined by AND, each on a different
// top-level attribute, using =, <, <=, >, >=, BETWEEN or begins_with with
// :values of kind S, N or B. The first equality becomes the hash condition.
// Errors are *Error with DynamoDB's messages.
func ParseKeyCondition(s string, names Names, values Values) (KeyCondition, error) {
	p, err := newParser(kindKey, s)
	if err != nil {
		return KeyCondition{}, err
	}
	root, err := p.parseConditionTree()
	if err != nil {
		return KeyCondition{}, err
	}
	// Key conditions accept redundant parentheses.
	if err := checkConditionTree(kindKey, root); err != nil {
		return KeyCondition{}, err
	}
	e := &env{kind: kindKey, names: names, values: values}
	if err := e.validate(root); err != nil {
		return KeyCondition{}, err
	}
	var rcs []RangeCondition
	if err := e.keyShape(root, &rcs); err != nil {
		if ee, ok := err.(*Error); ok {
			ee.KeyShape = true
		}
		return KeyCondition{}, err
	}
	if len(rcs) > 2 {
		return KeyCondition{}, &Error{Msg: "Conditions can be of length 1 or 2 only", KeyShape: true}
	}
	kc := KeyCondition{names: p.usage.names, values: p.usage.values, conds: rcs}
	for i := range rcs {
		if kc.HashName == "" && rcs[i].Op == "=" {
			kc.HashName, kc.Hash = rcs[i].Name, rcs[i].Values[0]
			continue
		}
		rc := rcs[i]
		kc.Range = &rc
	}
	return kc, nil
}

// keyShape checks that a validated key condition is an AND of simple key
// conditions and collects them, with DynamoDB's messages and in its order.
func (e *env) keyShape(n *node, out *[]RangeCondition) error {
	n = unparen(n)
	switch n.kind {
	case nOr:
		return &Error{Msg: "Invalid operator used in KeyConditionExpression: OR"}
	case nNot:
		return &Error{Msg: "Invalid operator used in KeyConditionExpression: NOT"}
	case nIn:
		return &Error{Msg: "Invalid operator used in KeyConditionExpression: IN"}
	case nCmp:
		if n.op == tNe {
			return &Error{Msg: "Invalid operator used in KeyConditionExpression: <>"}
		}
	case nBetween:
		if unparen(n.args[0]).kind != nPath {
			return &Error{Msg: "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"}
		}
	case nCall:
		switch n.fn {
		case "size":
			return &Error{Msg: "KeyConditionExpressions cannot contain nested operations"}
		case "begins_with":
			if unparen(n.args[0]).kind != nPath {
				return &Error{Msg: "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"}
			}
		default:
			return &Error{Msg: "Invalid operator used in KeyConditionExpression: " + n.fn}
		}
	}
	name, nameAt := "", -1
	for i, a := range n.args {
		a = unparen(a)
		switch a.kind {
		case nValue:
			continue
		case nPath:
			if nameAt >= 0 {
				return &Error{Msg: "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"}
			}
			if len(a.path) > 1 {
				return &Error{Msg: "KeyConditionExpressions cannot have conditions on nested attributes"}
			}
			var err error
			if name, err = e.name(a.path[0]); err != nil {
				return err
			}
			nameAt = i
		default:
			if err := e.keyShape(a, out); err != nil {
				return err
			}
		}
	}
	if n.kind == nAnd {
		return nil
	}
	if nameAt < 0 {
		return &Error{Msg: "Invalid condition in KeyConditionExpression: No key attribute specified"}
	}
	for _, o := range *out {
		if o.Name == name {
			return &Error{Msg: "KeyConditionExpressions must only contain one condition per key"}
		}
	}
	rc := RangeCondition{Name: name}
	switch n.kind {
	case nCmp:
		rc.Op = opNames[n.op]
		if nameAt != 0 {
			rc.Op = flip(rc.Op)
		}
	case nBetween:
		rc.Op = "BETWEEN"
	default:
		rc.Op = "begins_with"
	}
	for i, a := range n.args {
		if i == nameAt {
			continue
		}
		v := e.values[unparen(a).value]
		switch v.Kind {
		case attr.S, attr.N, attr.B:
		default:
			return &Error{Msg: "One or more parameter values were invalid: Condition parameter type does not match schema type"}
		}
		rc.Values = append(rc.Values, v)
	}
	*out = append(*out, rc)
	return nil
}

func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op
}

// Conditions returns every condition of k, in order.
func (k KeyCondition) Conditions() []RangeCondition {
	all := k.conds
	if all == nil {
		if k.HashName != "" {
			all = append(all, RangeCondition{Name: k.HashName, Op: "=", Values: []attr.Value{k.Hash}})
		}
		if k.Range != nil {
			all = append(all, *k.Range)
		}
	}
	return all
}

// ForSchema returns k ordered for a table (or index) whose partition key is
// hash and sort key is rng ("" if it has none): with two equality conditions
// the parser cannot tell which is the partition key. It fails with
// DynamoDB's messages when the conditions do not fit the key schema.
func (k KeyCondition) ForSchema(hash, rng string) (KeyCondition, error) {
	all := k.Conditions()
	if rng == "" && len(all) > 1 {
		// More conditions than the key has attributes.
		return KeyCondition{}, &Error{Msg: "Query key condition not supported"}
	}
	out := KeyCondition{names: k.names, values: k.values, conds: k.conds}
	var found bool
	for _, c := range all {
		switch c.Name {
		case hash:
			if !indexable(c.Op) {
				return KeyCondition{}, &Error{Msg: msgNotIndexable}
			}
			if c.Op != "=" {
				return KeyCondition{}, &Error{Msg: "Query key condition not supported"}
			}
			out.HashName, out.Hash, found = c.Name, c.Values[0], true
		case rng:
			if rng == "" {
				return KeyCondition{}, &Error{Msg: "Query condition missed key schema element: " + hash}
			}
			if !indexable(c.Op) {
				return KeyCondition{}, &Error{Msg: msgNotIndexable}
			}
			rc := c
			out.Range = &rc
		default:
			missing := hash
			if found || hasName(all, hash) {
				missing = rng
			}
			if missing == "" {
				return KeyCondition{}, &Error{Msg: "Query key condition not supported"}
			}
			return KeyCondition{}, &Error{Msg: "Query condition missed key schema element: " + missing}
		}
	}
	if !found {
		return KeyCondition{}, &Error{Msg: "Query condition missed key schema element: " + hash}
	}
	return out, nil
}

// msgNotIndexable answers a legacy KeyConditions operator no index serves.
const msgNotIndexable = "Attempted conditional constraint is not an indexable operation"

func hasName(cs []RangeCondition, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}
