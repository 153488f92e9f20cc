package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/labkit-dev/labkit/grader/checks"
)

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// runPolicy prints the least-privilege IAM policy the grader needs (the
// union of every check kind's API calls), or with --cross-account a
// CloudFormation template for a read-only role the grader can assume.
func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab policy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lab policy [--account ID] [--region REGION] [--read-only] [--cross-account]")
		fmt.Fprintln(stderr, "\nPrints the IAM policy the grader needs in your account (attach it to the identity that runs `lab check`).")
		fs.PrintDefaults()
	}
	account := fs.String("account", "", "limit resources to this 12-digit account id")
	region := fs.String("region", "", "limit resources to this region")
	ro := fs.Bool("read-only", false, "only what resource checks need (no test traffic, no changes)")
	cross := fs.Bool("cross-account", false, "print a CloudFormation template for a read-only role trusting the grader's account (with an sts:ExternalId condition)")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *account != "" && !accountID.MatchString(*account) {
		return &exitError{code: 2, err: fmt.Errorf("bad --account %q: want a 12-digit account id", *account)}
	}
	lib := checks.Library()
	if *cross {
		b, err := checks.CrossAccountTemplate(lib)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	b, err := json.MarshalIndent(checks.GraderPolicy(lib, checks.PolicyOptions{Account: *account, Region: *region, ReadOnly: *ro}), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
