package iam_test

import (
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestCLI(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route(), svc.STSRoute())

	var created struct {
		Role struct {
			RoleName, Arn, RoleId    string
			AssumeRolePolicyDocument map[string]any
		}
	}
	cloudtest.CLIJSON(t, url, cloudtest.Account, &created, "iam", "create-role", "--role-name", "orders-fn",
		"--assume-role-policy-document", trustLambda)
	if got, want := created.Role.Arn, "arn:aws:iam::123456789012:role/orders-fn"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	if got := created.Role.AssumeRolePolicyDocument["Version"]; got != "2012-10-17" {
		t.Errorf("CLI decoded trust policy Version %v, want 2012-10-17", got)
	}

	cloudtest.CLIJSON(t, url, cloudtest.Account, nil, "iam", "put-role-policy", "--role-name", "orders-fn",
		"--policy-name", "logs", "--policy-document", logsPolicy)
	var got struct {
		RoleName, PolicyName string
		PolicyDocument       struct {
			Version   string
			Statement []struct{ Effect, Resource string }
		}
	}
	cloudtest.CLIJSON(t, url, cloudtest.Account, &got, "iam", "get-role-policy", "--role-name", "orders-fn", "--policy-name", "logs")
	if got.PolicyName != "logs" || got.PolicyDocument.Version != "2012-10-17" || len(got.PolicyDocument.Statement) != 1 ||
		got.PolicyDocument.Statement[0].Resource != "arn:aws:logs:*:*:*" {
		t.Errorf("got %+v, want the logs policy back", got)
	}

	var who struct{ Account, Arn, UserId string }
	cloudtest.CLIJSON(t, url, "210987654321", &who, "sts", "get-caller-identity")
	if who.Account != "210987654321" || who.Arn != "arn:aws:iam::210987654321:root" {
		t.Errorf("got %+v, want account 210987654321 root", who)
	}
}

// TestCLILoginProfileResetFlag: GetLoginProfile leaves PasswordResetRequired
// out until it is set, as the IAM API reference's GetLoginProfile example
// answers, and shows it once UpdateLoginProfile sets it.
func TestCLILoginProfileResetFlag(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route(), svc.STSRoute())
	cloudtest.CLIJSON(t, url, cloudtest.Account, nil, "iam", "create-user", "--user-name", "ana")
	cloudtest.CLIJSON(t, url, cloudtest.Account, nil, "iam", "create-login-profile", "--user-name", "ana", "--password", "Correct-horse-9")
	var got struct{ LoginProfile map[string]any }
	cloudtest.CLIJSON(t, url, cloudtest.Account, &got, "iam", "get-login-profile", "--user-name", "ana")
	if _, ok := got.LoginProfile["PasswordResetRequired"]; ok || got.LoginProfile["UserName"] != "ana" {
		t.Fatalf("get-login-profile = %v, want ana's profile without PasswordResetRequired", got.LoginProfile)
	}
	cloudtest.CLIJSON(t, url, cloudtest.Account, nil, "iam", "update-login-profile", "--user-name", "ana", "--password-reset-required")
	cloudtest.CLIJSON(t, url, cloudtest.Account, &got, "iam", "get-login-profile", "--user-name", "ana")
	if got.LoginProfile["PasswordResetRequired"] != true {
		t.Fatalf("get-login-profile after update-login-profile --password-reset-required = %v", got.LoginProfile)
	}
}
