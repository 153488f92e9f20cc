package class

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader/report"
)

// Run is one grading of a class: what was graded, each learner's result
// and the roster's problems. It is what run.json holds and what the
// history stores.
type Run struct {
	ID           string          `json:"id"`
	Started      time.Time       `json:"started"`
	Finished     time.Time       `json:"finished"`
	Labs         []LabInfo       `json:"labs"`
	Learners     []LearnerResult `json:"learners"`
	RosterErrors []RowError      `json:"rosterErrors,omitempty"`
}

// NotGraded counts the learners without a grade (grader errors and
// unreachable accounts) plus the roster's bad rows.
func (r *Run) NotGraded() int {
	n := 0
	for _, l := range r.Learners {
		if l.Status != StatusGraded {
			n++
		}
	}
	for _, e := range r.RosterErrors {
		if e.Line > 1 {
			n++
		}
	}
	return n
}

// Learner returns the result of the learner with id.
func (r *Run) Learner(id string) (LearnerResult, bool) {
	for _, l := range r.Learners {
		if l.ID == id {
			return l, true
		}
	}
	return LearnerResult{}, false
}

// RunFile is the name of a run's machine-readable record in its out dir.
const RunFile = "run.json"

// LoadRun reads the run recorded in dir; (nil, nil) when there is none.
func LoadRun(dir string) (*Run, error) {
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous run: %w", err)
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read previous run %s: %w", filepath.Join(dir, RunFile), err)
	}
	return &r, nil
}

// Write writes run into dir: gradebook.csv, summary.md (compared with prev,
// which may be nil), run.json, and for each learner graded in this run
// <id>/report.json, <id>/junit.xml and <id>/results.json (Gradescope; not
// for an unreachable learner, whom it would show a zero).
func Write(dir string, run *Run, prev *Run) error {
	files, err := Files(run, prev, true)
	if err != nil {
		return err
	}
	for _, l := range run.Learners {
		if l.Status == StatusUnreachable {
			os.Remove(filepath.Join(dir, l.ID, "results.json")) // from an earlier run; it would no longer be true
		}
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write class run: %w", err)
		}
		if err := writeFile(path, f.Body); err != nil {
			return err
		}
	}
	return nil
}

// WriteZip writes a zip of run's files (as Write writes them, every
// learner's included) to w.
func WriteZip(w io.Writer, run *Run, prev *Run) error {
	files, err := Files(run, prev, false)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: run.Finished})
		if err != nil {
			return fmt.Errorf("zip class run: %w", err)
		}
		if _, err := fw.Write(f.Body); err != nil {
			return fmt.Errorf("zip class run: %w", err)
		}
	}
	return zw.Close()
}

// File is one output file of a run, by its slash-separated name.
type File struct {
	Name string
	Body []byte
}

// Files renders run's outputs. With onlyNew, learners carried over
// unchanged from prev are left out (their files exist already).
func Files(run *Run, prev *Run, onlyNew bool) ([]File, error) {
	var out []File
	for _, l := range run.Learners {
		if p, ok := prev.learner(l.ID); onlyNew && ok && p.GradedAt.Equal(l.GradedAt) {
			continue
		}
		fs, err := learnerFiles(l)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	var gb, sum bytes.Buffer
	if err := WriteGradebookCSV(&gb, run); err != nil {
		return nil, err
	}
	WriteSummary(&sum, run, prev)
	js, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write class run: %w", err)
	}
	return append(out, File{"gradebook.csv", gb.Bytes()}, File{"summary.md", sum.Bytes()}, File{RunFile, js}), nil
}

func (r *Run) learner(id string) (LearnerResult, bool) {
	if r == nil {
		return LearnerResult{}, false
	}
	return r.Learner(id)
}

func learnerFiles(l LearnerResult) ([]File, error) {
	if !idPattern.MatchString(l.ID) {
		return nil, fmt.Errorf("write learner: bad id %q", l.ID) // ids come from ParseRoster; never a path
	}
	type gen struct {
		name  string
		write func(io.Writer) error
	}
	gens := []gen{
		{"report.json", func(w io.Writer) error { return report.JSON(w, l.Results) }},
		{"junit.xml", func(w io.Writer) error { return report.JUnit(w, l.Results) }},
	}
	if l.Status != StatusUnreachable && len(l.Results) > 0 {
		gens = append(gens, gen{"results.json", func(w io.Writer) error { return report.Gradescope(w, l.Results, l.Elapsed) }})
	}
	var out []File
	for _, g := range gens {
		var b bytes.Buffer
		if err := g.write(&b); err != nil {
			return nil, fmt.Errorf("write learner %s %s: %w", l.ID, g.name, err)
		}
		out = append(out, File{l.ID + "/" + g.name, b.Bytes()})
	}
	return out, nil
}

// writeFile replaces path with b through a temporary file, so a reader
// never sees half a file.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// GradebookHeader is gradebook.csv's header for labs.
func GradebookHeader(labs []LabInfo) []string {
	h := []string{"id", "name"}
	for _, l := range labs {
		h = append(h, l.Lab, l.Lab+"_max")
	}
	return append(h, "total", "total_max", "status", "graded_at", "message")
}

// GradebookRecord is one learner's gradebook.csv row. A lab or total the
// grader could not decide is an empty cell, never a zero.
func GradebookRecord(l LearnerResult) []string {
	rec := []string{l.ID, cell(l.Name)}
	for _, ls := range l.Labs {
		rec = append(rec, optNum(ls.Points), num(ls.Max))
	}
	return append(rec, optNum(l.Points), num(l.Max), l.Status, l.GradedAt.UTC().Format(time.RFC3339), cell(l.Message))
}

// WriteGradebookCSV writes the gradebook: one row per learner.
func WriteGradebookCSV(w io.Writer, run *Run) error {
	cw := csv.NewWriter(w)
	cw.Write(GradebookHeader(run.Labs))
	for _, l := range run.Learners {
		cw.Write(GradebookRecord(l))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write gradebook: %w", err)
	}
	return nil
}

// GradebookRow is one learner's gradebook entry as JSON.
type GradebookRow struct {
	ID       string     `json:"id"`
	Name     string     `json:"name,omitempty"`
	Labs     []LabScore `json:"labs"`
	Total    *float64   `json:"total"`
	Max      float64    `json:"max"`
	Status   string     `json:"status"`
	GradedAt time.Time  `json:"gradedAt"`
	Message  string     `json:"message,omitempty"`
}

// WriteGradebookJSON writes the gradebook as a JSON array.
func WriteGradebookJSON(w io.Writer, run *Run) error {
	rows := make([]GradebookRow, 0, len(run.Learners))
	for _, l := range run.Learners {
		rows = append(rows, GradebookRow{ID: l.ID, Name: l.Name, Labs: l.Labs, Total: l.Points, Max: l.Max, Status: l.Status, GradedAt: l.GradedAt, Message: l.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rows); err != nil {
		return fmt.Errorf("write gradebook: %w", err)
	}
	return nil
}

// cell keeps a spreadsheet from reading a text cell as a formula: a value
// starting with = + - @ (or a tab or carriage return) gets a leading quote,
// as OWASP's CSV injection advice says. Names and messages come from
// rosters and accounts the instructor does not control.
func cell(s string) string {
	s = report.Printable(s) // a message may quote a learner's API
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func optNum(f *float64) string {
	if f == nil {
		return ""
	}
	return num(*f)
}

func num(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }
