package protocol

import "unicode/utf8"

// WildcardMatch reports whether s matches pattern as IAM matches ARNs,
// actions and condition values: * matches any run of characters (also
// none), ? exactly one character, and everything else itself, case
// sensitively (lower-case both sides for actions).
func WildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '?':
			_, w := utf8.DecodeRuneInString(s[i:])
			p++
			i += w
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			// Let the last * take one more character and retry from there.
			_, w := utf8.DecodeRuneInString(s[mark:])
			mark += w
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
