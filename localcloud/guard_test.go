package localcloud_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// guarded is a local cloud on a real loopback listener with a canary file
// that the drive-by function's bootstrap would create if it ever ran.
type guarded struct {
	url    string // http://127.0.0.1:port
	port   string
	data   string // the cloud's data directory
	canary string
	zip    []byte // a function whose bootstrap touches canary
}

func startGuarded(t *testing.T, cfg localcloud.Config) *guarded {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the drive-by payload is a shell script")
	}
	cfg.DataDir = t.TempDir()
	c, err := localcloud.New(cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; c.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	g := &guarded{url: "http://" + ln.Addr().String(), port: port, data: cfg.DataDir, canary: filepath.Join(t.TempDir(), "pwned")}
	g.zip = shellZip(t, "#!/bin/sh\ntouch '"+g.canary+"'\n")
	cfgR := sdkConfig(g.url)
	cfgR.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	lambdaRole(t, cfgR, "r") // the role the tests' functions name
	return g
}

// shellZip is a zip whose bootstrap is the given script.
func shellZip(t testing.TB, script string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	require.NoError(t, err)
	io.WriteString(w, script)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// lambda is a client in the default account 000000000000, the one the
// README's exports use and unsigned requests would act in.
func (g *guarded) lambda() *awslambda.Client {
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	return awslambda.NewFromConfig(cfg)
}

// createBody is CreateFunction's JSON with the drive-by zip.
func (g *guarded) createBody(name string) string {
	b, _ := json.Marshal(map[string]any{"FunctionName": name, "Runtime": "provided.al2023", "Handler": "bootstrap",
		"Role": "arn:aws:iam::000000000000:role/r", "Code": map[string]string{"ZipFile": base64.StdEncoding.EncodeToString(g.zip)},
		"Environment": map[string]any{"Variables": map[string]string{"SECRET": "s3cr3t-value"}}})
	return string(b)
}

type rawReq struct {
	method, path, host, body string
	header                   map[string]string
}

func (g *guarded) do(t *testing.T, q rawReq) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(q.method, g.url+q.path, strings.NewReader(q.body))
	require.NoError(t, err)
	if q.host != "" {
		req.Host = q.host
	}
	for k, v := range q.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// fakeAuth is what a rebinding page can add itself: it is same-origin with
// the attacker's name after the rebind, so any header goes.
const fakeAuth = "AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0"

// browserCross are the headers Chromium sends on a no-cors POST from a page
// on another site.
func browserCross(origin string) map[string]string {
	return map[string]string{"Origin": origin, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Content-Type": "text/plain;charset=UTF-8"}
}

func TestGuardRefusesDriveByAndRebinding(t *testing.T) {
	g := startGuarded(t, localcloud.Config{})
	ctx := context.Background()
	// The learner's own function, with a secret in its environment, created
	// the normal way (a signed SDK call).
	lc := g.lambda()
	_, err := lc.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("mine"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: g.zip},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"SECRET": "learner-secret"}}})
	require.NoError(t, err)

	tests := []struct {
		name       string
		req        rawReq
		wantStatus int
		wantCode   string // in the body or X-Amzn-ErrorType
	}{
		{"no-cors create from another site", rawReq{"POST", "/2015-03-31/functions", "", g.createBody("evil"), browserCross("http://evil.example")}, 403, "AccessDeniedException"},
		{"no-cors create from a file:// page", rawReq{"POST", "/2015-03-31/functions", "", g.createBody("evil"), browserCross("null")}, 403, "AccessDeniedException"},
		{"unsigned create without browser headers", rawReq{"POST", "/2015-03-31/functions", "", g.createBody("evil"), map[string]string{"Content-Type": "text/plain"}}, 403, "MissingAuthenticationTokenException"},
		{"no-cors invoke from another site", rawReq{"POST", "/2015-03-31/functions/mine/invocations", "", "{}", browserCross("http://evil.example")}, 403, "AccessDeniedException"},
		{"unsigned invoke", rawReq{"POST", "/2015-03-31/functions/mine/invocations", "", "{}", nil}, 403, "MissingAuthenticationTokenException"},
		{"unsigned invoke as curl --data sends it", rawReq{"POST", "/2015-03-31/functions/mine/invocations", "", "{}",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 403, `"__type":"MissingAuthenticationTokenException"`},
		{"form post to SNS", rawReq{"POST", "/", "", "Action=CreateTopic&Name=evil&Version=2010-03-31",
			map[string]string{"Origin": "null", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Content-Type": "application/x-www-form-urlencoded"}}, 403, "<Code>AccessDenied</Code>"},
		{"unsigned form post to SNS", rawReq{"POST", "/", "", "Action=CreateTopic&Name=evil&Version=2010-03-31",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 403, "<Code>MissingAuthenticationToken</Code>"},
		{"rebinding read of environments", rawReq{"GET", "/2015-03-31/functions", "rebind.attacker.example:" + g.port, "", map[string]string{"Authorization": fakeAuth}}, 403, "AccessDeniedException"},
		{"rebinding DynamoDB call", rawReq{"POST", "/", "rebind.attacker.example:" + g.port, "{}",
			map[string]string{"Authorization": fakeAuth, "X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}}, 403, "AccessDeniedException"},
		{"unsigned read of environments", rawReq{"GET", "/2015-03-31/functions", "", "", nil}, 403, "MissingAuthenticationTokenException"},
		{"unsigned DynamoDB call", rawReq{"POST", "/", "", "{}",
			map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}}, 400, "MissingAuthenticationTokenException"},
		{"cross-site call of an HTTP API", rawReq{"POST", "/_aws/execute-api/abc123/orders", "", "{}", browserCross("http://evil.example")}, 403, "Forbidden"},
		{"cross-site image of an HTTP API", rawReq{"GET", "/_aws/execute-api/abc123/orders", "", "",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}}, 403, "Forbidden"},
		{"rebinding of an HTTP API", rawReq{"GET", "/_aws/execute-api/abc123/orders", "rebind.attacker.example:" + g.port, "", nil}, 403, "Forbidden"},
		// DynamoDB answers CORS preflights for any origin; the local cloud
		// only for origins that may call it.
		{"preflight of a DynamoDB call from another site", rawReq{"OPTIONS", "/", "", "", map[string]string{"Origin": "http://evil.example",
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target,authorization", "Sec-Fetch-Mode": "cors"}}, 403, "AccessDeniedException"},
		{"preflight from a file:// page", rawReq{"OPTIONS", "/", "", "", map[string]string{"Origin": "null", "Access-Control-Request-Method": "POST"}}, 403, "AccessDeniedException"},
		{"DynamoDB call from another site", rawReq{"POST", "/", "", "{}", map[string]string{"Origin": "http://evil.example", "Authorization": fakeAuth,
			"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}}, 403, "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := g.do(t, tt.req)
			assert.Equal(t, tt.wantStatus, status, "body %s", body)
			assert.True(t, strings.Contains(body, tt.wantCode) || h.Get("X-Amzn-ErrorType") == tt.wantCode, "got %s (%s), want %s", body, h.Get("X-Amzn-ErrorType"), tt.wantCode)
			assert.NotContains(t, body, "learner-secret")
		})
	}
	// Nothing was created and nothing ran.
	fns, err := lc.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
	for _, f := range fns.Functions {
		assert.Equal(t, "mine", aws.ToString(f.FunctionName), "a function the attacker created")
	}
	_, err = os.Stat(g.canary)
	assert.True(t, os.IsNotExist(err), "the drive-by bootstrap ran: %v", err)
}

func TestGuardLetsClientsThrough(t *testing.T) {
	g := startGuarded(t, localcloud.Config{AllowOrigins: []string{"http://localhost:3000"}, AllowHosts: []string{"labs.internal"}})
	tests := []struct {
		name       string
		req        rawReq
		wantStatus int
	}{
		{"health without a signature", rawReq{"GET", "/_lab/health", "", "", nil}, 200},
		{"health by localhost", rawReq{"GET", "/_lab/health", "localhost:" + g.port, "", nil}, 200},
		{"signed call by a *.localhost name", rawReq{"GET", "/2015-03-31/functions", "x.localhost:" + g.port, "", map[string]string{"Authorization": fakeAuth}}, 200},
		{"signed call by [::1]", rawReq{"GET", "/2015-03-31/functions", "[::1]:" + g.port, "", map[string]string{"Authorization": fakeAuth}}, 200},
		{"signed call by 127.1.2.3", rawReq{"GET", "/2015-03-31/functions", "127.1.2.3:" + g.port, "", map[string]string{"Authorization": fakeAuth}}, 200},
		{"signed call by an allowed name", rawReq{"GET", "/2015-03-31/functions", "LABS.internal:" + g.port, "", map[string]string{"Authorization": fakeAuth}}, 200},
		{"presigned call", rawReq{"GET", "/2015-03-31/functions?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=000000000000%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Signature=0", "", "", nil}, 200},
		// The learner's API is public, like an execute-api endpoint on AWS:
		// these pass the guard and reach API Gateway, which has no such API.
		{"curl to an HTTP API", rawReq{"GET", "/_aws/execute-api/abc123/orders", "", "", nil}, 404},
		{"curl to an HTTP API by host name", rawReq{"GET", "/orders", "abc123.execute-api.localhost:" + g.port, "", nil}, 404},
		{"allowed origin to an HTTP API", rawReq{"POST", "/_aws/execute-api/abc123/orders", "", "{}",
			map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site", "Content-Type": "application/json"}}, 404},
		{"link followed to an HTTP API", rawReq{"GET", "/_aws/execute-api/abc123/orders", "", "",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}}, 404},
		{"same-origin page", rawReq{"POST", "/_aws/execute-api/abc123/orders", "", "{}",
			map[string]string{"Origin": g.url, "Sec-Fetch-Site": "same-origin"}}, 404},
		// An allowed page's preflight of a DynamoDB call is answered as
		// DynamoDB answers it; so is an Origin no browser sends.
		{"preflight from an allowed origin", rawReq{"OPTIONS", "/", "", "", map[string]string{"Origin": "http://localhost:3000",
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target,authorization"}}, 200},
		{"preflight with an Origin no browser sends", rawReq{"OPTIONS", "/", "", "", map[string]string{"Origin": "whatever"}}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := g.do(t, tt.req)
			assert.Equal(t, tt.wantStatus, status, "body %s", body)
			if tt.req.method == "OPTIONS" {
				assert.Equal(t, "*", h.Get("Access-Control-Allow-Origin"))
				assert.Equal(t, "172800", h.Get("Access-Control-Max-Age"))
				assert.Equal(t, tt.req.header["Access-Control-Request-Headers"], h.Get("Access-Control-Allow-Headers"))
			}
		})
	}
	// The SDK goes through untouched.
	_, err := g.lambda().ListFunctions(context.Background(), &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
}

// waitUntil polls cond until it holds or d passes.
func waitUntil(t testing.TB, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}
