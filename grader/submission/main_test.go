package submission_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/labkit-dev/labkit/grader/submission"
)

// serveIsolatedArg makes this test binary act as `lab submission
// serve-isolated`, so the sandbox tests re-run it as the real command does.
const serveIsolatedArg = "submission-serve-isolated"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveIsolatedArg {
		if err := submission.ServeIsolated(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sandbox is a Sandbox that runs this test binary as its local cloud and
// logs to the test.
func sandbox(t testing.TB) *submission.Sandbox {
	sb, _ := loggedSandbox(t)
	return sb
}

// loggedSandbox is sandbox with its log kept too.
func loggedSandbox(t testing.TB) (*submission.Sandbox, *testLog) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{t: t}
	return &submission.Sandbox{Exe: exe, Args: []string{serveIsolatedArg}, Log: slog.New(slog.NewTextHandler(l, nil))}, l
}

// testLog sends log lines to t.Log and keeps them.
type testLog struct {
	t   testing.TB
	mu  sync.Mutex
	all strings.Builder
}

func (l *testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	return len(p), nil
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}
