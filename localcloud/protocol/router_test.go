package protocol

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestRouterPrecedence(t *testing.T) {
	rt := NewRouter(RouterConfig{})
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := IdentityFrom(r.Context())
			w.Write([]byte(name + " " + id.AccountID + " " + id.Region))
		})
	}
	rt.Handle(Route{Service: "dynamodb", Targets: []string{"DynamoDB_20120810."}, Handler: named("dynamodb")})
	rt.Handle(Route{Service: "sqs", Targets: []string{"AmazonSQS."}, QueryVersions: []string{"2012-11-05"}, Handler: named("sqs")})
	rt.Handle(Route{Service: "sns", QueryVersions: []string{"2010-03-31"}, Handler: named("sns")})
	rt.Handle(Route{Service: "lambda", PathPrefixes: []string{"/2015-03-31/"}, Handler: named("lambda")})
	rt.Handle(Route{Service: "apigateway", PathPrefixes: []string{"/v2/apis", "/_aws/execute-api/"}, HostSuffixes: []string{".execute-api.localhost"}, Handler: named("apigateway"),
		Unsigned: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/_aws/execute-api/") }})

	auth := func(akid, region, svc string) string {
		return "AWS4-HMAC-SHA256 Credential=" + akid + "/20261126/" + region + "/" + svc + "/aws4_request, SignedHeaders=host, Signature=abc"
	}
	tests := []struct {
		name, method, path, host, target, ctype, body, auth, want string
	}{
		{"json target", "POST", "/", "", "DynamoDB_20120810.PutItem", "application/x-amz-json-1.0", "{}", auth("123456789012", "eu-west-1", "dynamodb"), "dynamodb 123456789012 eu-west-1"},
		{"sqs json", "POST", "/", "", "AmazonSQS.SendMessage", "application/x-amz-json-1.0", "{}", auth("AKIDEXAMPLE", "us-east-1", "sqs"), "sqs 123456789012 us-east-1"},
		{"sqs query by scope", "POST", "/123456789012/q", "", "", "application/x-www-form-urlencoded", "Action=SendMessage&Version=2012-11-05", auth("123456789012", "us-west-2", "sqs"), "sqs 123456789012 us-west-2"},
		{"sns query by version", "POST", "/", "", "", "application/x-www-form-urlencoded", "Action=Publish&Version=2010-03-31", auth("AKIDEXAMPLE", "us-east-1", "sns"), "sns 123456789012 us-east-1"},
		{"rest path", "GET", "/2015-03-31/functions", "", "", "", "", auth("123456789012", "us-east-1", "lambda"), "lambda 123456789012 us-east-1"},
		{"execute endpoint with Action in its body", "POST", "/_aws/execute-api/abc/orders", "", "", "application/x-www-form-urlencoded", "Action=Publish&Version=2010-03-31", "", "apigateway 123456789012 us-east-1"},
		{"execute endpoint by host", "POST", "/orders", "abc.execute-api.localhost:4566", "", "application/x-www-form-urlencoded", "Action=Publish&Version=2010-03-31", "", "apigateway 123456789012 us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Host = "127.0.0.1:4566"
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range map[string]string{"X-Amz-Target": tt.target, "Content-Type": tt.ctype, "Authorization": tt.auth} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			w := httptest.NewRecorder()
			rt.ServeHTTP(w, req)
			if got := w.Body.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if w.Header().Get("X-Amzn-RequestId") == "" {
				t.Errorf("no request id header")
			}
		})
	}
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/nothing/here", nil)
	req.Host = "localhost"
	req.Header.Set("Authorization", auth("123456789012", "us-east-1", "s3"))
	rt.ServeHTTP(w, req)
	if w.Code != 404 || !strings.Contains(w.Body.String(), "UnknownOperationException") {
		t.Errorf("unroutable: got %d %s", w.Code, w.Body.String())
	}
}

func TestParseCredential(t *testing.T) {
	r := httptest.NewRequest("GET", "/?X-Amz-Credential=123456789012%2F20261126%2Feu-west-1%2Fs3%2Faws4_request", nil)
	c, ok := ParseCredential(r)
	if !ok || c.AccessKeyID != "123456789012" || c.Region != "eu-west-1" || c.Service != "s3" {
		t.Errorf("presigned: got %+v %v", c, ok)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=bad")
	if _, ok := ParseCredential(r); ok {
		t.Errorf("malformed scope parsed")
	}
}

func TestNewRequestIDIsUUIDv4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		if !re.MatchString(id) {
			t.Fatalf("request id %q is not a version-4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("request id %q repeated", id)
		}
		seen[id] = true
	}
}
