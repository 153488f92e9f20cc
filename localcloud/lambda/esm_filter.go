package lambda

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Lambda event filtering (FilterCriteria.Filters[].Pattern): a pattern is a
// JSON object whose leaves are arrays of conditions, OR'ed; fields are
// AND'ed; "$or" takes a list of patterns of which one must match. A
// condition is a literal (string, number, boolean, null: exact match) or one
// of {"prefix": s}, {"suffix": s}, {"equals-ignore-case": s},
// {"anything-but": v | [v...] | {"prefix": s} | {"suffix": s}},
// {"numeric": [op, n (, op, n)]} with op one of = < <= > >=, and
// {"exists": bool}. When the event's value is an array, a condition matches
// if any element does. The SNS filter-policy matcher has similar rules, but
// Lambda's patterns nest like the event and carry "$or" anywhere.

// filterPattern is a parsed pattern (or a nested object of one).
type filterPattern struct {
	fields map[string]*filterNode
	ors    [][]*filterPattern // each group: one of its patterns must match
}

// filterNode is what a pattern says about one field.
type filterNode struct {
	sub   *filterPattern // a nested object, or
	conds []filterCond   // a list of conditions
}

type condKind int

const (
	condString condKind = iota
	condNumber
	condBool
	condNull
	condPrefix
	condSuffix
	condIgnoreCase
	condAnythingBut
	condAnythingButPrefix
	condAnythingButSuffix
	condNumeric
	condExists
)

type filterCond struct {
	kind condKind
	str  string
	num  float64
	b    bool
	// anything-but values (strings and numbers)
	strs []string
	nums []float64
	// numeric: up to two comparisons
	ops  []string
	vals []float64
}

const maxFilterDepth = 32

// parseFilterPattern parses a filter pattern; its error says what is wrong.
func parseFilterPattern(s string) (*filterPattern, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("the pattern is not JSON: %v", err)
	}
	if d.More() {
		return nil, errors.New("the pattern has data after its JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("a pattern must be a JSON object")
	}
	return parsePatternObject(obj, 0)
}

func parsePatternObject(obj map[string]any, depth int) (*filterPattern, error) {
	if depth > maxFilterDepth {
		return nil, errors.New("the pattern is nested too deeply")
	}
	p := &filterPattern{fields: map[string]*filterNode{}}
	for k, v := range obj {
		if k == "$or" {
			list, ok := v.([]any)
			if !ok || len(list) < 2 {
				return nil, errors.New(`"$or" takes an array of at least two patterns`)
			}
			var group []*filterPattern
			for _, e := range list {
				o, ok := e.(map[string]any)
				if !ok {
					return nil, errors.New(`each member of "$or" must be a pattern object`)
				}
				sp, err := parsePatternObject(o, depth+1)
				if err != nil {
					return nil, err
				}
				group = append(group, sp)
			}
			p.ors = append(p.ors, group)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			sp, err := parsePatternObject(x, depth+1)
			if err != nil {
				return nil, err
			}
			p.fields[k] = &filterNode{sub: sp}
		case []any:
			if len(x) == 0 {
				return nil, fmt.Errorf("field %q: empty arrays are not allowed in a pattern", k)
			}
			n := &filterNode{}
			for _, e := range x {
				c, err := parseCond(e)
				if err != nil {
					return nil, fmt.Errorf("field %q: %v", k, err)
				}
				n.conds = append(n.conds, c)
			}
			p.fields[k] = n
		default:
			return nil, fmt.Errorf("field %q: match values must be in an array, e.g. [%s]", k, jsonText(v))
		}
	}
	if len(p.fields) == 0 && len(p.ors) == 0 && depth > 0 {
		return nil, errors.New("empty objects are not allowed in a pattern")
	}
	return p, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func parseCond(v any) (filterCond, error) {
	switch x := v.(type) {
	case string:
		return filterCond{kind: condString, str: x}, nil
	case json.Number:
		f, ok := number(x)
		if !ok {
			return filterCond{}, fmt.Errorf("bad number %s", x)
		}
		return filterCond{kind: condNumber, num: f}, nil
	case bool:
		return filterCond{kind: condBool, b: x}, nil
	case nil:
		return filterCond{kind: condNull}, nil
	case map[string]any:
		if len(x) != 1 {
			return filterCond{}, fmt.Errorf("a condition object has exactly one operator, got %s", jsonText(x))
		}
		for op, arg := range x {
			return parseOperator(op, arg)
		}
	}
	return filterCond{}, fmt.Errorf("unsupported match value %s", jsonText(v))
}

func parseOperator(op string, arg any) (filterCond, error) {
	str := func() (string, error) {
		s, ok := arg.(string)
		if !ok {
			return "", fmt.Errorf("%q takes a string, got %s", op, jsonText(arg))
		}
		return s, nil
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, err := str()
		if err != nil {
			return filterCond{}, err
		}
		k := map[string]condKind{"prefix": condPrefix, "suffix": condSuffix, "equals-ignore-case": condIgnoreCase}[op]
		return filterCond{kind: k, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return filterCond{}, fmt.Errorf(`"exists" takes true or false, got %s`, jsonText(arg))
		}
		return filterCond{kind: condExists, b: b}, nil
	case "anything-but":
		c := filterCond{kind: condAnythingBut}
		add := func(e any) error {
			switch y := e.(type) {
			case string:
				c.strs = append(c.strs, y)
			case json.Number:
				f, ok := number(y)
				if !ok {
					return fmt.Errorf("bad number %s", y)
				}
				c.nums = append(c.nums, f)
			default:
				return fmt.Errorf(`"anything-but" takes strings or numbers, got %s`, jsonText(e))
			}
			return nil
		}
		switch y := arg.(type) {
		case []any:
			if len(y) == 0 {
				return filterCond{}, errors.New(`"anything-but" needs at least one value`)
			}
			for _, e := range y {
				if err := add(e); err != nil {
					return filterCond{}, err
				}
			}
		case map[string]any:
			if len(y) != 1 {
				return filterCond{}, errors.New(`"anything-but" takes one of "prefix" or "suffix"`)
			}
			for k, v := range y {
				s, ok := v.(string)
				if !ok || (k != "prefix" && k != "suffix") {
					return filterCond{}, fmt.Errorf(`"anything-but" takes {"prefix": string} or {"suffix": string}, got %s`, jsonText(y))
				}
				c.str = s
				c.kind = condAnythingButPrefix
				if k == "suffix" {
					c.kind = condAnythingButSuffix
				}
			}
		default:
			if err := add(y); err != nil {
				return filterCond{}, err
			}
		}
		return c, nil
	case "numeric":
		list, ok := arg.([]any)
		if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
			return filterCond{}, fmt.Errorf(`"numeric" takes one or two operator/number pairs, got %s`, jsonText(arg))
		}
		c := filterCond{kind: condNumeric}
		for i := 0; i < len(list); i += 2 {
			o, ok := list[i].(string)
			if !ok || (o != "=" && o != "<" && o != "<=" && o != ">" && o != ">=") {
				return filterCond{}, fmt.Errorf(`"numeric" operators are =, <, <=, >, >=; got %s`, jsonText(list[i]))
			}
			f, ok := number(list[i+1])
			if !ok {
				return filterCond{}, fmt.Errorf(`"numeric" compares with numbers, got %s`, jsonText(list[i+1]))
			}
			c.ops = append(c.ops, o)
			c.vals = append(c.vals, f)
		}
		return c, nil
	}
	return filterCond{}, fmt.Errorf("unsupported operator %q", op)
}

// matchAny reports whether event matches one of the patterns (filters are
// OR'ed).
func matchAny(ps []*filterPattern, event map[string]any) bool {
	for _, p := range ps {
		if p.match(event, true) {
			return true
		}
	}
	return false
}

// match reports whether v (present or not) matches the pattern.
func (p *filterPattern) match(v any, present bool) bool {
	obj, _ := v.(map[string]any)
	if list, ok := v.([]any); ok && present {
		for _, e := range list {
			if p.match(e, true) {
				return true
			}
		}
		return false
	}
	for k, n := range p.fields {
		fv, ok := obj[k]
		if !n.match(fv, ok) {
			return false
		}
	}
	for _, group := range p.ors {
		any := false
		for _, sp := range group {
			if sp.match(v, present) {
				any = true
				break
			}
		}
		if !any {
			return false
		}
	}
	return true
}

func (n *filterNode) match(v any, present bool) bool {
	if n.sub != nil {
		return n.sub.match(v, present)
	}
	for _, c := range n.conds {
		if c.kind == condExists {
			if c.b == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		if list, ok := v.([]any); ok {
			for _, e := range list {
				if c.matchValue(e) {
					return true
				}
			}
			continue
		}
		if c.matchValue(v) {
			return true
		}
	}
	return false
}

func (c *filterCond) matchValue(v any) bool {
	switch c.kind {
	case condString:
		s, ok := v.(string)
		return ok && s == c.str
	case condNumber:
		f, ok := v.(float64)
		if !ok {
			f, ok = number(v)
		}
		return ok && f == c.num
	case condBool:
		b, ok := v.(bool)
		return ok && b == c.b
	case condNull:
		return v == nil
	case condPrefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, c.str)
	case condSuffix:
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, c.str)
	case condIgnoreCase:
		s, ok := v.(string)
		return ok && strings.EqualFold(s, c.str)
	case condAnythingBut:
		switch x := v.(type) {
		case string:
			for _, s := range c.strs {
				if s == x {
					return false
				}
			}
			return true
		case float64:
			for _, f := range c.nums {
				if f == x {
					return false
				}
			}
			return true
		case json.Number:
			f, _ := number(x)
			for _, g := range c.nums {
				if g == f {
					return false
				}
			}
			return true
		}
		return v != nil
	case condAnythingButPrefix:
		s, ok := v.(string)
		return ok && !strings.HasPrefix(s, c.str)
	case condAnythingButSuffix:
		s, ok := v.(string)
		return ok && !strings.HasSuffix(s, c.str)
	case condNumeric:
		f, ok := v.(float64)
		if !ok {
			f, ok = number(v)
		}
		if !ok {
			return false
		}
		for i, op := range c.ops {
			x := c.vals[i]
			var r bool
			switch op {
			case "=":
				r = f == x
			case "<":
				r = f < x
			case "<=":
				r = f <= x
			case ">":
				r = f > x
			case ">=":
				r = f >= x
			}
			if !r {
				return false
			}
		}
		return true
	}
	return false
}

// eventView decodes a record's JSON for matching.
func eventView(b []byte) map[string]any {
	var v map[string]any
	json.NewDecoder(bytes.NewReader(b)).Decode(&v)
	return v
}
