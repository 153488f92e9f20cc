package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/labkit-dev/labkit/kit/bundle"
)

// runPackage builds a Go main package as a Lambda zip for provided.al2023.
func runPackage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	arch := fs.String("arch", runtime.GOARCH, "amd64 or arm64 (default: this machine's, which the local cloud can run)")
	out := fs.String("o", "", "output zip (default: <dir name>.zip in the current directory)")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: fmt.Errorf("usage: lab package DIR [--arch amd64|arm64] [-o FILE.zip]")}
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
	fmt.Fprintf(stdout, "building %s for linux/%s (static, -tags lambda.norpc)...\n", dir, *arch)
	if err := bundle.BuildFile(ctx, dir, *out, bundle.Options{Arch: *arch, Stdout: stdout, Stderr: stderr}); err != nil {
		return err
	}
	lambdaArch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[*arch]
	fmt.Fprintf(stdout, "wrote %s\n\nnext, create the function (add --endpoint-url http://127.0.0.1:4566 for the local cloud):\n", *out)
	fmt.Fprintf(stdout, "  aws lambda create-function --function-name %s --runtime provided.al2023 --handler bootstrap \\\n", name)
	fmt.Fprintf(stdout, "    --architectures %s --role <role ARN> --zip-file fileb://%s\n", lambdaArch, *out)
	fmt.Fprintf(stdout, "or update it:\n  aws lambda update-function-code --function-name %s --zip-file fileb://%s\n", name, *out)
	if *arch != runtime.GOARCH {
		fmt.Fprintf(stdout, "\nnote: this machine is %s, so the local cloud cannot run this %s build; AWS can.\n", runtime.GOARCH, strings.ToUpper(*arch))
	}
	return nil
}
