package class_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
)

func pts(f float64) *float64 { return &f }

func sampleRun(t *testing.T) *class.Run {
	t.Helper()
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	return &class.Run{ID: "r2", Started: at, Finished: at.Add(time.Second), Labs: []class.LabInfo{{Lab: "lab1", Max: 4}},
		Learners: []class.LearnerResult{
			{ID: "ana", Name: "=HYPERLINK(\"http://evil\")", Status: class.StatusGraded, Labs: []class.LabScore{{Lab: "lab1", Points: pts(4), Max: 4}}, Points: pts(4), Max: 4, GradedAt: at,
				Results: []grader.Result{{Lab: "lab1", CheckID: "a", Status: grader.Pass, Points: 2, Max: 2}, {Lab: "lab1", CheckID: "b", Status: grader.Pass, Points: 2, Max: 2}}},
			{ID: "ben", Name: "Ben", Status: class.StatusGraded, Labs: []class.LabScore{{Lab: "lab1", Points: pts(0), Max: 4}}, Points: pts(0), Max: 4, GradedAt: at,
				Results: []grader.Result{{Lab: "lab1", CheckID: "a", Title: "A", Status: grader.Fail, Max: 2, Hints: []string{"try | this"}}, {Lab: "lab1", CheckID: "b", Status: grader.Fail, Max: 2}}},
			{ID: "cy", Name: "Cy", Status: class.StatusUnreachable, Message: "AccessDenied", Labs: []class.LabScore{{Lab: "lab1", Max: 4}}, Max: 4, GradedAt: at},
		}}
}

// TestGradebookNeverZeroesTheUngraded writes a run and reads the gradebook
// back: an unreachable learner's cells are empty (a real zero stays 0), and
// a name that a spreadsheet would run as a formula is quoted.
func TestGradebookNeverZeroesTheUngraded(t *testing.T) {
	dir := t.TempDir()
	run := sampleRun(t)
	require.NoError(t, class.Write(dir, run, nil))
	b, err := os.ReadFile(filepath.Join(dir, "gradebook.csv"))
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"id", "name", "lab1", "lab1_max", "total", "total_max", "status", "graded_at", "message"},
		{"ana", "'=HYPERLINK(\"http://evil\")", "4", "4", "4", "4", "graded", "2026-12-07T03:00:00Z", ""},
		{"ben", "Ben", "0", "4", "0", "4", "graded", "2026-12-07T03:00:00Z", ""},
		{"cy", "Cy", "", "4", "", "4", "unreachable", "2026-12-07T03:00:00Z", "AccessDenied"},
	}, rows)
	assert.FileExists(t, filepath.Join(dir, "ben", "results.json"))
	assert.NoFileExists(t, filepath.Join(dir, "cy", "results.json"), "a Gradescope score would be a zero")
	again, err := class.LoadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, run.Learners[1].Results[0].Hints, again.Learners[1].Results[0].Hints)
}

func TestSummaryComparesWithThePreviousRun(t *testing.T) {
	prev := sampleRun(t)
	prev.ID = "r1"
	run := sampleRun(t)
	run.Learners[1].Points = pts(2)
	run.Learners[1].Results[1].Status = grader.Pass
	run.Learners[0].Points = pts(2)
	run.Learners[0].Results[0].Status = grader.Fail
	var b bytes.Buffer
	class.WriteSummary(&b, run, prev)
	s := b.String()
	for _, want := range []string{
		"3 learners: 2 graded, 0 grader errors, 1 unreachable",
		"Mean 50.0%, median 50.0% of 4 points",
		"| 50-59% | 2 | ## |",
		"| lab1/a (A) | 2 | try \\| this |",
		"## Changes since the previous run (r1)",
		"Scores up:\n\n- ben: 0 → 2",
		"Scores down:\n\n- ana: 4 → 2",
		"Checks passed by more learners:\n\n- lab1/b: 1 → 2",
		"Checks passed by fewer learners:\n\n- lab1/a: 1 → 0",
		"- cy: unreachable: AccessDenied",
	} {
		assert.Contains(t, s, want)
	}
}

// TestSubmissionWithoutGrader: a learner reached by a submission, with no
// submission grader configured, is a grader error saying so, never a zero.
func TestSubmissionWithoutGrader(t *testing.T) {
	ros, err := class.ParseRoster(strings.NewReader("id,target\ndee,submission\n"))
	require.NoError(t, err)
	checks := []*grader.Check{{Lab: "lab1", ID: "a", Points: 2}}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dee.zip"), []byte("PK"), 0o600))
	for _, tc := range []struct {
		name   string
		hook   class.SubmissionGrader
		status string
		msg    string
		points *float64
	}{
		{"no hook", nil, class.StatusGraderError, "cannot grade submissions", nil},
		{"hook fails", func(context.Context, string, []string) ([]grader.Result, error) {
			return nil, os.ErrInvalid
		}, class.StatusGraderError, "could not be graded: invalid argument", nil},
		{"hook grades", func(_ context.Context, path string, labs []string) ([]grader.Result, error) {
			if filepath.Base(path) != "dee.zip" || strings.Join(labs, ",") != "lab1" {
				return nil, os.ErrNotExist
			}
			return []grader.Result{{Lab: "lab1", CheckID: "a", Status: grader.Pass, Points: 2, Max: 2}}, nil
		}, class.StatusGraded, "", pts(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := class.Config{Checks: checks, Submissions: dir, GradeSubmission: tc.hook}
			r := class.GradeLearner(context.Background(), cfg, ros.Learners[0])
			assert.Equal(t, tc.status, r.Status)
			assert.Contains(t, r.Message, tc.msg)
			assert.Equal(t, tc.points, r.Points)
		})
	}
}
