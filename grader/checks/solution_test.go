package checks_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"

	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/grader"
)

func hostArch() lambdatypes.Architecture {
	if runtime.GOARCH == "arm64" {
		return lambdatypes.ArchitectureArm64
	}
	return lambdatypes.ArchitectureX8664
}

// statuses renders results as "lab/id=status" lines, for comparing runs.
func statuses(rs []grader.Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.Lab + "/" + r.CheckID + "=" + string(r.Status) + "\n")
	}
	return b.String()
}

func wantAll(t testing.TB, rs []grader.Result, want grader.Status) {
	t.Helper()
	for _, r := range rs {
		if r.Status != want {
			t.Errorf("%s: got %s, want %s (reason: %s)", r.Lab+"/"+r.CheckID, r.Status, want, r.Reason)
		}
	}
}

// TestSolutionPasses deploys the reference for labs 1-2 (and lab 3's
// resources) and grades it: every check passes, and grading again gives
// the same verdicts.
func TestSolutionPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	ctx := context.Background()
	cfg := startCloud(t)
	d := newDeployment(t, cfg, nil)
	d.lab1(ctx)
	d.lab2(ctx)
	first := grade(t, cfg, nil, "lab1", "lab2")
	wantAll(t, first, grader.Pass)
	runs := 2
	if os.Getenv("LABKIT_LONG") != "" {
		runs = 10
	}
	for i := 1; i < runs; i++ {
		again := grade(t, cfg, nil, "lab1", "lab2")
		if got, want := statuses(again), statuses(first); got != want {
			t.Fatalf("run %d: verdicts differ:\ngot\n%s\nwant\n%s", i+1, got, want)
		}
	}
}

// TestStarterFailsWithTodoHints deploys the untouched starter code: the
// resource checks pass (the learner's deployment is right) while every
// functional check fails with a reason that points at a starter TODO; then
// the same with the authorizer solved and the intake still the starter.
func TestStarterFailsWithTodoHints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	for _, tc := range []struct {
		name, todo string
		starter    []string
	}{
		{"all starter", "starter/order-authorizer/handler.go", []string{"intakeFunction", "authorizerFunction"}},
		{"intake starter", "starter/order-intake/", []string{"intakeFunction"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := startCloud(t)
			d := newDeployment(t, cfg, nil)
			for _, key := range tc.starter {
				d.code[key] = root + "/starter/" + sourceDirs[key]
			}
			d.lab1(ctx)
			d.lab2(ctx)
			for _, r := range grade(t, cfg, nil, "lab2") {
				functional := r.Step == "try-it"
				switch {
				case !functional && r.Status != grader.Pass:
					t.Errorf("%s: got %s, want pass: %s", r.CheckID, r.Status, r.Reason)
				case functional && r.Status != grader.Fail:
					t.Errorf("%s: got %s, want fail with the starter: %s", r.CheckID, r.Status, r.Reason)
				case functional && !strings.Contains(r.Reason, "TODO(lab 2) in "+tc.todo):
					t.Errorf("%s: reason %q does not point at the TODO(lab 2) in %s", r.CheckID, r.Reason, tc.todo)
				case functional:
					t.Logf("%s: %s", r.CheckID, r.Reason)
				}
			}
		})
	}
}
