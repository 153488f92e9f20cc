//go:build !learner

package starter_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testEvent is one line of go test -json output.
type testEvent struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// testRun is what one go test -json run reported for top-level tests: package -> test -> the
// final action (pass, fail or skip).
type testRun map[string]map[string]string

// goTestJSON runs go test -json with args in dir and returns the top-level results, the
// combined output for failure messages, and whether go test exited 0.
func goTestJSON(t *testing.T, dir string, args ...string) (testRun, string, bool) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("find the go command: %v", err)
	}
	cmd := exec.Command(goBin, append([]string{"test", "-json"}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if _, isExit := runErr.(*exec.ExitError); runErr != nil && !isExit {
		t.Fatalf("run go %s: %v", strings.Join(args, " "), runErr)
	}

	run := testRun{}
	var out strings.Builder
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev testEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			out.WriteString(sc.Text() + "\n")
			continue
		}
		out.WriteString(ev.Output)
		if ev.Test == "" || strings.Contains(ev.Test, "/") {
			continue
		}
		switch ev.Action {
		case "pass", "fail", "skip":
			pkg := strings.TrimPrefix(ev.Package, "github.com/labkit-dev/labkit/")
			if run[pkg] == nil {
				run[pkg] = map[string]string{}
			}
			run[pkg][ev.Test] = ev.Action
		}
	}
	out.WriteString(stderr.String())
	return run, out.String(), runErr == nil
}

// TestLearnerTestsFailOnStarterAndPassOnSolutions proves the learner tests (build tag
// "learner") are worth running: on the untouched starter exactly the listed tests fail, and
// the very same test files, placed into the solutions' packages with go test -overlay, pass.
func TestLearnerTestsFailOnStarterAndPassOnSolutions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the learner tests of ten packages in subprocesses")
	}
	// The learner tests that must fail on the untouched starter; the others pass on it (for
	// example a deny-all authorizer passes "denies everything else").
	mustFail := map[string][]string{
		"order-authorizer": {"TestAuthorizerAllowsValidTokens"},
		"order-intake": {"TestCreateOrderStoresIt", "TestCreateOrderWithoutKeyMakesNewOrders",
			"TestCreateOrderRejectsInvalidInput", "TestCreateOrderChannelMismatch",
			"TestCreateOrderIdempotencyKey", "TestGetOrder", "TestGetOrderNotFound", "TestCreateOrderBase64Body"},
		"order-publisher": {"TestPublishesInsertedOrder", "TestPublishesOnlyInserts", "TestReportsFailedRecords"},
		"inventory-worker": {"TestWorkerCompletesEachOrder", "TestWorkerReportsPoisonMessage",
			"TestWorkerReportsDownstreamFailure", "TestWorkerSkipsOrdersAlreadyDone", "TestWorkerRetriesWithTheSameKey"},
		"accounting-worker": {"TestWorkerCompletesEachOrder", "TestWorkerReportsPoisonMessage",
			"TestWorkerReportsDownstreamFailure", "TestWorkerSkipsOrdersAlreadyDone", "TestWorkerRetriesWithTheSameKey"},
	}

	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	found, err := filepath.Glob(filepath.Join(root, "starter", "*", "learner_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var functions []string
	for _, f := range found {
		functions = append(functions, filepath.Base(filepath.Dir(f)))
	}
	slices.Sort(functions)
	if want := slices.Sorted(func(yield func(string) bool) {
		for fn := range mustFail {
			if !yield(fn) {
				return
			}
		}
	}); !slices.Equal(functions, want) {
		t.Fatalf("learner test files in starter/%v, want one per function %v (update mustFail)", functions, want)
	}

	start := time.Now()
	var starterPkgs []string
	for _, fn := range functions {
		starterPkgs = append(starterPkgs, "./starter/"+fn)
	}
	starterRun, starterOut, ok := goTestJSON(t, root, append([]string{"-tags", "learner"}, starterPkgs...)...)
	if ok {
		t.Errorf("go test -tags learner %v passed on the untouched starter, want failures", starterPkgs)
	}

	// The same test files and testdata, placed into the solutions' packages.
	replace := map[string]string{}
	for _, fn := range functions {
		from := filepath.Join(root, "starter", fn)
		to := filepath.Join(root, "solutions", fn)
		replace[filepath.Join(to, "learner_test.go")] = filepath.Join(from, "learner_test.go")
		data, err := filepath.Glob(filepath.Join(from, "testdata", "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range data {
			replace[filepath.Join(to, "testdata", filepath.Base(d))] = d
		}
	}
	// The reference workers are one package with a Service each: the learner
	// tests build the starter's handler struct, so each worker gets that
	// struct as a thin adapter to the shared code.
	for _, fn := range functions {
		svc, ok := strings.CutSuffix(fn, "-worker")
		if !ok {
			continue
		}
		shim := filepath.Join(t.TempDir(), fn+"_shim_test.go")
		if err := os.WriteFile(shim, []byte(fmt.Sprintf(workerShim, strings.ToUpper(svc[:1])+svc[1:])), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, "solutions", fn, "learner_shim_test.go")] = shim
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	var names, solutionPkgs []string
	for _, fn := range functions {
		solutionPkgs = append(solutionPkgs, "./solutions/"+fn)
		for name := range starterRun["starter/"+fn] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	runFlag := "^(" + strings.Join(names, "|") + ")$"
	solutionRun, solutionOut, ok := goTestJSON(t, root, append([]string{"-tags", "learner", "-overlay", overlayFile, "-run", runFlag}, solutionPkgs...)...)
	if !ok {
		t.Errorf("the learner tests failed on the solutions, want them to pass:\n%s", solutionOut)
	}
	t.Logf("both runs took %v", time.Since(start).Round(time.Millisecond))

	for _, fn := range functions {
		got := starterRun["starter/"+fn]
		if len(got) == 0 {
			t.Errorf("starter/%s: no learner test ran (does it compile with -tags learner?):\n%s", fn, starterOut)
			continue
		}
		var failed []string
		for name, action := range got {
			if action == "fail" {
				failed = append(failed, name)
			}
		}
		slices.Sort(failed)
		want := slices.Sorted(slices.Values(mustFail[fn]))
		if !slices.Equal(failed, want) {
			t.Errorf("starter/%s: failing learner tests %v, want exactly %v", fn, failed, want)
		}

		sol := solutionRun["solutions/"+fn]
		for name := range got {
			if sol[name] != "pass" {
				t.Errorf("solutions/%s: learner test %s = %q, want pass", fn, name, sol[name])
			}
		}
		if len(sol) != len(got) {
			t.Errorf("solutions/%s ran %d learner tests, starter/%s %d: want the same tests", fn, len(sol), fn, len(got))
		}
	}
	if t.Failed() {
		fmt.Fprintln(os.Stderr, "note: this test guards the untouched starter; a learner who completed the TODOs sees it fail by design. Learners run: go test -tags learner ./starter/...")
	}
}

// workerShim is the starter worker's handler struct (the fields the learner
// tests set) over the shared reference worker, for the service %s.
const workerShim = `//go:build learner

package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/labkit-dev/labkit/solutions/internal/worker"
)

type handler struct {
	db         worker.OrdersTable
	table      string
	client     *http.Client
	serviceURL string
	log        *slog.Logger
}

func (h *handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return worker.With(worker.%[1]s, h.db, h.table, h.client, h.serviceURL, h.log).Handle(ctx, ev)
}
`
