package dynamo

import (
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
)

// updatedAttrs answers ReturnValues UPDATED_OLD / UPDATED_NEW: only the
// document paths the update expression names, taken from src (the item
// before or after), as DynamoDB returns them (SET a.b = :v gives
// {"a": {"M": {"b": ...}}}). The paths are read from the expression and
// projected with a ProjectionExpression; if that fails, the whole
// top-level attributes are returned.
func updatedAttrs(update string, names expr.Names, updated []string, src attr.Item) attr.Item {
	if src == nil {
		return nil
	}
	if paths := updatePaths(update); len(paths) > 0 {
		if p, err := expr.ParseProjection(strings.Join(paths, ", ")); err == nil {
			return p.Apply(src, names)
		}
	}
	out := attr.Item{}
	for _, n := range updated {
		if v, ok := src[n]; ok {
			out[n] = v
		}
	}
	return out
}

// updatePaths returns the target paths of an update expression's actions,
// as written: SET path = value, REMOVE path, ADD path value, DELETE path
// value. It returns nil when the expression does not split cleanly.
func updatePaths(update string) []string {
	var paths []string
	clause := ""
	for _, part := range splitTop(update) {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil
		}
		// A clause keyword may start this part.
		if word, rest, ok := strings.Cut(part, " "); ok || isClause(part) {
			if !ok {
				word, rest = part, ""
			}
			if isClause(word) {
				clause = strings.ToUpper(word)
				part = strings.TrimSpace(rest)
			}
		}
		var path string
		switch clause {
		case "SET":
			i := strings.IndexByte(part, '=')
			if i < 0 {
				return nil
			}
			path = part[:i]
		case "REMOVE":
			path = part
		case "ADD", "DELETE":
			i := strings.IndexAny(part, " \t\n\r")
			if i < 0 {
				return nil
			}
			path = part[:i]
		default:
			return nil
		}
		if path = strings.TrimSpace(path); path == "" {
			return nil
		}
		paths = append(paths, path)
	}
	return paths
}

func isClause(w string) bool {
	switch strings.ToUpper(w) {
	case "SET", "REMOVE", "ADD", "DELETE":
		return true
	}
	return false
}

// splitTop splits an update expression into its actions: at commas outside
// parentheses, and before a clause keyword that follows an action.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		case ' ', '\t', '\n', '\r':
			if depth != 0 {
				continue
			}
			// a new clause: whitespace, keyword, whitespace
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			k := j
			for k < len(s) && (s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z') {
				k++
			}
			if k > j && k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r') && isClause(s[j:k]) && strings.TrimSpace(s[start:i]) != "" {
				parts = append(parts, s[start:i])
				start = j
				i = j - 1
			}
		}
	}
	return append(parts, s[start:])
}
