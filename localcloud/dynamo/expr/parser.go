package expr

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxExprLen is DynamoDB's limit on the length of one expression.
const maxExprLen = 4096

// usage records the placeholders an expression uses, in order of first use.
type usage struct {
	names, values []string
}

func (u *usage) addName(n string) {
	for _, x := range u.names {
		if x == n {
			return
		}
	}
	u.names = append(u.names, n)
}

func (u *usage) addValue(v string) {
	for _, x := range u.values {
		if x == v {
			return
		}
	}
	u.values = append(u.values, v)
}

// NamesUsed returns the #name placeholders used, in order of first use.
func (u *usage) NamesUsed() []string { return u.names }

// ValuesUsed returns the :value placeholders used, in order of first use.
func (u *usage) ValuesUsed() []string { return u.values }

// parser is a recursive-descent parser over the tokens of one expression.
type parser struct {
	src   string
	toks  []token
	i     int
	kind  string
	usage usage
	// allowRedundantParens accepts ((c)), as KeyConditionExpressions do.
	allowRedundantParens bool
	// operators counts operators and functions, at most maxOperators.
	operators int
}

// maxOperators is DynamoDB's limit on operators and functions in one
// expression.
const maxOperators = 300

// countOperator counts one operator or function.
func (p *parser) countOperator() error {
	p.operators++
	if p.operators > maxOperators {
		return invalidf(p.kind, "The expression contains too many operators; operator count: %d", p.operators)
	}
	return nil
}

func newParser(kind, src string) (*parser, error) {
	if strings.TrimSpace(src) == "" {
		return nil, invalidf(kind, "The expression can not be empty;")
	}
	if len(src) > maxExprLen {
		return nil, invalidf(kind, "Expression size has exceeded the maximum allowed size; expression size: %d", len(src))
	}
	p := &parser{src: src, toks: lex(src), kind: kind}
	// Characters outside the grammar are lexical errors, reported before
	// any parse error.
	for i, t := range p.toks {
		if t.kind == tBad && t.text != "#" && t.text != ":" {
			p.i = i
			return nil, p.syntaxErr()
		}
	}
	return p, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKeyword reports whether t is the keyword kw (keywords are case-insensitive).
func isKeyword(t token, kw string) bool {
	return t.kind == tWord && strings.EqualFold(t.text, kw)
}

func (p *parser) atKeyword(kw string) bool { return isKeyword(p.peek(), kw) }

// syntaxErr reports the current token as DynamoDB does: the token and the
// text from the previous token to the next one.
func (p *parser) syntaxErr() *Error {
	t := p.toks[p.i]
	if t.kind == tBad && t.text != "#" && t.text != ":" {
		// A lexical error: DynamoDB shows the character and the one after
		// it, unless that is white space.
		end := t.end
		if end < len(p.src) && !isSpace(p.src[end]) {
			_, n := utf8.DecodeRuneInString(p.src[end:])
			end += n
		}
		return invalidf(p.kind, "Syntax error; token: \"%s\", near: \"%s\"", t.text, p.src[t.pos:end])
	}
	start, end := t.pos, t.end
	if p.i > 0 {
		start = p.toks[p.i-1].pos
	}
	if t.kind != tEOF && p.i+1 < len(p.toks) && p.toks[p.i+1].kind != tEOF {
		end = p.toks[p.i+1].end
	}
	return invalidf(p.kind, "Syntax error; token: \"%s\", near: \"%s\"", t.text, p.src[start:end])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) expect(k tokKind) error {
	if p.peek().kind != k {
		return p.syntaxErr()
	}
	p.next()
	return nil
}

func (p *parser) expectEOF() error { return p.expect(tEOF) }

// elem is one element of a document path: an attribute name (literal or
// #placeholder) or a list index.
type elem struct {
	name  string
	ph    bool // name is a #placeholder
	isIdx bool
	index int
}

// docPath is a document path such as a.#b[2].c.
type docPath []elem

func isIdent(s string) bool {
	return s != "" && !(s[0] >= '0' && s[0] <= '9')
}

// parseName parses one attribute name element of a path.
func (p *parser) parseName() (elem, error) {
	t := p.peek()
	switch t.kind {
	case tWord:
		if !isIdent(t.text) {
			return elem{}, p.syntaxErr()
		}
		if isReserved(t.text) {
			return elem{}, invalidf(p.kind, "Attribute name is a reserved keyword; reserved keyword: %s", t.text)
		}
		p.next()
		return elem{name: t.text}, nil
	case tName:
		p.next()
		p.usage.addName(t.text)
		return elem{name: t.text, ph: true}, nil
	}
	return elem{}, p.syntaxErr()
}

// parsePath parses a document path: name ('.' name | '[' index ']')*.
func (p *parser) parsePath() (docPath, error) {
	first, err := p.parseName()
	if err != nil {
		return nil, err
	}
	path := docPath{first}
	for {
		switch p.peek().kind {
		case tDot:
			p.next()
			e, err := p.parseName()
			if err != nil {
				return nil, err
			}
			path = append(path, e)
		case tLBrack:
			p.next()
			t := p.peek()
			if t.kind != tWord || !allDigits(t.text) {
				return nil, p.syntaxErr()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil || n > 1<<30 {
				return nil, invalidf(p.kind, "List index is not within the allowable range; index: %s", t.text)
			}
			p.next()
			if err := p.expect(tRBrack); err != nil {
				return nil, err
			}
			path = append(path, elem{isIdx: true, index: n})
		default:
			if len(path) > 32 {
				return nil, invalidf(p.kind, "The document path has too many nesting levels; nesting levels: %d", len(path))
			}
			return path, nil
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// opKind is the kind of an operand.
type opKind uint8

const (
	oPath opKind = iota
	oValue
	oSize        // size(path), conditions only
	oIfNotExists // if_not_exists(path, operand), updates only
	oListAppend  // list_append(operand, operand), updates only
	oPlus        // operand + operand, SET only
	oMinus       // operand - operand, SET only
)

// operand is a value in an expression: a path, a :value, a function or
// (in SET) an arithmetic expression.
type operand struct {
	kind  opKind
	path  docPath
	value string
	args  []*operand
}

// Functions and where they may appear.
var (
	condFuncs   = map[string]int{"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2}
	updateFuncs = map[string]int{"if_not_exists": 2, "list_append": 2}
)

func funcArity(name string) (int, bool) {
	if n, ok := condFuncs[name]; ok {
		return n, true
	}
	if n, ok := updateFuncs[name]; ok {
		return n, true
	}
	if name == "size" {
		return 1, true
	}
	return 0, false
}

// parseCall parses name(args...) for a known function; the caller has
// checked that the current token is a word followed by '('.
func (p *parser) parseCall(update bool) (string, []*operand, error) {
	name := p.next().text
	arity, ok := funcArity(name)
	if !ok {
		return "", nil, invalidf(p.kind, "Invalid function name; function: %s", name)
	}
	if err := p.countOperator(); err != nil {
		return "", nil, err
	}
	p.next() // (
	var args []*operand
	for {
		a, err := p.parseOperand(update)
		if err != nil {
			return "", nil, err
		}
		args = append(args, a)
		if p.peek().kind == tComma {
			p.next()
			continue
		}
		if err := p.expect(tRParen); err != nil {
			return "", nil, err
		}
		break
	}
	if len(args) != arity {
		return "", nil, invalidf(p.kind, "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	switch name {
	case "attribute_exists", "attribute_not_exists", "attribute_type", "size", "if_not_exists":
		if args[0].kind != oPath {
			return "", nil, invalidf(p.kind, "Operator or function requires a document path; operator or function: %s", name)
		}
	}
	return name, args, nil
}

// parseOperand parses a path, a :value or a function call usable as an
// operand (size in conditions; if_not_exists and list_append in updates).
func (p *parser) parseOperand(update bool) (*operand, error) {
	t := p.peek()
	switch t.kind {
	case tValue:
		p.next()
		p.usage.addValue(t.text)
		return &operand{kind: oValue, value: t.text}, nil
	case tWord:
		if p.peekAt(1).kind == tLParen {
			return p.parseFuncOperand(update)
		}
	case tName:
	default:
		return nil, p.syntaxErr()
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	return &operand{kind: oPath, path: path}, nil
}

func (p *parser) parseFuncOperand(update bool) (*operand, error) {
	name := p.peek().text
	if _, ok := funcArity(name); ok {
		allowed := name == "size"
		if update {
			_, allowed = updateFuncs[name]
		}
		if !allowed {
			if update {
				return nil, invalidf(p.kind, "The function is not allowed in an update expression; function: %s", name)
			}
			if _, ok := updateFuncs[name]; ok {
				return nil, invalidf(p.kind, "The function is not allowed in a condition expression; function: %s", name)
			}
			return nil, invalidf(p.kind, "The function is not allowed to be used this way in an expression; function: %s", name)
		}
	}
	name, args, err := p.parseCall(update)
	if err != nil {
		return nil, err
	}
	switch name {
	case "size":
		return &operand{kind: oSize, args: args}, nil
	case "if_not_exists":
		return &operand{kind: oIfNotExists, args: args}, nil
	}
	return &operand{kind: oListAppend, args: args}, nil
}
