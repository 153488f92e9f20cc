package grader

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestHintsNameThePartition: a failed check's hints write ARNs in the
// partition of the region graded (arn:aws-cn: in the China regions,
// arn:aws-us-gov: in GovCloud), whatever the manifest wrote.
func TestHintsNameThePartition(t *testing.T) {
	lib := testLibrary()
	always, _ := lib.Kind("always")
	hint := "Put an inline policy on order-publisher-role with those actions on arn:aws:dynamodb:<region>:<account>:table/Orders/stream/*; attach arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole."
	for region, want := range map[string]string{
		"us-east-1":      hint,
		"cn-northwest-1": "Put an inline policy on order-publisher-role with those actions on arn:aws-cn:dynamodb:<region>:<account>:table/Orders/stream/*; attach arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole.",
		"us-gov-west-1":  "Put an inline policy on order-publisher-role with those actions on arn:aws-us-gov:dynamodb:<region>:<account>:table/Orders/stream/*; attach arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole.",
	} {
		t.Run(region, func(t *testing.T) {
			c := &Check{Lab: "l", ID: "scope", Title: "Scope", Points: 3, Kind: always, Params: Params{"verdict": "fail"}, Hints: []string{"Reading a stream takes four actions.", hint}}
			rs := Run(context.Background(), &Env{AWS: aws.Config{Region: region}}, []*Check{c}, 1, nil)
			if len(rs) != 1 || rs[0].Status != Fail || len(rs[0].Hints) != 2 {
				t.Fatalf("got %+v, want one failed check with two hints", rs)
			}
			if got := rs[0].Hints[1]; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if c.Hints[1] != hint {
				t.Errorf("the check's own hints changed: %q", c.Hints[1])
			}
		})
	}
}
