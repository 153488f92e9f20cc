package expr

import (
	"strconv"
	"strings"
)

// resolve substitutes the #placeholders of path from env's names.
func (e *env) resolve(path docPath) (docPath, error) {
	out := make(docPath, len(path))
	for i, el := range path {
		if el.ph {
			n, err := e.name(el)
			if err != nil {
				return nil, err
			}
			el = elem{name: n}
		}
		out[i] = el
	}
	return out, nil
}

// String formats a resolved path as DynamoDB does in messages: [a, b, [0]].
func (p docPath) String() string {
	parts := make([]string, len(p))
	for i, el := range p {
		if el.isIdx {
			parts[i] = "[" + strconv.Itoa(el.index) + "]"
		} else {
			parts[i] = el.name
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// checkOverlap rejects two resolved paths of which one is a prefix of the
// other, then two that use one element as both a map and a list, naming
// the earlier path first as DynamoDB does.
func checkOverlap(kind string, paths []docPath) error {
	for _, conflicts := range []bool{false, true} {
		for i := range paths {
			for j := i + 1; j < len(paths); j++ {
				a, b := paths[i], paths[j]
				n := min(len(a), len(b))
				k := 0
				for k < n && a[k] == b[k] {
					k++
				}
				what := ""
				switch {
				case k == n && !conflicts:
					what = "overlap"
				case k < n && conflicts && a[k].isIdx != b[k].isIdx:
					what = "conflict"
				default:
					continue
				}
				return invalidf(kind, "Two document paths %s with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", what, a, b)
			}
		}
	}
	return nil
}

// comparePaths is a total order on non-overlapping resolved paths; desc
// puts higher list indexes first (removing in that order never shifts an
// element another path still refers to), otherwise lower ones first
// (DynamoDB writes list elements in index order).
func comparePaths(a, b docPath, desc bool) int {
	for k := 0; k < len(a) && k < len(b); k++ {
		x, y := a[k], b[k]
		switch {
		case x.isIdx && y.isIdx:
			if x.index != y.index {
				if (x.index > y.index) == desc {
					return -1
				}
				return 1
			}
		case x.isIdx != y.isIdx:
			if y.isIdx {
				return -1
			}
			return 1
		default:
			if c := strings.Compare(x.name, y.name); c != 0 {
				return c
			}
		}
	}
	return len(a) - len(b)
}
