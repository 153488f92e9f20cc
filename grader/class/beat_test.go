package class_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/web/progress"
)

// TestGradeRosterBeats: while a run grades, it beats in the history (so
// no dashboard takes it for interrupted), and ResumeRoster grades only the
// learners an unfinished run has no result for.
func TestGradeRosterBeats(t *testing.T) {
	ctx := context.Background()
	store, err := progress.Open(ctx, filepath.Join(t.TempDir(), "progress.db"))
	require.NoError(t, err)
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ros, err := class.ParseRoster(strings.NewReader("id,target,account,endpoint\nana,local,111111111111,http://" + ln.Addr().String() + "\n"))
	require.NoError(t, err)
	cfg := class.Config{Checks: nil, ProbeTimeout: 400 * time.Millisecond, BeatEvery: 20 * time.Millisecond}
	run, err := class.GradeRoster(ctx, cfg, ros, nil, class.Selection{}, "r1", store, "cs101", nil)
	require.NoError(t, err)
	info, ok, err := store.ClassRunState(ctx, "r1")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Greater(t, info.Beat.Sub(run.Started), 100*time.Millisecond, "beats while the probe waits")

	// An unfinished run with ana graded: resuming grades ben only.
	ros2, err := class.ParseRoster(strings.NewReader("id,target,account,endpoint\nana,local,111111111111,http://" + ln.Addr().String() + "\nben,local,222222222222,http://127.0.0.1:1\n"))
	require.NoError(t, err)
	part := &class.Run{ID: "r2", Started: time.Now()}
	require.NoError(t, store.StartClassRun(ctx, "cs101", part))
	require.NoError(t, store.RecordClassLearner(ctx, "r2", 0, run.Learners[0], ""))
	part, err = store.ClassRun(ctx, "r2")
	require.NoError(t, err)
	var graded []string
	done, err := class.ResumeRoster(ctx, cfg, ros2, part, store, func(r class.LearnerResult) { graded = append(graded, r.ID) })
	require.NoError(t, err)
	assert.Equal(t, []string{"ben"}, graded)
	back, err := store.ClassRun(ctx, "r2")
	require.NoError(t, err)
	assert.False(t, back.Finished.IsZero())
	require.Len(t, back.Learners, 2)
	assert.Equal(t, done.Learners[1].Status, back.Learners[1].Status)
}
