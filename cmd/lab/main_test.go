package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/kit/bundle"
)

// lockedBuffer is a bytes.Buffer safe to read while a command writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startLab runs `lab args...` in the background until the test ends and
// returns its stdout buffer and a channel with its exit code.
func startLab(t *testing.T, args ...string) (*lockedBuffer, <-chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("lab %v did not stop within 10s of cancel; stderr: %s", args, errb.String())
		}
	})
	return &out, done
}

func waitHealthy(t *testing.T, addr string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/_lab/health")
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("health: got status %d, want 200", resp.StatusCode)
			}
			var h map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
				t.Fatalf("health body: %v", err)
			}
			return h
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("local cloud at %s never became healthy", addr)
	return nil
}

func TestCloudServesHealthAndStopsOnCancel(t *testing.T) {
	addr := freeAddr(t)
	out, _ := startLab(t, "cloud", "--addr", addr, "--data", t.TempDir())
	h := waitHealthy(t, addr)
	if h["status"] != "ok" {
		t.Errorf("health status: got %v, want ok", h["status"])
	}
	if _, ok := h["services"].(map[string]any); !ok {
		t.Errorf("health services: got %T, want an object", h["services"])
	}
	if !strings.Contains(out.String(), "http://"+addr) {
		t.Errorf("banner %q does not name the endpoint", out.String())
	}
}

func TestBusyPortFailsAtStartWithAdvice(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"cloud", "--addr", ln.Addr().String(), "--data", t.TempDir()}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit code: got %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "already in use") || !strings.Contains(errb.String(), "--addr") {
		t.Errorf("stderr %q should say the port is in use and how to pick another", errb.String())
	}
}

func TestUnusableDataDirFailsAtStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"cloud", "--addr", freeAddr(t), "--data", filepath.Join(file, "sub")}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit code: got %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "data directory") || !strings.Contains(errb.String(), "--data") {
		t.Errorf("stderr %q should name the data directory problem and the --data flag", errb.String())
	}
}

func TestUnknownCommandAndBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"nope"}, 2},
		{[]string{"cloud", "--no-such-flag"}, 2},
		{[]string{"up", "--web-addr", "nonsense"}, 1},
		{[]string{"help"}, 0},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if got := Run(context.Background(), tt.args, &out, &errb); got != tt.want {
			t.Errorf("lab %v: got exit %d, want %d (stderr %q)", tt.args, got, tt.want, errb.String())
		}
	}
}

func TestNamesSetAndList(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.json")
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"names", "set", "ordersTable", "ShopOrders", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("names set: exit %d, %s", code, errb.String())
	}
	out.Reset()
	if code := Run(context.Background(), []string{"names", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("names: exit %d", code)
	}
	if !strings.Contains(out.String(), "ShopOrders") || !strings.Contains(out.String(), "order-events") {
		t.Errorf("names list: got\n%s", out.String())
	}
	if code := Run(context.Background(), []string{"names", "set", "ordrsTable", "x", "--config", cfg}, &out, &errb); code != 2 {
		t.Errorf("unknown key: got exit %d, want 2", code)
	}
}

func TestPackageBuildsAZipWithBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	out := filepath.Join(t.TempDir(), "intake.zip")
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"package", "../../solutions/order-intake", "-o", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("lab package: exit %d: %s", code, stderr.String())
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != bundle.EntryFor(runtime.GOOS) || zr.File[0].Mode()&0o111 == 0 {
		t.Errorf("zip entries: got %v, want one executable %s", zr.File, bundle.EntryFor(runtime.GOOS))
	}
	// --target aws builds what Lambda runs: a linux executable named bootstrap.
	awsOut := filepath.Join(t.TempDir(), "intake-aws.zip")
	if code := Run(context.Background(), []string{"package", "../../solutions/order-intake", "--target", "aws", "-o", awsOut}, &stdout, &stderr); code != 0 {
		t.Fatalf("lab package --target aws: exit %d: %s", code, stderr.String())
	}
	azr, err := zip.OpenReader(awsOut)
	if err != nil {
		t.Fatal(err)
	}
	defer azr.Close()
	if len(azr.File) != 1 || azr.File[0].Name != "bootstrap" {
		t.Fatalf("zip entries: got %v, want one bootstrap", azr.File)
	}
	rc, err := azr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 4)
	io.ReadFull(rc, head)
	rc.Close()
	if string(head) != "\x7fELF" {
		t.Errorf("--target aws: got header %q, want a linux ELF executable", head)
	}
	if code := Run(context.Background(), []string{"package", "../../solutions/order-intake", "--target", "moon"}, &stdout, &stderr); code != 2 {
		t.Errorf("bad target: got exit %d, want 2", code)
	}
	if !strings.Contains(stdout.String(), "aws lambda create-function") {
		t.Errorf("lab package should say what to do next:\n%s", stdout.String())
	}
	if code := Run(context.Background(), []string{"package", "../../solutions/order-intake", "--arch", "sparc"}, &stdout, &stderr); code != 2 {
		t.Errorf("bad arch: got exit %d, want 2", code)
	}
}

func TestCloudGuardFlags(t *testing.T) {
	addr := freeAddr(t)
	startLab(t, "cloud", "--addr", addr, "--data", t.TempDir(), "--allow-host", "labs.internal", "--allow-origin", "http://localhost:3000", "--allow-origin", "http://localhost:5173")
	waitHealthy(t, addr)
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		host, origin string
		want         int
	}{
		{"labs.internal:" + port, "", http.StatusOK},
		{"rebind.attacker.example:" + port, "", http.StatusForbidden},
		{addr, "http://localhost:5173", http.StatusOK},
		{addr, "http://evil.example", http.StatusForbidden},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", "http://"+addr+"/_lab/health", nil)
		req.Host = tt.host
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("host %s origin %q: got %d, want %d", tt.host, tt.origin, resp.StatusCode, tt.want)
		}
	}
}

// TestEveryCommandHelp runs every subcommand with -h and --help: each exits
// 0 and prints its usage line and flags, and none starts work (lab deploy -h
// used to panic on a nil FlagSet, issue 11 item 4).
func TestEveryCommandHelp(t *testing.T) {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	// The commands with subcommands: each subcommand's -h too (lab class
	// check-roster -h used to open a roster file named -h).
	names = append(names, "class check-roster", "class grade", "class passwd", "submission grade", "names set")
	for _, name := range names {
		for _, flagName := range []string{"-h", "--help"} {
			t.Run(name+flagName, func(t *testing.T) {
				var out, errb bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				code := Run(ctx, append(strings.Fields(name), flagName), &out, &errb)
				all := out.String() + errb.String()
				if code != 0 {
					t.Fatalf("lab %s %s: exit %d, want 0\n%s", name, flagName, code, all)
				}
				first := strings.Fields(name)[0]
				if !strings.Contains(all, "usage: lab "+first) && !strings.Contains(all, "Usage of lab "+first) {
					t.Errorf("lab %s %s printed no usage line:\n%s", name, flagName, all)
				}
				if !strings.Contains(all, "-") {
					t.Errorf("lab %s %s printed no flags:\n%s", name, flagName, all)
				}
				if strings.Contains(all, "help requested") {
					t.Errorf("lab %s %s printed the help sentinel as an error:\n%s", name, flagName, all)
				}
			})
		}
	}
}
