package class

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/report"
	"github.com/labkit-dev/labkit/internal/plural"
)

// Summary is what summary.md (and the dashboard) says about a run.
type Summary struct {
	Learners, Graded, GraderErrors, Unreachable, RosterErrors int
	// Buckets counts graded learners by score: [0] is 0-9%, ..., [9] is
	// 90-99%, [10] is 100%.
	Buckets      [11]int
	Mean, Median float64 // percent of the maximum, graded learners only
	Failed       []FailedCheck
	Changes      *Changes
}

// FailedCheck is a check and how many graded learners failed it.
type FailedCheck struct {
	Check     string // lab/check
	Title     string
	Failed    int
	FirstHint string
}

// Changes is what moved since the previous run.
type Changes struct {
	PreviousID string
	Up, Down   []ScoreChange
	// NewlyPassing and NewlyFailing are checks whose number of passing
	// learners went up or down.
	NewlyPassing, NewlyFailing []CheckChange
}

// ScoreChange is a learner whose total changed.
type ScoreChange struct {
	ID       string
	From, To float64
}

// CheckChange is a check whose number of passing learners changed.
type CheckChange struct {
	Check    string
	From, To int
}

// Summarize computes the summary of run, compared with prev (may be nil).
func Summarize(run *Run, prev *Run) Summary {
	s := Summary{Learners: len(run.Learners)}
	for _, e := range run.RosterErrors {
		if e.Line > 1 {
			s.RosterErrors++
		}
	}
	var pcts []float64
	failed := map[string]*FailedCheck{}
	for _, l := range run.Learners {
		switch l.Status {
		case StatusGraded:
			s.Graded++
		case StatusGraderError:
			s.GraderErrors++
		case StatusUnreachable:
			s.Unreachable++
		}
		if l.Points != nil && l.Max > 0 {
			p := 100 * *l.Points / l.Max
			pcts = append(pcts, p)
			s.Buckets[min(int(p/10), 10)]++
		}
		for _, r := range l.Results {
			if r.Status != grader.Fail {
				continue
			}
			key := r.Lab + "/" + r.CheckID
			f := failed[key]
			if f == nil {
				f = &FailedCheck{Check: key}
				failed[key] = f
			}
			f.Failed++
			if f.Title == "" {
				f.Title = r.Title
			}
			if f.FirstHint == "" && len(r.Hints) > 0 {
				f.FirstHint = r.Hints[0]
			}
		}
	}
	if len(pcts) > 0 {
		sum := 0.0
		for _, p := range pcts {
			sum += p
		}
		s.Mean = sum / float64(len(pcts))
		slices.Sort(pcts)
		s.Median = pcts[len(pcts)/2]
		if len(pcts)%2 == 0 {
			s.Median = (pcts[len(pcts)/2-1] + pcts[len(pcts)/2]) / 2
		}
	}
	for _, f := range failed {
		s.Failed = append(s.Failed, *f)
	}
	sort.Slice(s.Failed, func(i, j int) bool {
		a, b := s.Failed[i], s.Failed[j]
		return a.Failed > b.Failed || a.Failed == b.Failed && a.Check < b.Check
	})
	if prev != nil {
		s.Changes = changes(run, prev)
	}
	return s
}

func changes(run, prev *Run) *Changes {
	c := &Changes{PreviousID: prev.ID}
	for _, l := range run.Learners {
		p, ok := prev.Learner(l.ID)
		if !ok || p.Points == nil || l.Points == nil || *p.Points == *l.Points {
			continue
		}
		ch := ScoreChange{ID: l.ID, From: *p.Points, To: *l.Points}
		if ch.To > ch.From {
			c.Up = append(c.Up, ch)
		} else {
			c.Down = append(c.Down, ch)
		}
	}
	now, before := passCounts(run), passCounts(prev)
	keys := make([]string, 0, len(now))
	for k := range now {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch b := before[k]; {
		case now[k] > b:
			c.NewlyPassing = append(c.NewlyPassing, CheckChange{k, b, now[k]})
		case now[k] < b:
			c.NewlyFailing = append(c.NewlyFailing, CheckChange{k, b, now[k]})
		}
	}
	return c
}

// passCounts counts, per check, the learners who passed it.
func passCounts(run *Run) map[string]int {
	out := map[string]int{}
	for _, l := range run.Learners {
		for _, r := range l.Results {
			key := r.Lab + "/" + r.CheckID
			if r.Status == grader.Pass {
				out[key]++
			} else if _, ok := out[key]; !ok {
				out[key] = 0
			}
		}
	}
	return out
}

// WriteSummary writes summary.md for run, compared with prev (may be nil).
func WriteSummary(w io.Writer, run *Run, prev *Run) {
	s := Summarize(run, prev)
	fmt.Fprintf(w, "# Class grading run %s\n\n", run.ID)
	fmt.Fprintf(w, "Started %s, took %s. %s: %d graded, %s, %d unreachable",
		run.Started.UTC().Format(time.RFC3339), run.Finished.Sub(run.Started).Round(time.Millisecond), plural.Count(s.Learners, "learner", "learners"),
		s.Graded, plural.Count(s.GraderErrors, "grader error", "grader errors"), s.Unreachable)
	if s.RosterErrors > 0 {
		fmt.Fprintf(w, "; %s not graded (errors below)", plural.Count(s.RosterErrors, "roster row", "roster rows"))
	}
	fmt.Fprint(w, ".\n\n## Scores\n\n")
	if s.Graded == 0 {
		fmt.Fprint(w, "No learner has a score yet.\n\n")
	} else {
		fmt.Fprintf(w, "Mean %.1f%%, median %.1f%% of %s points (graded learners only).\n\n| score | learners | |\n| --- | ---: | --- |\n", s.Mean, s.Median, num(maxOf(run)))
		for i := 10; i >= 0; i-- {
			label := fmt.Sprintf("%d-%d%%", i*10, i*10+9)
			if i == 10 {
				label = "100%"
			}
			fmt.Fprintf(w, "| %s | %d | %s |\n", label, s.Buckets[i], strings.Repeat("#", s.Buckets[i]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "## Checks most often failed\n\n")
	if len(s.Failed) == 0 {
		fmt.Fprint(w, "No check failed.\n\n")
	} else {
		fmt.Fprint(w, "| check | failed by | first hint |\n| --- | ---: | --- |\n")
		for i, f := range s.Failed {
			if i == 10 {
				break
			}
			fmt.Fprintf(w, "| %s (%s) | %d | %s |\n", md(f.Check), md(f.Title), f.Failed, md(f.FirstHint))
		}
		fmt.Fprintln(w)
	}
	if c := s.Changes; c != nil {
		fmt.Fprintf(w, "## Changes since the previous run (%s)\n\n", md(c.PreviousID))
		if len(c.Up)+len(c.Down)+len(c.NewlyPassing)+len(c.NewlyFailing) == 0 {
			fmt.Fprint(w, "Nothing changed.\n\n")
		}
		list(w, "Scores up", c.Up, scoreLine)
		list(w, "Scores down", c.Down, scoreLine)
		list(w, "Checks passed by more learners", c.NewlyPassing, checkLine)
		list(w, "Checks passed by fewer learners", c.NewlyFailing, checkLine)
	}
	var notGraded []LearnerResult
	for _, l := range run.Learners {
		if l.Status != StatusGraded {
			notGraded = append(notGraded, l)
		}
	}
	if len(notGraded) > 0 {
		fmt.Fprint(w, "## Not graded (no points recorded, not zeros)\n\n")
		for _, l := range notGraded {
			fmt.Fprintf(w, "- %s: %s: %s\n", md(l.ID), l.Status, md(l.Message))
		}
		fmt.Fprintln(w)
	}
	if len(run.RosterErrors) > 0 {
		fmt.Fprint(w, "## Roster problems\n\n")
		for _, e := range run.RosterErrors {
			fmt.Fprintf(w, "- %s\n", md(e.Error()))
		}
		fmt.Fprintln(w)
	}
}

func scoreLine(c ScoreChange) string {
	return fmt.Sprintf("%s: %s → %s", md(c.ID), num(c.From), num(c.To))
}
func checkLine(c CheckChange) string { return fmt.Sprintf("%s: %d → %d", md(c.Check), c.From, c.To) }

// list writes a titled Markdown list, or nothing when items is empty.
func list[T any](w io.Writer, title string, items []T, line func(T) string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "- %s\n", line(it))
	}
	fmt.Fprintln(w)
}

func maxOf(run *Run) float64 {
	t := 0.0
	for _, l := range run.Labs {
		t += l.Max
	}
	return t
}

// md makes text safe inside a Markdown table cell or list item: no line
// breaks, no table pipes, no HTML or link syntax.
func md(s string) string {
	r := strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "'", "*", `\*`, "_", `\_`)
	return r.Replace(report.Printable(s))
}
