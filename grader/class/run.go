package class

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Selection chooses whom a run regrades; the zero value grades everyone.
type Selection struct {
	// Only regrades these learner ids.
	Only []string
	// OnlyFailed regrades the learners the previous run could not grade
	// (grader errors and unreachable accounts).
	OnlyFailed bool
}

// Partial reports whether s regrades only some learners.
func (s Selection) Partial() bool { return len(s.Only) > 0 || s.OnlyFailed }

// Regrades reports whether s regrades the learner id, given the previous
// run (may be nil).
func (s Selection) Regrades(id string, prev *Run) bool {
	if !s.Partial() || slices.Contains(s.Only, id) {
		return true
	}
	p, ok := prev.learner(id)
	return s.OnlyFailed && ok && p.Status != StatusGraded
}

// History keeps every run, learner attempt and result (the web app's
// SQLite store implements it). A run is recorded as it goes and never
// rewritten.
type History interface {
	StartClassRun(ctx context.Context, classID string, run *Run) error
	RecordClassLearner(ctx context.Context, runID string, seq int, l LearnerResult, carriedFrom string) error
	FinishClassRun(ctx context.Context, run *Run) error
}

// GradeRoster grades the roster's learners chosen by sel and returns the
// run. A partial selection needs prev: the learners it does not regrade
// keep their result from prev (with its graded-at time). emit receives each
// learner graded in this run. When hist is not nil the run is recorded in it
// under classID as it goes; a history error is returned with the run, whose
// grades are complete.
func GradeRoster(ctx context.Context, cfg Config, ros *Roster, prev *Run, sel Selection, id string, hist History, classID string, emit func(LearnerResult)) (*Run, error) {
	cfg.defaults()
	run := &Run{ID: id, Started: cfg.Now(), Labs: cfg.Labs(), RosterErrors: ros.Errors}
	if sel.Partial() {
		if prev == nil {
			return nil, fmt.Errorf("--only and --only-failed regrade part of a previous run, and there is none")
		}
		for _, id := range sel.Only {
			if _, ok := ros.Learner(id); !ok {
				return nil, fmt.Errorf("--only %s: no learner with that id in the roster", id)
			}
		}
	}
	var todo []Learner
	var at []int // where each of todo's results goes in run.Learners
	for _, l := range ros.Learners {
		p, hasPrev := prev.learner(l.ID)
		switch {
		case sel.Regrades(l.ID, prev):
			todo = append(todo, l)
			at = append(at, len(run.Learners))
			run.Learners = append(run.Learners, LearnerResult{ID: l.ID})
		case hasPrev:
			run.Learners = append(run.Learners, p)
		}
	}
	var histErr error
	record := func(err error) {
		if err != nil && histErr == nil {
			histErr = fmt.Errorf("record the run in the history: %w", err)
		}
	}
	if hist != nil {
		if err := hist.StartClassRun(ctx, classID, run); err != nil {
			return nil, fmt.Errorf("record the run in the history: %w", err)
		}
		regraded := map[int]bool{}
		for _, i := range at {
			regraded[i] = true
		}
		for i, l := range run.Learners {
			if !regraded[i] {
				record(hist.RecordClassLearner(ctx, id, i, l, prev.ID))
			}
		}
	}
	return gradeInto(ctx, cfg, run, todo, at, hist, emit, histErr)
}

// ResumeRoster finishes an interrupted run (one read back from the
// history, its process killed before it finished): it grades the roster's
// learners the run has no result for, records them in the run, and
// finishes it. The learners graded before the interruption keep their
// results. hist must hold the run.
func ResumeRoster(ctx context.Context, cfg Config, ros *Roster, run *Run, hist History, emit func(LearnerResult)) (*Run, error) {
	cfg.defaults()
	var todo []Learner
	var at []int
	for _, l := range ros.Learners {
		if _, ok := run.Learner(l.ID); !ok {
			todo = append(todo, l)
			at = append(at, len(run.Learners))
			run.Learners = append(run.Learners, LearnerResult{ID: l.ID})
		}
	}
	return gradeInto(ctx, cfg, run, todo, at, hist, emit, nil)
}

// RunBeat is how often a run being graded beats by default in a History
// that keeps beats (a Beater); a run whose last beat is older than
// RunStale was interrupted.
const (
	RunBeat  = 5 * time.Second
	RunStale = 6 * RunBeat
)

// A Beater is a History that keeps each run's heartbeat, so that a run
// whose process was killed is seen as interrupted and can be resumed.
type Beater interface {
	BeatClassRun(ctx context.Context, runID string, at time.Time) error
}

// gradeInto grades todo into run.Learners[at[i]], recording each in hist
// as it is graded, beating while it grades, and finishes the run.
func gradeInto(ctx context.Context, cfg Config, run *Run, todo []Learner, at []int, hist History, emit func(LearnerResult), histErr error) (*Run, error) {
	record := func(err error) {
		if err != nil && histErr == nil {
			histErr = fmt.Errorf("record the run in the history: %w", err)
		}
	}
	if b, ok := hist.(Beater); ok {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(cfg.BeatEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if err := b.BeatClassRun(context.WithoutCancel(ctx), run.ID, cfg.Now()); err != nil {
						cfg.Log.WarnContext(ctx, "class run heartbeat", "run", run.ID, "err", err)
					}
				}
			}
		}()
		defer func() { close(stop); <-done }()
	}
	seqOf := map[string]int{}
	for i, j := range at {
		seqOf[todo[i].ID] = j
	}
	for i, r := range Grade(ctx, cfg, todo, func(r LearnerResult) {
		if hist != nil {
			record(hist.RecordClassLearner(context.WithoutCancel(ctx), run.ID, seqOf[r.ID], r, ""))
		}
		if emit != nil {
			emit(r)
		}
	}) {
		run.Learners[at[i]] = r
	}
	run.Finished = cfg.Now()
	if hist != nil {
		record(hist.FinishClassRun(context.WithoutCancel(ctx), run))
	}
	return run, histErr
}
