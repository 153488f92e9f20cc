package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/report"
	"github.com/labkit-dev/labkit/grader/submission"
	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/internal/plural"
)

// runSubmit exports the learner's local-cloud account into a submission archive.
func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := commandFlags("lab submit", stderr)
	var tf targetFlags
	tf.register(fs)
	out := fs.String("out", "submission.zip", "the archive to write")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	notLocal := &exitError{code: 2, err: errors.New("lab submit exports a local-cloud account; on AWS your instructor grades your account directly (lab policy --cross-account)")}
	if tf.kind != "" && tf.kind != "local" {
		return notLocal
	}
	t, err := tf.ready(ctx)
	if err != nil {
		return err
	}
	if t.spec.Kind != "local" {
		return notLocal
	}
	a, err := submission.Export(ctx, t.cfg, submission.ExportOptions{Endpoint: first(t.spec.Endpoint, target.DefaultLocalEndpoint), Names: t.names})
	if err != nil {
		return err
	}
	if err := writeAtomic(*out, func(w io.Writer) error { return submission.Write(w, a) }); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	acc := a.Account
	fmt.Fprintf(stdout, "wrote %s (%d KiB): %s\n", *out, (st.Size()+1023)/1024, strings.Join([]string{
		plural.Count(len(acc.Tables), "table", "tables"), plural.Count(len(acc.Queues), "queue", "queues"),
		plural.Count(len(acc.Topics), "topic", "topics"), plural.Count(len(acc.Roles), "role", "roles"),
		plural.Count(len(acc.Functions), "function", "functions"), plural.Count(len(acc.Mappings), "mapping", "mappings"),
		plural.Count(len(acc.APIs), "API", "APIs"), plural.Count(len(acc.LogGroups), "log group", "log groups"),
	}, ", "))
	for _, f := range acc.Functions {
		if len(f.Redacted) > 0 {
			fmt.Fprintf(stdout, "  function %s: %s left out (secrets: the grader sets new values)\n", f.Name, strings.Join(f.Redacted, ", "))
		}
	}
	fmt.Fprintln(stdout, "no items, messages or secret values are in it; hand it in as your instructor asked")
	return nil
}

// writeAtomic writes path through a temporary file renamed into place, so a
// failed write leaves no half archive.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// runSubmission grades submission archives (`grade`) and runs a sandbox's
// local cloud (`serve-isolated`, started by grade, not by people).
func runSubmission(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab submission grade ARCHIVE [--lab LAB|all] [--format text|json|junit|gradescope] [--out FILE]"
	if len(args) == 0 {
		return usageErr(u)
	}
	switch args[0] {
	case "serve-isolated":
		return submission.ServeIsolated(ctx, args[1:], os.Stdin, stdout, stderr)
	case "grade":
		return runSubmissionGrade(ctx, u, args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprintln(stdout, "usage: "+u)
		return errHelp
	}
	return usageErr(u)
}

func runSubmissionGrade(ctx context.Context, u string, args []string, stdout, stderr io.Writer) error {
	fs := commandFlags("lab submission grade", stderr)
	lab := fs.String("lab", "all", "the lab to grade (lab1 ... or all)")
	format := fs.String("format", "text", "text, json, junit or gradescope")
	out := fs.String("out", "", "write the report here instead of stdout")
	deadline := fs.Duration("deadline", 10*time.Minute, "the most one submission may take")
	verbose := fs.Bool("v", false, "log what the sandbox does")
	sandboxDir := fs.String("sandbox-dir", "", "make the sandbox's temporary folder here (default the system's; its functions run from it, so not a noexec mount)")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	if fs.NArg() != 1 {
		return usageErr(u)
	}
	switch *format {
	case "text", "json", "junit", "gradescope":
	default:
		return &exitError{code: 2, err: fmt.Errorf("bad --format %q: want text, json, junit or gradescope", *format)}
	}
	sb := &submission.Sandbox{Deadline: *deadline, Dir: *sandboxDir}
	if *verbose {
		sb.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	start := time.Now()
	results, gradeErr := sb.Grade(ctx, fs.Arg(0), []string{*lab})
	elapsed := time.Since(start)
	if gradeErr != nil && !(errors.Is(gradeErr, submission.ErrInvalid) && *format == "gradescope") {
		return &exitError{code: 2, err: gradeErr}
	}
	write := func(w io.Writer) error {
		switch {
		case gradeErr != nil:
			return report.GradescopeRefused(w, gradeErr.Error(), elapsed)
		case *format == "json":
			return report.JSON(w, results)
		case *format == "junit":
			return report.JUnit(w, results)
		case *format == "gradescope":
			return report.Gradescope(w, results, elapsed)
		}
		tx := &report.Text{W: w}
		for _, r := range results {
			tx.Result(r)
		}
		tx.Summary(results)
		return nil
	}
	var err error
	if *out != "" {
		err = writeAtomic(*out, write)
	} else {
		err = write(stdout)
	}
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if gradeErr != nil {
		return &exitError{code: 1, err: gradeErr}
	}
	if s := grader.Summarize(results); s.Failed > 0 || s.Skipped > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s failed, %d skipped", plural.Count(s.Failed, "check", "checks"), s.Skipped)}
	}
	return nil
}
