package class

import (
	"context"
	"fmt"
	"slices"
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

// GradeRoster grades the roster's learners chosen by sel and returns the
// run. A partial selection needs prev: the learners it does not regrade
// keep their result from prev (with its graded-at time). emit receives each
// learner graded in this run.
func GradeRoster(ctx context.Context, cfg Config, ros *Roster, prev *Run, sel Selection, id string, emit func(LearnerResult)) (*Run, error) {
	cfg.defaults()
	run := &Run{ID: id, Started: cfg.Now(), Labs: cfg.Labs(), RosterErrors: ros.Errors}
	var todo []Learner
	var at []int // where each of todo's results goes in run.Learners
	if sel.Partial() {
		if prev == nil {
			return nil, fmt.Errorf("--only and --only-failed regrade part of a previous run, and there is none in this folder")
		}
		for _, id := range sel.Only {
			if _, ok := ros.Learner(id); !ok {
				return nil, fmt.Errorf("--only %s: no learner with that id in the roster", id)
			}
		}
	}
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
	for i, r := range Grade(ctx, cfg, todo, emit) {
		run.Learners[at[i]] = r
	}
	run.Finished = cfg.Now()
	return run, nil
}
