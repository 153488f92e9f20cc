package expr

import (
	"slices"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// Projection is a parsed ProjectionExpression. It is immutable and safe for
// concurrent use.
type Projection struct {
	paths []docPath
	usage
}

// ParseProjection parses a ProjectionExpression: document paths separated
// by commas.
func ParseProjection(s string) (*Projection, error) {
	p, err := newParser(kindProjection, s)
	if err != nil {
		return nil, err
	}
	pr := &Projection{}
	for {
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		pr.paths = append(pr.paths, path)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	if err := p.expectEOF(); err != nil {
		return nil, err
	}
	for _, path := range pr.paths {
		if err := checkReservedPath(kindProjection, path); err != nil {
			return nil, err
		}
	}
	pr.usage = p.usage
	return pr, nil
}

// NamesUsed returns the #name placeholders p uses.
func (p *Projection) NamesUsed() []string { return p.usage.names }

// ValuesUsed returns nil: projections use no values.
func (p *Projection) ValuesUsed() []string { return nil }

func (p *Projection) exprKind() string { return kindProjection }

// Check validates p against names: undefined placeholders, overlapping or
// conflicting paths. values is ignored (projections use none); the
// signature matches the other expressions'.
func (p *Projection) Check(names Names, values Values) error {
	e := &env{kind: kindProjection, names: names}
	paths := make([]docPath, len(p.paths))
	for i, path := range p.paths {
		var err error
		if paths[i], err = e.resolve(path); err != nil {
			return err
		}
	}
	return checkOverlap(kindProjection, paths)
}

// pnode is a node of the tree of projected paths.
type pnode struct {
	leaf bool
	keys map[string]*pnode
	idx  map[int]*pnode
}

// Apply returns a new item holding only the projected paths of item, with
// their nesting: a.b yields {a: {b: ...}}, and list elements keep their
// order but not their positions (l[1], l[3] yields a list of two). Paths
// that are missing, or whose #placeholders are not in names, are left out
// (CheckUsage reports undefined names beforehand). The result shares no
// memory with item.
func (p *Projection) Apply(item attr.Item, names Names) attr.Item {
	e := &env{kind: kindProjection, names: names}
	root := &pnode{}
	for _, path := range p.paths {
		rp, err := e.resolve(path)
		if err != nil {
			continue
		}
		n := root
		for _, el := range rp {
			if n.leaf {
				break
			}
			n = n.child(el)
		}
		n.leaf = true
	}
	out := attr.Item{}
	for k, c := range root.keys {
		if v, ok := item[k]; ok {
			if pv, ok := project(v, c); ok {
				out[k] = pv
			}
		}
	}
	return out
}

func (n *pnode) child(el elem) *pnode {
	if el.isIdx {
		if n.idx == nil {
			n.idx = map[int]*pnode{}
		}
		c, ok := n.idx[el.index]
		if !ok {
			c = &pnode{}
			n.idx[el.index] = c
		}
		return c
	}
	if n.keys == nil {
		n.keys = map[string]*pnode{}
	}
	c, ok := n.keys[el.name]
	if !ok {
		c = &pnode{}
		n.keys[el.name] = c
	}
	return c
}

func project(v attr.Value, n *pnode) (attr.Value, bool) {
	if n.leaf {
		return attr.Clone(v), true
	}
	switch {
	case v.Kind == attr.M && n.keys != nil:
		m := map[string]attr.Value{}
		for k, c := range n.keys {
			if cv, ok := v.Map[k]; ok {
				if pv, ok := project(cv, c); ok {
					m[k] = pv
				}
			}
		}
		return attr.Map(m), len(m) > 0
	case v.Kind == attr.L && n.idx != nil:
		idx := make([]int, 0, len(n.idx))
		for i := range n.idx {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		var l []attr.Value
		for _, i := range idx {
			if i < len(v.List) {
				if pv, ok := project(v.List[i], n.idx[i]); ok {
					l = append(l, pv)
				}
			}
		}
		return attr.List(l...), len(l) > 0
	}
	return attr.Value{}, false
}
