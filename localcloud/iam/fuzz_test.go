package iam_test

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/iam"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// FuzzQueryRequest sends arbitrary IAM and STS form bodies: every answer must
// be well-formed XML and never a 500.
func FuzzQueryRequest(f *testing.F) {
	seeds := []string{
		"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%7D%5D%7D",
		"Action=GetRole&Version=2010-05-08&RoleName=r",
		"Action=PutRolePolicy&Version=2010-05-08&RoleName=r&PolicyName=p&PolicyDocument=%7B",
		"Action=ListRoles&Version=2010-05-08&MaxItems=-1&Marker=%%%",
		"Action=ListRoles&Version=2010-05-08&Marker=cm9sZQ",
		"Action=TagRole&Version=2010-05-08&RoleName=r&Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.99999999999999999999.Key=x",
		"Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%7D%7D",
		"Action=GetPolicy&Version=2010-05-08&PolicyArn=arn:aws:iam::aws:policy/",
		"Action=AttachRolePolicy&Version=2010-05-08&RoleName=r&PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess",
		"Action=ListPolicies&Version=2010-05-08&Scope=AWS&OnlyAttached=maybe",
		"Action=ListPolicyVersions&Version=2010-05-08&PolicyArn=arn:aws:iam::aws:policy/AWSLambdaExecute",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s1&DurationSeconds=99999999999999999999",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s1&ExternalId=",
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=900",
		"Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=ASIAAAAAAAAAAAAAAAAA",
		"Action=Nope&Version=2010-05-08",
		"Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn:aws:iam::000000000000:role/r&ActionNames.member.1=s3:*&ResourceArns.member.1=*a*a*a*",
		"Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=x",
		"Action=CreateRole&Version=2010-05-08&RoleName=%ff%fe&Path=%00",
		"%zz",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	svc, err := iam.New(iam.Config{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	// No test logger: the fuzz target may not log through f.
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Resolver: svc})
	rt.Handle(svc.Route())
	rt.Handle(svc.STSRoute())
	f.Fuzz(func(t *testing.T, body string) {
		service := "iam"
		if strings.Contains(body, "2011-06-15") {
			service = "sts"
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=x")
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("body %q: got status %d: %s", body, w.Code, w.Body)
		}
		var v struct{}
		if err := xml.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("body %q: response is not XML: %v: %s", body, err, w.Body)
		}
	})
}
