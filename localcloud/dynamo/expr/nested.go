package expr

// NestedHeads returns the attribute names (placeholders resolved with
// names) that begin a path going further into a document ("a.b", "#a[0]"),
// in the order the expression uses them. DynamoDB refuses such paths on
// key attributes, which are scalars.
func (p *Projection) NestedHeads(names Names) []string { return nestedHeads(p.paths, names) }

// NestedHeads is the Projection's NestedHeads for a condition or filter.
func (c *Condition) NestedHeads(names Names) []string {
	return nestedHeads(appendPaths(nil, c.root), names)
}

// appendPaths appends the document paths n and its operands read, in
// order.
func appendPaths(paths []docPath, n *node) []docPath {
	if n == nil {
		return paths
	}
	if n.kind == nPath {
		paths = append(paths, n.path)
	}
	for _, a := range n.args {
		paths = appendPaths(paths, a)
	}
	return paths
}

func nestedHeads(paths []docPath, names Names) []string {
	var out []string
	for _, p := range paths {
		if len(p) < 2 || p[0].isIdx {
			continue
		}
		if head, ok := resolveHead(p[0], names); ok {
			out = append(out, head)
		}
	}
	return out
}
