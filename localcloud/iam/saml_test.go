package iam_test

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// samlResponse is an identity provider's SAML 2.0 response for AWS, base64.
func samlResponse(issuer, subject, session string, notOnOrAfter time.Time) string {
	doc := fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<saml:Issuer>%[1]s</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion><saml:Issuer>%[1]s</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">%[2]s</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%[4]s" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotOnOrAfter="%[4]s"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>%[3]s</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>900</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>
</saml:Assertion></samlp:Response>`, issuer, subject, session, notOnOrAfter.UTC().Format(time.RFC3339))
	return base64.StdEncoding.EncodeToString([]byte(doc))
}

// TestAssumeRoleWithSAML: an unsigned exchange of an identity provider's
// SAML response for a role's credentials, checked against the account's
// SAML provider and the role's trust policy (SAML:aud), answering the
// subject, its type, issuer, audience and NameQualifier as STS does.
func TestAssumeRoleWithSAML(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	endpoint := serveWithResolver(t, svc)
	ctx := cloudtest.Context(t)
	c := awsiam.NewFromConfig(cloudtest.Config(endpoint, cloudtest.Account, "us-east-1"))
	p, err := c.CreateSAMLProvider(ctx, &awsiam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(strings.Repeat("m", 1000))})
	require.NoError(t, err)
	provider := aws.ToString(p.SAMLProviderArn)
	role := createRole(t, c, "sso", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+provider+`"},
		"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`)
	createRole(t, c, "other", trustLambda)

	anon := cloudtest.Config(endpoint, cloudtest.Account, "us-east-1")
	anon.Credentials = aws.AnonymousCredentials{}
	s := sts.NewFromConfig(anon)
	const issuer = "https://idp.example.com/saml"
	later := time.Now().Add(time.Hour)
	out, err := s.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: role.Arn, PrincipalArn: aws.String(provider),
		SAMLAssertion: aws.String(samlResponse(issuer, "ana@example.com", "ana", later))})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::"+cloudtest.Account+":assumed-role/sso/ana", aws.ToString(out.AssumedRoleUser.Arn))
	assert.Equal(t, "ana@example.com", aws.ToString(out.Subject))
	assert.Equal(t, "persistent", aws.ToString(out.SubjectType))
	assert.Equal(t, issuer, aws.ToString(out.Issuer))
	assert.Equal(t, "https://signin.aws.amazon.com/saml", aws.ToString(out.Audience))
	sum := sha1.Sum([]byte(issuer + cloudtest.Account + "/corp"))
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(out.NameQualifier))
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), aws.ToTime(out.Credentials.Expiration), time.Minute, "the SessionDuration attribute")

	for _, tt := range []struct {
		name, roleArn, provider, assertion, code string
	}{
		{"role that does not trust the provider", "arn:aws:iam::" + cloudtest.Account + ":role/other", provider, samlResponse(issuer, "ana", "ana", later), "AccessDenied"},
		{"missing provider", aws.ToString(role.Arn), "arn:aws:iam::" + cloudtest.Account + ":saml-provider/none", samlResponse(issuer, "ana", "ana", later), "InvalidIdentityToken"},
		{"not base64", aws.ToString(role.Arn), provider, "not base64!", "InvalidIdentityToken"},
		{"no session name", aws.ToString(role.Arn), provider, samlResponse(issuer, "ana", "", later), "InvalidIdentityToken"},
		{"expired", aws.ToString(role.Arn), provider, samlResponse(issuer, "ana", "ana", time.Now().Add(-time.Minute)), "ExpiredTokenException"},
	} {
		_, err := s.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(tt.roleArn), PrincipalArn: aws.String(tt.provider), SAMLAssertion: aws.String(tt.assertion)})
		assert.Equal(t, tt.code, apiCode(err), "%s: %v", tt.name, err)
	}
}
