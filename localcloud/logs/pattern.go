package logs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Pattern is a compiled CloudWatch Logs filter pattern.
//
// It understands the forms of AWS's filter pattern syntax that the labs use:
//   - "" matches every event;
//   - terms: `ERROR timeout` (every term, case-sensitive), `"two words"`
//     (a quoted phrase), `?ERROR ?WARN` (at least one), `-DEBUG` (none);
//     `%regex%` matches a regular expression;
//   - JSON: `{ $.level = "ERROR" }`, `!=`, numeric `<`, `<=`, `>`, `>=`, `=`,
//     `*` wildcards in string values, `&&` and `||` with parentheses,
//     `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, nested paths `$.a.b`
//     array indexes `$.lines[0].sku` and any element `$.lines[*].sku`;
//   - space-delimited: `[ip, user, ..., status=5*, size>1000]`.
//
// The zero Pattern matches everything.
type Pattern struct {
	need   []string // JSON patterns: substrings every match contains (a cheap pre-check)
	terms  []term   // term patterns
	json   node     // JSON patterns
	fields []sfield // space-delimited patterns
	isJSON bool
	isSpc  bool
}

type termKind int

const (
	termAll termKind = iota
	termAny
	termNot
)

type term struct {
	kind termKind
	text string
	re   *regexp.Regexp
}

func (t term) match(msg string) bool {
	if t.re != nil {
		return t.re.MatchString(msg)
	}
	return strings.Contains(msg, t.text)
}

// errPattern is what every compile failure wraps.
var errPattern = errors.New("invalid filter pattern")

func patternErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errPattern, fmt.Sprintf(format, args...))
}

// CompilePattern parses a filter pattern.
func CompilePattern(s string) (*Pattern, error) {
	if len(s) > 1024 {
		return nil, patternErrorf("longer than 1024 characters")
	}
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return &Pattern{}, nil
	case t[0] == '{':
		n, err := parseJSONPattern(t)
		if err != nil {
			return nil, err
		}
		return &Pattern{json: n, isJSON: true, need: required(n)}, nil
	case t[0] == '[':
		f, err := parseSpacePattern(t)
		if err != nil {
			return nil, err
		}
		return &Pattern{fields: f, isSpc: true}, nil
	}
	terms, err := parseTerms(t)
	if err != nil {
		return nil, err
	}
	return &Pattern{terms: terms}, nil
}

// substrings returns strings every matching message contains and strings
// none contains, so that storage can skip most events cheaply.
func (p *Pattern) substrings() (must, mustNot []string) {
	if p == nil {
		return nil, nil
	}
	if p.isJSON {
		return p.need, nil
	}
	for _, t := range p.terms {
		if t.re != nil {
			continue
		}
		switch t.kind {
		case termAll:
			must = append(must, t.text)
		case termNot:
			mustNot = append(mustNot, t.text)
		}
	}
	return must, mustNot
}

// Match reports whether message matches the pattern.
func (p *Pattern) Match(message string) bool {
	switch {
	case p == nil:
		return true
	case p.isJSON:
		for _, n := range p.need {
			if !strings.Contains(message, n) {
				return false
			}
		}
		v, ok := parseMessageJSON(message)
		return ok && p.json.eval(v)
	case p.isSpc:
		return matchSpace(p.fields, message)
	}
	anyWanted, anyFound := false, false
	for _, t := range p.terms {
		switch t.kind {
		case termAll:
			if !t.match(message) {
				return false
			}
		case termNot:
			if t.match(message) {
				return false
			}
		case termAny:
			anyWanted = true
			anyFound = anyFound || t.match(message)
		}
	}
	return !anyWanted || anyFound
}

func parseTerms(s string) ([]term, error) {
	var out []term
	i := 0
	for i < len(s) {
		if s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' {
			i++
			continue
		}
		kind := termAll
		if s[i] == '?' || s[i] == '-' {
			if s[i] == '?' {
				kind = termAny
			} else {
				kind = termNot
			}
			i++
			if i >= len(s) || s[i] == ' ' {
				return nil, patternErrorf("%q has an operator without a term", s)
			}
		}
		var text string
		switch s[i] {
		case '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, patternErrorf("unterminated quote in %q", s)
			}
			text, i = b.String(), j+1
		case '%':
			j := strings.IndexByte(s[i+1:], '%')
			if j < 0 {
				return nil, patternErrorf("unterminated regular expression in %q", s)
			}
			re, err := regexp.Compile(s[i+1 : i+1+j])
			if err != nil {
				return nil, patternErrorf("regular expression: %v", err)
			}
			out = append(out, term{kind: kind, re: re})
			i += j + 2
			continue
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '"' {
				j++
			}
			text, i = s[i:j], j
		}
		if text == "" {
			return nil, patternErrorf("empty term in %q", s)
		}
		out = append(out, term{kind: kind, text: text})
	}
	return out, nil
}

// JSON patterns.

// required returns strings that every message n matches must contain:
// the values of string equalities that all of n needs, when JSON encoders
// write them unescaped.
func required(n node) []string {
	switch x := n.(type) {
	case andNode:
		return append(required(x.l), required(x.r)...)
	case cmpNode:
		if x.op != "=" || x.isNum || x.str == "" || strings.Contains(x.str, "*") {
			return nil
		}
		for _, c := range x.str {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(" -_.:/@#", c)) {
				return nil
			}
		}
		return []string{x.str}
	}
	return nil
}

type node interface {
	eval(v any) bool
}

type orNode struct{ l, r node }
type andNode struct{ l, r node }

func (n orNode) eval(v any) bool  { return n.l.eval(v) || n.r.eval(v) }
func (n andNode) eval(v any) bool { return n.l.eval(v) && n.r.eval(v) }

type step struct {
	key   string
	index int // -1 for a key step
}

type cmpNode struct {
	path  []step
	op    string // "=", "!=", "<", "<=", ">", ">=", "null", "true", "false", "notexists", "exists"
	str   string // string operand (may hold * wildcards)
	num   float64
	isNum bool
}

func (n cmpNode) eval(root any) bool {
	vals := lookup(root, n.path, nil)
	switch n.op {
	case "notexists":
		return len(vals) == 0
	case "exists":
		return len(vals) > 0
	}
	for _, v := range vals {
		if n.test(v) {
			return true
		}
	}
	return false
}

// test compares one selected value.
func (n cmpNode) test(v any) bool {
	switch n.op {
	case "null":
		return v == nil
	case "true", "false":
		b, isBool := v.(bool)
		return isBool && b == (n.op == "true")
	}
	if n.isNum {
		f, isNum := number(v)
		if !isNum {
			return false
		}
		switch n.op {
		case "=":
			return f == n.num
		case "!=":
			return f != n.num
		case "<":
			return f < n.num
		case "<=":
			return f <= n.num
		case ">":
			return f > n.num
		case ">=":
			return f >= n.num
		}
		return false
	}
	s, isStr := scalarString(v)
	if !isStr {
		return false
	}
	eq := wildcardMatch(n.str, s)
	if n.op == "!=" {
		return !eq
	}
	return eq
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// wildcardMatch matches s against pattern p where * matches any run.
func wildcardMatch(p, s string) bool {
	if !strings.Contains(p, "*") {
		return p == s
	}
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// anyIndex is the index of a [*] step: every element of an array.
const anyIndex = -2

// lookup appends to out the values path selects in v (several through [*]).
func lookup(v any, path []step, out []any) []any {
	for i, st := range path {
		switch {
		case st.index == anyIndex:
			a, ok := v.([]any)
			if !ok {
				return out
			}
			for _, e := range a {
				out = lookup(e, path[i+1:], out)
			}
			return out
		case st.index >= 0:
			a, ok := v.([]any)
			if !ok || st.index >= len(a) {
				return out
			}
			v = a[st.index]
		default:
			m, ok := v.(map[string]any)
			if !ok {
				return out
			}
			if v, ok = m[st.key]; !ok {
				return out
			}
		}
	}
	return append(out, v)
}

func parseMessageJSON(msg string) (any, bool) {
	t := strings.TrimSpace(msg)
	if t == "" || t[0] != '{' && t[0] != '[' {
		return nil, false
	}
	d := json.NewDecoder(strings.NewReader(t))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

type tokKind int

const (
	tEOF tokKind = iota
	tLBrace
	tRBrace
	tLParen
	tRParen
	tAnd
	tOr
	tOp
	tSelector
	tString // quoted
	tWord   // unquoted word or number
)

type token struct {
	kind tokKind
	text string
}

func lexJSONPattern(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{':
			out = append(out, token{tLBrace, "{"})
			i++
		case c == '}':
			out = append(out, token{tRBrace, "}"})
			i++
		case c == '(':
			out = append(out, token{tLParen, "("})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")"})
			i++
		case strings.HasPrefix(s[i:], "&&"):
			out = append(out, token{tAnd, "&&"})
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			out = append(out, token{tOr, "||"})
			i += 2
		case strings.HasPrefix(s[i:], "!=") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">="):
			out = append(out, token{tOp, s[i : i+2]})
			i += 2
		case c == '=' || c == '<' || c == '>':
			out = append(out, token{tOp, s[i : i+1]})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, patternErrorf("unterminated quote")
			}
			out = append(out, token{tString, b.String()})
			i = j + 1
		case c == '$':
			j := i + 1
			for j < len(s) && !strings.ContainsRune(" \t\r\n=!<>(){}&|\"", rune(s[j])) {
				j++
			}
			out = append(out, token{tSelector, s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n=!<>(){}&|\"", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, patternErrorf("unexpected %q", c)
			}
			out = append(out, token{tWord, s[i:j]})
			i = j
		}
	}
	return append(out, token{kind: tEOF}), nil
}

type jsonParser struct {
	toks []token
	pos  int
}

func (p *jsonParser) peek() token { return p.toks[p.pos] }
func (p *jsonParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func parseJSONPattern(s string) (node, error) {
	toks, err := lexJSONPattern(s)
	if err != nil {
		return nil, err
	}
	p := &jsonParser{toks: toks}
	if p.next().kind != tLBrace {
		return nil, patternErrorf("a JSON pattern starts with {")
	}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.next().kind != tRBrace {
		return nil, patternErrorf("a JSON pattern ends with }")
	}
	if p.peek().kind != tEOF {
		return nil, patternErrorf("text after the closing }")
	}
	return n, nil
}

const maxDepth = 50

func (p *jsonParser) expr(depth int) (node, error) {
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tOr {
		p.next()
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *jsonParser) and(depth int) (node, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tAnd {
		p.next()
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *jsonParser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return nil, patternErrorf("too deeply nested")
	}
	if p.peek().kind == tLParen {
		p.next()
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.next().kind != tRParen {
			return nil, patternErrorf("missing )")
		}
		return n, nil
	}
	return p.comparison()
}

func (p *jsonParser) comparison() (node, error) {
	sel := p.next()
	if sel.kind != tSelector {
		return nil, patternErrorf("expected a selector like $.field, got %q", sel.text)
	}
	path, err := parseSelector(sel.text)
	if err != nil {
		return nil, err
	}
	n := cmpNode{path: path}
	op := p.next()
	switch {
	case op.kind == tWord && strings.EqualFold(op.text, "IS"):
		w := p.next()
		switch strings.ToUpper(w.text) {
		case "NULL":
			n.op = "null"
		case "TRUE":
			n.op = "true"
		case "FALSE":
			n.op = "false"
		default:
			return nil, patternErrorf("IS must be followed by NULL, TRUE or FALSE")
		}
		if w.kind != tWord {
			return nil, patternErrorf("IS must be followed by NULL, TRUE or FALSE")
		}
		return n, nil
	case op.kind == tWord && strings.EqualFold(op.text, "NOT"):
		if w := p.next(); w.kind != tWord || !strings.EqualFold(w.text, "EXISTS") {
			return nil, patternErrorf("NOT must be followed by EXISTS")
		}
		n.op = "notexists"
		return n, nil
	case op.kind == tWord && strings.EqualFold(op.text, "EXISTS"):
		n.op = "exists"
		return n, nil
	case op.kind != tOp:
		return nil, patternErrorf("expected an operator after %s", sel.text)
	}
	n.op = op.text
	val := p.next()
	switch val.kind {
	case tString:
		n.str = val.text
	case tWord:
		if f, err := strconv.ParseFloat(val.text, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			n.num, n.isNum = f, true
		} else {
			n.str = val.text
		}
	default:
		return nil, patternErrorf("expected a value after %s %s", sel.text, op.text)
	}
	if !n.isNum && n.op != "=" && n.op != "!=" {
		return nil, patternErrorf("%s compares numbers only", n.op)
	}
	return n, nil
}

// parseSelector reads $.a.b[0].c.
func parseSelector(s string) ([]step, error) {
	if !strings.HasPrefix(s, "$") {
		return nil, patternErrorf("selector %q must start with $", s)
	}
	rest := s[1:]
	var out []step
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			j := strings.IndexAny(rest, ".[")
			if j < 0 {
				j = len(rest)
			}
			if j == 0 {
				return nil, patternErrorf("empty field name in %q", s)
			}
			out = append(out, step{key: rest[:j], index: -1})
			rest = rest[j:]
		case '[':
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return nil, patternErrorf("missing ] in %q", s)
			}
			if rest[1:j] == "*" {
				out = append(out, step{index: anyIndex})
				rest = rest[j+1:]
				continue
			}
			n, err := strconv.Atoi(rest[1:j])
			if err != nil || n < 0 {
				return nil, patternErrorf("bad array index in %q", s)
			}
			out = append(out, step{index: n})
			rest = rest[j+1:]
		default:
			return nil, patternErrorf("bad selector %q", s)
		}
	}
	if len(out) == 0 {
		return nil, patternErrorf("selector %q names no field", s)
	}
	return out, nil
}

// Space-delimited patterns.

type sfield struct {
	ellipsis bool
	name     string
	cond     *cmpNode // nil: any value
}

func parseSpacePattern(s string) ([]sfield, error) {
	if !strings.HasSuffix(s, "]") {
		return nil, patternErrorf("a space-delimited pattern ends with ]")
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	if body == "" {
		return nil, patternErrorf("a space-delimited pattern names fields")
	}
	var out []sfield
	for _, f := range strings.Split(body, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, patternErrorf("empty field in %q", s)
		}
		if f == "..." {
			out = append(out, sfield{ellipsis: true})
			continue
		}
		i := strings.IndexAny(f, "=!<>")
		if i < 0 {
			out = append(out, sfield{name: f})
			continue
		}
		toks, err := lexJSONPattern("$." + strings.TrimSpace(f[:i]) + " " + f[i:])
		if err != nil {
			return nil, err
		}
		p := &jsonParser{toks: toks}
		n, err := p.comparison()
		if err != nil {
			return nil, err
		}
		if p.peek().kind != tEOF {
			return nil, patternErrorf("unexpected text in field %q", f)
		}
		c := n.(cmpNode)
		out = append(out, sfield{name: strings.TrimSpace(f[:i]), cond: &c})
	}
	return out, nil
}

// splitFields splits a message on spaces, keeping "quoted" and [bracketed]
// runs together (without their delimiters).
func splitFields(msg string) []string {
	var out []string
	i := 0
	for i < len(msg) {
		if msg[i] == ' ' || msg[i] == '\t' {
			i++
			continue
		}
		if msg[i] == '"' || msg[i] == '[' {
			end := byte('"')
			if msg[i] == '[' {
				end = ']'
			}
			j := strings.IndexByte(msg[i+1:], end)
			if j >= 0 {
				out = append(out, msg[i+1:i+1+j])
				i += j + 2
				continue
			}
		}
		j := i
		for j < len(msg) && msg[j] != ' ' && msg[j] != '\t' {
			j++
		}
		out = append(out, msg[i:j])
		i = j
	}
	return out
}

func matchSpace(fields []sfield, msg string) bool {
	vals := splitFields(msg)
	// next[j] reports whether fields[i+1:] match vals[j:]; rows are built
	// from the last field back, so ellipses cost O(fields*values).
	next := make([]bool, len(vals)+1)
	next[len(vals)] = true
	cur := make([]bool, len(vals)+1)
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		if f.ellipsis {
			acc := false
			for j := len(vals); j >= 0; j-- {
				acc = acc || next[j]
				cur[j] = acc
			}
		} else {
			cur[len(vals)] = false
			for j := len(vals) - 1; j >= 0; j-- {
				cur[j] = next[j+1] && f.matchValue(vals[j])
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

func (f sfield) matchValue(val string) bool {
	if f.cond == nil {
		return true
	}
	c := *f.cond
	c.path = []step{{key: "v", index: -1}}
	var v any = val
	if c.isNum {
		if _, err := strconv.ParseFloat(val, 64); err != nil {
			return false
		}
		v = json.Number(val)
	}
	return c.eval(map[string]any{"v": v})
}
