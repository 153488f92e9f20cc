package monitoring

import (
	"fmt"
	"strings"
)

// A composite alarm's rule: ALARM("name"), OK(name), INSUFFICIENT_DATA(name),
// TRUE, FALSE, combined with AND, OR, NOT and parentheses.
type rule struct {
	op    string // "state", "const", "AND", "OR", "NOT"
	state string
	name  string
	val   bool
	kids  []*rule
}

func (r *rule) names(acc []string) []string {
	if r.op == "state" {
		return append(acc, r.name)
	}
	for _, k := range r.kids {
		acc = k.names(acc)
	}
	return acc
}

// eval computes the rule from the children's states.
func (r *rule) eval(state func(name string) string) bool {
	switch r.op {
	case "state":
		return state(r.name) == r.state
	case "const":
		return r.val
	case "NOT":
		return !r.kids[0].eval(state)
	case "AND":
		for _, k := range r.kids {
			if !k.eval(state) {
				return false
			}
		}
		return true
	}
	for _, k := range r.kids {
		if k.eval(state) {
			return true
		}
	}
	return false
}

type ruleParser struct {
	s     string
	depth int
}

func parseRule(s string) (*rule, error) {
	p := &ruleParser{s: s}
	r, err := p.or()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.s) != "" {
		return nil, fmt.Errorf("unexpected %q", p.s)
	}
	return r, nil
}

func (p *ruleParser) word(w string) bool {
	t := strings.TrimLeft(p.s, " \t\n")
	if len(t) >= len(w) && strings.EqualFold(t[:len(w)], w) {
		rest := t[len(w):]
		if w == "(" || w == ")" || rest == "" || !isWordChar(rest[0]) {
			p.s = rest
			return true
		}
	}
	return false
}

func isWordChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *ruleParser) or() (*rule, error)  { return p.list("OR", p.and) }
func (p *ruleParser) and() (*rule, error) { return p.list("AND", p.not) }

func (p *ruleParser) list(op string, next func() (*rule, error)) (*rule, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 100 {
		return nil, fmt.Errorf("the rule is nested too deeply")
	}
	first, err := next()
	if err != nil {
		return nil, err
	}
	r := &rule{op: op, kids: []*rule{first}}
	for p.word(op) {
		k, err := next()
		if err != nil {
			return nil, err
		}
		r.kids = append(r.kids, k)
	}
	if len(r.kids) == 1 {
		return first, nil
	}
	return r, nil
}

func (p *ruleParser) not() (*rule, error) {
	if p.word("NOT") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > 100 {
			return nil, fmt.Errorf("the rule is nested too deeply")
		}
		k, err := p.not()
		if err != nil {
			return nil, err
		}
		return &rule{op: "NOT", kids: []*rule{k}}, nil
	}
	switch {
	case p.word("TRUE"):
		return &rule{op: "const", val: true}, nil
	case p.word("FALSE"):
		return &rule{op: "const", val: false}, nil
	case p.word("("):
		r, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.word(")") {
			return nil, fmt.Errorf("missing )")
		}
		return r, nil
	}
	for _, st := range []string{"ALARM", "OK", "INSUFFICIENT_DATA"} {
		if p.word(st) {
			if !p.word("(") {
				return nil, fmt.Errorf("%s needs an alarm name in parentheses", st)
			}
			t := strings.TrimLeft(p.s, " \t\n")
			var name string
			if strings.HasPrefix(t, `"`) {
				end := strings.IndexByte(t[1:], '"')
				if end < 0 {
					return nil, fmt.Errorf("unterminated alarm name")
				}
				name, t = t[1:1+end], t[2+end:]
			} else {
				end := strings.IndexByte(t, ')')
				if end < 0 {
					return nil, fmt.Errorf("missing )")
				}
				name, t = strings.TrimSpace(t[:end]), t[end:]
			}
			p.s = t
			if !p.word(")") || name == "" {
				return nil, fmt.Errorf("bad alarm reference in %s(...)", st)
			}
			if i := strings.LastIndex(name, ":alarm:"); i >= 0 {
				name = name[i+len(":alarm:"):]
			}
			return &rule{op: "state", state: st, name: name}, nil
		}
	}
	return nil, fmt.Errorf("expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or ( at %q", p.s)
}
