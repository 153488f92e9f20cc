package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClassGradesSubmissions: a learner builds lab 2 on a local cloud and
// runs `lab submit`; another hands in a broken archive. `lab class grade
// --submissions` grades the good archive in its sandbox with full marks,
// and the broken one is a grader error, never a zero.
func TestClassGradesSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	ctx := context.Background()
	endpoint, _ := classCloud(t)
	subs, out := t.TempDir(), t.TempDir()
	cfg := filepath.Join(t.TempDir(), "config.json")
	run := func(args ...string) (int, string) {
		var o, e lockedBuffer
		code := Run(ctx, args, &o, &e)
		return code, o.String() + e.String()
	}
	code, text := run("solve", "lab2", "--endpoint", endpoint, "--account", "111111111111", "--config", cfg)
	require.Equal(t, 0, code, text)
	code, text = run("submit", "--endpoint", endpoint, "--account", "111111111111", "--config", cfg, "--out", filepath.Join(subs, "ana.zip"))
	require.Equal(t, 0, code, text)
	assert.Contains(t, text, "TOKEN_SECRET left out")
	require.NoError(t, os.WriteFile(filepath.Join(subs, "bob.zip"), []byte("PK\x03\x04 not a zip"), 0o600))
	roster := filepath.Join(t.TempDir(), "class.csv")
	require.NoError(t, os.WriteFile(roster, []byte("id,name,target\nana,Ana,submission\nbob,Bob,submission\n"), 0o600))

	code, text = run("class", "grade", "--roster", roster, "--submissions", subs, "--out", out, "--lab", "lab2", "--data", t.TempDir())
	assert.Equal(t, 1, code, "bob is not graded: %s", text)
	f, err := os.Open(filepath.Join(out, "gradebook.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[col["id"]]] = r
	}
	require.Contains(t, byID, "ana")
	require.Contains(t, byID, "bob")
	assert.Equal(t, "graded", byID["ana"][col["status"]])
	var points, max string
	for h, i := range col {
		if strings.HasPrefix(h, "lab2") && strings.Contains(h, "max") {
			max = byID["ana"][i]
		} else if strings.HasPrefix(h, "lab2") {
			points = byID["ana"][i]
		}
	}
	assert.NotEmpty(t, max, "gradebook columns %v", rows[0])
	assert.Equal(t, max, points, "ana has full marks on lab2 (columns %v, row %v)", rows[0], byID["ana"])
	assert.Equal(t, "grader-error", byID["bob"][col["status"]])
	for h, i := range col {
		if strings.HasPrefix(h, "lab2") && !strings.Contains(h, "max") {
			assert.Empty(t, byID["bob"][i], "bob's %s is empty, not a zero", h)
		}
	}
}

func TestSubmitAndGradeUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.zip")
	require.NoError(t, os.WriteFile(bad, []byte("not a zip"), 0o600))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"submit", "--target", "aws"}, 2, "exports a local-cloud account"},
		{[]string{"submit", "--endpoint", "http://127.0.0.1:1"}, 2, "not answering"},
		{[]string{"submission"}, 2, "usage: lab submission grade ARCHIVE"},
		{[]string{"submission", "grade"}, 2, "usage: lab submission grade ARCHIVE"},
		{[]string{"submission", "grade", bad, "--format", "xml"}, 2, "bad --format"},
		{[]string{"submission", "grade", bad}, 2, "invalid submission: not a zip archive"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var o, e lockedBuffer
			assert.Equal(t, tc.code, Run(context.Background(), tc.args, &o, &e))
			assert.Contains(t, e.String(), tc.want)
		})
	}
}
