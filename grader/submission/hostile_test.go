// The sandbox confines submissions to their folder on Linux only (see the
// README), so this test is Linux's.

//go:build linux

package submission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/submission"
	"github.com/labkit-dev/labkit/kit/bundle"
)

type hostileReport struct {
	Cwd     string            `json:"cwd"`
	Env     []string          `json:"env"`
	Reads   map[string]string `json:"reads"`
	Writes  map[string]string `json:"writes"`
	Environ map[string]string `json:"environ"`
	Root    []string          `json:"root"`
	Network string            `json:"network"`
	Limits  map[string]uint64 `json:"limits"`
	Daemon  string            `json:"daemon"`
}

// TestHostileSubmission grades a submission whose order-intake function
// tries to read another learner's submission, the gradebook and the
// grader's environment, to write outside its folder and to reach a server
// on the grader's loopback, side by side with a good submission: it reads,
// reaches and changes none of them, and the good submission grades as it
// did on its own cloud.
func TestHostileSubmission(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	const canary = "canary-7f3a9c-grader-secret"
	t.Setenv("LABKIT_TEST_CANARY", canary)
	t.Setenv("AWS_SECRET_ACCESS_KEY", canary)
	ctx := context.Background()

	var spied atomic.Int32
	spy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { spied.Add(1) }))
	defer spy.Close()
	reports := make(chan hostileReport, 16)

	src := startCloud(t)
	solved(t, src, "lab2")
	good := export(t, src, nil)
	labs := []string{"lab1", "lab2"}
	list, err := submission.Checks(labs)
	require.NoError(t, err)
	want := statuses(submission.GradeAccount(ctx, src.config(learnerAccount), nil, src.addr, list, nil))

	code, err := bundle.Build(ctx, "testdata/hostile", bundle.Options{})
	require.NoError(t, err)
	f := newFixture(t, good, code, spy.URL)
	sb, log := loggedSandbox(t)
	sb.BeforeTeardown = collect(t, reports)
	goodPath, hostilePath, book, dropped := f.good, f.hostile, f.book, f.dropped
	var wg sync.WaitGroup
	var goodRes, hostileRes []grader.Result
	var goodErr, hostileErr error
	wg.Add(2)
	go func() { defer wg.Done(); hostileRes, hostileErr = sb.Grade(ctx, hostilePath, labs) }()
	go func() { defer wg.Done(); goodRes, goodErr = sb.Grade(ctx, goodPath, labs) }()
	wg.Wait()
	require.NoError(t, hostileErr)
	require.NoError(t, goodErr)
	if strings.Contains(log.String(), "namespaces refused") {
		t.Skip("this machine refuses the sandbox's Linux namespaces, so its confinement cannot be shown here:", log.String())
	}
	assert.Equal(t, want, statuses(goodRes), "the good submission grades as on its own cloud")
	assert.Equal(t, grader.Fail, statuses(hostileRes)["lab2/order-accepted"], "the hostile intake answers 500")

	rep := received(t, reports)
	assert.Zero(t, spied.Load(), "the spy on the grader's loopback was reached")
	assert.Equal(t, "started", rep.Daemon)
	assert.Empty(t, daemons(t, f.marker, 5*time.Second), "a process the function left behind outlives the grade")
	lim := submission.DefaultLimits
	assert.Equal(t, map[string]uint64{"CPU": lim.CPUSeconds, "AS": lim.AddressMiB << 20, "FSIZE": lim.FileMiB << 20, "NOFILE": lim.OpenFiles}, rep.Limits, "the function's resource limits")
	assert.True(t, strings.HasPrefix(rep.Network, "error: "), "network: %s", rep.Network)
	t.Logf("hostile function saw: cwd %s, / = %v, reads %v, writes %v, %d environ files", rep.Cwd, rep.Root, rep.Reads, rep.Writes, len(rep.Environ))
	for p, got := range rep.Reads {
		assert.True(t, strings.HasPrefix(got, "error: ") || !strings.Contains(got, canary) && p == "/proc/self/environ", "read %s: got %q", p, got)
	}
	assert.NotContains(t, strings.Join(rep.Env, "\n"), canary, "its environment")
	for f, env := range rep.Environ {
		assert.NotContains(t, env, canary, "%s", f)
	}
	for _, p := range []string{goodPath, book} {
		assert.True(t, strings.HasPrefix(rep.Writes[p], "error: "), "write %s: %s", p, rep.Writes[p])
	}
	after, err := os.ReadFile(goodPath)
	require.NoError(t, err)
	assert.Equal(t, good, after, "alice's submission is unchanged")
	b, err := os.ReadFile(book)
	require.NoError(t, err)
	assert.Equal(t, "id,total\nalice,100\n", string(b), "the gradebook is unchanged")
	for _, p := range dropped {
		assert.NoFileExists(t, p)
	}
	entries, err := os.ReadDir(filepath.Dir(goodPath))
	require.NoError(t, err)
	assert.Len(t, entries, 2, "only the two submissions in their folder")

	t.Run("without namespaces the same attack succeeds", func(t *testing.T) {
		f := newFixture(t, good, code, spy.URL)
		sb := sandbox(t)
		sb.NoNamespaces = true
		sb.BeforeTeardown = collect(t, reports)
		_, err := sb.Grade(ctx, f.hostile, labs)
		require.NoError(t, err)
		rep := received(t, reports)
		assert.Equal(t, "posted: 200 OK", rep.Network, "it reaches the grader's loopback")
		left := daemons(t, f.marker, 0)
		assert.NotEmpty(t, left, "without a PID namespace a process in its own session outlives the grade")
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL) // the test's own leftover
		}
		assert.True(t, strings.HasPrefix(rep.Reads[f.good], "PK\x03\x04") || rep.Reads[f.good] == "pwned", "it reads alice's submission: got %.60q", rep.Reads[f.good])
		assert.Equal(t, "pwned", readString(t, f.book), "it overwrites the gradebook")
		assert.Contains(t, rep.Environ, fmt.Sprintf("/proc/%d/environ", os.Getpid()), "it reads the grader's environment in /proc")
	})
}

// fixture is a folder of two submissions (alice's good one, mallory's with
// the hostile intake function) and an out folder with a gradebook.
type fixture struct {
	good, hostile, book, marker string
	dropped                     []string
}

func newFixture(t *testing.T, good, code []byte, spy string) fixture {
	t.Helper()
	subs, out := t.TempDir(), t.TempDir()
	f := fixture{good: filepath.Join(subs, "alice.zip"), hostile: filepath.Join(subs, "mallory.zip"), book: filepath.Join(out, "gradebook.csv"),
		dropped: []string{filepath.Join(subs, "dropped"), filepath.Join(out, "dropped"), filepath.Join(os.TempDir(), "labkit-hostile-dropped")},
		marker:  fmt.Sprintf("m%d", time.Now().UnixNano())}
	t.Cleanup(func() { os.Remove(f.dropped[2]) })
	require.NoError(t, os.WriteFile(f.good, good, 0o600))
	require.NoError(t, os.WriteFile(f.book, []byte("id,total\nalice,100\n"), 0o600))
	a, err := submission.Read(bytes.NewReader(good), int64(len(good)))
	require.NoError(t, err)
	for i, fn := range a.Account.Functions {
		if fn.Name == "order-intake" {
			a.Code[fn.Code] = code
			a.Account.Functions[i].Env["HOSTILE_REPORT"] = spy
			a.Account.Functions[i].Env["HOSTILE_DAEMON"] = f.marker
			a.Account.Functions[i].Env["HOSTILE_READ"] = strings.Join([]string{f.good, f.book, "/proc/self/environ"}, ";")
			a.Account.Functions[i].Env["HOSTILE_WRITE"] = strings.Join(append([]string{f.good, f.book}, f.dropped...), ";")
		}
	}
	var buf bytes.Buffer
	require.NoError(t, submission.Write(&buf, a))
	require.NoError(t, os.WriteFile(f.hostile, buf.Bytes(), 0o600))
	return f
}

// collect sends the hostile function's reports found in a sandbox's folder
// before its teardown.
func collect(t *testing.T, reports chan<- hostileReport) func(dir string) {
	return func(dir string) {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Name() != "hostile-report.json" {
				return nil
			}
			var rep hostileReport
			if b, err := os.ReadFile(p); err == nil && json.Unmarshal(b, &rep) == nil {
				reports <- rep
			}
			return nil
		})
	}
}

// received returns the hostile function's report (it writes it before the
// grader's first request is answered, so it is there once Grade returns).
func received(t *testing.T, reports chan hostileReport) hostileReport {
	t.Helper()
	select {
	case rep := <-reports:
		for len(reports) > 0 {
			<-reports // later environments of the same function
		}
		return rep
	default:
		t.Fatal("the hostile function never reported: the test proves nothing")
		return hostileReport{}
	}
}

// daemons returns the pids of the processes the hostile function left
// behind (HOSTILE_DAEMON_CHILD=marker in their environment), waiting up to
// wait for them to be gone.
func daemons(t *testing.T, marker string, wait time.Duration) []int {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var pids []int
		files, _ := filepath.Glob("/proc/*/environ")
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, []byte("HOSTILE_DAEMON_CHILD="+marker)) {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
				pids = append(pids, pid)
			}
		}
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
