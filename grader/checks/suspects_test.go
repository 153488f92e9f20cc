package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/labkit-dev/labkit/grader"
)

// TestFailedPrerequisiteIsNamed grades the whole of lab 2 after breaking
// API Gateway's permission to invoke the intake. Without the permission,
// the API checks get API Gateway's own 500, and their reasons start by
// naming the failed prerequisite api-permissions instead of leaving the
// learner with a 500. With a permission that is only too broad (no source
// ARN: any API could invoke the intake), api-permissions fails, but the API
// works, so the API checks pass and blame nothing.
func TestFailedPrerequisiteIsNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	for _, tc := range []struct {
		name       string
		mutate     func(ctx context.Context, d *deployment)
		wantAPI    grader.Status
		wantReason string
	}{
		{"no permission", removeIntakePermission, grader.Fail, `check "api-permissions" (API Gateway may invoke the intake and the authorizer) failed`},
		{"too broad a permission", func(ctx context.Context, d *deployment) {
			removeIntakePermission(ctx, d)
			_, err := d.lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(d.n("intakeFunction")), StatementId: aws.String("apigw-any"),
				Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com")})
			d.must(err, "add a permission without a source ARN")
		}, grader.Pass, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := startCloud(t)
			d := newDeployment(t, cfg, nil)
			d.lab1(ctx)
			d.lab2(ctx)
			tc.mutate(ctx, d)
			byID := map[string]grader.Result{}
			for _, r := range grade(t, cfg, nil, "lab2") {
				byID[r.CheckID] = r
			}
			if r := byID["api-permissions"]; r.Status != grader.Fail {
				t.Fatalf("api-permissions: got %s, want fail: %s", r.Status, r.Reason)
			}
			for _, id := range []string{"order-accepted", "bad-input-rejected", "replay-idempotent", "get-order"} {
				r := byID[id]
				if r.Status != tc.wantAPI {
					t.Errorf("%s: got %s, want %s: %s", id, r.Status, tc.wantAPI, r.Reason)
					continue
				}
				if tc.wantReason != "" && !strings.HasPrefix(r.Reason, tc.wantReason) {
					t.Errorf("%s: the reason does not start with the failed prerequisite (%q): %s", id, tc.wantReason, r.Reason)
				}
				t.Logf("%s: %s %s", id, r.Status, r.Reason)
			}
		})
	}
}
