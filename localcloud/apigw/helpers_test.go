package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// handlerFunc is a fake Lambda function: it gets the raw event and returns
// the raw response payload, or an invocation result with FunctionError.
type handlerFunc func(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error)

// fakeInvoker runs Go funcs in-process in place of the Lambda service.
type fakeInvoker struct {
	mu    sync.Mutex
	fns   map[string]handlerFunc
	calls map[string]int
	last  map[string]protocol.ServiceInvocation
}

func newFakeInvoker() *fakeInvoker {
	return &fakeInvoker{fns: map[string]handlerFunc{}, calls: map[string]int{}, last: map[string]protocol.ServiceInvocation{}}
}

func (f *fakeInvoker) InvokeFromService(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
	f.mu.Lock()
	fn := f.fns[in.FunctionARN]
	f.calls[in.FunctionARN]++
	f.last[in.FunctionARN] = in
	f.mu.Unlock()
	if fn == nil {
		return protocol.InvocationResult{}, protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", in.FunctionARN)
	}
	return fn(ctx, in)
}

var _ protocol.FunctionInvoker = (*fakeInvoker)(nil)

func (f *fakeInvoker) set(arn string, fn handlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fns[arn] = fn
}

func (f *fakeInvoker) count(arn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[arn]
}

func (f *fakeInvoker) lastCall(arn string) protocol.ServiceInvocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[arn]
}

// jsonHandler decodes the event into E and answers with fn's value as JSON.
func jsonHandler[E any](fn func(ev E) any) handlerFunc {
	return func(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		var ev E
		if err := json.Unmarshal(in.Payload, &ev); err != nil {
			return protocol.InvocationResult{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"bad event"}`)}, nil
		}
		b, err := json.Marshal(fn(ev))
		if err != nil {
			return protocol.InvocationResult{}, err
		}
		return protocol.InvocationResult{Payload: b}, nil
	}
}

// rawHandler answers with a fixed payload.
func rawHandler(payload string) handlerFunc {
	return func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
		return protocol.InvocationResult{Payload: []byte(payload)}, nil
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t      testing.TB
	dir    string
	svc    *Service
	url    string
	client *apigatewayv2.Client
	fake   *fakeInvoker
	clock  *fakeClock
}

const testRegion = "us-east-1"

func fnARN(name string) string {
	return "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:" + name
}

func newEnv(t testing.TB, tweak ...func(*Config)) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), fake: newFakeInvoker(), clock: &fakeClock{t: time.Date(2026, 3, 12, 19, 3, 58, 0, time.UTC)}}
	cfg := Config{DataDir: e.dir, Logger: cloudtest.Logger(t), Functions: e.fake, Now: e.clock.Now}
	for _, f := range tweak {
		f(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	e.svc = svc
	e.url = cloudtest.Serve(t, svc.Route())
	e.client = apigatewayv2.NewFromConfig(cloudtest.Config(e.url, cloudtest.Account, testRegion))
	return e
}

func (e *env) clientFor(account string) *apigatewayv2.Client {
	return apigatewayv2.NewFromConfig(cloudtest.Config(e.url, account, testRegion))
}

// lambdaAPI makes an API with an AWS_PROXY integration to fn, the given
// routes and an auto-deployed $default stage; it returns the api and the
// integration id.
func (e *env) lambdaAPI(fn, version string, routeKeys ...string) (*apigatewayv2.CreateApiOutput, string) {
	e.t.Helper()
	ctx := cloudtest.Context(e.t)
	a, err := e.client.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("test"), ProtocolType: types.ProtocolTypeHttp})
	if err != nil {
		e.t.Fatalf("CreateApi: %v", err)
	}
	integ, err := e.client.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: a.ApiId,
		IntegrationType: types.IntegrationTypeAwsProxy, IntegrationUri: aws.String(fnARN(fn)), PayloadFormatVersion: aws.String(version)})
	if err != nil {
		e.t.Fatalf("CreateIntegration: %v", err)
	}
	for _, k := range routeKeys {
		if _, err := e.client.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String(k),
			Target: aws.String("integrations/" + *integ.IntegrationId)}); err != nil {
			e.t.Fatalf("CreateRoute %q: %v", k, err)
		}
	}
	if _, err := e.client.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)}); err != nil {
		e.t.Fatalf("CreateStage: %v", err)
	}
	return a, *integ.IntegrationId
}

type result struct {
	status int
	header http.Header
	body   string
}

// do sends a request with plain net/http.
func do(t testing.TB, method, url string, body io.Reader, header map[string]string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(cloudtest.Context(t), method, url, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func wantStatus(t testing.TB, got result, status int, body string) {
	t.Helper()
	if got.status != status {
		t.Fatalf("got status %d (body %q), want %d", got.status, got.body, status)
	}
	if body != "" && got.body != body {
		t.Fatalf("got body %q, want %q", got.body, body)
	}
}

func asAPIError[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// errorCode returns the API error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (e *env) clientContext() context.Context { return cloudtest.Context(e.t) }
