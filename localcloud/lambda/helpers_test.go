package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// testFunctions are the test functions under testdata, built once per test
// binary run.
var testFunctions = []string{"echo", "sleep", "panic", "env", "logs", "slowinit", "orphan"}

var built struct {
	once sync.Once
	zips map[string][]byte
	err  error
}

// zipOf returns the zip of testdata/<name>, building every test function
// (in parallel) on first use.
func zipOf(t testing.TB, name string) []byte {
	t.Helper()
	built.once.Do(func() {
		built.zips = map[string][]byte{}
		// LAMBDA_TEST_ZIPS names a folder of prebuilt <name>.zip files, for
		// a test binary run where no go command can (Windows under Wine).
		if dir := os.Getenv("LAMBDA_TEST_ZIPS"); dir != "" {
			for _, n := range testFunctions {
				b, err := os.ReadFile(filepath.Join(dir, n+".zip"))
				if err == nil {
					built.zips[n] = b
				}
			}
			return
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var errs []error
		for _, n := range testFunctions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := bundle.Build(context.Background(), "testdata/"+n, bundle.Options{})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				built.zips[n] = b
			}()
		}
		wg.Wait()
		built.err = errors.Join(errs...)
	})
	if built.err != nil {
		t.Fatalf("build test functions: %v", built.err)
	}
	b, ok := built.zips[name]
	if !ok {
		t.Fatalf("no test function %q", name)
	}
	return b
}

// otherArchZip returns the echo function built for the architecture this
// machine is not. With -short it patches the ELF header of the native build
// instead of cross-compiling (slow on a cold build cache).
var otherArch struct {
	once sync.Once
	zip  []byte
	err  error
}

func otherArchZip(t testing.TB) []byte {
	t.Helper()
	arch := "arm64"
	if runtime.GOARCH == "arm64" {
		arch = "amd64"
	}
	if testing.Short() {
		bin := unzipEntry(t, zipOf(t, "echo"), "bootstrap")
		bin = append([]byte(nil), bin...)
		machine := uint16(183) // EM_AARCH64
		if arch == "amd64" {
			machine = 62 // EM_X86_64
		}
		bin[18], bin[19] = byte(machine), byte(machine>>8)
		return zipFiles(t, map[string]fileSpec{"bootstrap": {bin, 0o755}})
	}
	otherArch.once.Do(func() {
		otherArch.zip, otherArch.err = bundle.Build(context.Background(), "testdata/echo", bundle.Options{Arch: arch})
	})
	if otherArch.err != nil {
		t.Fatalf("build echo for %s: %v", arch, otherArch.err)
	}
	return otherArch.zip
}

type fileSpec struct {
	data []byte
	mode os.FileMode
}

// zipFiles builds a zip with the given entries and modes.
func zipFiles(t testing.TB, files map[string]fileSpec) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, f := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(f.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func unzipEntry(t testing.TB, b []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var out bytes.Buffer
			out.ReadFrom(rc)
			return out.Bytes()
		}
	}
	t.Fatalf("zip has no %s", name)
	return nil
}

// testService starts a Service in a temporary data directory behind a real
// listener; mod adjusts its Config.
func testService(t testing.TB, mod func(*Config)) (*Service, string) {
	t.Helper()
	cfg := Config{
		DataDir:          t.TempDir(),
		Endpoint:         "http://127.0.0.1:4566",
		Logger:           cloudtest.Logger(t),
		IdleTimeout:      time.Minute,
		AsyncRetryDelays: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cloudtest.Serve(t, s.Route())
}

// client returns an SDK client acting as account in us-east-1.
func client(url, account string) *awslambda.Client {
	return awslambda.NewFromConfig(cloudtest.Config(url, account, "us-east-1"))
}

const testRole = "arn:aws:iam::123456789012:role/lab-lambda"

// roleIn sets an execution role of account: a role of another account
// cannot be passed.
func roleIn(account string) func(*awslambda.CreateFunctionInput) {
	return func(in *awslambda.CreateFunctionInput) {
		in.Role = aws.String("arn:aws:iam::" + account + ":role/lab-lambda")
	}
}

// createFunction creates a function from a test function's zip.
func createFunction(t testing.TB, c *awslambda.Client, name string, code []byte, mod func(*awslambda.CreateFunctionInput)) *awslambda.CreateFunctionOutput {
	t.Helper()
	in := &awslambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(testRole),
		Code:         &types.FunctionCode{ZipFile: code},
		Timeout:      aws.Int32(10),
	}
	if mod != nil {
		mod(in)
	}
	out, err := c.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction %s: %v", name, err)
	}
	return out
}

// invoke invokes synchronously and fails the test on an API error.
func invoke(t testing.TB, c *awslambda.Client, name string, payload string, mod func(*awslambda.InvokeInput)) *awslambda.InvokeOutput {
	t.Helper()
	out, err := tryInvoke(c, name, payload, mod)
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	return out
}

func tryInvoke(c *awslambda.Client, name string, payload string, mod func(*awslambda.InvokeInput)) (*awslambda.InvokeOutput, error) {
	in := &awslambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)}
	if mod != nil {
		mod(in)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.Invoke(ctx, in)
}

func withTail(in *awslambda.InvokeInput) { in.LogType = types.LogTypeTail }

// tailOf decodes an invocation's X-Amz-Log-Result.
func tailOf(t testing.TB, out *awslambda.InvokeOutput) string {
	t.Helper()
	if out.LogResult == nil {
		t.Fatal("no LogResult in the response")
	}
	b, err := decodeB64(*out.LogResult)
	if err != nil {
		t.Fatalf("LogResult is not base64: %v", err)
	}
	return string(b)
}

// fnErrorOf decodes a function error payload.
func fnErrorOf(t testing.TB, out *awslambda.InvokeOutput) fnError {
	t.Helper()
	if got := aws.ToString(out.FunctionError); got != "Unhandled" {
		t.Fatalf("got FunctionError %q (payload %s), want Unhandled", got, out.Payload)
	}
	var e fnError
	if err := json.Unmarshal(out.Payload, &e); err != nil {
		t.Fatalf("error payload %s is not JSON: %v", out.Payload, err)
	}
	return e
}

// apiCode returns the error code of an SDK error, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails unless err is an API error with code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := apiCode(err); got != code {
		t.Fatalf("got error %v (code %q), want %s", err, got, code)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !waitUntil(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// waitUntil polls cond until it holds (true) or d has passed (false).
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// envPIDs returns the pids of a service's running environments.
func envPIDs(s *Service) []int {
	s.envs.mu.Lock()
	defer s.envs.mu.Unlock()
	var pids []int
	for e := range s.envs.all {
		if e.cmd != nil && e.cmd.Process != nil {
			pids = append(pids, e.cmd.Process.Pid)
		}
	}
	return pids
}

// memLogs is a LogAppender that keeps what it is given.
type memLogs struct {
	mu     sync.Mutex
	events map[string][]protocol.LogEvent // group + " " + stream
}

func (m *memLogs) Append(ctx context.Context, account, region, group, stream string, evs []protocol.LogEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string][]protocol.LogEvent{}
	}
	k := account + " " + region + " " + group + " " + stream
	m.events[k] = append(m.events[k], evs...)
	return nil
}

// text returns every message of a group, stream by stream.
func (m *memLogs) text(group string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for k, evs := range m.events {
		if strings.Split(k, " ")[2] != group {
			continue
		}
		for _, e := range evs {
			b.WriteString(e.Message)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (m *memLogs) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for k := range m.events {
		ks = append(ks, k)
	}
	return ks
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
