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
