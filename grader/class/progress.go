package class

import (
	"fmt"
	"io"
	"time"

	"github.com/labkit-dev/labkit/grader/report"
)

// Progress shows a run's progress: on a terminal one line redrawn in place
// (learners done / total, not graded so far, an ETA), otherwise one plain
// line per learner.
type Progress struct {
	W     io.Writer
	TTY   bool
	Total int
	// Now is the clock (default time.Now).
	Now func() time.Time

	start           time.Time
	done, notGraded int
}

// Learner records one learner's result.
func (p *Progress) Learner(r LearnerResult) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.start.IsZero() {
		p.start = p.Now().Add(-r.Elapsed)
	}
	p.done++
	if r.Status != StatusGraded {
		p.notGraded++
	}
	if !p.TTY {
		score := r.Status
		if r.Points != nil {
			score = fmt.Sprintf("%s %s/%s", r.Status, num(*r.Points), num(r.Max))
		}
		// The message may quote a learner's API: no terminal controls.
		fmt.Fprintf(p.W, "[%d/%d] %s: %s (%s)", p.done, p.Total, report.Printable(r.ID), score, r.Elapsed.Round(time.Millisecond))
		if r.Status != StatusGraded {
			fmt.Fprintf(p.W, ": %s", report.Printable(r.Message))
		}
		fmt.Fprintln(p.W)
		return
	}
	fmt.Fprintf(p.W, "\r\x1b[K%d/%d learners graded, %d not graded so far, ETA %s", p.done, p.Total, p.notGraded, p.eta())
	if p.done == p.Total {
		fmt.Fprintln(p.W)
	}
}

// eta extrapolates the time left from the pace so far.
func (p *Progress) eta() string {
	if p.done == 0 {
		return "?"
	}
	elapsed := p.Now().Sub(p.start)
	left := time.Duration(float64(elapsed) / float64(p.done) * float64(p.Total-p.done))
	return left.Round(time.Second).String()
}
