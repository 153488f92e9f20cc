package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/iam"
)

const trustLambda = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const logsPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:*"}]
}`

func newService(t testing.TB, dir string) *iam.Service {
	t.Helper()
	svc, err := iam.New(iam.Config{DataDir: dir, Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatalf("iam.New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// newIAM serves a fresh service and returns an IAM client for account.
func newIAM(t testing.TB, account string) (*awsiam.Client, *iam.Service, string) {
	t.Helper()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route(), svc.STSRoute())
	return awsiam.NewFromConfig(cloudtest.Config(url, account, "us-east-1")), svc, url
}

func createRole(t testing.TB, c *awsiam.Client, name, trust string) *types.Role {
	t.Helper()
	out, err := c.CreateRole(context.Background(), &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return out.Role
}

func decodeDoc(t testing.TB, enc string) string {
	t.Helper()
	d, err := url.QueryUnescape(enc)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", enc, err)
	}
	return d
}

func sameJSON(t testing.TB, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got document %q is not JSON: %v", got, err)
	}
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got document %s, want %s", got, want)
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestRoleLifecycle(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)

	out, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{
		RoleName:                 aws.String("orders-fn"),
		Path:                     aws.String("/lab/"),
		AssumeRolePolicyDocument: aws.String(trustLambda),
		Description:              aws.String("runs the orders function"),
		MaxSessionDuration:       aws.Int32(7200),
		Tags:                     []types.Tag{{Key: aws.String("lab"), Value: aws.String("1")}},
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	r := out.Role
	if got, want := aws.ToString(r.Arn), "arn:aws:iam::123456789012:role/lab/orders-fn"; got != want {
		t.Errorf("got arn %q, want %q", got, want)
	}
	if id := aws.ToString(r.RoleId); len(id) != 21 || !strings.HasPrefix(id, "AROA") {
		t.Errorf("got role id %q, want AROA + 17 characters", id)
	}
	if r.CreateDate == nil || r.CreateDate.IsZero() {
		t.Errorf("got no CreateDate")
	}

	_, err = c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("ORDERS-FN"), AssumeRolePolicyDocument: aws.String(trustLambda)})
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateRole duplicate: got %v, want EntityAlreadyExistsException", err)
	}

	got, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("orders-fn")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	sameJSON(t, decodeDoc(t, aws.ToString(got.Role.AssumeRolePolicyDocument)), trustLambda)
	if got, want := aws.ToInt32(got.Role.MaxSessionDuration), int32(7200); got != want {
		t.Errorf("got MaxSessionDuration %d, want %d", got, want)
	}
	if got, want := aws.ToString(got.Role.Description), "runs the orders function"; got != want {
		t.Errorf("got description %q, want %q", got, want)
	}
	if len(got.Role.Tags) != 1 || aws.ToString(got.Role.Tags[0].Key) != "lab" {
		t.Errorf("got tags %+v, want lab=1", got.Role.Tags)
	}

	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("orders-fn"), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatalf("UpdateAssumeRolePolicy: %v", err)
	}
	got, _ = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("orders-fn")})
	sameJSON(t, decodeDoc(t, aws.ToString(got.Role.AssumeRolePolicyDocument)), newTrust)

	if _, err := c.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("orders-fn"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("lab"), Value: aws.String("2")}}}); err != nil {
		t.Fatalf("TagRole: %v", err)
	}
	if _, err := c.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: aws.String("orders-fn"), TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagRole: %v", err)
	}
	tags, err := c.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("orders-fn")})
	if err != nil {
		t.Fatalf("ListRoleTags: %v", err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "2" {
		t.Errorf("got tags %+v, want only lab=2", tags.Tags)
	}

	if _, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("orders-fn")}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	_, err = c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("orders-fn")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetRole after delete: got %v, want NoSuchEntityException", err)
	}
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("orders-fn")})
	if !errors.As(err, &nse) {
		t.Errorf("DeleteRole twice: got %v, want NoSuchEntityException", err)
	}
}

func TestListRolesPaging(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	for i := 0; i < 7; i++ {
		path := "/a/"
		if i%2 == 1 {
			path = "/b/"
		}
		_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role-%d", i)), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trustLambda)})
		if err != nil {
			t.Fatalf("CreateRole: %v", err)
		}
	}
	var names []string
	pages := 0
	p := awsiam.NewListRolesPaginator(c, &awsiam.ListRolesInput{MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
		pages++
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
		}
	}
	if want := []string{"role-0", "role-1", "role-2", "role-3", "role-4", "role-5", "role-6"}; !reflect.DeepEqual(names, want) || pages != 3 {
		t.Errorf("got %v in %d pages, want %v in 3", names, pages, want)
	}
	out, err := c.ListRoles(ctx, &awsiam.ListRolesInput{PathPrefix: aws.String("/b/")})
	if err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	if got := len(out.Roles); got != 3 {
		t.Errorf("got %d roles under /b/, want 3", got)
	}
}

func TestInlinePolicies(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "fn", trustLambda)

	if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	got, err := c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("logs")})
	if err != nil {
		t.Fatalf("GetRolePolicy: %v", err)
	}
	if doc := decodeDoc(t, aws.ToString(got.PolicyDocument)); doc != logsPolicy {
		t.Errorf("got document %q, want %q", doc, logsPolicy)
	}
	list, err := c.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String("fn")})
	if err != nil {
		t.Fatalf("ListRolePolicies: %v", err)
	}
	if !reflect.DeepEqual(list.PolicyNames, []string{"logs"}) {
		t.Errorf("got policy names %v, want [logs]", list.PolicyNames)
	}

	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("fn")})
	var conflict *types.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("DeleteRole with inline policy: got %v, want DeleteConflictException", err)
	}
	_, err = c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("nope")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetRolePolicy missing: got %v, want NoSuchEntityException", err)
	}
	if _, err := c.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("logs")}); err != nil {
		t.Fatalf("DeleteRolePolicy: %v", err)
	}
	if _, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("fn")}); err != nil {
		t.Errorf("DeleteRole: %v", err)
	}
}

func TestMalformedPolicyDocuments(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "fn", trustLambda)
	for name, doc := range map[string]string{
		"not json":        `{"Version": "2012-10-17",`,
		"no version":      `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"bad version":     `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"no statement":    `{"Version":"2012-10-17"}`,
		"empty statement": `{"Version":"2012-10-17","Statement":[]}`,
		"bad effect":      `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
		"array":           `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			var mal *types.MalformedPolicyDocumentException
			if !errors.As(err, &mal) {
				t.Errorf("PutRolePolicy: got %v, want MalformedPolicyDocumentException", err)
			}
			_, err = c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
			if !errors.As(err, &mal) {
				t.Errorf("CreatePolicy: got %v, want MalformedPolicyDocumentException", err)
			}
			_, err = c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(doc)})
			if !errors.As(err, &mal) {
				t.Errorf("CreateRole: got %v, want MalformedPolicyDocumentException", err)
			}
		})
	}
}

func TestPolicyKindRules(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "fn", trustLambda)
	identity := map[string]string{
		"principal":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`,
		"no resource": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`,
		"no action":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		"no vendor":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`,
	}
	for name, doc := range identity {
		_, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		var mal *types.MalformedPolicyDocumentException
		if !errors.As(err, &mal) {
			t.Errorf("identity policy with %s: got %v, want MalformedPolicyDocumentException", name, err)
		}
	}
	trust := map[string]string{
		"resource":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`,
		"no principal": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`,
	}
	for name, doc := range trust {
		_, err := c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("fn"), PolicyDocument: aws.String(doc)})
		var mal *types.MalformedPolicyDocumentException
		if !errors.As(err, &mal) {
			t.Errorf("trust policy with %s: got %v, want MalformedPolicyDocumentException", name, err)
		}
	}
	// NotAction and NotResource count, and an escaped document is accepted.
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"logs:*","NotResource":"arn:aws:logs:*:*:*"}]}`
	if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("fn"), PolicyName: aws.String("p"), PolicyDocument: aws.String(url.QueryEscape(ok))}); err != nil {
		t.Errorf("PutRolePolicy: %v", err)
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"bad role name", func() error {
			_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("bad name!"), AssumeRolePolicyDocument: aws.String(trustLambda)})
			return err
		}, "ValidationError"},
		{"long role name", func() error {
			_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(strings.Repeat("a", 65)), AssumeRolePolicyDocument: aws.String(trustLambda)})
			return err
		}, "ValidationError"},
		{"bad path", func() error {
			_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), Path: aws.String("nope"), AssumeRolePolicyDocument: aws.String(trustLambda)})
			return err
		}, "ValidationError"},
		{"max session too short", func() error {
			_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), MaxSessionDuration: aws.Int32(60), AssumeRolePolicyDocument: aws.String(trustLambda)})
			return err
		}, "ValidationError"},
		{"bad scope", func() error {
			_, err := c.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: "Everything"})
			return err
		}, "ValidationError"},
		{"bad policy arn", func() error {
			_, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:sqs:us-east-1:123456789012:q")})
			return err
		}, "InvalidInput"},
		{"max items", func() error {
			_, err := c.ListRoles(ctx, &awsiam.ListRolesInput{MaxItems: aws.Int32(5000)})
			return err
		}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apiCode(tt.call()); got != tt.code {
				t.Errorf("got code %q, want %q", got, tt.code)
			}
		})
	}
}

func TestManagedPolicies(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	tests := []struct {
		arn     string
		actions []string
	}{
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "logs:PutLogEvents"}},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole", []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "logs:CreateLogStream"}},
		{"arn:aws:iam::aws:policy/AWSLambdaExecute", []string{"logs:*", "s3:GetObject"}},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", []string{"dynamodb:Describe*", "sqs:Get*"}},
	}
	for _, tt := range tests {
		t.Run(tt.arn[strings.LastIndex(tt.arn, "/")+1:], func(t *testing.T) {
			p, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(tt.arn)})
			if err != nil {
				t.Fatalf("GetPolicy: %v", err)
			}
			if got := aws.ToString(p.Policy.Arn); got != tt.arn {
				t.Errorf("got arn %q, want %q", got, tt.arn)
			}
			v, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(tt.arn), VersionId: p.Policy.DefaultVersionId})
			if err != nil {
				t.Fatalf("GetPolicyVersion: %v", err)
			}
			doc := decodeDoc(t, aws.ToString(v.PolicyVersion.Document))
			if !v.PolicyVersion.IsDefaultVersion {
				t.Errorf("got IsDefaultVersion false, want true")
			}
			for _, a := range tt.actions {
				if !strings.Contains(doc, `"`+a+`"`) {
					t.Errorf("document %s lacks action %s", doc, a)
				}
			}
		})
	}
	_, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("GetPolicy unknown: got %v, want NoSuchEntityException", err)
	}
}

func TestCustomerManagedPolicies(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	createRole(t, c, "fn", trustLambda)

	out, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("orders-write"), Path: aws.String("/lab/"), PolicyDocument: aws.String(logsPolicy), Description: aws.String("d")})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	arn := aws.ToString(out.Policy.Arn)
	if want := "arn:aws:iam::123456789012:policy/lab/orders-write"; arn != want {
		t.Errorf("got arn %q, want %q", arn, want)
	}
	if got := aws.ToString(out.Policy.DefaultVersionId); got != "v1" {
		t.Errorf("got default version %q, want v1", got)
	}
	_, err = c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("orders-write"), PolicyDocument: aws.String(logsPolicy)})
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreatePolicy duplicate: got %v, want EntityAlreadyExistsException", err)
	}

	v2doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}}`
	v2, err := c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(v2doc), SetAsDefault: true})
	if err != nil {
		t.Fatalf("CreatePolicyVersion: %v", err)
	}
	if got := aws.ToString(v2.PolicyVersion.VersionId); got != "v2" || !v2.PolicyVersion.IsDefaultVersion {
		t.Errorf("got version %q default=%v, want v2 default", got, v2.PolicyVersion.IsDefaultVersion)
	}
	for i := 3; i <= 5; i++ {
		if _, err := c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(logsPolicy)}); err != nil {
			t.Fatalf("CreatePolicyVersion %d: %v", i, err)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(logsPolicy)})
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("sixth version: got %v, want LimitExceededException", err)
	}
	vers, err := c.ListPolicyVersions(ctx, &awsiam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListPolicyVersions: %v", err)
	}
	if got := len(vers.Versions); got != 5 {
		t.Errorf("got %d versions, want 5", got)
	}
	_, err = c.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	var conflict *types.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("delete default version: got %v, want DeleteConflictException", err)
	}
	pv, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	sameJSON(t, decodeDoc(t, aws.ToString(pv.PolicyVersion.Document)), v2doc)

	basic := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	for _, a := range []string{arn, basic} {
		if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", a, err)
		}
	}
	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/missing")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("attach missing policy: got %v, want NoSuchEntityException", err)
	}
	att, err := c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("fn")})
	if err != nil {
		t.Fatalf("ListAttachedRolePolicies: %v", err)
	}
	var names []string
	for _, a := range att.AttachedPolicies {
		names = append(names, aws.ToString(a.PolicyName))
	}
	if want := []string{"AWSLambdaBasicExecutionRole", "orders-write"}; !reflect.DeepEqual(names, want) {
		t.Errorf("got attached %v, want %v", names, want)
	}

	local, err := c.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal})
	if err != nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	if len(local.Policies) != 1 || aws.ToInt32(local.Policies[0].AttachmentCount) != 1 {
		t.Errorf("got local policies %+v, want orders-write attached once", local.Policies)
	}
	attached, err := c.ListPolicies(ctx, &awsiam.ListPoliciesInput{OnlyAttached: true})
	if err != nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	if got := len(attached.Policies); got != 2 {
		t.Errorf("got %d attached policies, want 2", got)
	}
	awsOnly, err := c.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, PathPrefix: aws.String("/service-role/")})
	if err != nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	if len(awsOnly.Policies) < 3 {
		t.Errorf("got %d AWS service-role policies, want at least 3", len(awsOnly.Policies))
	}
	ents, err := c.ListEntitiesForPolicy(ctx, &awsiam.ListEntitiesForPolicyInput{PolicyArn: aws.String(basic)})
	if err != nil {
		t.Fatalf("ListEntitiesForPolicy: %v", err)
	}
	if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "fn" {
		t.Errorf("got roles %+v, want fn", ents.PolicyRoles)
	}

	_, err = c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	if !errors.As(err, &conflict) {
		t.Errorf("delete attached policy: got %v, want DeleteConflictException", err)
	}
	_, err = c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("fn")})
	if !errors.As(err, &conflict) {
		t.Errorf("delete role with attached policies: got %v, want DeleteConflictException", err)
	}
	for _, a := range []string{arn, basic} {
		if _, err := c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatalf("DetachRolePolicy: %v", err)
		}
	}
	_, err = c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String(basic)})
	if !errors.As(err, &nse) {
		t.Errorf("detach twice: got %v, want NoSuchEntityException", err)
	}
	_, err = c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	if !errors.As(err, &conflict) {
		t.Errorf("delete policy with versions: got %v, want DeleteConflictException", err)
	}
	for _, v := range []string{"v1", "v3", "v4", "v5"} {
		if _, err := c.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)}); err != nil {
			t.Fatalf("DeletePolicyVersion %s: %v", v, err)
		}
	}
	if _, err := c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeletePolicy: %v", err)
	}
	_, err = c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if !errors.As(err, &nse) {
		t.Errorf("GetPolicy after delete: got %v, want NoSuchEntityException", err)
	}
}

func TestAccountsAreIsolated(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route())
	a := awsiam.NewFromConfig(cloudtest.Config(url, "111111111111", "us-east-1"))
	b := awsiam.NewFromConfig(cloudtest.Config(url, "222222222222", "eu-west-1"))
	aWest := awsiam.NewFromConfig(cloudtest.Config(url, "111111111111", "eu-west-1"))
	ctx := cloudtest.Context(t)
	createRole(t, a, "shared-name", trustLambda)
	_, err := b.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("shared-name")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Errorf("other account GetRole: got %v, want NoSuchEntityException", err)
	}
	createRole(t, b, "shared-name", trustLambda)
	// IAM is global: the same account sees its role from any region.
	r, err := aWest.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("shared-name")})
	if err != nil {
		t.Fatalf("GetRole from another region: %v", err)
	}
	if got, want := aws.ToString(r.Role.Arn), "arn:aws:iam::111111111111:role/shared-name"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p, err := a.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(logsPolicy)})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	_, err = b.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: p.Policy.Arn})
	if !errors.As(err, &nse) {
		t.Errorf("other account GetPolicy: got %v, want NoSuchEntityException", err)
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, err := iam.New(iam.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	url := cloudtest.Serve(t, svc.Route())
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	created := createRole(t, c, "OrdersFn", trustLambda)
	if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("OrdersFn"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(logsPolicy)}); err != nil {
		t.Fatal(err)
	}
	p, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("OrdersWrite"), PolicyDocument: aws.String(logsPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("OrdersFn"), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	svc.Close()

	svc2 := newService(t, dir)
	c2 := awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc2.Route()), cloudtest.Account, "us-east-1"))
	r, err := c2.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("OrdersFn")})
	if err != nil {
		t.Fatalf("GetRole after reopen: %v", err)
	}
	if got, want := aws.ToString(r.Role.RoleId), aws.ToString(created.RoleId); got != want {
		t.Errorf("got role id %q, want %q", got, want)
	}
	doc, err := c2.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("OrdersFn"), PolicyName: aws.String("logs")})
	if err != nil {
		t.Fatalf("GetRolePolicy after reopen: %v", err)
	}
	if got := decodeDoc(t, aws.ToString(doc.PolicyDocument)); got != logsPolicy {
		t.Errorf("got %q, want %q", got, logsPolicy)
	}
	att, err := c2.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("OrdersFn")})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Errorf("got attached %+v (%v), want 1", att, err)
	}
	v, err := c2.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: p.Policy.Arn, VersionId: aws.String("v1")})
	if err != nil {
		t.Fatalf("GetPolicyVersion after reopen: %v", err)
	}
	if got := decodeDoc(t, aws.ToString(v.PolicyVersion.Document)); got != logsPolicy {
		t.Errorf("got %q, want %q", got, logsPolicy)
	}
}
