// Package plural spells counts with their nouns, so that a message never
// says "1 checks" or "check(s)".
package plural

import "strconv"

// Count spells n with the noun that fits it: Count(1, "check", "checks") is
// "1 check", Count(0, "check", "checks") is "0 checks".
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Noun is the noun alone that fits n: Noun(1, "was", "were") is "was".
func Noun(n int, one, many string) string {
	if n == 1 || n == -1 {
		return one
	}
	return many
}
