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

func TestManagedPolicyDocumentsAreValid(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, mp := range managedPolicies {
		if err := checkPolicy(mp.document, maxManagedPolicy, "PolicySize", identityPolicy); err != nil {
			t.Errorf("%s: %v", mp.name, err)
		}
		if seen[mp.name] || len(mp.id) != 21 {
			t.Errorf("%s: duplicate name or id %q not 21 characters", mp.name, mp.id)
		}
		seen[mp.name] = true
	}
	if len(awsPolicies) != len(managedPolicies) {
		t.Errorf("got %d policies by ARN, want %d", len(awsPolicies), len(managedPolicies))
	}
}
