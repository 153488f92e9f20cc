package expr

import "github.com/labkit-dev/labkit/localcloud/dynamo/attr"

// UpdateTarget is the top-level attribute an update action writes.
type UpdateTarget struct {
	Head   string
	Nested bool // the action writes inside Head (a.b, a[1])
	// Kind is the type the action gives Head when the expression alone
	// tells it (a value, arithmetic, list_append, ADD of a number or a
	// set); attr.Invalid when it depends on the item.
	Kind attr.Kind
}

// Targets returns the attributes u's actions write, in order, with
// placeholders resolved (an undefined #name is skipped: Check reports it).
func (u *Update) Targets(names Names, values Values) []UpdateTarget {
	var out []UpdateTarget
	for _, a := range u.actions {
		if len(a.path) == 0 || a.path[0].isIdx {
			continue
		}
		head, ok := resolveHead(a.path[0], names)
		if !ok {
			continue
		}
		t := UpdateTarget{Head: head, Nested: len(a.path) > 1}
		switch a.kind {
		case aSet:
			t.Kind = staticKind(a.val, values)
		case aAdd:
			if v, ok := values[a.val.value]; ok && (v.Kind == attr.N || isSet(v.Kind)) {
				t.Kind = v.Kind
			}
		}
		out = append(out, t)
	}
	return out
}

// OperandNestedHeads returns the top-level attributes that u's SET values
// read nested paths of (b in SET a = b.c).
func (u *Update) OperandNestedHeads(names Names) []string {
	var paths []docPath
	for _, a := range u.actions {
		if a.kind == aSet {
			paths = appendPaths(paths, a.val)
		}
	}
	return nestedHeads(paths, names)
}

// resolveHead is a path's first element's name, its placeholder resolved;
// false for an undefined placeholder.
func resolveHead(e elem, names Names) (string, bool) {
	if !e.ph {
		return e.name, true
	}
	n, ok := names[e.name]
	return n, ok
}

// staticKind is the type a SET value has whatever the item holds, or
// attr.Invalid.
func staticKind(n *node, values Values) attr.Kind {
	n = unparen(n)
	switch n.kind {
	case nValue:
		if v, ok := values[n.value]; ok {
			return v.Kind
		}
	case nPlus, nMinus:
		return attr.N
	case nCall:
		if n.fn == "list_append" {
			return attr.L
		}
	}
	return attr.Invalid
}
