package iam_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestGetFederationToken(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	c := sts.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	out, err := c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("ana")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+cloudtest.Account+":federated-user/ana", aws.ToString(out.FederatedUser.Arn))
	assert.Equal(t, cloudtest.Account+":ana", aws.ToString(out.FederatedUser.FederatedUserId))
	_, err = c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("a")})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value 'a' at 'name' failed to satisfy constraint: Member must have length between 2 and 32")
	// Policy is the model's sessionPolicyDocumentType, at most 2,048
	// characters, white space included: longer is a ValidationError.
	long := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}` + strings.Repeat(" ", 2000)
	_, err = c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("ana"), Policy: aws.String(long)})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value '"+long+"' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048")

	fed := cloudtest.Config(url, cloudtest.Account, "us-east-1")
	fed.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	me, err := sts.NewFromConfig(fed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+cloudtest.Account+":federated-user/ana", aws.ToString(me.Arn))
	_, err = sts.NewFromConfig(fed).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob")})
	cloudtest.APIError(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
}

// jwt builds an unsigned-looking ID token with the given claims.
func jwt(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(b) + "." + enc([]byte("signature"))
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	endpoint := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	c := awsiam.NewFromConfig(cloudtest.Config(endpoint, cloudtest.Account, "us-east-1"))
	_, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{strings.Repeat("a", 40)}})
	require.NoError(t, err)
	provider := "arn:aws:iam::" + cloudtest.Account + ":oidc-provider/token.actions.githubusercontent.com"
	role := createRole(t, c, "deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+provider+`"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
		"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}]}`)

	// The call is unsigned, as the SDKs make it: the caller has no credentials yet.
	anon := cloudtest.Config(endpoint, cloudtest.Account, "us-east-1")
	anon.Credentials = aws.AnonymousCredentials{}
	s := sts.NewFromConfig(anon)
	exp := time.Now().Add(time.Hour).Unix()
	good := map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:org/app:ref:refs/heads/main", "aud": "sts.amazonaws.com", "exp": exp}
	out, err := s.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn, RoleSessionName: aws.String("gh"), WebIdentityToken: aws.String(jwt(good))})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+cloudtest.Account+":assumed-role/deploy/gh", aws.ToString(out.AssumedRoleUser.Arn))
	assert.Equal(t, "repo:org/app:ref:refs/heads/main", aws.ToString(out.SubjectFromWebIdentityToken))
	assert.Equal(t, "sts.amazonaws.com", aws.ToString(out.Audience))
	assumed := cloudtest.Config(endpoint, cloudtest.Account, "us-east-1")
	assumed.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	me, err := sts.NewFromConfig(assumed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(me.Arn))

	with := func(k string, v any) string {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return jwt(m)
	}
	for _, tt := range []struct{ token, code, msg string }{
		{with("sub", "repo:other/app"), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{with("aud", "someone-else"), "InvalidIdentityToken", "Incorrect token audience"},
		{with("iss", "https://other.example"), "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://other.example"},
		{"not-a-token", "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"},
	} {
		_, err := s.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn, RoleSessionName: aws.String("gh"), WebIdentityToken: aws.String(tt.token)})
		cloudtest.APIError(t, err, tt.code, tt.msg)
	}
	_, err = s.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn, RoleSessionName: aws.String("gh"), WebIdentityToken: aws.String(with("exp", time.Now().Add(-time.Minute).Unix()))})
	assert.Equal(t, "ExpiredTokenException", apiCode(err))

	// Only the web identity exchange goes unsigned: an unsigned AssumeRole
	// is still refused.
	resp, err := http.Post(endpoint+"/", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn": {aws.ToString(role.Arn)}, "RoleSessionName": {"x"}}.Encode()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}
