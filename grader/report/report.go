// Package report renders grader results: text for a learner's terminal,
// JSON for tools, JUnit XML for CI systems and gradebooks that import it.
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader"
)

// Text writes results for a person at a terminal, one result at a time as
// they finish, with the first hint under each failure.
type Text struct {
	W     io.Writer
	Color bool
	// AllHints shows every hint, not just the first nudge.
	AllHints bool
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

func (t *Text) paint(color, s string) string {
	if !t.Color {
		return s
	}
	return color + s + reset
}

// Result writes one result. Its texts go through Printable first: they may
// quote what the learner's side answered.
func (t *Text) Result(r grader.Result) {
	r = printableResult(r)
	mark := map[grader.Status]string{
		grader.Pass: t.paint(green, "PASS"), grader.Fail: t.paint(red, "FAIL"),
		grader.Error: t.paint(yellow, "ERROR"), grader.Skipped: t.paint(dim, "SKIP"),
	}[r.Status]
	fmt.Fprintf(t.W, "%-5s %s %s %s\n", mark, t.paint(bold, r.Lab+"/"+r.CheckID), r.Title, t.paint(dim, fmt.Sprintf("(%s, %s)", points(r), r.Duration.Round(time.Millisecond))))
	if r.Reason != "" {
		fmt.Fprintf(t.W, "      %s\n", r.Reason)
	}
	if r.Status == grader.Fail {
		for _, p := range r.Parts {
			if !p.Passed {
				fmt.Fprintf(t.W, "      - %s %s\n", p.Name, p.Detail)
			}
		}
		for i, h := range r.Hints {
			if i > 0 && !t.AllHints {
				fmt.Fprintf(t.W, "      %s\n", t.paint(dim, "(more help: --hints)"))
				break
			}
			fmt.Fprintf(t.W, "      %s %s\n", t.paint(yellow, "hint:"), h)
		}
	}
	if r.Status == grader.Error {
		fmt.Fprintf(t.W, "      %s\n", t.paint(dim, "the grader could not decide; this costs no points: try again"))
	}
}

// Summary writes the totals line.
func (t *Text) Summary(rs []grader.Result) {
	s := grader.Summarize(rs)
	line := fmt.Sprintf("%d passed, %d failed", s.Passed, s.Failed)
	if s.Errored > 0 {
		line += fmt.Sprintf(", %d could not be decided", s.Errored)
	}
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	fmt.Fprintf(t.W, "\n%s  score %s/%s\n", line, num(s.Points), num(s.Max))
}

func points(r grader.Result) string { return num(r.Points) + "/" + num(r.Max) + " pts" }

func num(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// Document is the JSON report.
type Document struct {
	Results []grader.Result `json:"results"`
	Summary grader.Summary  `json:"summary"`
}

// JSON writes results as one JSON document, texts made Printable (JSON
// would escape C0 controls but pass DEL, C1 and bidi controls through to
// whoever prints a field).
func JSON(w io.Writer, rs []grader.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document{Results: printableResults(rs), Summary: grader.Summarize(rs)})
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Skipped int          `xml:"skipped,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name    string      `xml:"name,attr"`
	Tests   int         `xml:"tests,attr"`
	Fails   int         `xml:"failures,attr"`
	Errors  int         `xml:"errors,attr"`
	Skipped int         `xml:"skipped,attr"`
	Time    string      `xml:"time,attr"`
	Cases   []junitCase `xml:"testcase"`
	dur     time.Duration
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// JUnit writes results as JUnit XML, one test suite per lab. Texts are made
// Printable, which also leaves out every character XML forbids.
func JUnit(w io.Writer, rs []grader.Result) error {
	var doc junitSuites
	rs = printableResults(rs)
	byLab := map[string]int{}
	for _, r := range rs {
		i, ok := byLab[r.Lab]
		if !ok {
			i = len(doc.Suites)
			byLab[r.Lab] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Lab})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: r.CheckID + ": " + r.Title, Classname: r.Lab, Time: secs(r.Duration), SystemOut: strings.Join(r.Evidence, "\n")}
		body := strings.Join(append([]string{r.Reason}, r.Hints...), "\n")
		switch r.Status {
		case grader.Fail:
			c.Failure = &junitMessage{Message: r.Reason, Body: body}
			s.Fails++
		case grader.Error:
			c.Error = &junitMessage{Message: r.Reason, Body: body}
			s.Errors++
		case grader.Skipped:
			c.Skipped = &junitMessage{Message: r.Reason}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
		s.dur += r.Duration
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Time = secs(s.dur)
		doc.Tests += s.Tests
		doc.Fails += s.Fails
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
