package localcloud_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestSTSResponsesMatchBotocoreShapes drives STS's operations through the
// SDK and holds every XML answer to botocore's output shape for its
// operation.
func TestSTSResponsesMatchBotocoreShapes(t *testing.T) {
	m := conformance.LoadForTest(t, "sts")
	cfg := sdkConfig(startCloud(t))
	rcfg, rec := recording(cfg)
	ctx := context.Background()
	c := sts.NewFromConfig(rcfg)
	admin := iam.NewFromConfig(cfg)

	do(c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})).ok(t)
	role := lambdaRole(t, cfg, "shapes")
	do(admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("shapes"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)})).ok(t)
	do(c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("shapes"), DurationSeconds: aws.Int32(900),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})).ok(t)
	do(c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("tagged"), SourceIdentity: aws.String("ana"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("a")}}, TransitiveTagKeys: []string{"team"}})).ok(t)
	do(c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})).ok(t)
	do(c.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})).ok(t)
	do(c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})).ok(t)

	// Federation: an OpenID Connect token and a SAML response.
	do(admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{strings.Repeat("a", 40)}})).ok(t)
	oidc := do(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)})).ok(t)
	enc := base64.RawURLEncoding.EncodeToString
	token := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(`{"iss":"https://token.actions.githubusercontent.com","sub":"repo:org/app","aud":"sts.amazonaws.com","exp":`+
		strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)+`}`)) + "." + enc([]byte("signature"))
	do(c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: oidc.Role.Arn, RoleSessionName: aws.String("gh"), WebIdentityToken: aws.String(token)})).ok(t)
	p := do(admin.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(strings.Repeat("m", 1000))})).ok(t)
	sso := do(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sso"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"Federated":"` + aws.ToString(p.SAMLProviderArn) + `"},"Action":"sts:AssumeRoleWithSAML"}]}`)})).ok(t)
	do(c.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: sso.Role.Arn, PrincipalArn: p.SAMLProviderArn,
		SAMLAssertion: aws.String(samlAssertion("https://idp.example.com/saml", "ana@example.com", "ana", time.Now().Add(time.Hour)))})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "sts"), "DecodeAuthorizationMessage") // the local cloud encodes no messages
}

// samlAssertion is an identity provider's SAML 2.0 response for AWS, in
// base64, as AssumeRoleWithSAML takes it.
func samlAssertion(issuer, subject, session string, notOnOrAfter time.Time) string {
	doc := fmt.Sprintf(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
<saml:Issuer>%[1]s</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion><saml:Issuer>%[1]s</saml:Issuer>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">%[2]s</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%[4]s" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotOnOrAfter="%[4]s"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>%[3]s</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>
</saml:Assertion></samlp:Response>`, issuer, subject, session, notOnOrAfter.UTC().Format(time.RFC3339))
	return base64.StdEncoding.EncodeToString([]byte(doc))
}
