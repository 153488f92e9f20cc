package iam

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::c/k", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*c", "xxaybzzc", true},
		{"*a*b*c", "xxaybzz", false},
		{"abc", "abcd", false},
		{"a**", "a", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 2000), false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q): got %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
