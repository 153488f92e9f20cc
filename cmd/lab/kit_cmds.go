package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"time"

	"github.com/labkit-dev/labkit/grader/report"
	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/kit"
)

// kitCommand parses a kit command's flags (the target flags and extra),
// resolves the target and returns a Kit writing progress to stdout. Every AWS
// call the Kit makes has a deadline and says on out what it is waiting for
// when slow (kit.Kit.CallTimeout), so a command never hangs silently.
// Commands whose stdout is their result pass stderr as stdout.
func kitCommand(ctx context.Context, name, line string, args []string, stdout, stderr io.Writer,
	extra func(fs *flag.FlagSet)) (*kit.Kit, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("lab "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	usageLine(fs, stderr, line)
	var tf targetFlags
	tf.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(reorder(args)); err != nil {
		return nil, nil, flagErr(err)
	}
	t, err := tf.ready(ctx)
	if err != nil {
		return nil, nil, err
	}
	k := &kit.Kit{AWS: t.cfg, Names: t.names, Out: stdout}
	if t.spec.Kind != "local" {
		k.OS = "linux" // what Lambda runs; the local cloud runs this machine's
	}
	return k, fs, nil
}

func usageErr(line string) error { return &exitError{code: 2, err: fmt.Errorf("usage: %s", line)} }

func runSolve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab solve LAB|all [target flags]"
	k, fs, err := kitCommand(ctx, "solve", u, args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr(u)
	}
	return k.Solve(ctx, fs.Arg(0))
}

func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab setup LAB [target flags]"
	k, fs, err := kitCommand(ctx, "setup", u, args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr(u)
	}
	return k.Setup(ctx, fs.Arg(0))
}

func runDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab deploy FUNCTION [--from starter|solutions|DIR] [target flags]"
	var from string
	k, fs, err := kitCommand(ctx, "deploy", u, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "starter", "starter, solutions or a folder with the function's Go main package")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErr(u)
	}
	return k.Deploy(ctx, fs.Arg(0), from)
}

func runReset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab reset LAB|all [target flags]"
	k, fs, err := kitCommand(ctx, "reset", u, args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	// Deleting is never the default: the learner names what goes.
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: fmt.Errorf("name what to delete: a lab (lab3 deletes lab 3 and the labs after it) or all; usage: %s", u)}
	}
	lab := fs.Arg(0)
	fmt.Fprintf(stdout, "reset %s: deleting what the labs created\n", lab)
	deleted, err := k.Reset(ctx, lab)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %s\n", plural.Count(len(deleted), "resource", "resources"))
	return nil
}

func runFail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab fail inventory|accounting on|off [--rate R] [--latency MS] [target flags]"
	var rate float64
	var latency int
	k, fs, err := kitCommand(ctx, "fail", u, args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.Float64Var(&rate, "rate", 1, "fraction of requests that fail, 0 to 1 (with on)")
		fs.IntVar(&latency, "latency", 0, "milliseconds added to every request (with on)")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 2 || (fs.Arg(1) != "on" && fs.Arg(1) != "off") {
		return usageErr(u)
	}
	if latency < 0 {
		return &exitError{code: 2, err: fmt.Errorf("bad --latency %d: want milliseconds >= 0", latency)}
	}
	return k.Fail(ctx, fs.Arg(0), fs.Arg(1) == "on", rate, time.Duration(latency)*time.Millisecond)
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab token --channel web|mobile|wholesale [target flags]"
	var channel string
	// stdout is the token alone: the kit's lines (a slow call) go to stderr.
	k, fs, err := kitCommand(ctx, "token", u, args, stderr, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&channel, "channel", "web", "the sales channel: web, mobile or wholesale")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErr(u)
	}
	tok, err := k.Token(ctx, channel)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	if isTerminal(stdout) {
		fmt.Fprintf(stderr, "(a %s token, valid for %v: curl -H \"Authorization: Bearer $(lab token --channel %s)\" ...)\n", channel, kit.TokenTTL, channel)
	}
	return nil
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const u = "lab load --orders N --rate R [--concurrency C] [--timeout D] [--retries N] [--json] [target flags]"
	var opts kit.LoadOptions
	var asJSON bool
	k, fs, err := kitCommand(ctx, "load", u, args, stderr, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&opts.Orders, "orders", 1000, "how many orders to send")
		fs.IntVar(&opts.Rate, "rate", 200, "orders per second")
		fs.IntVar(&opts.Concurrency, "concurrency", 128, "requests in flight at most")
		fs.DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "how long to wait for accepted orders to complete after sending")
		fs.IntVar(&opts.Retries, "retries", 0, "send an order answered 429, 5xx or a network error again (same Idempotency-Key) up to this many times")
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 || opts.Orders <= 0 || opts.Rate <= 0 {
		return usageErr(u)
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		opts.Progress = stderr
	}
	rep, err := k.Load(ctx, opts)
	if rep != nil {
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(rep); jerr != nil {
				return jerr
			}
		} else {
			fmt.Fprint(stdout, report.Printable(rep.String())) // error kinds quote the learner's API
		}
	}
	if err != nil {
		return err
	}
	if rep.Lost > 0 || rep.Duplicated > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d lost, %d duplicated", rep.Lost, rep.Duplicated)}
	}
	return nil
}
