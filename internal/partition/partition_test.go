package partition

import "testing"

// TestOf: a region's partition is the one whose regionRegex in botocore's
// data/partitions.json matches it (or whose pseudo region, aws-cn-global...,
// it is); anything else is aws.
func TestOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ region, want string }{
		{"us-east-1", "aws"},
		{"eu-west-3", "aws"},
		{"il-central-1", "aws"},
		{"mx-central-1", "aws"},
		{"aws-global", "aws"},
		{"", "aws"},
		{"not-a-region", "aws"},
		{"cn-north-1", "aws-cn"},
		{"cn-northwest-1", "aws-cn"},
		{"aws-cn-global", "aws-cn"},
		{"us-gov-west-1", "aws-us-gov"},
		{"us-gov-east-1", "aws-us-gov"},
		{"us-iso-east-1", "aws-iso"},
		{"us-iso-west-1", "aws-iso"},
		{"us-isob-east-1", "aws-iso-b"},
		{"eu-isoe-west-1", "aws-iso-e"},
		{"us-isof-south-1", "aws-iso-f"},
		{"eusc-de-east-1", "aws-eusc"},
	} {
		if got := Of(tc.region); got != tc.want {
			t.Errorf("Of(%q) = %s, want %s", tc.region, got, tc.want)
		}
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"} {
		if !Valid(p) {
			t.Errorf("Valid(%q) = false", p)
		}
	}
	for _, p := range []string{"", "azure", "AWS", "aws-", "aws-moon"} {
		if Valid(p) {
			t.Errorf("Valid(%q) = true", p)
		}
	}
}
