package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func TestFunctionLifecycle(t *testing.T) {
	t.Parallel()
	s, url := testService(t, func(c *Config) { c.Endpoint = "" })
	s.SetEndpoint(url) // Code.Location must be reachable
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	code := zipOf(t, "env")
	created := createFunction(t, c, "orders", code, func(in *awslambda.CreateFunctionInput) {
		in.Description = aws.String("takes orders")
		in.Tags = map[string]string{"lab": "1"}
		in.Environment = &types.Environment{Variables: map[string]string{"STAGE": "one"}}
	})
	sum := sha256.Sum256(code)
	wantArn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:orders"
	if aws.ToString(created.FunctionArn) != wantArn || aws.ToString(created.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || created.CodeSize != int64(len(code)) {
		t.Errorf("got ARN %s, sha %s, size %d", aws.ToString(created.FunctionArn), aws.ToString(created.CodeSha256), created.CodeSize)
	}
	if created.State != types.StateActive || created.LastUpdateStatus != types.LastUpdateStatusSuccessful || created.PackageType != types.PackageTypeZip || aws.ToString(created.Version) != "$LATEST" {
		t.Errorf("got state %s, update status %s, package %s, version %s", created.State, created.LastUpdateStatus, created.PackageType, aws.ToString(created.Version))
	}
	if aws.ToInt32(created.Timeout) != 10 || aws.ToInt32(created.MemorySize) != 128 || len(created.Architectures) != 1 || created.Architectures[0] != types.ArchitectureX8664 {
		t.Errorf("got timeout %d, memory %d, architectures %v", aws.ToInt32(created.Timeout), aws.ToInt32(created.MemorySize), created.Architectures)
	}
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$`).MatchString(aws.ToString(created.LastModified)) {
		t.Errorf("got LastModified %q, want AWS's format", aws.ToString(created.LastModified))
	}
	if lc := created.LoggingConfig; lc == nil || aws.ToString(lc.LogGroup) != "/aws/lambda/orders" || lc.LogFormat != types.LogFormatText {
		t.Errorf("got logging config %+v", lc)
	}

	// Waiters see an active function.
	if err := awslambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("orders")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2 waiter: %v", err)
	}

	got, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Tags["lab"] != "1" || aws.ToString(got.Configuration.Description) != "takes orders" || got.Configuration.Environment.Variables["STAGE"] != "one" {
		t.Errorf("GetFunction: got tags %v, description %q, env %v", got.Tags, aws.ToString(got.Configuration.Description), got.Configuration.Environment)
	}
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(code) {
		t.Errorf("Code.Location %s: got status %d and %d bytes, want the zip", aws.ToString(got.Code.Location), resp.StatusCode, len(body))
	}

	// A configuration update reaches the next invocation.
	stage := func() string {
		var o struct{ Env map[string]string }
		json.Unmarshal(invoke(t, c, "orders", `{}`, nil).Payload, &o)
		return o.Env["STAGE"]
	}
	if got := stage(); got != "one" {
		t.Errorf("got STAGE %q, want one", got)
	}
	upd, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("orders"),
		Environment:  &types.Environment{Variables: map[string]string{"STAGE": "two"}},
		Timeout:      aws.Int32(20),
		MemorySize:   aws.Int32(512),
		Description:  aws.String("updated"),
		RevisionId:   created.RevisionId,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(upd.Timeout) != 20 || aws.ToInt32(upd.MemorySize) != 512 || aws.ToString(upd.RevisionId) == aws.ToString(created.RevisionId) {
		t.Errorf("update: got timeout %d, memory %d, revision %s", aws.ToInt32(upd.Timeout), aws.ToInt32(upd.MemorySize), aws.ToString(upd.RevisionId))
	}
	if err := awslambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("orders")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2 waiter: %v", err)
	}
	if got := stage(); got != "two" {
		t.Errorf("after update: got STAGE %q, want two", got)
	}
	// A stale revision is refused.
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), RevisionId: created.RevisionId, Timeout: aws.Int32(5)})
	wantCode(t, err, "PreconditionFailedException")

	// New code runs on the next invocation.
	echo := zipOf(t, "echo")
	uc, err := c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: echo})
	if err != nil {
		t.Fatal(err)
	}
	esum := sha256.Sum256(echo)
	if aws.ToString(uc.CodeSha256) != base64.StdEncoding.EncodeToString(esum[:]) {
		t.Errorf("UpdateFunctionCode: got sha %s", aws.ToString(uc.CodeSha256))
	}
	if out := invoke(t, c, "orders", `{"echo":true}`, nil); string(out.Payload) != `{"echo":true}` {
		t.Errorf("after UpdateFunctionCode: got %s, want the echo", out.Payload)
	}

	// Tags.
	if _, err := c.TagResource(ctx, &awslambda.TagResourceInput{Resource: aws.String(wantArn), Tags: map[string]string{"team": "a", "cost": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &awslambda.UntagResourceInput{Resource: aws.String(wantArn), TagKeys: []string{"lab", "cost"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTags(ctx, &awslambda.ListTagsInput{Resource: aws.String(wantArn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "a" {
		t.Errorf("ListTags: got %v, %v; want team=a only", tags, err)
	}

	// Listing pages by MaxItems and Marker.
	for _, n := range []string{"b-fn", "c-fn"} {
		createFunction(t, c, n, echo, nil)
	}
	var names []string
	var marker *string
	for page := 0; page < 5; page++ {
		out, err := c.ListFunctions(ctx, &awslambda.ListFunctionsInput{MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
		if marker = out.NextMarker; marker == nil {
			break
		}
	}
	if strings.Join(names, ",") != "b-fn,c-fn,orders" {
		t.Errorf("ListFunctions: got %v", names)
	}

	settings, err := c.GetAccountSettings(ctx, &awslambda.GetAccountSettingsInput{})
	if err != nil || settings.AccountUsage.FunctionCount != 3 || settings.AccountLimit.ConcurrentExecutions != 50 {
		t.Errorf("GetAccountSettings: got %+v, %v", settings, err)
	}

	if _, err := c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("orders")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetFunction after delete: got %v, want ResourceNotFoundException", err)
	}
	_, err = tryInvoke(c, "orders", `{}`, nil)
	wantCode(t, err, "ResourceNotFoundException")
	waitFor(t, 30*time.Second, "the deleted function's files to go", func() bool {
		_, err := http.Get(aws.ToString(got.Code.Location))
		return err == nil && len(envPIDs(s)) <= 2
	})
}

func TestValidation(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	echo := zipOf(t, "echo")
	createFunction(t, c, "exists", echo, nil)

	slip := zipFiles(t, map[string]fileSpec{"../../evil": {[]byte("x"), 0o755}})
	tests := []struct {
		name string
		mod  func(*awslambda.CreateFunctionInput)
		code string
	}{
		{"duplicate", func(in *awslambda.CreateFunctionInput) { in.FunctionName = aws.String("exists") }, "ResourceConflictException"},
		{"bad name", func(in *awslambda.CreateFunctionInput) { in.FunctionName = aws.String("has space") }, "ValidationException"},
		{"deprecated runtime", func(in *awslambda.CreateFunctionInput) { in.Runtime = types.RuntimePython27 }, "InvalidParameterValueException"},
		{"unknown runtime", func(in *awslambda.CreateFunctionInput) { in.Runtime = "cobol85" }, "ValidationException"},
		{"bad role", func(in *awslambda.CreateFunctionInput) { in.Role = aws.String("lab-role") }, "ValidationException"},
		{"timeout 0", func(in *awslambda.CreateFunctionInput) { in.Timeout = aws.Int32(0) }, "ValidationException"},
		{"timeout 901", func(in *awslambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }, "ValidationException"},
		{"memory 64", func(in *awslambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }, "ValidationException"},
		{"memory 20000", func(in *awslambda.CreateFunctionInput) { in.MemorySize = aws.Int32(20000) }, "ValidationException"},
		{"bad arch", func(in *awslambda.CreateFunctionInput) { in.Architectures = []types.Architecture{"sparc"} }, "ValidationException"},
		{"not a zip", func(in *awslambda.CreateFunctionInput) { in.Code.ZipFile = []byte("hello") }, "InvalidParameterValueException"},
		{"zip slip", func(in *awslambda.CreateFunctionInput) { in.Code.ZipFile = slip }, "InvalidParameterValueException"},
		{"s3 code", func(in *awslambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k")}
		}, "InvalidParameterValueException"},
		{"reserved env", func(in *awslambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "eu-west-1"}}
		}, "InvalidParameterValueException"},
		{"env too big", func(in *awslambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("x", 5000)}}
		}, "InvalidParameterValueException"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &awslambda.CreateFunctionInput{
				FunctionName: aws.String("v" + string(rune('a'+i))),
				Runtime:      types.RuntimeProvidedal2023,
				Handler:      aws.String("bootstrap"),
				Role:         aws.String(testRole),
				Code:         &types.FunctionCode{ZipFile: echo},
			}
			tt.mod(in)
			_, err := c.CreateFunction(ctx, in)
			wantCode(t, err, tt.code)
		})
	}

	// go1.x is accepted (deprecated on AWS) and so is arm64 on any host.
	createFunction(t, c, "legacy", echo, func(in *awslambda.CreateFunctionInput) { in.Runtime = types.RuntimeGo1x })
	createFunction(t, c, "armfn", echo, func(in *awslambda.CreateFunctionInput) {
		in.Architectures = []types.Architecture{types.ArchitectureArm64}
	})

	// Invoke input errors.
	_, err := tryInvoke(c, "exists", `{not json`, nil)
	wantCode(t, err, "InvalidRequestContentException")
	_, err = tryInvoke(c, "exists", `"`+strings.Repeat("x", maxSyncPayload)+`"`, nil)
	wantCode(t, err, "RequestTooLargeException")
	_, err = tryInvoke(c, "exists", `"`+strings.Repeat("x", maxAsyncPayload)+`"`, func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent })
	wantCode(t, err, "RequestTooLargeException")
	_, err = tryInvoke(c, "exists", `{}`, func(in *awslambda.InvokeInput) { in.Qualifier = aws.String("7") })
	wantCode(t, err, "ResourceNotFoundException")
	_, err = tryInvoke(c, "missing", `{}`, nil)
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:missing")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.ListFunctions(ctx, &awslambda.ListFunctionsInput{MaxItems: aws.Int32(0)})
	wantCode(t, err, "ValidationException")
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("exists"), Timeout: aws.Int32(1000)})
	wantCode(t, err, "ValidationException")
}

func TestPermissionsAndServiceInvoke(t *testing.T) {
	t.Parallel()
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	createFunction(t, c, "api-handler", zipOf(t, "echo"), nil)
	fnArn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:api-handler"
	apiArn := "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":abc123/*/*/orders"

	_, err := c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: aws.String("api-handler")})
	wantCode(t, err, "ResourceNotFoundException")

	add := func(sid, principal, source string) error {
		in := &awslambda.AddPermissionInput{FunctionName: aws.String("api-handler"), StatementId: aws.String(sid), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal)}
		if source != "" {
			in.SourceArn = aws.String(source)
		}
		out, err := c.AddPermission(ctx, in)
		if err == nil && !strings.Contains(aws.ToString(out.Statement), `"Sid":"`+sid+`"`) {
			t.Errorf("AddPermission: got statement %s", aws.ToString(out.Statement))
		}
		return err
	}
	if err := add("apigw", "apigateway.amazonaws.com", apiArn); err != nil {
		t.Fatal(err)
	}
	wantCode(t, add("apigw", "apigateway.amazonaws.com", apiArn), "ResourceConflictException")

	pol, err := c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: aws.String("api-handler")})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Sid       string
			Effect    string
			Principal map[string]string
			Action    string
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
		t.Fatalf("policy %s: %v", aws.ToString(pol.Policy), err)
	}
	if len(doc.Statement) != 1 {
		t.Fatalf("got %d statements", len(doc.Statement))
	}
	st := doc.Statement[0]
	if doc.Version != "2012-10-17" || st.Sid != "apigw" || st.Effect != "Allow" || st.Principal["Service"] != "apigateway.amazonaws.com" || st.Action != "lambda:InvokeFunction" || st.Resource != fnArn || st.Condition["ArnLike"]["AWS:SourceArn"] != apiArn {
		t.Errorf("got statement %+v", st)
	}

	tests := []struct {
		name      string
		principal string
		source    string
		allowed   bool
	}{
		{"matching route", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":abc123/prod/POST/orders", true},
		{"other route", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":abc123/prod/POST/admin", false},
		{"other api", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":zzz999/prod/POST/orders", false},
		{"other service", "sns.amazonaws.com", "arn:aws:execute-api:us-east-1:" + cloudtest.Account + ":abc123/prod/POST/orders", false},
	}
	for _, tt := range tests {
		res, err := s.InvokeFromService(ctx, protocol.ServiceInvocation{FunctionARN: fnArn, SourcePrincipal: tt.principal, SourceARN: tt.source, Payload: []byte(`{"from":"svc"}`)})
		if tt.allowed {
			if err != nil || string(res.Payload) != `{"from":"svc"}` {
				t.Errorf("%s: got %s, %v; want the echo", tt.name, res.Payload, err)
			}
			continue
		}
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != "AccessDeniedException" {
			t.Errorf("%s: got %v, want AccessDeniedException", tt.name, err)
		}
	}

	// SNS with a topic, asynchronously.
	topic := "arn:aws:sns:us-east-1:" + cloudtest.Account + ":orders"
	if err := add("sns", "sns.amazonaws.com", topic); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InvokeFromService(ctx, protocol.ServiceInvocation{FunctionARN: fnArn, SourcePrincipal: "sns.amazonaws.com", SourceARN: topic, Payload: []byte(`{}`), Async: true}); err != nil {
		t.Errorf("async SNS invoke: %v", err)
	}
	waitFor(t, 30*time.Second, "the queued invocation to run", func() bool { return s.async.depth() == 0 })

	// A missing function is not found.
	_, err = s.InvokeFromService(ctx, protocol.ServiceInvocation{FunctionARN: fnArn + "x", SourcePrincipal: "sns.amazonaws.com", SourceARN: topic})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != "ResourceNotFoundException" {
		t.Errorf("missing function: got %v", err)
	}

	if _, err := c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: aws.String("api-handler"), StatementId: aws.String("apigw")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: aws.String("api-handler"), StatementId: aws.String("apigw")})
	wantCode(t, err, "ResourceNotFoundException")
	if _, err := s.InvokeFromService(ctx, protocol.ServiceInvocation{FunctionARN: fnArn, SourcePrincipal: "apigateway.amazonaws.com", SourceARN: tests[0].source}); !errors.As(err, &pe) || pe.Code != "AccessDeniedException" {
		t.Errorf("after RemovePermission: got %v, want AccessDeniedException", err)
	}

	// The internal Invoke needs no permission.
	res, err := s.Invoke(ctx, cloudtest.Account, "us-east-1", "api-handler", []byte(`{"esm":1}`))
	if err != nil || string(res.Payload) != `{"esm":1}` {
		t.Errorf("Invoke: got %s, %v", res.Payload, err)
	}
}

func TestPersistenceAcrossReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	open := func() (*Service, *awslambda.Client) {
		s, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t), AsyncRetryDelays: []time.Duration{10 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, client(cloudtest.Serve(t, s.Route()), cloudtest.Account)
	}
	ctx := context.Background()
	s1, c := open()
	created := createFunction(t, c, "durable", zipOf(t, "sleep"), func(in *awslambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"K": "v"}}
		in.Tags = map[string]string{"t": "1"}
	})
	if _, err := c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: aws.String("durable"), StatementId: aws.String("s1"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("durable"), ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	// An Event invocation still running (until the file exists) when the
	// service closes stays queued for the next run.
	release := filepath.Join(t.TempDir(), "release")
	if _, err := tryInvoke(c, "durable", `{"ms":120000,"until":"`+release+`"}`, func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent }); err != nil {
		t.Fatal(err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2, c := open()
	got, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.Configuration
	if aws.ToString(cfg.CodeSha256) != aws.ToString(created.CodeSha256) || cfg.Environment.Variables["K"] != "v" || got.Tags["t"] != "1" || got.Concurrency == nil || aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 5 {
		t.Errorf("after reopen: got %+v tags %v concurrency %+v", cfg, got.Tags, got.Concurrency)
	}
	if _, err := c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: aws.String("durable")}); err != nil {
		t.Errorf("GetPolicy after reopen: %v", err)
	}
	if n := s2.async.depth(); n != 1 {
		t.Fatalf("got %d queued events after reopen, want 1", n)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the queued event to run", func() bool {
		var n int
		s2.db.QueryRow(`SELECT COUNT(*) FROM async_events`).Scan(&n)
		return n == 0 && s2.async.depth() == 0
	})
	if out := invoke(t, c, "durable", `{"ms":1}`, nil); !strings.Contains(string(out.Payload), `"slept":1`) {
		t.Errorf("invoke after reopen: got %s", out.Payload)
	}
}

func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	a := client(url, cloudtest.Account)
	b := client(url, "210987654321")
	ctx := context.Background()
	createFunction(t, a, "shared-name", zipOf(t, "echo"), nil)

	_, err := b.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("shared-name")})
	wantCode(t, err, "ResourceNotFoundException")
	list, err := b.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 0 {
		t.Errorf("account B lists %v, %v; want nothing", list, err)
	}
	_, err = tryInvoke(b, "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:shared-name", `{}`, nil)
	wantCode(t, err, "AccessDeniedException")

	// The same name in B is another function, running B's code as B.
	createFunction(t, b, "shared-name", zipOf(t, "env"), roleIn("210987654321"))
	var o struct{ Env map[string]string }
	json.Unmarshal(invoke(t, b, "shared-name", `{}`, nil).Payload, &o)
	if o.Env["AWS_ACCESS_KEY_ID"] != "210987654321" {
		t.Errorf("B's function acts as %q, want 210987654321", o.Env["AWS_ACCESS_KEY_ID"])
	}
	if out := invoke(t, a, "shared-name", `{"a":1}`, nil); string(out.Payload) != `{"a":1}` {
		t.Errorf("A's function: got %s", out.Payload)
	}
	// Regions are apart too.
	west := awslambda.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "eu-west-1"))
	_, err = west.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("shared-name")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestParseFunctionRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want functionRef
		ok   bool
	}{
		{"fn", functionRef{name: "fn"}, true},
		{"fn:$LATEST", functionRef{name: "fn", qualifier: "$LATEST"}, true},
		{"123456789012:function:fn", functionRef{account: "123456789012", name: "fn"}, true},
		{"arn:aws:lambda:us-east-1:123456789012:function:fn:prod", functionRef{partition: "aws", region: "us-east-1", account: "123456789012", name: "fn", qualifier: "prod"}, true},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:fn", functionRef{partition: "aws-cn", region: "cn-north-1", account: "123456789012", name: "fn"}, true},
		{"arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:fn", functionRef{partition: "aws-iso-b", region: "us-isob-east-1", account: "123456789012", name: "fn"}, true},
		{"arn:aws:sqs:us-east-1:123456789012:function:fn", functionRef{}, false},
		{"", functionRef{}, false},
		{"a/b", functionRef{}, false},
		{strings.Repeat("x", 65), functionRef{}, false},
		{"fn:a:b", functionRef{}, false},
	}
	for _, tt := range tests {
		got, err := parseFunctionRef(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseFunctionRef(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestPolicyAllows(t *testing.T) {
	t.Parallel()
	const acct = "123456789012"
	topic := "arn:aws:sns:us-east-1:" + acct + ":orders"
	policy := []*statement{
		{Sid: "sns", Effect: "Allow", Principal: map[string]any{"Service": "sns.amazonaws.com"}, Action: "lambda:InvokeFunction",
			Condition: map[string]map[string]string{"ArnLike": {"AWS:SourceArn": topic}, "StringEquals": {"AWS:SourceAccount": acct}}},
		{Sid: "events", Effect: "Allow", Principal: map[string]string{"Service": "events.amazonaws.com"}, Action: "lambda:*"},
		{Sid: "url", Effect: "Allow", Principal: "*", Action: "lambda:InvokeFunctionUrl"},
	}
	tests := []struct {
		name string
		in   protocol.ServiceInvocation
		want bool
	}{
		{"sns from its topic", protocol.ServiceInvocation{SourcePrincipal: "sns.amazonaws.com", SourceARN: topic}, true},
		{"sns with the account given", protocol.ServiceInvocation{SourcePrincipal: "sns.amazonaws.com", SourceARN: topic, SourceAccount: acct}, true},
		{"sns claiming another account", protocol.ServiceInvocation{SourcePrincipal: "sns.amazonaws.com", SourceARN: topic, SourceAccount: "210987654321"}, false},
		{"sns from another topic", protocol.ServiceInvocation{SourcePrincipal: "sns.amazonaws.com", SourceARN: topic + "-x"}, false},
		{"any rule of events", protocol.ServiceInvocation{SourcePrincipal: "events.amazonaws.com", SourceARN: "arn:aws:events:us-east-1:" + acct + ":rule/r"}, true},
		{"url action is not invoke", protocol.ServiceInvocation{SourcePrincipal: "apigateway.amazonaws.com"}, false},
	}
	for _, tt := range tests {
		if got := allows(policy, tt.in); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestInvokeAsync: the deprecated InvokeAsync queues an Event invocation
// and answers 202 with Status 202.
func TestInvokeAsync(t *testing.T) {
	t.Parallel()
	svc, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	createFunction(t, c, "queued", zipOf(t, "sleep"), nil)
	// The event runs until the file exists (never): queued or running, the
	// test sees it.
	never := filepath.Join(t.TempDir(), "never")
	out, err := c.InvokeAsync(ctx, &awslambda.InvokeAsyncInput{FunctionName: aws.String("queued"), InvokeArgs: strings.NewReader(`{"ms":120000,"until":"` + never + `"}`)})
	require.NoError(t, err)
	assert.EqualValues(t, 202, out.Status)
	assert.Equal(t, 1, svc.async.depth())
	_, err = c.InvokeAsync(ctx, &awslambda.InvokeAsyncInput{FunctionName: aws.String("nope"), InvokeArgs: strings.NewReader(`{}`)})
	wantCode(t, err, "ResourceNotFoundException")
}
