package monitoring

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Metric math: the subset of CloudWatch's expression language the labs and
// alarms use. Values are scalars, time series (one value per period of the
// query's grid, NaN where there is no data) or arrays of time series.
// Arithmetic works element by element, with missing data staying missing;
// SUM/AVG/MIN/MAX/STDDEV of an array give a series, of one series a scalar.

type value struct {
	scalar float64
	series [][]float64 // one entry: a series; several (or array): an array
	array  bool
	isSer  bool
}

func scalarV(f float64) value { return value{scalar: f} }

// node is a parsed expression.
type node interface {
	eval(env *mathEnv) (value, error)
}

type mathEnv struct {
	n       int              // grid length
	period  float64          // seconds
	vars    map[string]value // query results by id
	metrics []string         // ids of MetricStat queries, in order
	lookup  func(id string) (value, error)
}

type numNode float64
type idNode string
type strNode string
type unaryNode struct {
	op string
	x  node
}
type binNode struct {
	op   string
	l, r node
}
type callNode struct {
	fn   string
	args []node
}
type listNode []node

// maxExprLen bounds an expression (AWS: 2,048 characters).
const maxExprLen = 2048

// parseExpr parses a metric math expression.
func parseExpr(src string) (node, error) {
	if len(src) > maxExprLen {
		return nil, fmt.Errorf("the expression is longer than %d characters", maxExprLen)
	}
	p := &parser{src: src}
	if err := p.lex(); err != nil {
		return nil, err
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].s)
	}
	return n, nil
}

type token struct {
	kind byte // 'n' number, 'i' identifier, 's' string, 'o' operator
	s    string
}

type parser struct {
	src  string
	toks []token
	pos  int
}

func (p *parser) lex() error {
	s := p.src
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				((s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			p.toks = append(p.toks, token{'n', s[i:j]})
			i = j
		case c == '_' || unicode.IsLetter(c):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i {
				return fmt.Errorf("unexpected character %q", c)
			}
			p.toks = append(p.toks, token{'i', s[i:j]})
			i = j
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], s[i])
			if j < 0 {
				return fmt.Errorf("unterminated string")
			}
			p.toks = append(p.toks, token{'s', s[i+1 : i+1+j]})
			i += j + 2
		default:
			for _, op := range []string{">=", "<=", "==", "!=", "&&", "||", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", ">", "<", "!"} {
				if strings.HasPrefix(s[i:], op) {
					p.toks = append(p.toks, token{'o', op})
					i += len(op)
					goto next
				}
			}
			return fmt.Errorf("unexpected character %q", c)
		next:
		}
	}
	return nil
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *parser) accept(ops ...string) (string, bool) {
	t := p.peek()
	for _, op := range ops {
		if (t.kind == 'o' && t.s == op) || (t.kind == 'i' && strings.EqualFold(t.s, op)) {
			p.pos++
			return op, true
		}
	}
	return "", false
}

func (p *parser) expect(op string) error {
	if _, ok := p.accept(op); !ok {
		return fmt.Errorf("expected %q", op)
	}
	return nil
}

const maxExprDepth = 50

func (p *parser) or(d int) (node, error) { return p.binary(d, p.and, "OR", "||") }

func (p *parser) and(d int) (node, error) { return p.binary(d, p.cmp, "AND", "&&") }

func (p *parser) cmp(d int) (node, error) {
	return p.binary(d, p.add, ">=", "<=", "==", "!=", ">", "<")
}

func (p *parser) add(d int) (node, error) { return p.binary(d, p.mul, "+", "-") }

func (p *parser) mul(d int) (node, error) { return p.binary(d, p.unary, "*", "/") }

func (p *parser) binary(d int, next func(int) (node, error), ops ...string) (node, error) {
	if d > maxExprDepth {
		return nil, fmt.Errorf("the expression is nested too deeply")
	}
	l, err := next(d + 1)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.accept(ops...)
		if !ok {
			return l, nil
		}
		r, err := next(d + 1)
		if err != nil {
			return nil, err
		}
		l = binNode{strings.ToUpper(op), l, r}
	}
}

func (p *parser) unary(d int) (node, error) {
	if d > maxExprDepth {
		return nil, fmt.Errorf("the expression is nested too deeply")
	}
	if op, ok := p.accept("-", "!", "NOT"); ok {
		x, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		return unaryNode{strings.ToUpper(op), x}, nil
	}
	x, err := p.primary(d + 1)
	if err != nil {
		return nil, err
	}
	if _, ok := p.accept("^"); ok {
		y, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		return binNode{"^", x, y}, nil
	}
	return x, nil
}

func (p *parser) primary(d int) (node, error) {
	t := p.peek()
	switch {
	case t.kind == 'n':
		p.pos++
		f, err := strconv.ParseFloat(t.s, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", t.s)
		}
		return numNode(f), nil
	case t.kind == 's':
		p.pos++
		return strNode(t.s), nil
	case t.kind == 'i':
		p.pos++
		if _, ok := p.accept("("); ok {
			var args []node
			if _, ok := p.accept(")"); ok {
				return callNode{strings.ToUpper(t.s), nil}, nil
			}
			for {
				a, err := p.or(d + 1)
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if _, ok := p.accept(")"); ok {
					return callNode{strings.ToUpper(t.s), args}, nil
				}
				if err := p.expect(","); err != nil {
					return nil, err
				}
			}
		}
		return idNode(t.s), nil
	case t.kind == 'o' && t.s == "(":
		p.pos++
		x, err := p.or(d + 1)
		if err != nil {
			return nil, err
		}
		return x, p.expect(")")
	case t.kind == 'o' && t.s == "[":
		p.pos++
		var l listNode
		for {
			x, err := p.or(d + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
			if _, ok := p.accept("]"); ok {
				return l, nil
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	if t.s == "" {
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q", t.s)
}

func (n numNode) eval(*mathEnv) (value, error) { return scalarV(float64(n)), nil }
func (n strNode) eval(*mathEnv) (value, error) {
	return value{}, fmt.Errorf("a string (%q) is only an argument of METRICS", string(n))
}
func (n idNode) eval(env *mathEnv) (value, error) {
	switch strings.ToUpper(string(n)) {
	case "REPEAT", "LINEAR":
		return value{}, fmt.Errorf("%s is only an argument of FILL", n)
	}
	return env.lookup(string(n))
}

func (n listNode) eval(env *mathEnv) (value, error) {
	out := value{array: true, isSer: true}
	for _, x := range n {
		v, err := x.eval(env)
		if err != nil {
			return value{}, err
		}
		out.series = append(out.series, env.toSeries(v).series...)
	}
	return out, nil
}

// toSeries turns a scalar into a constant series over the grid.
func (env *mathEnv) toSeries(v value) value {
	if v.isSer {
		return v
	}
	s := make([]float64, env.n)
	for i := range s {
		s[i] = v.scalar
	}
	return value{series: [][]float64{s}, isSer: true}
}

// elementwise applies f to every value of v and w (broadcasting scalars and
// single series over arrays).
func (env *mathEnv) elementwise(v, w value, f func(a, b float64) float64) (value, error) {
	if !v.isSer && !w.isSer {
		return scalarV(f(v.scalar, w.scalar)), nil
	}
	v, w = env.toSeries(v), env.toSeries(w)
	if len(v.series) > 1 && len(w.series) > 1 && len(v.series) != len(w.series) {
		return value{}, fmt.Errorf("arrays of different sizes")
	}
	k := max(len(v.series), len(w.series))
	out := value{isSer: true, array: v.array || w.array}
	for j := 0; j < k; j++ {
		a, b := v.series[min(j, len(v.series)-1)], w.series[min(j, len(w.series)-1)]
		s := make([]float64, env.n)
		for i := range s {
			s[i] = f(a[i], b[i])
		}
		out.series = append(out.series, s)
	}
	return out, nil
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func truthy(f float64) bool { return !math.IsNaN(f) && f != 0 }

func (n unaryNode) eval(env *mathEnv) (value, error) {
	x, err := n.x.eval(env)
	if err != nil {
		return value{}, err
	}
	return env.elementwise(x, scalarV(0), func(a, _ float64) float64 {
		if n.op == "-" {
			return -a
		}
		if math.IsNaN(a) {
			return a
		}
		return boolF(a == 0)
	})
}

func (n binNode) eval(env *mathEnv) (value, error) {
	l, err := n.l.eval(env)
	if err != nil {
		return value{}, err
	}
	r, err := n.r.eval(env)
	if err != nil {
		return value{}, err
	}
	var f func(a, b float64) float64
	switch n.op {
	case "+":
		f = func(a, b float64) float64 { return a + b }
	case "-":
		f = func(a, b float64) float64 { return a - b }
	case "*":
		f = func(a, b float64) float64 { return a * b }
	case "/":
		f = func(a, b float64) float64 { return a / b }
	case "^":
		f = math.Pow
	case ">":
		f = cmpF(func(a, b float64) bool { return a > b })
	case "<":
		f = cmpF(func(a, b float64) bool { return a < b })
	case ">=":
		f = cmpF(func(a, b float64) bool { return a >= b })
	case "<=":
		f = cmpF(func(a, b float64) bool { return a <= b })
	case "==":
		f = cmpF(func(a, b float64) bool { return a == b })
	case "!=":
		f = cmpF(func(a, b float64) bool { return a != b })
	case "AND", "&&":
		f = cmpF(func(a, b float64) bool { return a != 0 && b != 0 })
	case "OR", "||":
		f = cmpF(func(a, b float64) bool { return a != 0 || b != 0 })
	default:
		return value{}, fmt.Errorf("unknown operator %s", n.op)
	}
	return env.elementwise(l, r, f)
}

func cmpF(c func(a, b float64) bool) func(a, b float64) float64 {
	return func(a, b float64) float64 {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.NaN()
		}
		return boolF(c(a, b))
	}
}
