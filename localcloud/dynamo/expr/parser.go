package expr

import (
	"strconv"
	"strings"
)

// maxExprLen is DynamoDB's limit on the length of one expression.
const maxExprLen = 4096

// maxOperators is DynamoDB's limit on operators and functions in one
// expression.
const maxOperators = 300

// maxPathDepth is DynamoDB's limit on the elements of a document path.
const maxPathDepth = 32

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

// nodeKind is the kind of a node of a parsed expression.
type nodeKind uint8

const (
	nPath    nodeKind = iota // path
	nValue                   // value (":v")
	nCall                    // fn(args...)
	nParen                   // ( args[0] )
	nCmp                     // args[0] op args[1]
	nBetween                 // args[0] BETWEEN args[1] AND args[2]
	nIn                      // args[0] IN (args[1:]...)
	nAnd                     // args[0] AND args[1]
	nOr                      // args[0] OR args[1]
	nNot                     // NOT args[0]
	nPlus                    // args[0] + args[1] (SET values)
	nMinus                   // args[0] - args[1] (SET values)
)

// node is a node of a parsed expression: conditions and operands alike,
// so that validation can follow DynamoDB's phases over one tree.
type node struct {
	kind  nodeKind
	op    tokKind // comparator of nCmp
	fn    string  // function of nCall
	path  docPath
	value string
	args  []*node
}

// unparen returns n without enclosing parentheses.
func unparen(n *node) *node {
	for n.kind == nParen {
		n = n.args[0]
	}
	return n
}

// isBare reports whether n is a path or value, possibly parenthesized: an
// operand that can never be a condition by itself.
func isBare(n *node) bool {
	n = unparen(n)
	return n.kind == nPath || n.kind == nValue
}

// isOperand reports whether n can be an operand of a comparison.
func isOperand(n *node) bool {
	n = unparen(n)
	return n.kind == nPath || n.kind == nValue || n.kind == nCall
}

// parser is a recursive-descent parser over the tokens of one expression.
type parser struct {
	src   string
	toks  []token
	i     int
	kind  string
	usage usage
	// operators counts operators and functions, at most maxOperators.
	operators int
	unlimited bool // no length or operator limit (a legacy filter)
}

func newParser(kind, src string) (*parser, error) { return newParserWith(kind, src, false) }

// newParserWith is newParser; unlimited drops the length and operator
// limits.
func newParserWith(kind, src string, unlimited bool) (*parser, error) {
	if strings.TrimSpace(src) == "" {
		return nil, invalidf(kind, "The expression can not be empty;")
	}
	if len(src) > maxExprLen && !unlimited {
		return nil, invalidf(kind, "Expression size has exceeded the maximum allowed size; expression size: %d", len(src))
	}
	p := &parser{src: src, toks: lex(src), kind: kind, unlimited: unlimited}
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

// grammarKeywords are the words the grammar itself uses; they cannot name
// attributes at all (a syntax error), unlike the other reserved words.
var grammarKeywords = [...]string{"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"}

// isKeyword reports whether t is the keyword kw (keywords are case-insensitive).
func isKeyword(t token, kw string) bool {
	return t.kind == tWord && strings.EqualFold(t.text, kw)
}

func isGrammarKeyword(t token) bool {
	for _, kw := range grammarKeywords {
		if isKeyword(t, kw) {
			return true
		}
	}
	return false
}

func (p *parser) atKeyword(kw string) bool { return isKeyword(p.peek(), kw) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// syntaxErr reports the current token as DynamoDB does: the token and the
// text from the previous token to the next one.
func (p *parser) syntaxErr() *Error {
	t := p.toks[p.i]
	start, end := t.pos, t.end
	if p.i > 0 {
		start = p.toks[p.i-1].pos
	}
	if t.kind != tEOF && p.i+1 < len(p.toks) && p.toks[p.i+1].kind != tEOF {
		end = p.toks[p.i+1].end
	}
	return invalidf(p.kind, "Syntax error; token: \"%s\", near: \"%s\"", t.text, p.src[start:end])
}

func (p *parser) expect(k tokKind) error {
	if p.peek().kind != k {
		return p.syntaxErr()
	}
	p.next()
	return nil
}

func (p *parser) expectEOF() error { return p.expect(tEOF) }

// countOperator counts one operator or function.
func (p *parser) countOperator() error {
	p.operators++
	if p.operators > maxOperators && !p.unlimited {
		return invalidf(p.kind, "The expression contains too many operators; operator count: %d", p.operators)
	}
	return nil
}

func isIdent(s string) bool {
	return s != "" && !(s[0] >= '0' && s[0] <= '9')
}

// parseName parses one attribute name element of a path. Reserved words
// are accepted here and reported by a later phase, as DynamoDB does.
func (p *parser) parseName() (elem, error) {
	t := p.peek()
	switch {
	case t.kind == tWord && isIdent(t.text) && !isGrammarKeyword(t):
		p.next()
		return elem{name: t.text}, nil
	case t.kind == tName:
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
			if len(path) > maxPathDepth {
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

// parseAtom parses a path, a :value or a function call.
func (p *parser) parseAtom() (*node, error) {
	t := p.peek()
	switch {
	case t.kind == tValue:
		p.next()
		p.usage.addValue(t.text)
		return &node{kind: nValue, value: t.text}, nil
	case t.kind == tWord && p.peekAt(1).kind == tLParen && !isGrammarKeyword(t):
		return p.parseCall()
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	return &node{kind: nPath, path: path}, nil
}

// parseCall parses name(operand, ...); whether the function exists and
// may appear here is checked later.
func (p *parser) parseCall() (*node, error) {
	name := p.next().text
	p.next() // (
	if err := p.countOperator(); err != nil {
		return nil, err
	}
	n := &node{kind: nCall, fn: name}
	for {
		a, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, a)
		if p.peek().kind == tComma {
			p.next()
			continue
		}
		if err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	}
}

// parseOperand parses an operand: an atom, possibly parenthesized.
func (p *parser) parseOperand() (*node, error) {
	if p.peek().kind != tLParen {
		return p.parseAtom()
	}
	p.next()
	inner, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	if err := p.expect(tRParen); err != nil {
		return nil, err
	}
	return &node{kind: nParen, args: []*node{inner}}, nil
}
