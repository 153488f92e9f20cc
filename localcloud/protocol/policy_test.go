package protocol

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	const route = "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/orders/1"
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"?", "", false},
		{"**", "abc", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"abc", "ABC", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a*c", "abcbc", true},
		{"*a", "bab", false},
		{"arn:aws:sns:*:123:*", "arn:aws:sns:us-east-1:123:t", true},
		{"arn:aws:sns:*:123:t?", "arn:aws:sns:eu:123:t1", true},
		{"arn:aws:sns:*:123:t?", "arn:aws:sns:eu:123:t12", false},
		{"sns:*", "sns:publish", true},
		{"sqs:send*", "sqs:sendmessage", true},
		{"sqs:send*", "sns:sendmessage", false},
		// API Gateway route ARNs.
		{"*", route, true},
		{route, route, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc/*", route, true},
		{"arn:aws:execute-api:*:*:abc/*/GET/*", route, true},
		{"arn:aws:execute-api:*:*:abc/*/POST/*", route, false},
		{"arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/orders/?", route, true},
		{"arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/orders", route, false},
		{"arn:aws:execute-api:us-east-1:123456789012:xyz/*", route, false},
		{"", route, false},
		// ? is one character, not one byte.
		{"t?", "tä", true},
		{"t??", "tä", false},
		{"*?x", "äx", true},
		{"*??x", "äx", false},
		{"a*ä", "abcä", true},
	}
	for _, tt := range tests {
		if got := WildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("WildcardMatch(%q, %q): got %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// FuzzWildcardMatch checks WildcardMatch against a regular expression
// built from the pattern.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*?", "ä")
	f.Add("arn:aws:sns:*:123:t?", "arn:aws:sns:eu:123:t1")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		var b strings.Builder
		b.WriteString("(?s)^")
		for _, r := range pattern {
			switch r {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		b.WriteString("$")
		want := regexp.MustCompile(b.String()).MatchString(s)
		if got := WildcardMatch(pattern, s); got != want {
			t.Errorf("WildcardMatch(%q, %q): got %v, want %v", pattern, s, got, want)
		}
	})
}
