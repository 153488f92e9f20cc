package protocol

import "testing"

// TestPartition: ARNs of regional resources name their region's partition
// (package partition's table), global ones (IAM, STS, dashboards) the
// partition of the request's region.
func TestPartition(t *testing.T) {
	t.Parallel()
	if got, want := ARN("dynamodb", "cn-north-1", "123456789012", "table/t"), "arn:aws-cn:dynamodb:cn-north-1:123456789012:table/t"; got != want {
		t.Errorf("ARN: got %s, want %s", got, want)
	}
	if got, want := GlobalARN("us-gov-west-1", "iam", "123456789012", "role/r"), "arn:aws-us-gov:iam::123456789012:role/r"; got != want {
		t.Errorf("GlobalARN: got %s, want %s", got, want)
	}
	if got, want := RootARN("us-isob-east-1", "123456789012"), "arn:aws-iso-b:iam::123456789012:root"; got != want {
		t.Errorf("RootARN: got %s, want %s", got, want)
	}
	for _, s := range []string{"arn:aws:iam::123456789012:root", "arn:aws-cn:iam::123456789012:root", "arn:aws-iso-b:iam::123456789012:root"} {
		if !IsRootARN(s, "123456789012") {
			t.Errorf("IsRootARN(%s) = false", s)
		}
	}
	for _, s := range []string{"arn:aws:iam::123456789013:root", "arn:azure:iam::123456789012:root", "arn:aws:iam::123456789012:user/root", "123456789012"} {
		if IsRootARN(s, "123456789012") {
			t.Errorf("IsRootARN(%s) = true", s)
		}
	}
	us := Identity{Region: "us-east-1"}
	cn := Identity{Region: "cn-north-1"}
	for _, tc := range []struct {
		arn  string
		id   Identity
		want bool
	}{
		{"arn:aws:sqs:us-east-1:123456789012:q", cn, true}, // a regional ARN's own region decides
		{"arn:aws-cn:sqs:cn-north-1:123456789012:q", us, true},
		{"arn:aws:sqs:cn-north-1:123456789012:q", cn, false},
		{"arn:aws-cn:sqs:us-east-1:123456789012:q", us, false},
		{"arn:aws:iam::123456789012:role/r", us, true},
		{"arn:aws:iam::123456789012:role/r", cn, false},
		{"arn:aws-cn:iam::123456789012:role/r", cn, true},
	} {
		a, _ := ParseARN(tc.arn)
		if got := InPartition(a, tc.id); got != tc.want {
			t.Errorf("InPartition(%s) in %s = %v, want %v", tc.arn, tc.id.Region, got, tc.want)
		}
	}
	if got, want := WithPartition("arn:aws:iam::123456789012:role/a:b", "aws-cn"), "arn:aws-cn:iam::123456789012:role/a:b"; got != want {
		t.Errorf("WithPartition: got %s, want %s", got, want)
	}
}
