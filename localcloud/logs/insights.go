package logs

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A subset of the CloudWatch Logs Insights query language: commands
// `fields`, `display`, `filter`, `sort`, `limit` and `stats` (count, count
// distinct, sum, avg, min, max, optionally `by` fields) joined by `|`, with
// comparisons, `like` (a string or /regex/), `=~`, `in [...]`, `and`, `or`,
// `not`, parentheses and ispresent/isempty. Fields of JSON messages are
// discovered as Insights does (nested keys joined with dots).

// query is a compiled Insights query.
type query struct {
	fields  []fieldSel // from fields/display; nil means @timestamp and @message
	filters []qexpr
	sorts   []sortKey
	limit   int
	stats   *statsCmd
}

type fieldSel struct{ name, alias string }

type sortKey struct {
	field string
	desc  bool
}

type statsCmd struct {
	aggs []agg
	by   []string
}

type agg struct {
	fn, field, name string // field "*" for count(*)
}

// record is one log event as Insights sees it: discovered fields by name.
type record map[string]string

const insightsTime = "2006-01-02 15:04:05.000"

func newRecord(group, stream, msg string, ts, ingest int64, account string) record {
	r := record{
		"@timestamp":     time.UnixMilli(ts).UTC().Format(insightsTime),
		"@message":       msg,
		"@logStream":     stream,
		"@log":           account + ":" + group,
		"@ingestionTime": time.UnixMilli(ingest).UTC().Format(insightsTime),
	}
	if v, ok := parseMessageJSON(msg); ok {
		if m, isObj := v.(map[string]any); isObj {
			flatten(r, "", m)
		}
	}
	return r
}

func flatten(r record, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(r, prefix+k+".", e)
		}
	case []any:
		for i, e := range x {
			flatten(r, prefix+strconv.Itoa(i)+".", e)
		}
	case nil:
		r[strings.TrimSuffix(prefix, ".")] = ""
	case string:
		r[strings.TrimSuffix(prefix, ".")] = x
	case json.Number:
		r[strings.TrimSuffix(prefix, ".")] = x.String()
	case bool:
		r[strings.TrimSuffix(prefix, ".")] = strconv.FormatBool(x)
	}
}

func queryErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errPattern}, args...)...)
}

// splitPipes splits s on | outside quotes and regexes.
func splitPipes(s string) ([]string, error) {
	var out []string
	start, quote := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '/' || c == '`':
			quote = c
		case c == '|':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 {
		return nil, queryErrorf("unterminated %c", quote)
	}
	return append(out, s[start:]), nil
}

// compileQuery parses an Insights query string.
func compileQuery(s string) (*query, error) {
	parts, err := splitPipes(s)
	if err != nil {
		return nil, err
	}
	q := &query{}
	for _, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, queryErrorf("empty command")
		}
		cmd, rest, _ := strings.Cut(part, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToLower(cmd) {
		case "fields", "display":
			for _, f := range splitTop(rest) {
				name, alias, hasAlias := cutWord(f, "as")
				name = strings.Trim(strings.TrimSpace(name), "`")
				if !hasAlias {
					alias = name
				}
				if name == "" {
					return nil, queryErrorf("empty field in %q", part)
				}
				q.fields = append(q.fields, fieldSel{name, strings.Trim(strings.TrimSpace(alias), "`")})
			}
		case "filter":
			e, err := parseQExpr(rest)
			if err != nil {
				return nil, err
			}
			q.filters = append(q.filters, e)
		case "sort":
			for _, f := range splitTop(rest) {
				w := strings.Fields(f)
				if len(w) == 0 || len(w) > 2 {
					return nil, queryErrorf("bad sort %q", f)
				}
				k := sortKey{field: strings.Trim(w[0], "`")}
				if len(w) == 2 {
					switch strings.ToLower(w[1]) {
					case "desc":
						k.desc = true
					case "asc":
					default:
						return nil, queryErrorf("bad sort order %q", w[1])
					}
				}
				q.sorts = append(q.sorts, k)
			}
		case "limit":
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 || n > 10000 {
				return nil, queryErrorf("limit must be between 1 and 10000")
			}
			q.limit = n
		case "stats":
			st, err := parseStats(rest)
			if err != nil {
				return nil, err
			}
			q.stats = st
		default:
			return nil, queryErrorf("unsupported command %q", cmd)
		}
	}
	return q, nil
}

// splitTop splits on commas outside parentheses, brackets and quotes.
func splitTop(s string) []string {
	var out []string
	depth, start, quote := 0, 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" || len(out) > 0 {
		out = append(out, t)
	}
	return out
}

// cutWord splits s around the last standalone word w (case-insensitive).
func cutWord(s, w string) (before, after string, found bool) {
	f := strings.Fields(s)
	for i := len(f) - 2; i >= 1; i-- {
		if strings.EqualFold(f[i], w) {
			return strings.Join(f[:i], " "), strings.Join(f[i+1:], " "), true
		}
	}
	return s, "", false
}

var aggRE = regexp.MustCompile(`^(?i)(count_distinct|count|sum|avg|min|max)\s*\(\s*([^()]*?)\s*\)$`)

func parseStats(s string) (*statsCmd, error) {
	st := &statsCmd{}
	aggs, by, hasBy := cutWord(s, "by")
	if hasBy {
		for _, f := range splitTop(by) {
			if f == "" || strings.Contains(f, "(") {
				return nil, queryErrorf("unsupported group %q", f)
			}
			st.by = append(st.by, strings.Trim(f, "`"))
		}
	}
	for _, a := range splitTop(aggs) {
		expr, name, hasName := cutWord(a, "as")
		expr = strings.TrimSpace(expr)
		m := aggRE.FindStringSubmatch(expr)
		if m == nil {
			return nil, queryErrorf("unsupported aggregation %q", a)
		}
		field := strings.Trim(m[2], "`")
		if field == "" {
			field = "*"
		}
		if field == "*" && !strings.EqualFold(m[1], "count") {
			return nil, queryErrorf("%s needs a field", m[1])
		}
		if !hasName {
			name = expr
		}
		st.aggs = append(st.aggs, agg{fn: strings.ToLower(m[1]), field: field, name: strings.TrimSpace(name)})
	}
	if len(st.aggs) == 0 {
		return nil, queryErrorf("stats needs an aggregation")
	}
	return st, nil
}

// Filter expressions.

type qexpr interface {
	eval(r record) any // string, float64, bool, or nil when missing
}

type qfield string
type qlit struct{ v any }
type qregex struct{ re *regexp.Regexp }
type qnot struct{ e qexpr }
type qbool struct {
	and  bool
	l, r qexpr
}
type qcmp struct {
	op   string
	l, r qexpr
}
type qin struct {
	neg  bool
	l    qexpr
	list []qexpr
}
type qfunc struct {
	name string
	args []qexpr
}

func (f qfield) eval(r record) any {
	if v, ok := r[string(f)]; ok {
		return v
	}
	return nil
}
func (l qlit) eval(record) any   { return l.v }
func (x qregex) eval(record) any { return x.re }
func (n qnot) eval(r record) any { return !truthy(n.e.eval(r)) }
func (b qbool) eval(r record) any {
	if b.and {
		return truthy(b.l.eval(r)) && truthy(b.r.eval(r))
	}
	return truthy(b.l.eval(r)) || truthy(b.r.eval(r))
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	case string:
		return x != ""
	case float64:
		return x != 0
	}
	return true
}

func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

func asString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// compare orders a and b numerically when both are numbers, else as strings.
func compare(a, b any) int {
	if x, ok := asNumber(a); ok {
		if y, ok := asNumber(b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(asString(a), asString(b))
}

func (c qcmp) eval(r record) any {
	l, rv := c.l.eval(r), c.r.eval(r)
	if re, ok := rv.(*regexp.Regexp); ok {
		if l == nil {
			return false
		}
		m := re.MatchString(asString(l))
		if c.op == "not like" || c.op == "!=" {
			return !m
		}
		return m
	}
	if l == nil || rv == nil {
		return false
	}
	switch c.op {
	case "like":
		return strings.Contains(asString(l), asString(rv))
	case "not like":
		return !strings.Contains(asString(l), asString(rv))
	}
	n := compare(l, rv)
	switch c.op {
	case "=", "==":
		return n == 0
	case "!=":
		return n != 0
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	}
	return false
}

func (in qin) eval(r record) any {
	l := in.l.eval(r)
	if l == nil {
		return false
	}
	found := false
	for _, e := range in.list {
		found = found || compare(l, e.eval(r)) == 0
	}
	return found != in.neg
}

func (f qfunc) eval(r record) any {
	switch f.name {
	case "ispresent":
		return f.args[0].eval(r) != nil
	case "isempty":
		v := f.args[0].eval(r)
		return v == nil || asString(v) == ""
	case "tolower":
		return strings.ToLower(asString(f.args[0].eval(r)))
	case "toupper":
		return strings.ToUpper(asString(f.args[0].eval(r)))
	}
	return nil
}

type qtok struct {
	kind byte // 'w' word, 's' string, 'n' number, 'r' regex, 'o' operator, 'p' punctuation, 0 end
	text string
}

func lexQuery(s string) ([]qtok, error) {
	var out []qtok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || c == '/' || c == '`':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) && c != '/' {
					j++
				} else if s[j] == '\\' && j+1 < len(s) {
					b.WriteByte('\\')
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, queryErrorf("unterminated %c", c)
			}
			kind := byte('s')
			if c == '/' {
				kind = 'r'
			} else if c == '`' {
				kind = 'w'
			}
			out = append(out, qtok{kind, b.String()})
			i = j + 1
		case strings.ContainsRune("(),[]", rune(c)):
			out = append(out, qtok{'p', string(c)})
			i++
		case strings.HasPrefix(s[i:], "!=") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">=") || strings.HasPrefix(s[i:], "=~") || strings.HasPrefix(s[i:], "=="):
			out = append(out, qtok{'o', s[i : i+2]})
			i += 2
		case c == '=' || c == '<' || c == '>':
			out = append(out, qtok{'o', string(c)})
			i++
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E') {
				j++
			}
			if _, err := strconv.ParseFloat(s[i:j], 64); err != nil {
				return nil, queryErrorf("bad number %q", s[i:j])
			}
			out = append(out, qtok{'n', s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '@' || s[j] == '.' || s[j] == '$' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i {
				return nil, queryErrorf("unexpected %q", c)
			}
			out = append(out, qtok{'w', s[i:j]})
			i = j
		}
	}
	return append(out, qtok{}), nil
}

type qparser struct {
	toks  []qtok
	pos   int
	depth int
}

func (p *qparser) peek() qtok { return p.toks[p.pos] }
func (p *qparser) next() qtok {
	t := p.toks[p.pos]
	if t.kind != 0 {
		p.pos++
	}
	return t
}
func (p *qparser) word(w string) bool {
	t := p.peek()
	return t.kind == 'w' && strings.EqualFold(t.text, w)
}

func parseQExpr(s string) (qexpr, error) {
	toks, err := lexQuery(s)
	if err != nil {
		return nil, err
	}
	p := &qparser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != 0 {
		return nil, queryErrorf("unexpected %q", p.peek().text)
	}
	return e, nil
}

func (p *qparser) or() (qexpr, error) {
	if p.depth++; p.depth > 100 {
		return nil, queryErrorf("too deeply nested")
	}
	defer func() { p.depth-- }()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.word("or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = qbool{false, l, r}
	}
	return l, nil
}

func (p *qparser) and() (qexpr, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.word("and") {
		p.next()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = qbool{true, l, r}
	}
	return l, nil
}

func (p *qparser) not() (qexpr, error) {
	if p.word("not") {
		p.next()
		if p.depth++; p.depth > 100 {
			return nil, queryErrorf("too deeply nested")
		}
		e, err := p.not()
		p.depth--
		if err != nil {
			return nil, err
		}
		return qnot{e}, nil
	}
	return p.cmp()
}

func (p *qparser) cmp() (qexpr, error) {
	l, err := p.primary()
	if err != nil {
		return nil, err
	}
	neg := false
	if p.word("not") {
		p.next()
		neg = true
	}
	t := p.peek()
	switch {
	case t.kind == 'o':
		if neg {
			return nil, queryErrorf("not before %s", t.text)
		}
		p.next()
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		op := t.text
		if op == "=~" {
			op = "like"
		}
		return qcmp{op, l, r}, nil
	case p.word("like"):
		p.next()
		r, err := p.primary()
		if err != nil {
			return nil, err
		}
		if neg {
			return qcmp{"not like", l, r}, nil
		}
		return qcmp{"like", l, r}, nil
	case p.word("in"):
		p.next()
		if p.next().text != "[" {
			return nil, queryErrorf("in needs a [list]")
		}
		in := qin{neg: neg, l: l}
		for p.peek().text != "]" {
			e, err := p.primary()
			if err != nil {
				return nil, err
			}
			in.list = append(in.list, e)
			if p.peek().text == "," {
				p.next()
			}
		}
		p.next()
		return in, nil
	}
	if neg {
		return nil, queryErrorf("not must be followed by like or in")
	}
	return l, nil
}

func (p *qparser) primary() (qexpr, error) {
	t := p.next()
	switch t.kind {
	case 's':
		return qlit{t.text}, nil
	case 'n':
		f, _ := strconv.ParseFloat(t.text, 64)
		return qlit{f}, nil
	case 'r':
		re, err := regexp.Compile(t.text)
		if err != nil {
			return nil, queryErrorf("regex: %v", err)
		}
		return qregex{re}, nil
	case 'p':
		if t.text != "(" {
			break
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next().text != ")" {
			return nil, queryErrorf("missing )")
		}
		return e, nil
	case 'w':
		name := strings.ToLower(t.text)
		if p.peek().text == "(" && (name == "ispresent" || name == "isempty" || name == "tolower" || name == "toupper") {
			p.next()
			arg, err := p.primary()
			if err != nil {
				return nil, err
			}
			if p.next().text != ")" {
				return nil, queryErrorf("%s takes one argument", name)
			}
			return qfunc{name, []qexpr{arg}}, nil
		}
		switch name {
		case "true":
			return qlit{true}, nil
		case "false":
			return qlit{false}, nil
		}
		return qfield(t.text), nil
	}
	return nil, queryErrorf("unexpected %q", t.text)
}

// keep reports whether r passes every filter of q.
func (q *query) keep(r record) bool {
	for _, f := range q.filters {
		if !truthy(f.eval(r)) {
			return false
		}
	}
	return true
}

// run evaluates q over records (in time order) and returns the result rows.
func (q *query) run(recs []record) (rows [][][2]string, matched int) {
	var kept []record
	for _, r := range recs {
		if q.keep(r) {
			kept = append(kept, r)
		}
	}
	return q.finish(kept), len(kept)
}

// finish aggregates, sorts, limits and projects records that passed the
// filters.
func (q *query) finish(kept []record) (rows [][][2]string) {
	if q.stats != nil {
		kept = q.stats.run(kept)
	}
	if len(q.sorts) > 0 {
		sort.SliceStable(kept, func(i, j int) bool {
			for _, k := range q.sorts {
				a, b := kept[i][k.field], kept[j][k.field]
				if c := compare(a, b); c != 0 {
					return c < 0 != k.desc
				}
			}
			return false
		})
	} else if q.stats == nil {
		// Newest first, as Insights answers without a sort.
		for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
			kept[i], kept[j] = kept[j], kept[i]
		}
	}
	limit := q.limit
	if limit == 0 {
		limit = 1000
	}
	if len(kept) > limit {
		kept = kept[:limit]
	}
	for _, r := range kept {
		var row [][2]string
		switch {
		case q.stats != nil:
			for _, b := range q.stats.by {
				row = append(row, [2]string{b, r[b]})
			}
			for _, a := range q.stats.aggs {
				row = append(row, [2]string{a.name, r[a.name]})
			}
		case q.fields != nil:
			for _, f := range q.fields {
				if v, ok := r[f.name]; ok {
					row = append(row, [2]string{f.alias, v})
				}
			}
			row = append(row, [2]string{"@ptr", r["@ptr"]})
		default:
			row = append(row, [2]string{"@timestamp", r["@timestamp"]}, [2]string{"@message", r["@message"]}, [2]string{"@ptr", r["@ptr"]})
		}
		rows = append(rows, row)
	}
	return rows
}

func (st *statsCmd) run(recs []record) []record {
	type bucket struct {
		key    record
		count  []float64
		sum    []float64
		min    []float64
		max    []float64
		seen   []int
		values []map[string]bool
	}
	buckets := map[string]*bucket{}
	var order []string
	for _, r := range recs {
		var kb strings.Builder
		key := record{}
		for _, b := range st.by {
			kb.WriteString(r[b])
			kb.WriteByte(0)
			key[b] = r[b]
		}
		k := kb.String()
		bk := buckets[k]
		if bk == nil {
			n := len(st.aggs)
			bk = &bucket{key: key, count: make([]float64, n), sum: make([]float64, n), min: make([]float64, n), max: make([]float64, n), seen: make([]int, n), values: make([]map[string]bool, n)}
			buckets[k] = bk
			order = append(order, k)
		}
		for i, a := range st.aggs {
			if a.field == "*" {
				bk.count[i]++
				continue
			}
			v, ok := r[a.field]
			if !ok {
				continue
			}
			bk.count[i]++
			if a.fn == "count_distinct" {
				if bk.values[i] == nil {
					bk.values[i] = map[string]bool{}
				}
				bk.values[i][v] = true
				continue
			}
			f, isNum := asNumber(v)
			if !isNum {
				continue
			}
			if bk.seen[i] == 0 || f < bk.min[i] {
				bk.min[i] = f
			}
			if bk.seen[i] == 0 || f > bk.max[i] {
				bk.max[i] = f
			}
			bk.sum[i] += f
			bk.seen[i]++
		}
	}
	out := make([]record, 0, len(order))
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, k := range order {
		bk := buckets[k]
		r := bk.key
		for i, a := range st.aggs {
			switch a.fn {
			case "count":
				r[a.name] = num(bk.count[i])
			case "count_distinct":
				r[a.name] = strconv.Itoa(len(bk.values[i]))
			case "sum":
				r[a.name] = num(bk.sum[i])
			case "avg":
				if bk.seen[i] > 0 {
					r[a.name] = num(bk.sum[i] / float64(bk.seen[i]))
				}
			case "min":
				if bk.seen[i] > 0 {
					r[a.name] = num(bk.min[i])
				}
			case "max":
				if bk.seen[i] > 0 {
					r[a.name] = num(bk.max[i])
				}
			}
		}
		out = append(out, r)
	}
	return out
}
