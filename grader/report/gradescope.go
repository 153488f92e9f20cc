package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader"
)

// GradescopeResults is a Gradescope autograder results.json, the fields
// Gradescope's autograder specification documents
// (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
type GradescopeResults struct {
	Score *float64 `json:"score,omitempty"`
	// ExecutionTime is whole seconds, as in the specification's example.
	ExecutionTime    int              `json:"execution_time"`
	Output           string           `json:"output,omitempty"`
	OutputFormat     string           `json:"output_format,omitempty"`
	TestOutputFormat string           `json:"test_output_format,omitempty"`
	TestNameFormat   string           `json:"test_name_format,omitempty"`
	Visibility       string           `json:"visibility,omitempty"`
	StdoutVisibility string           `json:"stdout_visibility,omitempty"`
	ExtraData        map[string]any   `json:"extra_data,omitempty"`
	Tests            []GradescopeTest `json:"tests"`
}

// GradescopeTest is one entry of results.json's tests array.
type GradescopeTest struct {
	Score    *float64 `json:"score,omitempty"`
	MaxScore *float64 `json:"max_score,omitempty"`
	// Status is "passed" or "failed", the two values Gradescope accepts.
	Status     string         `json:"status"`
	Name       string         `json:"name"`
	NameFormat string         `json:"name_format,omitempty"`
	Number     string         `json:"number,omitempty"`
	Output     string         `json:"output,omitempty"`
	Tags       []string       `json:"tags,omitempty"`
	Visibility string         `json:"visibility,omitempty"`
	ExtraData  map[string]any `json:"extra_data,omitempty"`
}

// Gradescope writes rs as a Gradescope autograder results.json: one test
// per check (name "lab/check: title", its points and maximum, "passed" or
// "failed", the reason, evidence and hints as output) and the total score.
// A check the grader could not decide carries no score and no max_score:
// Gradescope then shows it without charging the learner, the same rule as
// grader.Summarize, and the top-level output asks for a regrade.
func Gradescope(w io.Writer, rs []grader.Result, elapsed time.Duration) error {
	return writeGradescope(w, gradescopeResults(printableResults(rs), elapsed))
}

func writeGradescope(w io.Writer, doc GradescopeResults) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write gradescope results: %w", err)
	}
	return nil
}

func gradescopeResults(rs []grader.Result, elapsed time.Duration) GradescopeResults {
	s := grader.Summarize(rs)
	score := round2(s.Points)
	doc := GradescopeResults{
		Score:            &score,
		ExecutionTime:    int(math.Ceil(elapsed.Seconds())),
		OutputFormat:     "text",
		TestOutputFormat: "text",
		TestNameFormat:   "text",
		Visibility:       "visible",
		StdoutVisibility: "hidden",
		Tests:            make([]GradescopeTest, 0, len(rs)),
	}
	line := fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed)
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	if s.Errored > 0 {
		line += fmt.Sprintf(", %d could not be decided by the grader (no points charged; ask for a regrade)", s.Errored)
	}
	doc.Output = fmt.Sprintf("%s. Score %s/%s.", line, num(s.Points), num(s.Max))
	for i, r := range rs {
		doc.Tests = append(doc.Tests, gradescopeTest(i+1, r))
	}
	return doc
}

func gradescopeTest(n int, r grader.Result) GradescopeTest {
	t := GradescopeTest{
		Status:     "failed",
		Name:       r.Lab + "/" + r.CheckID + ": " + r.Title,
		NameFormat: "text",
		Number:     fmt.Sprint(n),
		Tags:       []string{r.Lab},
		ExtraData:  map[string]any{"lab": r.Lab, "check_id": r.CheckID, "grader_status": string(r.Status)},
	}
	if r.Status == grader.Pass {
		t.Status = "passed"
	}
	if r.Status != grader.Error {
		score, max := round2(r.Points), round2(r.Max)
		t.Score, t.MaxScore = &score, &max
	}
	var out []string
	switch r.Status {
	case grader.Error:
		out = append(out, "The grader could not decide: "+r.Reason, "This costs no points.")
	case grader.Skipped:
		out = append(out, "Skipped: "+r.Reason)
	case grader.Fail:
		out = append(out, r.Reason)
		for _, p := range r.Parts {
			if !p.Passed {
				out = append(out, strings.TrimSpace("- "+p.Name+" "+p.Detail))
			}
		}
		for _, h := range r.Hints {
			out = append(out, "hint: "+h)
		}
	}
	out = append(out, r.Evidence...)
	t.Output = strings.TrimSpace(strings.Join(out, "\n"))
	return t
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// GradescopeRefused writes a results.json for a submission that could not
// be graded at all (a refused archive): score 0, no tests, and why in the
// output the learner sees.
func GradescopeRefused(w io.Writer, why string, elapsed time.Duration) error {
	doc := gradescopeResults(nil, elapsed)
	doc.Output = "Your submission could not be graded: " + Printable(why)
	return writeGradescope(w, doc)
}
