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

func TestPolicyAllows(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:123456789012:t"
	// applies is what a service would check: everyone is the principal, the
	// action is SNS:Publish on topic, and aws:SourceAccount is 210987654321.
	applies := func(st PolicyStatement) bool {
		return st["Principal"] == "*" && st.Covers("sns:Publish", topic) &&
			st.ConditionsHold(func(op, key string, want []string) bool {
				return strings.EqualFold(key, "aws:SourceAccount") && ConditionHolds(op, "210987654321", want)
			})
	}
	tests := []struct {
		name, policy string
		want         bool
	}{
		{"allow", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"SNS:Publish","Resource":"` + topic + `"}]}`, true},
		{"single statement object", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}}`, true},
		{"other action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"SNS:Subscribe"}]}`, false},
		{"action wildcard", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:*"}]}`, true},
		{"action list", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["sqs:SendMessage","sns:Pub*"]}]}`, true},
		{"star action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}`, true},
		{"resource mismatch", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sns:us-east-1:123456789012:x"}]}`, false},
		{"resource wildcard", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sns:*:123456789012:*"}]}`, true},
		{"resource list", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":["arn:aws:sns:us-east-1:123456789012:x","` + topic + `"]}]}`, true},
		{"statement for another principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"*"}]}`, false},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish"}]}`, false},
		{"deny of another action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Subscribe"}]}`, true},
		{"no effect", `{"Statement":[{"Principal":"*","Action":"*"}]}`, false},
		{"condition holds", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:SourceAccount":"210987654321"}}}]}`, true},
		{"condition fails", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`, false},
		{"unknown condition key", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, false},
		{"empty", ``, false},
		{"not json", `{`, false},
		{"no statement", `{"Version":"2012-10-17"}`, false},
	}
	for _, tt := range tests {
		if got := PolicyAllows(tt.policy, applies); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestConditionHolds(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:123456789012:orders"
	tests := []struct {
		op, got string
		want    []string
		holds   bool
	}{
		{"ArnEquals", topic, []string{topic}, true},
		{"ArnEquals", topic + "-other", []string{topic}, false},
		{"StringEquals", "123456789012", []string{"1", "123456789012"}, true},
		{"StringEqualsIgnoreCase", "Orders", []string{"orders"}, true},
		{"StringEquals", "Orders", []string{"orders"}, false},
		{"ArnLike", topic, []string{"arn:aws:sns:us-east-1:123456789012:*"}, true},
		{"StringLike", topic, []string{"arn:aws:sqs:*"}, false},
		{"ArnNotEquals", topic, []string{topic}, false},
		{"StringNotEquals", topic, []string{"x", "y"}, true},
		{"ArnNotLike", topic, []string{"arn:aws:sns:*"}, false},
		{"StringNotLike", topic, []string{"arn:aws:sqs:*"}, true},
		{"StringNotEquals", topic, nil, true},
		{"StringEquals", topic, nil, false},
		{"Bool", "true", []string{"true"}, false},
		{"StringEqualsIfExists", topic, []string{topic}, false},
	}
	for _, tt := range tests {
		if got := ConditionHolds(tt.op, tt.got, tt.want); got != tt.holds {
			t.Errorf("ConditionHolds(%s, %q, %q): got %v, want %v", tt.op, tt.got, tt.want, got, tt.holds)
		}
	}
}
