package grader

import (
	"fmt"
	"time"
)

// Status is a check's verdict.
type Status string

// The verdicts. Error means the grader could not decide (throttling, network,
// the grader's own permissions) and never costs the learner points; Skipped
// names the prerequisite that is missing.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Error   Status = "error"
	Skipped Status = "skipped"
)

// Result is what one check found.
type Result struct {
	Lab      string        `json:"lab"`
	CheckID  string        `json:"checkId"`
	Title    string        `json:"title"`
	Step     string        `json:"step,omitempty"`
	Status   Status        `json:"status"`
	Points   float64       `json:"points"`
	Max      float64       `json:"maxPoints"`
	Reason   string        `json:"reason,omitempty"`
	Evidence []string      `json:"evidence,omitempty"`
	Hints    []string      `json:"hints,omitempty"`
	Parts    []Part        `json:"parts,omitempty"`
	Duration time.Duration `json:"durationNs"`

	downstream bool // the outcome's Downstream
}

// Part is one graded part of a check with partial credit.
type Part struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail,omitempty"`
}

// Outcome is what a check's run function returns; Run completes it into a
// Result with the check's identity, points and timing.
type Outcome struct {
	Status   Status
	Reason   string
	Evidence []string
	// Parts, when set on a Fail, gives partial credit: the share of passed
	// parts of the check's points.
	Parts []Part
	// Downstream, on a Fail, says the failure is what a broken prerequisite
	// causes (API Gateway answering with its own 500 because it could not
	// invoke the function), so Run names a failed suspect first.
	Downstream bool
}

// Passf returns a passing outcome with evidence.
func Passf(format string, args ...any) Outcome {
	return Outcome{Status: Pass, Evidence: []string{Redact(fmt.Sprintf(format, args...))}}
}

// Failf returns a failing outcome whose reason says what was wrong.
func Failf(format string, args ...any) Outcome {
	return Outcome{Status: Fail, Reason: Redact(fmt.Sprintf(format, args...))}
}

// Errorf returns an outcome for when the grader could not decide.
func Errorf(format string, args ...any) Outcome {
	return Outcome{Status: Error, Reason: Redact(fmt.Sprintf(format, args...))}
}

// Skipf returns an outcome naming a missing prerequisite.
func Skipf(format string, args ...any) Outcome {
	return Outcome{Status: Skipped, Reason: Redact(fmt.Sprintf(format, args...))}
}

// With adds evidence lines to o.
func (o Outcome) With(evidence ...string) Outcome {
	for _, e := range evidence {
		o.Evidence = append(o.Evidence, Redact(e))
	}
	return o
}

// FromParts grades parts: Pass when all pass, else Fail with partial credit.
func FromParts(parts []Part) Outcome {
	var failed []string
	for _, p := range parts {
		if !p.Passed {
			failed = append(failed, p.Name)
		}
	}
	if len(failed) == 0 {
		return Outcome{Status: Pass, Parts: parts}
	}
	return Outcome{Status: Fail, Parts: parts, Reason: fmt.Sprintf("%d of %d parts failed: %v", len(failed), len(parts), failed)}
}

// Summary totals a set of results.
type Summary struct {
	Passed, Failed, Errored, Skipped int
	Points, Max                      float64
}

// Summarize totals results. Checks that errored are left out of Max: the
// learner is not charged for what the grader could not decide.
func Summarize(rs []Result) Summary {
	var s Summary
	for _, r := range rs {
		switch r.Status {
		case Pass:
			s.Passed++
		case Fail:
			s.Failed++
		case Error:
			s.Errored++
			continue
		case Skipped:
			s.Skipped++
		}
		s.Points += r.Points
		s.Max += r.Max
	}
	return s
}
