package gradescope_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repo is the labkit source tree.
var repo, _ = filepath.Abs("../../..")

// buildLab builds the lab binary the recipe installs.
func buildLab(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lab")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, "./cmd/lab")
	cmd.Dir = repo
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", b)
	return out
}

// lab runs the built binary from the source tree (where `lab solve` finds
// the reference code) and returns its output.
func lab(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repo
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "lab %v: %s", args, b)
	return string(b)
}

// learnerSubmission does what a learner does: runs the local cloud, builds
// labs 1 and 2 (here with lab solve) and runs lab submit.
func learnerSubmission(t *testing.T, bin, out string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cloud := exec.Command(bin, "cloud", "--addr", addr, "--data", t.TempDir())
	require.NoError(t, cloud.Start())
	t.Cleanup(func() { cloud.Process.Kill(); cloud.Wait() })
	endpoint := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(endpoint + "/_lab/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "the local cloud did not start: %v", err)
	}
	cfg := filepath.Join(t.TempDir(), "config.json")
	lab(t, bin, "solve", "lab2", "--endpoint", endpoint, "--config", cfg)
	lab(t, bin, "submit", "--endpoint", endpoint, "--config", cfg, "--out", out)
}

type results struct {
	Score  *float64 `json:"score"`
	Output string   `json:"output"`
	Tests  []struct {
		Name     string   `json:"name"`
		Status   string   `json:"status"`
		Score    *float64 `json:"score"`
		MaxScore *float64 `json:"max_score"`
		Output   string   `json:"output"`
	} `json:"tests"`
}

// TestRecipe runs setup.sh and run_autograder as Gradescope would, with
// /autograder moved to a temporary folder: a learner's archive grades full
// marks, a refused archive and a missing one leave a results.json that says
// why.
func TestRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the lab binary and runs Lambda functions")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("the recipe's scripts need bash")
	}
	bin := buildLab(t)
	source, binDir := t.TempDir(), t.TempDir()
	b, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(source, "lab"), b, 0o755))
	setup := exec.Command("bash", "setup.sh")
	setup.Env = append(os.Environ(), "AUTOGRADER_SOURCE="+source, "LAB_BIN_DIR="+binDir)
	out, err := setup.CombinedOutput()
	require.NoError(t, err, "setup.sh: %s", out)

	good := filepath.Join(t.TempDir(), "submission.zip")
	learnerSubmission(t, bin, good)

	for _, tc := range []struct {
		name  string
		files map[string]string // submission folder: name -> archive path or content
		check func(t *testing.T, r results)
	}{
		{"learner's archive", map[string]string{"submission.zip": "@" + good}, func(t *testing.T, r results) {
			require.NotEmpty(t, r.Tests)
			var max float64
			for _, tc := range r.Tests {
				assert.Equal(t, "passed", tc.Status, "%s: %s", tc.Name, tc.Output)
				max += *tc.MaxScore
			}
			assert.Equal(t, max, *r.Score, "full marks")
		}},
		{"refused archive", map[string]string{"submission.zip": "PK not really a zip"}, func(t *testing.T, r results) {
			assert.Equal(t, 0.0, *r.Score)
			assert.Contains(t, r.Output, "could not be graded: invalid submission: not a zip archive")
		}},
		{"nothing handed in", map[string]string{"notes.txt": "I forgot"}, func(t *testing.T, r results) {
			assert.Equal(t, 0.0, *r.Score)
			assert.Contains(t, r.Output, "No submission archive")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(root, "submission"), 0o755))
			for name, content := range tc.files {
				data := []byte(content)
				if content[0] == '@' {
					data, err = os.ReadFile(content[1:])
					require.NoError(t, err)
				}
				require.NoError(t, os.WriteFile(filepath.Join(root, "submission", name), data, 0o644))
			}
			cmd := exec.CommandContext(context.Background(), "bash", "run_autograder")
			cmd.Env = append(os.Environ(), "AUTOGRADER_ROOT="+root, "PATH="+binDir+":"+os.Getenv("PATH"), "LAB_LABS=lab2")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "run_autograder: %s", out)
			b, err := os.ReadFile(filepath.Join(root, "results", "results.json"))
			require.NoError(t, err, "run_autograder wrote no results.json: %s", out)
			var r results
			require.NoError(t, json.Unmarshal(b, &r), "results.json: %s", b)
			require.NotNil(t, r.Score, "results.json has no score: %s", b)
			tc.check(t, r)
		})
	}
}
