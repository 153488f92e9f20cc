// Command lab is the course kit's one binary: it runs the local cloud and the
// web app, deploys and grades the labs, and packages Lambda functions.
//
// Run `lab help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// exitError carries the process exit code a command wants.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// command is one `lab` subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"up", "run the local cloud (and the web app) for the labs", runUp},
		{"cloud", "run only the local cloud", runCloud},
		{"check", "grade a lab (or all) against the local cloud or your AWS account", runCheck},
		{"web", "run only the web app (for learners using their AWS account)", runWeb},
		{"names", "show or change the resource names the kit and grader use", runNames},
		{"package", "build a Go function as a Lambda zip (bootstrap for provided.al2023)", runPackage},
		{"policy", "print the IAM policy the grader needs (or --cross-account: a role template)", runPolicy},
		{"solve", "deploy the reference solution of a lab (and the labs before it)", runSolve},
		{"setup", "deploy what a lab needs that you do not build (lab4: the downstream services)", runSetup},
		{"deploy", "package and upload one function's code (--from starter|solutions|DIR)", runDeploy},
		{"reset", "delete what the labs created (a lab and the ones after it, or all)", runReset},
		{"fail", "switch a downstream service's failures on or off", runFail},
		{"token", "print a channel token for the orders API", runToken},
		{"class", "grade a whole class: check-roster FILE, grade --roster FILE --out DIR", runClass},
		{"demo", "the classroom demo: the pipeline and the old monolith live, with a spike, failures and the cost", runDemo},
		{"load", "send a spike of orders and report what completed, was lost or duplicated", runLoad},
		{"submit", "export what you built on the local cloud into a submission archive (--out FILE)", runSubmit},
		{"submission", "grade a submission archive in a throwaway sandboxed local cloud (grade ARCHIVE)", runSubmission},
	}
}

// Run runs the lab command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			if err == nil || errors.Is(err, errHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "lab %s: %v\n", c.name, err)
			if ee, ok := err.(*exitError); ok {
				return ee.code
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "lab: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lab <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `lab <command> -h` for a command's flags.")
}
