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

func TestPolicySizeIgnoresWhiteSpace(t *testing.T) {
	t.Parallel()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	padded := strings.Replace(doc, ",", ",\n"+strings.Repeat(" ", 3000), 1)
	if got, want := policySize(padded), policySize(doc); got != want {
		t.Errorf("got size %d, want %d", got, want)
	}
	if err := checkPolicy(padded, maxTrustPolicy, "ACLSizePerRole", identityPolicy); err != nil {
		t.Errorf("padded document: %v", err)
	}
	big := strings.Replace(doc, `"*"`, `"arn:aws:s3:::`+strings.Repeat("b", 2100)+`"`, 1)
	if err := checkPolicy(big, maxTrustPolicy, "ACLSizePerRole", identityPolicy); err == nil {
		t.Errorf("document over the quota: got no error")
	}
}
