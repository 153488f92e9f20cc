package apigw

import (
	"fmt"
	"net/url"
	"strings"
)

// defaultRouteKey is the catch-all route of an HTTP API.
const defaultRouteKey = "$default"

// routeMethods are the methods a route key may name.
var routeMethods = map[string]bool{"ANY": true, "GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

type segKind uint8

const (
	segLiteral segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	text string // the literal, or the parameter's name
}

// routeKey is a parsed route key: "$default" or "METHOD /path" whose path
// segments are literals, {param} or a final greedy {param+}.
type routeKey struct {
	raw       string
	isDefault bool
	method    string
	path      string
	segs      []segment
}

// parseRouteKey parses and validates a route key as AWS does for HTTP APIs.
func parseRouteKey(s string) (routeKey, error) {
	if s == defaultRouteKey {
		return routeKey{raw: s, isDefault: true}, nil
	}
	method, path, ok := strings.Cut(s, " ")
	if !ok || !routeMethods[method] {
		return routeKey{}, fmt.Errorf("route key %q must be $default or an HTTP method (%s) followed by a space and a path", s, "ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS")
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n?#") {
		return routeKey{}, fmt.Errorf("route key %q: the path must start with / and contain no spaces, ? or #", s)
	}
	rk := routeKey{raw: s, method: method, path: path}
	if path == "/" {
		return rk, nil
	}
	names := map[string]bool{}
	parts := strings.Split(path[1:], "/")
	for i, p := range parts {
		switch {
		case p == "":
			return routeKey{}, fmt.Errorf("route key %q: empty path segment", s)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			kind := segParam
			if strings.HasSuffix(name, "+") {
				if i != len(parts)-1 {
					return routeKey{}, fmt.Errorf("route key %q: a greedy path variable {%s} must be the last segment", s, name)
				}
				kind, name = segGreedy, strings.TrimSuffix(name, "+")
			}
			if !validParamName(name) {
				return routeKey{}, fmt.Errorf("route key %q: invalid path variable %q", s, p)
			}
			if names[name] {
				return routeKey{}, fmt.Errorf("route key %q: path variable %q appears twice", s, name)
			}
			names[name] = true
			rk.segs = append(rk.segs, segment{kind: kind, text: name})
		case strings.ContainsAny(p, "{}"):
			return routeKey{}, fmt.Errorf("route key %q: a path variable must be a whole segment, not %q", s, p)
		default:
			rk.segs = append(rk.segs, segment{kind: segLiteral, text: p})
		}
	}
	return rk, nil
}

func validParamName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// splitPath splits an escaped request path into its decoded segments. "/"
// has none; "/a/" has "a" and "".
func splitPath(escaped string) []string {
	if escaped == "" || escaped == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for i, p := range parts {
		if d, err := url.PathUnescape(p); err == nil {
			parts[i] = d
		}
	}
	return parts
}

// match reports whether the route's path matches the request's segments and
// returns the path parameters.
func (rk *routeKey) match(segs []string) (map[string]string, bool) {
	var params map[string]string
	for i, s := range rk.segs {
		if s.kind == segGreedy {
			rest := segs[i:]
			if len(rest) == 0 || (len(rest) == 1 && rest[0] == "") {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = strings.Join(rest, "/")
			return params, true
		}
		if i >= len(segs) {
			return nil, false
		}
		switch s.kind {
		case segLiteral:
			if segs[i] != s.text {
				return nil, false
			}
		case segParam:
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.text] = segs[i]
		}
	}
	if len(segs) != len(rk.segs) {
		return nil, false
	}
	return params, true
}

// moreSpecific reports whether a beats b when both match a request: the
// path decides first, segment by segment (a literal beats a {param}, which
// beats a greedy {param+}; a longer non-greedy path beats a greedy one), then
// an explicit method beats ANY.
func (a *routeKey) moreSpecific(b *routeKey) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind < b.segs[i].kind
		}
	}
	if len(a.segs) != len(b.segs) {
		// Both matched, so the shorter one ends in a greedy variable.
		return len(a.segs) > len(b.segs)
	}
	if (a.method == "ANY") != (b.method == "ANY") {
		return b.method == "ANY"
	}
	return a.raw < b.raw
}

// matchesMethod reports whether the route answers method.
func (rk *routeKey) matchesMethod(method string) bool {
	return rk.method == "ANY" || rk.method == method
}
