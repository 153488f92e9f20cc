package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestInvokeEcho(t *testing.T) {
	t.Parallel()
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "echo", zipOf(t, "echo"), nil)

	for i, payload := range []string{`{"hello":"world","n":1}`, `[1,2,3]`, `"just a string"`} {
		out := invoke(t, c, "echo", payload, nil)
		if string(out.Payload) != payload {
			t.Errorf("invoke %d: got payload %s, want %s", i, out.Payload, payload)
		}
		if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("invoke %d: got status %d, function error %v, version %v", i, out.StatusCode, out.FunctionError, aws.ToString(out.ExecutedVersion))
		}
	}
	if n := s.envs.count(fnKey{cloudtest.Account, "us-east-1", "echo"}); n != 1 {
		t.Errorf("got %d environments after sequential invokes, want 1 (warm reuse)", n)
	}

	// An empty payload arrives as {}.
	if out := invoke(t, c, "echo", "", nil); string(out.Payload) != "{}" {
		t.Errorf("empty payload: got %s, want {}", out.Payload)
	}
	// Names may be partial or full ARNs, with the $LATEST qualifier.
	for _, name := range []string{
		cloudtest.Account + ":function:echo",
		"arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:echo",
		"arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:echo:$LATEST",
		"echo:$LATEST",
	} {
		if out := invoke(t, c, name, `{"via":"arn"}`, nil); string(out.Payload) != `{"via":"arn"}` {
			t.Errorf("invoke as %s: got %s", name, out.Payload)
		}
	}
}

func TestInvokeEnvironment(t *testing.T) {
	t.Setenv("LAB_PARENT_ONLY", "must-not-leak")
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "envdump", zipOf(t, "env"), func(in *awslambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hello", "TABLE_NAME": "orders"}}
		in.MemorySize = aws.Int32(256)
		in.Handler = aws.String("my.handler")
	})
	out := invoke(t, c, "envdump", `{}`, nil)
	var got struct {
		Env       map[string]string
		Dir       string
		RequestID string
		ARN       string
		Deadline  int64
	}
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", out.Payload, err)
	}
	f := s.current(fnKey{cloudtest.Account, "us-east-1", "envdump"})
	want := map[string]string{
		"GREETING":                        "hello",
		"TABLE_NAME":                      "orders",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME":        "envdump",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envdump",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_ACCESS_KEY_ID":               cloudtest.Account,
		"AWS_ENDPOINT_URL":                "http://127.0.0.1:4566",
		"_HANDLER":                        "my.handler",
		"TZ":                              ":UTC",
		"LAMBDA_TASK_ROOT":                s.codeDir(f),
	}
	for k, v := range want {
		if got.Env[k] != v {
			t.Errorf("env %s: got %q, want %q", k, got.Env[k], v)
		}
	}
	if got.Dir != s.codeDir(f) {
		t.Errorf("got working directory %q, want the task root %q", got.Dir, s.codeDir(f))
	}
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(got.Env["AWS_LAMBDA_LOG_STREAM_NAME"]) {
		t.Errorf("got log stream name %q", got.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(got.Env["AWS_LAMBDA_RUNTIME_API"]) {
		t.Errorf("got AWS_LAMBDA_RUNTIME_API %q", got.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if _, ok := got.Env["LAB_PARENT_ONLY"]; ok {
		t.Errorf("the local cloud's own environment leaked into the function")
	}
	allowed := map[string]bool{"PATH": true, "LANG": true, "LD_LIBRARY_PATH": true, "LAMBDA_RUNTIME_DIR": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_LAMBDA_RUNTIME_API": true, "_X_AMZN_TRACE_ID": true}
	var extra []string
	for k := range got.Env {
		if _, ok := want[k]; !ok && !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("unexpected variables in the function's environment: %v", extra)
	}
	if got.RequestID == "" || got.ARN != "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:envdump" {
		t.Errorf("got request id %q and invoked ARN %q", got.RequestID, got.ARN)
	}
	if d := time.Until(time.UnixMilli(got.Deadline)); d <= 0 || d > 11*time.Second {
		t.Errorf("got deadline %v from now, want about the 10 s timeout", d)
	}
}

func TestInvokeTimeout(t *testing.T) {
	t.Parallel()
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "sleepy", zipOf(t, "sleep"), func(in *awslambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
	// Warm up to learn the environment's pid.
	var warm struct{ PID int }
	json.Unmarshal(invoke(t, c, "sleepy", `{"ms":1}`, nil).Payload, &warm)

	out := invoke(t, c, "sleepy", `{"ms":5000,"spawn":false}`, withTail)
	e := fnErrorOf(t, out)
	if e.Type != "Sandbox.Timedout" || !strings.Contains(e.Message, "Task timed out after 1.00 seconds") {
		t.Errorf("got error %+v, want Sandbox.Timedout with 'Task timed out after 1.00 seconds'", e)
	}
	if tail := tailOf(t, out); !strings.Contains(tail, "Task timed out after 1.00 seconds") || !strings.Contains(tail, "Status: timeout") {
		t.Errorf("log tail lacks the timeout lines:\n%s", tail)
	}
	waitFor(t, 30*time.Second, "the timed-out process to be killed", func() bool { return processGone(warm.PID) })

	// The next invocation gets a fresh environment.
	var next struct{ PID int }
	json.Unmarshal(invoke(t, c, "sleepy", `{"ms":1}`, nil).Payload, &next)
	if next.PID == 0 || next.PID == warm.PID {
		t.Errorf("got pid %d after the timeout, want a new process (old %d)", next.PID, warm.PID)
	}
	_ = s
}

func TestInvokePanicAndCrash(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	createFunction(t, c, "fragile", zipOf(t, "panic"), nil)

	var first struct{ PID int }
	json.Unmarshal(invoke(t, c, "fragile", `{}`, nil).Payload, &first)

	tests := []struct {
		name, payload, wantType, wantMsg string
		newProcess                       bool
	}{
		{"handled error", `{"error":"order not found"}`, "errorString", "order not found", false},
		{"panic", `{"panic":"boom"}`, "string", "boom", true},
		{"exit", `{"exit":2}`, "Runtime.ExitError", "Runtime exited with error: exit status 2", true},
	}
	pid := first.PID
	for _, tt := range tests {
		out := invoke(t, c, "fragile", tt.payload, nil)
		e := fnErrorOf(t, out)
		if e.Type != tt.wantType || !strings.Contains(e.Message, tt.wantMsg) {
			t.Errorf("%s: got %+v, want type %s and message containing %q", tt.name, e, tt.wantType, tt.wantMsg)
		}
		var after struct{ PID int }
		if err := json.Unmarshal(invoke(t, c, "fragile", `{}`, nil).Payload, &after); err != nil || after.PID == 0 {
			t.Fatalf("%s: the next invoke failed: %v", tt.name, err)
		}
		if got := after.PID != pid; got != tt.newProcess {
			t.Errorf("%s: got new process %v, want %v", tt.name, got, tt.newProcess)
		}
		pid = after.PID
	}
}

func TestInvokeLogs(t *testing.T) {
	t.Parallel()
	logs := &memLogs{}
	_, url := testService(t, func(c *Config) { c.Logs = logs })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "chatty", zipOf(t, "logs"), nil)

	out := invoke(t, c, "chatty", `{"lines":["first line","second line"],"errors":["to stderr"]}`, withTail)
	tail := tailOf(t, out)
	reqID := regexp.MustCompile(`START RequestId: ([0-9a-f-]+) Version: \$LATEST`).FindStringSubmatch(tail)
	if reqID == nil {
		t.Fatalf("no START line in the tail:\n%s", tail)
	}
	for _, want := range []string{"first line\n", "second line\n", "to stderr\n", "END RequestId: " + reqID[1], "REPORT RequestId: " + reqID[1], "\tDuration: ", "\tBilled Duration: ", "\tMemory Size: 128 MB", "\tMax Memory Used: ", "\tInit Duration: "} {
		if !strings.Contains(tail, want) {
			t.Errorf("tail lacks %q:\n%s", want, tail)
		}
	}
	if strings.Index(tail, "first line") < strings.Index(tail, "START") || strings.Index(tail, "END RequestId") < strings.Index(tail, "to stderr") {
		t.Errorf("lines are out of order:\n%s", tail)
	}
	if !regexp.MustCompile(`Max Memory Used: [1-9]\d* MB`).MatchString(tail) {
		t.Errorf("REPORT has no memory figure:\n%s", tail)
	}
	warm := tailOf(t, invoke(t, c, "chatty", `{"lines":["again"]}`, withTail))
	if strings.Contains(warm, "Init Duration") {
		t.Errorf("a warm invocation reported an Init Duration:\n%s", warm)
	}
	if out := invoke(t, c, "chatty", `{}`, nil); out.LogResult != nil {
		t.Errorf("got a LogResult without LogType Tail")
	}

	waitFor(t, 30*time.Second, "the logs to reach CloudWatch Logs", func() bool {
		return strings.Contains(logs.text("/aws/lambda/chatty"), "again")
	})
	all := logs.text("/aws/lambda/chatty")
	for _, want := range []string{"init line from logs", "INIT_START", "START RequestId: " + reqID[1], "first line", "END RequestId: " + reqID[1], "REPORT RequestId: " + reqID[1]} {
		if !strings.Contains(all, want) {
			t.Errorf("CloudWatch Logs lacks %q:\n%s", want, all)
		}
	}
	for _, k := range logs.keys() {
		parts := strings.Split(k, " ")
		if parts[0] != cloudtest.Account || parts[1] != "us-east-1" || !regexp.MustCompile(`^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`).MatchString(parts[3]) {
			t.Errorf("got log destination %q", k)
		}
	}
}

func TestInvokeConcurrencyLimits(t *testing.T) {
	t.Parallel()
	s, url := testService(t, func(c *Config) { c.AccountConcurrency = 20 })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "slow", zipOf(t, "sleep"), nil)
	ctx := context.Background()

	if _, err := c.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("slow"), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetFunctionConcurrency(ctx, &awslambda.GetFunctionConcurrencyInput{FunctionName: aws.String("slow")})
	if err != nil || aws.ToInt32(got.ReservedConcurrentExecutions) != 1 {
		t.Fatalf("GetFunctionConcurrency: got %v, %v; want 1", got, err)
	}
	errs := concurrentInvokes(t, s, c, "slow", `{"ms":800}`, 2)
	var throttled int
	for _, err := range errs {
		if err == nil {
			continue
		}
		var tm *types.TooManyRequestsException
		if !errors.As(err, &tm) {
			t.Fatalf("got %v, want TooManyRequestsException", err)
		}
		if tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
			t.Errorf("got reason %q, want ReservedFunctionConcurrentInvocationLimitExceeded", tm.Reason)
		}
		throttled++
	}
	if throttled != 1 {
		t.Errorf("got %d throttled of 2 concurrent invokes with reserved concurrency 1, want 1", throttled)
	}

	// Reserved concurrency 0 turns the function off.
	c.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("slow"), ReservedConcurrentExecutions: aws.Int32(0)})
	_, err = tryInvoke(c, "slow", `{}`, nil)
	wantCode(t, err, "TooManyRequestsException")

	// Too much reserved concurrency leaves too little for the others.
	_, err = c.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("slow"), ReservedConcurrentExecutions: aws.Int32(20)})
	wantCode(t, err, "InvalidParameterValueException")

	if _, err := c.DeleteFunctionConcurrency(ctx, &awslambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("slow")}); err != nil {
		t.Fatal(err)
	}
	if out := invoke(t, c, "slow", `{"ms":1}`, nil); out.FunctionError != nil {
		t.Errorf("invoke after DeleteFunctionConcurrency failed: %s", out.Payload)
	}
}

func TestInvokeAccountConcurrency(t *testing.T) {
	t.Parallel()
	s, url := testService(t, func(c *Config) { c.AccountConcurrency = 2 })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "slow", zipOf(t, "sleep"), nil)
	var throttled int
	for _, err := range concurrentInvokes(t, s, c, "slow", `{"ms":800}`, 3) {
		var tm *types.TooManyRequestsException
		if errors.As(err, &tm) {
			throttled++
			if tm.Reason != types.ThrottleReasonConcurrentInvocationLimitExceeded {
				t.Errorf("got reason %q, want ConcurrentInvocationLimitExceeded", tm.Reason)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if throttled != 1 {
		t.Errorf("got %d throttled of 3 concurrent invokes with account concurrency 2, want 1", throttled)
	}
	// Another account has its own limit.
	other := client(url, "210987654321")
	createFunction(t, other, "slow", zipOf(t, "sleep"), roleIn("210987654321"))
	for _, err := range concurrentInvokes(t, s, other, "slow", `{"ms":300}`, 2) {
		if err != nil {
			t.Errorf("other account: %v", err)
		}
	}
}

// concurrentInvokes starts n invocations one after the other and returns
// their errors. Each starts once the one before holds an execution slot of
// s (or was refused one), polled on s's limiter rather than guessed with a
// sleep; they overlap because each sleeps longer than starting the rest
// takes.
func concurrentInvokes(t *testing.T, s *Service, c *awslambda.Client, name, payload string, n int) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		before := s.conc.busy()
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			_, errs[i] = tryInvoke(c, name, payload, nil)
		}()
		deadline := time.Now().Add(30 * time.Second)
	started:
		for s.conc.busy() <= before {
			select {
			case <-done:
				break started
			case <-time.After(5 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("invocation %d of %s never took a slot nor finished", i+1, name)
			}
		}
	}
	wg.Wait()
	return errs
}

// busy is the number of execution slots taken, in every account.
func (l *limiter) busy() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.inflight {
		n += v
	}
	for _, v := range l.unreserved {
		n += v
	}
	return n
}

func TestInvokeInvalidEntrypoint(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	echoBin := unzipEntry(t, zipOf(t, "echo"), "bootstrap")
	tests := []struct {
		name string
		zip  []byte
		arch types.Architecture
		want string
	}{
		{"other arch", otherArchZip(t), "", "built for " + runtime.GOOS + "/"},
		{"declared arm64", otherArchZip(t), types.ArchitectureArm64, "built for " + runtime.GOOS + "/"},
		{"script without shebang", zipFiles(t, map[string]fileSpec{"bootstrap": {[]byte("echo hello\n"), 0o755}}), "", "neither an executable"},
		{"no bootstrap", zipFiles(t, map[string]fileSpec{"main": {echoBin, 0o755}}), "", "no file named bootstrap"},
		{"not executable", zipFiles(t, map[string]fileSpec{"bootstrap": {echoBin, 0o644}}), "", "not executable"},
		{"damaged macOS binary", zipFiles(t, map[string]fileSpec{"bootstrap": {[]byte("\xcf\xfa\xed\xfe rest"), 0o755}}), "", "damaged Mach-O"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "bad" + string(rune('a'+i))
			createFunction(t, c, name, tt.zip, func(in *awslambda.CreateFunctionInput) {
				if tt.arch != "" {
					in.Architectures = []types.Architecture{tt.arch}
				}
			})
			out := invoke(t, c, name, `{}`, withTail)
			e := fnErrorOf(t, out)
			if e.Type != "Runtime.InvalidEntrypoint" || !strings.Contains(e.Message, tt.want) || !strings.Contains(e.Message, "`lab deploy "+name+"`") || !strings.Contains(e.Message, "`lab package DIR`") {
				t.Errorf("got %+v, want Runtime.InvalidEntrypoint mentioning %q and how to rebuild", e, tt.want)
			}
			if !strings.Contains(tailOf(t, out), "Runtime.InvalidEntrypoint") {
				t.Errorf("log tail lacks the error")
			}
		})
	}
}

func TestInvokeInitFailures(t *testing.T) {
	t.Parallel()
	_, url := testService(t, func(c *Config) { c.InitTimeout = 2 * time.Second })
	c := client(url, cloudtest.Account)
	tests := []struct {
		name     string
		zip      []byte
		env      map[string]string
		wantType string
		wantMsg  string
	}{
		{"exits during init", zipOf(t, "slowinit"), map[string]string{"INIT_FAIL": "1"}, "Runtime.ExitError", "exit status 3"},
		{"script exits", zipFiles(t, map[string]fileSpec{"bootstrap": {[]byte("#!/bin/sh\necho starting\nexit 4\n"), 0o755}}), nil, "Runtime.ExitError", "exit status 4"},
		{"init too slow", zipOf(t, "slowinit"), map[string]string{"INIT_SLEEP_MS": "5000"}, "Sandbox.Timedout", "timed out"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := "init" + string(rune('a'+i))
			createFunction(t, c, name, tt.zip, func(in *awslambda.CreateFunctionInput) {
				in.Environment = &types.Environment{Variables: tt.env}
			})
			e := fnErrorOf(t, invoke(t, c, name, `{}`, nil))
			if e.Type != tt.wantType || !strings.Contains(e.Message, tt.wantMsg) {
				t.Errorf("got %+v, want %s with %q", e, tt.wantType, tt.wantMsg)
			}
		})
	}

	// A slow but successful init is reported as the Init Duration.
	createFunction(t, c, "slowstart", zipOf(t, "slowinit"), func(in *awslambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"INIT_SLEEP_MS": "300"}}
	})
	out := invoke(t, c, "slowstart", `{}`, withTail)
	if string(out.Payload) != `"ready"` {
		t.Fatalf("got %s", out.Payload)
	}
	m := regexp.MustCompile(`Init Duration: (\d+)\.\d+ ms`).FindStringSubmatch(tailOf(t, out))
	if m == nil || len(m[1]) < 3 {
		t.Errorf("got init duration %v, want at least 300 ms", m)
	}
}

func TestInvokeEventRetries(t *testing.T) {
	t.Parallel()
	bus := activity.NewBus()
	events, stop := bus.Subscribe(100)
	defer stop()
	_, url := testService(t, func(c *Config) { c.Bus = bus })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "flaky", zipOf(t, "panic"), nil)

	out, err := tryInvoke(c, "flaky", `{"error":"always fails"}`, func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent })
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event invoke: got %v, %v; want status 202", out, err)
	}
	// One attempt and two retries.
	var outcomes []string
	timeout := time.After(10 * time.Second)
	for len(outcomes) < 3 {
		select {
		case ev := <-events:
			if ev.Kind == activity.KindInvocation && ev.Name == "flaky" {
				outcomes = append(outcomes, ev.Outcome)
			}
		case <-timeout:
			t.Fatalf("got %d attempts, want 3", len(outcomes))
		}
	}
	for i, o := range outcomes {
		if o != "error" {
			t.Errorf("attempt %d: got outcome %q, want error", i, o)
		}
	}
	select {
	case ev := <-events:
		if ev.Kind == activity.KindInvocation {
			t.Errorf("got a fourth attempt: %+v", ev)
		}
	case <-time.After(300 * time.Millisecond):
	}

	// A successful Event invocation runs once.
	tryInvoke(c, "flaky", `{}`, func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent })
	select {
	case ev := <-events:
		if ev.Outcome != "ok" {
			t.Errorf("got outcome %q, want ok", ev.Outcome)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Event invocation did not run")
	}

	// DryRun checks and runs nothing.
	out, err = tryInvoke(c, "flaky", `{}`, func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeDryRun })
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun: got %v, %v; want 204", out, err)
	}
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	t.Parallel()
	s, url := testService(t, func(c *Config) { c.IdleTimeout = 100 * time.Millisecond })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "brief", zipOf(t, "echo"), nil)
	invoke(t, c, "brief", `{}`, nil)
	pids := envPIDs(s)
	if len(pids) != 1 {
		t.Fatalf("got %d environments, want 1", len(pids))
	}
	waitFor(t, 30*time.Second, "the idle environment to stop", func() bool { return processGone(pids[0]) && len(envPIDs(s)) == 0 })
	invoke(t, c, "brief", `{}`, nil) // and a new one starts
}

// busyEnvs counts environments running an invocation.
func busyEnvs(s *Service) int {
	s.envs.mu.Lock()
	all := make([]*env, 0, len(s.envs.all))
	for e := range s.envs.all {
		all = append(all, e)
	}
	s.envs.mu.Unlock()
	n := 0
	for _, e := range all {
		e.mu.Lock()
		if e.cur != nil {
			n++
		}
		e.mu.Unlock()
	}
	return n
}

func TestUpdateRetiresWarmEnvironments(t *testing.T) {
	t.Parallel()
	bus := activity.NewBus()
	events, stop := bus.Subscribe(100)
	defer stop()
	_, url := testService(t, func(c *Config) { c.Bus = bus })
	c := client(url, cloudtest.Account)
	createFunction(t, c, "gen", zipOf(t, "env"), nil)
	pid := func() int {
		var o struct{ PID int }
		json.Unmarshal(invoke(t, c, "gen", `{}`, nil).Payload, &o)
		return o.PID
	}
	cold := func() bool {
		for {
			select {
			case ev := <-events:
				if ev.Kind == activity.KindInvocation && ev.Name == "gen" {
					if ev.Outcome != "ok" || ev.Duration <= 0 || ev.Account != cloudtest.Account {
						t.Errorf("got event %+v", ev)
					}
					return ev.Cold
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no invocation event")
			}
		}
	}
	first := pid()
	if !cold() {
		t.Errorf("the first invocation was not cold")
	}
	if again := pid(); again != first || cold() {
		t.Errorf("the second invocation ran in pid %d (first %d), want the warm one", again, first)
	}
	if _, err := c.UpdateFunctionConfiguration(context.Background(), &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("gen"), Description: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	second := pid()
	if second == first || !cold() {
		t.Errorf("after an update: got pid %d (before %d), want a new cold environment", second, first)
	}
	waitFor(t, 30*time.Second, "the retired environment to stop", func() bool { return processGone(first) })
	if _, err := c.UpdateFunctionCode(context.Background(), &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("gen"), ZipFile: zipOf(t, "env")}); err != nil {
		t.Fatal(err)
	}
	if third := pid(); third == second || !cold() {
		t.Errorf("after a code update: got pid %d (before %d), want a new environment", third, second)
	}
	waitFor(t, 30*time.Second, "the retired environment to stop", func() bool { return processGone(second) })
}

// headerRecorder records whether a handler answered at all.
type headerRecorder struct {
	httptest.ResponseRecorder
	wrote bool
}

func (h *headerRecorder) WriteHeader(code int) { h.wrote = true; h.ResponseRecorder.WriteHeader(code) }
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.wrote = true
	return h.ResponseRecorder.Write(b)
}

// TestShutdownLeavesNextUnanswered: while the cloud shuts down, a runtime
// polling for its next invocation gets no answer until its environment is
// killed. An error answer would make aws-lambda-go print "failed to GET
// .../invocation/next" into the function's log group, which AWS never shows.
func TestShutdownLeavesNextUnanswered(t *testing.T) {
	s := &Service{closed: make(chan struct{})}
	e := &env{s: s, ready: make(chan struct{}), work: make(chan *invocation)}
	close(s.closed)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "/2018-06-01/runtime/invocation/next", nil).WithContext(ctx)
	rec := &headerRecorder{ResponseRecorder: *httptest.NewRecorder()}
	e.next(rec, req)
	if rec.wrote {
		t.Errorf("next answered %d %q during shutdown; want no answer", rec.Code, rec.Body.String())
	}
}
