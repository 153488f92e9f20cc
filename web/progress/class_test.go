package progress_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/web/progress"
)

// TestClassHistoryIsAppendOnly records a run, reads it back, and shows
// that neither its attempts nor, once finished, the run can be rewritten.
func TestClassHistoryIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "progress.db")
	s, err := progress.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	at := time.UnixMilli(time.Now().UnixMilli()).UTC()
	p := 2.0
	run := &class.Run{ID: "r1", Started: at, Labs: []class.LabInfo{{Lab: "lab1", Max: 2}},
		RosterErrors: []class.RowError{{Line: 3, Column: "id", Col: 1, Msg: "missing id"}}}
	require.NoError(t, s.StartClassRun(ctx, "cs101", run))
	ana := class.LearnerResult{ID: "ana", Status: class.StatusGraded, Labs: []class.LabScore{{Lab: "lab1", Points: &p, Max: 2}}, Points: &p, Max: 2, GradedAt: at,
		Results: []grader.Result{{Lab: "lab1", CheckID: "a", Status: grader.Pass, Points: 2, Max: 2, Evidence: []string{"seen"}}}}
	require.NoError(t, s.RecordClassLearner(ctx, "r1", 0, ana, ""))
	run.Learners = []class.LearnerResult{ana}
	run.Finished = at.Add(time.Second)
	require.NoError(t, s.FinishClassRun(ctx, run))

	got, err := s.ClassRun(ctx, "r1")
	require.NoError(t, err)
	got.Started, got.Finished = got.Started.UTC(), got.Finished.UTC()
	got.Learners[0].GradedAt = got.Learners[0].GradedAt.UTC()
	assert.Equal(t, run, got)
	latest, err := s.LatestClassRun(ctx, "cs101")
	require.NoError(t, err)
	assert.Equal(t, "r1", latest.ID)

	assert.Error(t, s.RecordClassLearner(ctx, "r1", 0, ana, ""), "the same learner twice in a run")
	assert.ErrorContains(t, s.FinishClassRun(ctx, run), "no such unfinished run")
	for _, stmt := range []string{
		`UPDATE class_attempts SET attempt_json = '{}'`,
		`DELETE FROM class_results`,
		`UPDATE class_results SET status = 'fail'`,
		`UPDATE class_runs SET started_at = 0`,
		`DELETE FROM class_runs`,
	} {
		assert.ErrorContains(t, progress.ExecForTest(ctx, s, stmt), "never rewritten", stmt)
	}
}

// TestClassRunBeats: a run beats while it is graded; once its beats stop
// it is interrupted, and of two resumers only one claims it; a finished
// run is neither beaten nor claimed.
func TestClassRunBeats(t *testing.T) {
	ctx := context.Background()
	s, err := progress.Open(ctx, filepath.Join(t.TempDir(), "progress.db"))
	require.NoError(t, err)
	defer s.Close()
	t0 := time.UnixMilli(time.Now().UnixMilli())
	run := &class.Run{ID: "r1", Started: t0, Labs: []class.LabInfo{{Lab: "lab1", Max: 2}}}
	require.NoError(t, s.StartClassRun(ctx, "cs101", run))
	state := func() progress.ClassRunInfo {
		info, ok, err := s.ClassRunState(ctx, "r1")
		require.NoError(t, err)
		require.True(t, ok)
		return info
	}
	assert.Equal(t, t0, state().Beat, "started is the first beat")
	require.NoError(t, s.BeatClassRun(ctx, "r1", t0.Add(10*time.Second)))
	assert.False(t, state().Interrupted(t0.Add(5*time.Second)), "beat after the stale mark")
	assert.True(t, state().Interrupted(t0.Add(11*time.Second)), "no beat since the stale mark")

	ok, err := s.ClaimClassRun(ctx, "r1", t0.Add(time.Minute), t0.Add(5*time.Second))
	require.NoError(t, err)
	assert.False(t, ok, "still beating: not claimed")
	ok, err = s.ClaimClassRun(ctx, "r1", t0.Add(time.Minute), t0.Add(30*time.Second))
	require.NoError(t, err)
	assert.True(t, ok, "stale: claimed")
	ok, err = s.ClaimClassRun(ctx, "r1", t0.Add(time.Minute), t0.Add(30*time.Second))
	require.NoError(t, err)
	assert.False(t, ok, "the first claim beat it: a second resumer does not win")

	run.Finished = t0.Add(2 * time.Minute)
	require.NoError(t, s.FinishClassRun(ctx, run))
	require.NoError(t, s.BeatClassRun(ctx, "r1", t0.Add(3*time.Minute)), "a late beat of a finished run changes nothing")
	assert.Equal(t, t0.Add(time.Minute), state().Beat)
	assert.False(t, state().Interrupted(t0.Add(time.Hour)), "finished")
	ok, err = s.ClaimClassRun(ctx, "r1", t0.Add(time.Hour), t0.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, ok, "a finished run is never claimed")
	_, ok, err = s.ClassRunState(ctx, "nope")
	require.NoError(t, err)
	assert.False(t, ok)
}
