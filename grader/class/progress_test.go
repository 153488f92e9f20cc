package class_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/labkit-dev/labkit/grader/class"
)

func TestProgress(t *testing.T) {
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	results := []class.LearnerResult{
		{ID: "ana", Status: class.StatusGraded, Points: pts(9), Max: 9, Elapsed: 2 * time.Second},
		{ID: "ben", Status: class.StatusUnreachable, Message: "AccessDenied", Max: 9, Elapsed: time.Second},
		{ID: "cy", Status: class.StatusGraded, Points: pts(4.5), Max: 9, Elapsed: time.Second},
	}
	var tty, plain strings.Builder
	pt := &class.Progress{W: &tty, TTY: true, Total: 4, Now: clock}
	pp := &class.Progress{W: &plain, Total: 4, Now: clock}
	for _, r := range results {
		pt.Learner(r)
		pp.Learner(r)
		now = now.Add(2 * time.Second)
	}
	// 3 done in 2 s (first) + 4 s = 6 s: 2 s each, one left.
	assert.True(t, strings.HasSuffix(tty.String(), "\r\x1b[K3/4 learners graded, 1 not graded so far, ETA 2s"), "%q", tty.String())
	assert.Equal(t, "[1/4] ana: graded 9/9 (2s)\n[2/4] ben: unreachable (1s): AccessDenied\n[3/4] cy: graded 4.5/9 (1s)\n", plain.String())
}
