package submission_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
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

// sandbox is a Sandbox that runs this test binary as its local cloud.
func sandbox(t testing.TB) *submission.Sandbox {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &submission.Sandbox{Exe: exe, Args: []string{serveIsolatedArg}, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
