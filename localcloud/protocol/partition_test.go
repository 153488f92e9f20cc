package protocol

import "testing"

// TestARNPartition: ARNs name the partition of their region, as AWS's
// endpoints.json partitions (and botocore's) define them by region prefix.
func TestARNPartition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ region, want string }{
		{"us-east-1", "arn:aws:dynamodb:us-east-1:123456789012:table/t"},
		{"eu-west-3", "arn:aws:dynamodb:eu-west-3:123456789012:table/t"},
		{"cn-north-1", "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t"},
		{"cn-northwest-1", "arn:aws-cn:dynamodb:cn-northwest-1:123456789012:table/t"},
		{"us-gov-west-1", "arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/t"},
		{"us-iso-east-1", "arn:aws-iso:dynamodb:us-iso-east-1:123456789012:table/t"},
		{"us-isob-east-1", "arn:aws-iso-b:dynamodb:us-isob-east-1:123456789012:table/t"},
	} {
		if got := ARN("dynamodb", tc.region, "123456789012", "table/t"); got != tc.want {
			t.Errorf("ARN in %s: got %s, want %s", tc.region, got, tc.want)
		}
	}
	if got := ARN("iam", "", "123456789012", "role/r"); got != "arn:aws:iam::123456789012:role/r" {
		t.Errorf("global ARN: got %s", got)
	}
}
