package expr

import (
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF   tokKind = iota
	tWord          // identifiers and keywords [A-Za-z][A-Za-z0-9_]*, or digits [0-9]+
	tName          // #name placeholder
	tValue         // :value placeholder
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tDot
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tPlus
	tMinus
	tBad // any other character
)

// token is one lexeme of an expression; pos and end are byte offsets.
type token struct {
	kind     tokKind
	text     string
	pos, end int
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// lex splits src into tokens, ending with a tEOF token. It never fails:
// characters outside the grammar become tBad tokens for the parser to report.
func lex(src string) []token {
	toks := make([]token, 0, len(src)/3+2)
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		kind := tBad
		switch {
		case isSpace(c):
			i++
			continue
		case isLetter(c):
			for i < len(src) && isWordByte(src[i]) {
				i++
			}
			kind = tWord
		case c >= '0' && c <= '9':
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			kind = tWord
		case c == '#' || c == ':':
			i++
			for i < len(src) && isWordByte(src[i]) {
				i++
			}
			if i > start+1 {
				kind = tName
				if c == ':' {
					kind = tValue
				}
			}
		case c == '<':
			i++
			kind = tLt
			if i < len(src) && src[i] == '=' {
				i++
				kind = tLe
			} else if i < len(src) && src[i] == '>' {
				i++
				kind = tNe
			}
		case c == '>':
			i++
			kind = tGt
			if i < len(src) && src[i] == '=' {
				i++
				kind = tGe
			}
		case c < utf8.RuneSelf:
			i++
			switch c {
			case '(':
				kind = tLParen
			case ')':
				kind = tRParen
			case '[':
				kind = tLBrack
			case ']':
				kind = tRBrack
			case ',':
				kind = tComma
			case '.':
				kind = tDot
			case '=':
				kind = tEq
			case '+':
				kind = tPlus
			case '-':
				kind = tMinus
			}
		default:
			_, n := utf8.DecodeRuneInString(src[i:])
			i += n
		}
		toks = append(toks, token{kind: kind, text: src[start:i], pos: start, end: i})
	}
	return append(toks, token{kind: tEOF, text: "<EOF>", pos: len(src), end: len(src)})
}
