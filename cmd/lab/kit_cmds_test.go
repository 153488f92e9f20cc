package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/localcloud/localtest"
	"github.com/labkit-dev/labkit/solutions/token"
	"github.com/labkit-dev/labkit/web/progress"
)

// kitCloud runs a local cloud in this process and returns its URL.
func kitCloud(t *testing.T) string {
	t.Helper()
	url, _ := localtest.Serve(t)
	return url
}

// lab runs the lab command line and returns its exit code and output.
func lab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return labWithin(t, 3*time.Minute, args...)
}

// labWithin is lab with a time limit of d for the command.
func labWithin(t *testing.T, d time.Duration, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	code := Run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestKitCommands drives solve, token, deploy, fail and reset through the
// command line against an in-process local cloud.
func TestKitCommands(t *testing.T) {
	t.Parallel()
	url := kitCloud(t)
	cfg := filepath.Join(t.TempDir(), "config.json")
	target := []string{"--endpoint", url, "--config", cfg}

	code, out, errs := lab(t, append([]string{"solve", "lab2"}, target...)...)
	if code != 0 || !strings.Contains(out, "create function order-intake") {
		t.Fatalf("lab solve lab2: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = lab(t, append([]string{"token", "--channel", "mobile"}, target...)...)
	tok := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(tok, "v1.mobile.") || strings.Count(tok, "\n") != 0 {
		t.Fatalf("lab token: exit %d, got %q (%s)", code, out, errs)
	}
	if _, err := token.Verify([]byte("wrong"), tok, time.Now()); err == nil {
		t.Errorf("token verifies with a wrong secret")
	}
	code, _, errs = lab(t, append([]string{"deploy", "order-publisher", "--from", "solutions"}, target...)...)
	if code == 0 || !strings.Contains(errs, "lab3") {
		t.Errorf("lab deploy of a missing function: exit %d, stderr %q, want an error naming lab3", code, errs)
	}
	code, out, errs = lab(t, append([]string{"deploy", "order-intake", "--from", "solutions"}, target...)...)
	if code != 0 || !strings.Contains(out, "code unchanged") {
		t.Errorf("lab deploy order-intake: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = lab(t, append([]string{"fail", "accounting", "maybe"}, target...)...)
	if code != 2 {
		t.Errorf("lab fail accounting maybe: exit %d (%s), want 2", code, errs)
	}
	code, _, errs = lab(t, append([]string{"solve", "lab9"}, target...)...)
	if code == 0 || !strings.Contains(errs, "lab9") {
		t.Errorf("lab solve lab9: exit %d (%s)", code, errs)
	}
	code, out, errs = lab(t, append([]string{"load", "--orders", "20", "--rate", "20", "--json"}, target...)...)
	var rep kit.LoadReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Accepted != 20 || rep.Lost != 0 {
		t.Errorf("lab load --json: exit %d, report %+v (%v)\n%s", code, rep, err, errs)
	}
	code, out, errs = lab(t, append([]string{"reset", "all"}, target...)...)
	if code != 0 || !strings.Contains(out, "deleted table Orders") || !strings.Contains(out, "deleted function order-intake") {
		t.Errorf("lab reset: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = lab(t, append([]string{"reset"}, target...)...)
	if code != 2 || !strings.Contains(errs, "name what to delete") || strings.Contains(out, "deleted") {
		t.Errorf("lab reset without an argument: exit %d, want 2 and nothing deleted\n%s\n%s", code, out, errs)
	}
	code, out, _ = lab(t, append([]string{"reset", "all"}, target...)...)
	if code != 0 || !strings.Contains(out, "deleted 0 resources") {
		t.Errorf("second lab reset all: exit %d\n%s", code, out)
	}
}

// TestKitCommandsPreflight fails fast when no local cloud answers.
func TestKitCommandsPreflight(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config.json")
	for _, cmd := range [][]string{{"solve", "lab1"}, {"token"}, {"load", "--orders", "1"}, {"reset", "all"}} {
		code, _, errs := lab(t, append(cmd, "--endpoint", "http://127.0.0.1:1", "--config", cfg)...)
		if code != 2 || !strings.Contains(errs, "not answering") {
			t.Errorf("lab %v without a cloud: exit %d, stderr %q, want 2 and advice", cmd, code, errs)
		}
	}
}

// TestKitCommandsHonourAWSEndpointURL runs a kit command with no --endpoint
// and AWS_ENDPOINT_URL naming the local cloud, as the README's setup
// exports it (issue 11 item 6). Not parallel: it sets the environment.
func TestKitCommandsHonourAWSEndpointURL(t *testing.T) {
	url := kitCloud(t)
	cfg := filepath.Join(t.TempDir(), "config.json")
	t.Setenv("AWS_ENDPOINT_URL", url)
	code, out, errs := lab(t, "solve", "lab1", "--config", cfg)
	if code != 0 || !strings.Contains(out, "Orders") {
		t.Fatalf("lab solve lab1 with AWS_ENDPOINT_URL=%s: exit %d\n%s\n%s", url, code, out, errs)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	code, _, errs = lab(t, "solve", "lab1", "--config", cfg, "--endpoint", url)
	if code != 0 {
		t.Errorf("--endpoint must win over AWS_ENDPOINT_URL: exit %d (%s)", code, errs)
	}
}

// TestCheckRecordsProgressForTheWebApp grades lab 1 from the terminal and
// reads the verdicts back from the progress store the web app's sidebar
// reads (issue 11 item 6: the sidebar showed 0/35 after a terminal pass).
func TestCheckRecordsProgressForTheWebApp(t *testing.T) {
	t.Parallel()
	url := kitCloud(t)
	cfg := filepath.Join(t.TempDir(), "config.json")
	data := t.TempDir()
	target := []string{"--endpoint", url, "--config", cfg}
	if code, out, errs := lab(t, append([]string{"solve", "lab1"}, target...)...); code != 0 {
		t.Fatalf("lab solve lab1: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs := lab(t, append([]string{"check", "lab1", "--format", "json", "--data", data}, target...)...)
	if code != 0 {
		t.Fatalf("lab check lab1: exit %d\n%s\n%s", code, out, errs)
	}
	var rep struct{ Results []grader.Result }
	err := json.Unmarshal([]byte(out), &rep)
	results := rep.Results
	if err != nil || len(results) == 0 {
		t.Fatalf("lab check --format json: %v\n%s", err, out)
	}
	store, err := progress.Open(context.Background(), filepath.Join(data, "progress.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	st, err := store.LabProgress(context.Background(), "me", "lab1")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != len(results) {
		t.Fatalf("the progress store holds %d verdicts for lab1, want the %d checks graded: %v", len(st), len(results), st)
	}
	for _, r := range results {
		if st[r.CheckID].Status != r.Status {
			t.Errorf("%s: stored %s, graded %s", r.CheckID, st[r.CheckID].Status, r.Status)
		}
	}
	other := t.TempDir()
	if code, out, errs := lab(t, append([]string{"check", "lab1", "--no-record", "--data", other}, target...)...); code != 0 {
		t.Fatalf("lab check --no-record: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(other, "progress.db")); err == nil {
		t.Errorf("--no-record created a progress store")
	}
}
