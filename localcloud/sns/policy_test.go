package sns

import "testing"

func TestPolicyAllows(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:us-east-1:123456789012:t"
	const other = "210987654321"
	tests := []struct {
		name, policy, action string
		want                 bool
	}{
		{"default policy denies others", defaultPolicy(topic, "123456789012"), "Publish", false},
		{"default policy for the owner account", defaultPolicy(topic, other), "Publish", true},
		{"star principal", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"SNS:Publish","Resource":"` + topic + `"}]}`, "Publish", true},
		{"other action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"SNS:Publish"}]}`, "Subscribe", false},
		{"action wildcard", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:*"}]}`, "Subscribe", true},
		{"account principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["` + other + `"]},"Action":"*"}]}`, "Publish", true},
		{"another account principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"*"}]}`, "Publish", false},
		{"resource mismatch", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sns:us-east-1:123456789012:x"}]}`, "Publish", false},
		{"resource wildcard", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sns:*:123456789012:*"}]}`, "Publish", true},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish"}]}`, "Publish", false},
		{"source account condition", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:SourceAccount":"` + other + `"}}}]}`, "Publish", true},
		{"unknown condition key", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, "Publish", false},
		{"single statement object", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}}`, "Publish", true},
		{"not json", `{`, "Publish", false},
	}
	for _, tt := range tests {
		if got := policyAllows(tt.policy, topic, other, tt.action); got != tt.want {
			t.Errorf("%s: policyAllows = %v, want %v", tt.name, got, tt.want)
		}
	}
}
