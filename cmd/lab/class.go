package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/grader/submission"
	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/web"
	"github.com/labkit-dev/labkit/web/progress"
)

// runClass is `lab class check-roster|grade|passwd`: an instructor grading
// a whole class.
func runClass(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: lab class check-roster FILE | lab class grade --roster FILE --out DIR [flags] | lab class passwd")
	if len(args) == 0 {
		return &exitError{code: 2, err: usage}
	}
	switch args[0] {
	case "check-roster":
		return runCheckRoster(args[1:], stdout, stderr)
	case "grade":
		return runClassGrade(ctx, args[1:], stdout, stderr)
	case "passwd":
		return runClassPasswd(ctx, args[1:], os.Stdin, stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprintln(stdout, usage)
		return errHelp
	}
	return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q; %w", args[0], usage)}
}

// readRoster parses the roster at path; row errors are in the roster.
func readRoster(path string) (*class.Roster, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	defer f.Close()
	ros, err := class.ParseRoster(f)
	if err != nil {
		return nil, fmt.Errorf("roster %s: %w", path, err)
	}
	return ros, nil
}

func printRosterErrors(w io.Writer, path string, ros *class.Roster) {
	for _, e := range ros.Errors {
		fmt.Fprintf(w, "%s: %s\n", path, e.Error())
	}
}

// runCheckRoster validates a roster without grading: exit 0 when every row
// is good, 1 when some row has errors, 2 when the file cannot be read.
func runCheckRoster(args []string, stdout, stderr io.Writer) error {
	fs := commandFlags("lab class check-roster", stderr)
	usageLine(fs, stderr, "lab class check-roster FILE  (checks every row of the roster CSV; grades nothing)")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if args = fs.Args(); len(args) != 1 {
		return &exitError{code: 2, err: errors.New("usage: lab class check-roster FILE")}
	}
	ros, err := readRoster(args[0])
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	printRosterErrors(stdout, args[0], ros)
	kinds := map[string]int{}
	for _, l := range ros.Learners {
		kinds[l.Reach.Kind]++
	}
	fmt.Fprintf(stdout, "%s ready (%d by role or profile on AWS, %d on a local cloud, %d by submission); %s\n",
		plural.Count(len(ros.Learners), "learner", "learners"), kinds[class.ReachAWS], kinds[class.ReachLocal], kinds[class.ReachSubmission],
		plural.Count(len(ros.Errors), "problem", "problems"))
	if len(ros.Errors) > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s in %s", plural.Count(len(ros.Errors), "problem", "problems"), args[0])}
	}
	return nil
}

type classGradeFlags struct {
	roster, submissions, lab, out, only, format, endpoint, labsDir, data string
	concurrency, checkConcurrency, loadChecks                            int
	deadline                                                             time.Duration
	onlyFailed                                                           bool
}

func runClassGrade(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := commandFlags("lab class grade", stderr)
	usageLine(fs, stderr, "lab class grade --roster FILE --out DIR [flags]  (or --submissions DIR instead of --roster)")
	var f classGradeFlags
	fs.StringVar(&f.roster, "roster", "", "the class roster (CSV: "+strings.Join(class.Columns, ",")+", names.<key>)")
	fs.StringVar(&f.submissions, "submissions", "", "folder `DIR` of lab submit archives <id>.zip (without --roster: every *.zip is a learner)")
	fs.StringVar(&f.lab, "lab", "all", "the lab to grade (lab1, ...), a comma-separated list, or all")
	fs.StringVar(&f.out, "out", "", "folder for the gradebook and the per-learner reports (required)")
	fs.IntVar(&f.concurrency, "concurrency", 8, "learners graded at once")
	fs.IntVar(&f.checkConcurrency, "check-concurrency", 4, "checks run at once per learner")
	fs.IntVar(&f.loadChecks, "load-checks", 4, "learners' load bursts (lab 5's spike) run at once across the class")
	fs.DurationVar(&f.deadline, "deadline", 0, "time allowed to grade one learner (default: the longest check's timeout plus 1m, at least 2m; 36m with lab 5)")
	fs.StringVar(&f.only, "only", "", "regrade only these learner ids (comma-separated), keeping the others' previous grades")
	fs.BoolVar(&f.onlyFailed, "only-failed", false, "regrade only the learners the previous run could not grade")
	fs.StringVar(&f.format, "format", "", "also print the gradebook on stdout: csv or json (progress then goes to stderr)")
	fs.StringVar(&f.endpoint, "endpoint", target.DefaultLocalEndpoint, "the local cloud of roster rows with target local and no endpoint")
	fs.StringVar(&f.labsDir, "labs-dir", "", "read lab content from this folder instead of the built-in copy")
	fs.StringVar(&f.data, "data", defaultDataDir(), "the web app's data folder, whose database keeps the class history the dashboard shows")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	start := func(err error) error { return &exitError{code: 2, err: err} }
	if f.out == "" {
		return start(errors.New("--out DIR is required"))
	}
	if f.roster == "" && f.submissions == "" {
		return start(errors.New("--roster FILE (or --submissions DIR) is required"))
	}
	if f.format != "" && f.format != "csv" && f.format != "json" {
		return start(fmt.Errorf("bad --format %q: want csv or json", f.format))
	}
	ros, err := classRoster(f)
	if err != nil {
		return start(err)
	}
	checks, err := classChecks(f.labsDir, f.lab)
	if err != nil {
		return start(err)
	}
	prev, err := class.LoadRun(f.out)
	if err != nil {
		return start(err)
	}
	sel := class.Selection{OnlyFailed: f.onlyFailed}
	if f.only != "" {
		sel.Only = strings.Split(f.only, ",")
	}
	progressOut := stdout
	if f.format != "" {
		progressOut = stderr
	}
	printRosterErrors(progressOut, f.roster, ros)
	cfg := class.Config{Checks: checks, Concurrency: f.concurrency, CheckConcurrency: f.checkConcurrency, LoadChecks: f.loadChecks, Deadline: f.deadline,
		Endpoint: f.endpoint, Submissions: f.submissions, GradeSubmission: submissionGrader(),
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	p := &class.Progress{W: progressOut, TTY: isTerminal(progressOut)}
	if sel.Partial() {
		fmt.Fprintf(progressOut, "regrading part of run %s\n", prev.ID)
	}
	p.Total = countTodo(ros, prev, sel)
	store, err := progress.Open(ctx, filepath.Join(f.data, "progress.db"))
	if err != nil {
		return start(err)
	}
	defer store.Close()
	if f.roster != "" { // the dashboard can then show and re-run this class
		raw, err := os.ReadFile(f.roster)
		if err == nil {
			err = store.SaveRoster(ctx, classIDOf(f), raw)
		}
		if err != nil {
			return start(err)
		}
	}
	run, err := class.GradeRoster(ctx, cfg, ros, prev, sel, runID(time.Now()), store, classIDOf(f), p.Learner)
	if run == nil {
		return start(err)
	}
	if werr := class.Write(f.out, run, prev); werr != nil {
		return start(werr)
	}
	if err != nil {
		return start(err) // the grades are written; the history is not complete
	}
	switch f.format {
	case "csv":
		err = class.WriteGradebookCSV(stdout, run)
	case "json":
		err = class.WriteGradebookJSON(stdout, run)
	}
	if err != nil {
		return start(err)
	}
	s := class.Summarize(run, prev)
	fmt.Fprintf(progressOut, "%d graded, %s, %d unreachable, %s; wrote %s (gradebook.csv, summary.md)\n",
		s.Graded, plural.Count(s.GraderErrors, "grader error", "grader errors"), s.Unreachable, plural.Count(s.RosterErrors, "bad roster row", "bad roster rows"), f.out)
	if n := run.NotGraded(); n > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s not graded: see %s", plural.Count(n, "learner", "learners"), filepath.Join(f.out, "summary.md"))}
	}
	return nil
}

// classRoster is the roster file, or, without one, every <id>.zip in the
// submissions folder as a learner reached by its submission.
func classRoster(f classGradeFlags) (*class.Roster, error) {
	if f.roster != "" {
		return readRoster(f.roster)
	}
	zips, err := filepath.Glob(filepath.Join(f.submissions, "*.zip"))
	if err != nil {
		return nil, fmt.Errorf("--submissions: %w", err)
	}
	var b strings.Builder
	b.WriteString("id,target\n")
	for _, z := range zips {
		fmt.Fprintf(&b, "%s,%s\n", strings.TrimSuffix(filepath.Base(z), ".zip"), class.ReachSubmission)
	}
	ros, err := class.ParseRoster(strings.NewReader(b.String()))
	if err != nil {
		return nil, err
	}
	if len(ros.Learners)+len(ros.Errors) == 0 {
		return nil, fmt.Errorf("no *.zip submissions in %s", f.submissions)
	}
	return ros, nil
}

func classChecks(labsDir, which string) ([]*grader.Check, error) {
	fsys, err := labContent(labsDir)
	if err != nil {
		return nil, err
	}
	var out []*grader.Check
	for _, lab := range strings.Split(which, ",") {
		cs, err := selectChecks(fsys, strings.TrimSpace(lab), "")
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

func countTodo(ros *class.Roster, prev *class.Run, sel class.Selection) int {
	n := 0
	for _, l := range ros.Learners {
		if sel.Regrades(l.ID, prev) {
			n++
		}
	}
	return n
}

func runID(t time.Time) string { return t.UTC().Format("20060102T150405.000Z") }

// classIDOf names the class in the history: the roster's file name, or
// the submissions folder's name.
func classIDOf(f classGradeFlags) string {
	if f.roster != "" {
		return strings.TrimSuffix(filepath.Base(f.roster), filepath.Ext(f.roster))
	}
	return filepath.Base(filepath.Clean(f.submissions))
}

// submissionGrader grades `lab submit` archives, each in its own sandboxed
// local cloud (this binary re-run as `lab submission serve-isolated`).
func submissionGrader() class.SubmissionGrader { return submission.Grade }

// runClassPasswd sets the instructor's dashboard password: it reads one
// line (from --from FILE, else standard input: without echo when that is a
// terminal) and stores only its bcrypt hash in the web app's database.
func runClassPasswd(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	fs := commandFlags("lab class passwd", stderr)
	usageLine(fs, stderr, "lab class passwd [--data DIR] [--from FILE]  (the password: typed without echo at a terminal, else one line of standard input)")
	data := fs.String("data", defaultDataDir(), "the web app's data folder")
	from := fs.String("from", "", "read the password from this file instead of standard input")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	in := stdin
	if *from != "" {
		f, err := os.Open(*from)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		defer f.Close()
		in = f
	}
	pw, err := readPassword(in, stderr)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	hash, err := web.HashPassword(pw)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	store, err := progress.Open(ctx, filepath.Join(*data, "progress.db"))
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	defer store.Close()
	if err := store.SetInstructorHash(ctx, hash); err != nil {
		return &exitError{code: 2, err: err}
	}
	fmt.Fprintf(stdout, "saved a bcrypt hash of the instructor password in %s; open /class in the web app\n", filepath.Join(*data, "progress.db"))
	return nil
}

// readPassword reads one line from in: from a terminal with echo off
// after a prompt on prompt, from anything else (a pipe, a file: scripts)
// as it comes, up to 1 KiB.
func readPassword(in *os.File, prompt io.Writer) (string, error) {
	if fd := int(in.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(prompt, "new instructor password (at least 10 characters; not shown): ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
