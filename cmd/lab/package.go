package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/kit/bundle"
)

// runPackage builds a Go main package as a Lambda zip for provided.al2023:
// for this machine's OS when it is for the local cloud, for linux when it
// is for AWS.
func runPackage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: lab package DIR [--target local|aws] [--arch amd64|arm64] [-o FILE.zip]"
	fs := flag.NewFlagSet("lab package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "local", "local (build for this machine, what the local cloud runs) or aws (build for linux, what Lambda runs)")
	arch := fs.String("arch", runtime.GOARCH, "amd64 or arm64 (default: this machine's, which the local cloud can run)")
	out := fs.String("o", "", "output zip (default: <dir name>.zip in the current directory)")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: fmt.Errorf(usage)}
	}
	goos := runtime.GOOS
	switch *target {
	case "local":
	case "aws":
		goos = "linux"
	default:
		return &exitError{code: 2, err: fmt.Errorf("bad --target %q: want local or aws", *target)}
	}
	dir := fs.Arg(0)
	if *arch != "amd64" && *arch != "arm64" {
		return &exitError{code: 2, err: fmt.Errorf("bad --arch %q: want amd64 or arm64", *arch)}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	name := filepath.Base(abs)
	if *out == "" {
		*out = name + ".zip"
	}
	fmt.Fprintf(stdout, "building %s for %s/%s (static, -tags lambda.norpc)...\n", dir, goos, *arch)
	if err := bundle.BuildFile(ctx, dir, *out, bundle.Options{OS: goos, Arch: *arch, Stdout: stdout, Stderr: stderr}); err != nil {
		return err
	}
	lambdaArch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[*arch]
	fmt.Fprintf(stdout, "wrote %s\n\nnext, create the function (add --endpoint-url %s for the local cloud):\n", *out, localEndpointHint())
	// One line: a trailing backslash continues a line in sh but not in
	// PowerShell or cmd.
	fmt.Fprintf(stdout, "  aws lambda create-function --function-name %s --runtime provided.al2023 --handler bootstrap --architectures %s --role <role ARN> --zip-file fileb://%s\n", name, lambdaArch, *out)
	fmt.Fprintf(stdout, "or update it:\n  aws lambda update-function-code --function-name %s --zip-file fileb://%s\n", name, *out)
	switch {
	case goos != runtime.GOOS:
		fmt.Fprintf(stdout, "\nnote: this zip is for AWS (%s/%s); the local cloud on this machine runs --target local builds.\n", goos, *arch)
	case *arch != runtime.GOARCH:
		fmt.Fprintf(stdout, "\nnote: this machine is %s, so the local cloud cannot run this %s build; AWS can.\n", runtime.GOARCH, strings.ToUpper(*arch))
	case goos != "linux":
		fmt.Fprintf(stdout, "\nnote: this zip is for the local cloud on this machine (%s/%s); for AWS, build with --target aws.\n", goos, *arch)
	}
	return nil
}

// localEndpointHint is the local cloud's URL as the learner's shell names it
// (AWS_ENDPOINT_URL, which the labs export with `lab up --cloud-addr`'s
// port), else the default one.
func localEndpointHint() string {
	return first(os.Getenv("AWS_ENDPOINT_URL"), target.DefaultLocalEndpoint)
}
