package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/report"
	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/labs"
)

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := commandFlags("lab check", stderr)
	var tf targetFlags
	tf.register(fs)
	format := fs.String("format", "text", "text, json or junit")
	step := fs.String("step", "", "only the checks of this step")
	hints := fs.Bool("hints", false, "show every hint under a failure, not just the first")
	allowPrivate := fs.Bool("allow-private", false, "let test traffic go to private and loopback addresses other than the local cloud's")
	dataDir := fs.String("data", defaultDataDir(), "the web app's data folder: results are recorded in its progress store, as the Check buttons do")
	noRecord := fs.Bool("no-record", false, "do not record the results in the progress store")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	which := "all"
	if fs.NArg() > 0 {
		which = fs.Arg(0)
	}
	if *format != "text" && *format != "json" && *format != "junit" {
		return &exitError{code: 2, err: fmt.Errorf("bad --format %q: want text, json or junit", *format)}
	}
	fsys, err := tf.content()
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	checkList, err := selectChecks(fsys, which, *step)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	t, err := tf.ready(ctx)
	if err != nil {
		return err
	}
	if note := t.shellKeyNote(ctx); note != "" {
		fmt.Fprint(stderr, note)
	}
	guard, err := grader.ForTarget(ctx, t.spec.LocalEndpoint(), *allowPrivate)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	env := &grader.Env{AWS: t.cfg, Names: t.names, HTTP: guard.Client(30 * time.Second),
		RunID: fmt.Sprintf("%d", time.Now().UnixNano()),
		Log:   slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var emit func(grader.Result)
	if *format == "text" {
		where := t.spec.Name()
		if t.spec.Kind == "local" {
			where += fmt.Sprintf(" (account %s, %s)", t.localAccount(), t.cfg.Region)
		}
		fmt.Fprintf(stdout, "checking %s against the %s\n\n", plural.Count(len(checkList), "check", "checks"), where)
		tx := &report.Text{W: stdout, Color: isTerminal(stdout), AllHints: *hints}
		emit = tx.Result
	}
	results := grader.Run(ctx, env, checkList, 0, emit)
	if !*noRecord {
		if err := recordProgress(context.WithoutCancel(ctx), *dataDir, t.spec.Name(), *step, results); err != nil {
			fmt.Fprintf(stderr, "lab check: the results were not recorded in your progress (%v)\n", err)
		}
	}
	switch *format {
	case "text":
		(&report.Text{W: stdout, Color: isTerminal(stdout)}).Summary(results)
	case "json":
		err = report.JSON(stdout, results)
	case "junit":
		err = report.JUnit(stdout, results)
	}
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	s := grader.Summarize(results)
	switch {
	case s.Failed > 0:
		return &exitError{code: 1, err: fmt.Errorf("%s failed", plural.Count(s.Failed, "check", "checks"))}
	case s.Errored > 0:
		return &exitError{code: 2, err: fmt.Errorf("%s could not be decided", plural.Count(s.Errored, "check", "checks"))}
	case s.Skipped > 0:
		return &exitError{code: 1, err: fmt.Errorf("%s skipped because what they need is missing", plural.Count(s.Skipped, "check", "checks"))}
	}
	return nil
}

// selectChecks loads the manifests of the chosen labs ("all", "lab1", "1").
func selectChecks(fsys fs.FS, which, step string) ([]*grader.Check, error) {
	cat, err := labs.LoadCatalog(fsys)
	if err != nil {
		return nil, err
	}
	var chosen []*labs.Lab
	if which == "all" {
		chosen = cat.Labs
	} else {
		l, ok := cat.Lab(which)
		if !ok {
			return nil, fmt.Errorf("no lab %q (try lab1 ... or all)", which)
		}
		chosen = []*labs.Lab{l}
	}
	lib := checks.Library()
	var out []*grader.Check
	for _, l := range chosen {
		m, err := grader.LoadManifest(fsys, l.ManifestPath(), lib)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a lab without account checks (a knowledge check)
		}
		if err != nil {
			return nil, err
		}
		if step != "" {
			out = append(out, m.Step(step)...)
		} else {
			out = append(out, m.Checks...)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no checks selected for %q (step %q)", which, step)
	}
	return out, nil
}

// reorder moves flags after positional arguments to the front, so that
// `lab check lab1 --format json` works like `lab check --format json lab1`.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			if !containsEq(a) && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func containsEq(s string) bool {
	for _, c := range s {
		if c == '=' {
			return true
		}
	}
	return false
}

var boolFlags = map[string]bool{"-hints": true, "--hints": true, "-allow-private": true, "--allow-private": true, "-json": true, "--json": true, "-h": true, "--help": true, "-wait": true, "--wait": true, "-no-record": true, "--no-record": true}

func isBoolFlag(s string) bool { return boolFlags[s] }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
