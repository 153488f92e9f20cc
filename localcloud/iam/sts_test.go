package iam_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/iam"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// serveWithResolver serves svc behind a router that resolves temporary
// credentials through svc, as the local cloud wires it.
func serveWithResolver(t testing.TB, svc *iam.Service) string {
	t.Helper()
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: cloudtest.Logger(t), Resolver: svc})
	rt.Handle(svc.Route())
	rt.Handle(svc.STSRoute())
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestGetCallerIdentity(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.STSRoute())
	for _, acct := range []string{"111111111111", "222222222222"} {
		c := sts.NewFromConfig(cloudtest.Config(url, acct, "us-east-1"))
		out, err := c.GetCallerIdentity(cloudtest.Context(t), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
		if got := aws.ToString(out.Account); got != acct {
			t.Errorf("got account %q, want %q", got, acct)
		}
		if got, want := aws.ToString(out.Arn), "arn:aws:iam::"+acct+":root"; got != want {
			t.Errorf("got arn %q, want %q", got, want)
		}
		if got := aws.ToString(out.UserId); got != acct {
			t.Errorf("got user id %q, want %q", got, acct)
		}
	}
}

func TestAssumeRole(t *testing.T) {
	t.Parallel()
	const owner, other, third = "111111111111", "222222222222", "333333333333"
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	ownerIAM := awsiam.NewFromConfig(cloudtest.Config(url, owner, "us-east-1"))

	crossTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + other + `:root"},"Action":"sts:AssumeRole"}]}`
	externalTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + other + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"class-42"}}}]}`
	grader := createRole(t, ownerIAM, "grader", crossTrust)
	createRole(t, ownerIAM, "grader-ext", externalTrust)
	createRole(t, ownerIAM, "lambda-only", trustLambda)

	otherSTS := sts.NewFromConfig(cloudtest.Config(url, other, "us-east-1"))
	thirdSTS := sts.NewFromConfig(cloudtest.Config(url, third, "us-east-1"))
	ownerSTS := sts.NewFromConfig(cloudtest.Config(url, owner, "us-east-1"))
	arn := func(name string) *string { return aws.String("arn:aws:iam::" + owner + ":role/" + name) }

	denied := []struct {
		name string
		c    *sts.Client
		in   *sts.AssumeRoleInput
	}{
		{"untrusted account", thirdSTS, &sts.AssumeRoleInput{RoleArn: arn("grader"), RoleSessionName: aws.String("s1")}},
		{"missing role", otherSTS, &sts.AssumeRoleInput{RoleArn: arn("nope"), RoleSessionName: aws.String("s1")}},
		{"service-only trust", otherSTS, &sts.AssumeRoleInput{RoleArn: arn("lambda-only"), RoleSessionName: aws.String("s1")}},
		{"no external id", otherSTS, &sts.AssumeRoleInput{RoleArn: arn("grader-ext"), RoleSessionName: aws.String("s1")}},
		{"wrong external id", otherSTS, &sts.AssumeRoleInput{RoleArn: arn("grader-ext"), RoleSessionName: aws.String("s1"), ExternalId: aws.String("class-43")}},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.AssumeRole(ctx, tt.in)
			if got := apiCode(err); got != "AccessDenied" {
				t.Errorf("got %v, want AccessDenied", err)
			}
		})
	}
	invalid := []*sts.AssumeRoleInput{
		{RoleArn: arn("grader"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(60)},
		{RoleArn: arn("grader"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)}, // over MaxSessionDuration
		{RoleArn: arn("grader"), RoleSessionName: aws.String("bad session")},
		{RoleArn: aws.String("arn:aws:sqs:us-east-1:111111111111:queue"), RoleSessionName: aws.String("s1")},
	}
	for i, in := range invalid {
		_, err := otherSTS.AssumeRole(ctx, in)
		if got := apiCode(err); got != "ValidationError" {
			t.Errorf("invalid input %d: got %v, want ValidationError", i, err)
		}
	}

	// Same account: allowed whatever the principal.
	if _, err := ownerSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: arn("lambda-only"), RoleSessionName: aws.String("self")}); err != nil {
		t.Errorf("same-account AssumeRole: %v", err)
	}
	if _, err := otherSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: arn("grader-ext"), RoleSessionName: aws.String("s1"), ExternalId: aws.String("class-42")}); err != nil {
		t.Errorf("AssumeRole with external id: %v", err)
	}

	out, err := otherSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: arn("grader"), RoleSessionName: aws.String("grading"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cr := out.Credentials
	if akid := aws.ToString(cr.AccessKeyId); len(akid) != 20 || !strings.HasPrefix(akid, "ASIA") {
		t.Errorf("got access key id %q, want ASIA + 16 characters", akid)
	}
	if aws.ToString(cr.SecretAccessKey) == "" || aws.ToString(cr.SessionToken) == "" {
		t.Errorf("got empty secret or token")
	}
	if d := time.Until(aws.ToTime(cr.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("got expiration in %v, want about 15m", d)
	}
	wantARN := "arn:aws:sts::" + owner + ":assumed-role/grader/grading"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("got assumed role arn %q, want %q", got, wantARN)
	}
	if got, want := aws.ToString(out.AssumedRoleUser.AssumedRoleId), aws.ToString(grader.RoleId)+":grading"; got != want {
		t.Errorf("got assumed role id %q, want %q", got, want)
	}

	// The temporary credentials act in the role's account.
	tmp := cloudtest.Config(url, owner, "us-east-1")
	tmp.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	who, err := sts.NewFromConfig(tmp).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with temporary credentials: %v", err)
	}
	if got := aws.ToString(who.Account); got != owner {
		t.Errorf("got account %q, want %q", got, owner)
	}
	if got := aws.ToString(who.Arn); got != wantARN {
		t.Errorf("got arn %q, want %q", got, wantARN)
	}
	if got, want := aws.ToString(who.UserId), aws.ToString(grader.RoleId)+":grading"; got != want {
		t.Errorf("got user id %q, want %q", got, want)
	}
	roles, err := awsiam.NewFromConfig(tmp).ListRoles(ctx, &awsiam.ListRolesInput{})
	if err != nil {
		t.Fatalf("ListRoles with temporary credentials: %v", err)
	}
	if got := len(roles.Roles); got != 3 {
		t.Errorf("got %d roles in the role's account, want 3", got)
	}
	if acct, ok := svc.AccountForAccessKey(ctx, aws.ToString(cr.AccessKeyId)); !ok || acct != owner {
		t.Errorf("AccountForAccessKey: got %q %v, want %q true", acct, ok, owner)
	}
	if _, ok := svc.AccountForAccessKey(ctx, "ASIANOTAKEY000000000"); ok {
		t.Errorf("AccountForAccessKey of an unknown key: got ok")
	}
}

func TestTemporaryCredentialsExpire(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	clock := func() time.Time { return now }
	svc, err := iam.New(iam.Config{DataDir: dir, Now: func() time.Time { return clock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	createRole(t, awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1")), "r", trustLambda)
	out, err := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + cloudtest.Account + ":role/r"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	akid := aws.ToString(out.Credentials.AccessKeyId)

	// Survives a restart.
	svc.Close()
	svc2, err := iam.New(iam.Config{DataDir: dir, Now: func() time.Time { return clock() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc2.Close() })
	if acct, ok := svc2.AccountForAccessKey(ctx, akid); !ok || acct != cloudtest.Account {
		t.Errorf("after reopen: got %q %v, want %q true", acct, ok, cloudtest.Account)
	}
	later := now.Add(901 * time.Second)
	clock = func() time.Time { return later }
	if _, ok := svc2.AccountForAccessKey(ctx, akid); ok {
		t.Errorf("expired key: got ok")
	}
	url2 := serveWithResolver(t, svc2)
	tmp := cloudtest.Config(url2, cloudtest.Account, "us-east-1")
	tmp.Credentials = credentials.NewStaticCredentialsProvider(akid, "x", "y")
	_, err = sts.NewFromConfig(tmp).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ExpiredToken" {
		t.Errorf("GetCallerIdentity with expired key: got %v, want ExpiredToken", err)
	}
}

func TestRoleTrustsService(t *testing.T) {
	t.Parallel()
	c, svc, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	lambdaRole := createRole(t, c, "fn", trustLambda)
	other := createRole(t, c, "other", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}`)
	tests := []struct {
		arn            string
		exists, trusts bool
	}{
		{aws.ToString(lambdaRole.Arn), true, true},
		{aws.ToString(other.Arn), true, false},
		{"arn:aws:iam::123456789012:role/missing", false, false},
		{"arn:aws:iam::999999999999:role/fn", false, false},
		{"not an arn", false, false},
	}
	for _, tt := range tests {
		exists, trusts := svc.RoleTrustsService(ctx, tt.arn, "lambda.amazonaws.com")
		if exists != tt.exists || trusts != tt.trusts {
			t.Errorf("%s: got exists=%v trusts=%v, want %v %v", tt.arn, exists, trusts, tt.exists, tt.trusts)
		}
	}
}

func TestGetSessionTokenAndAccessKeyInfo(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	c := sts.NewFromConfig(cloudtest.Config(url, "111111111111", "us-east-1"))
	out, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > time.Hour+time.Minute {
		t.Errorf("got a session of %v, want at most an hour for the account owner", d)
	}
	tmp := cloudtest.Config(url, "111111111111", "us-east-1")
	tmp.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	who, err := sts.NewFromConfig(tmp).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::111111111111:root" {
		t.Errorf("GetCallerIdentity with session credentials: got %+v %v, want the root of 111111111111", who, err)
	}
	_, err = sts.NewFromConfig(tmp).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if got := apiCode(err); got != "AccessDenied" {
		t.Errorf("GetSessionToken with session credentials: got %v, want AccessDenied", err)
	}
	for akid, want := range map[string]string{
		aws.ToString(out.Credentials.AccessKeyId): "111111111111",
		"222222222222":         "222222222222",
		"AKIAIOSFODNN7EXAMPLE": "123456789012",
	} {
		info, err := c.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(akid)})
		if err != nil || aws.ToString(info.Account) != want {
			t.Errorf("GetAccessKeyInfo %s: got %+v %v, want %s", akid, info, err, want)
		}
	}
}

// TestDecodeAuthorizationMessage: no local service encodes authorization
// failures, so every message is InvalidAuthorizationMessageException; a
// missing one is a ValidationError.
func TestDecodeAuthorizationMessage(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	c := sts.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.STSRoute()), cloudtest.Account, "us-east-1"))
	_, err := c.DecodeAuthorizationMessage(cloudtest.Context(t), &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("AbCdEf0123")})
	var inv *ststypes.InvalidAuthorizationMessageException
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want InvalidAuthorizationMessageException", err)
	}
	_, err = c.DecodeAuthorizationMessage(cloudtest.Context(t), &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("")})
	if code := apiCode(err); code != "ValidationError" {
		t.Errorf("empty message: got %v, want ValidationError", err)
	}
}

// TestPackedPolicySize: AssumeRole and GetFederationToken answer
// PackedPolicySize when a session policy is passed, and only then.
func TestPackedPolicySize(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	role := createRole(t, c, "r", trustLambda)
	s := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	plain, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
	require.NoError(t, err)
	assert.Nil(t, plain.PackedPolicySize)
	const policy = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}`
	scoped, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"), Policy: aws.String(policy)})
	require.NoError(t, err)
	require.NotNil(t, scoped.PackedPolicySize)
	assert.EqualValues(t, 5, *scoped.PackedPolicySize, "86 compacted characters of 2048, rounded up")
	fed, err := s.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), Policy: aws.String(policy)})
	require.NoError(t, err)
	assert.EqualValues(t, 5, aws.ToInt32(fed.PackedPolicySize))
}

// TestSessionPolicyVersion: a session policy follows the policy grammar,
// whose Version is optional (absent, the language is 2008-10-17: IAM User
// Guide, Version element); IAM's rule that policies it stores be
// 2012-10-17 does not apply to it. A version the language lacks is still
// a syntax error.
func TestSessionPolicyVersion(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	c := awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + cloudtest.Account + `:root"},"Action":"sts:AssumeRole"}}`
	role := createRole(t, c, "r", trust)
	s := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	const st = `"Statement":[{"Sid":"List","Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::example-bucket"]}]`
	for _, doc := range []string{`{` + st + `}`, `{"Version":"2008-10-17",` + st + `}`} {
		_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"), Policy: aws.String(doc)})
		require.NoError(t, err, "AssumeRole with session policy %s", doc)
		_, err = s.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), Policy: aws.String(doc)})
		require.NoError(t, err, "GetFederationToken with session policy %s", doc)
	}
	_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"), Policy: aws.String(`{"Version":"2013-10-17",` + st + `}`)})
	cloudtest.APIError(t, err, "MalformedPolicyDocument", "Syntax errors in policy.")
	_, err = c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{` + st + `}`)})
	cloudtest.APIError(t, err, "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater.")
}

// TestAssumeRoleSourceIdentity: AssumeRole answers the SourceIdentity the
// caller set (STS API reference, AssumeRole response elements:
// "SourceIdentity: The source identity specified by the principal that is
// calling the AssumeRole operation"), and none when none was set.
func TestAssumeRoleSourceIdentity(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	role := createRole(t, awsiam.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1")), "audited",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+cloudtest.Account+`"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)
	c := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("ana@example.com")})
	require.NoError(t, err)
	assert.Equal(t, "ana@example.com", aws.ToString(out.SourceIdentity))
	out, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s2")})
	require.NoError(t, err)
	assert.Nil(t, out.SourceIdentity)
}
