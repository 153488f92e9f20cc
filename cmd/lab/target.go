package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/labs"
)

// targetFlags are the flags of every command that works on a learner's
// deployment: which account, and the names recorded in the learner's config.
type targetFlags struct {
	kind, endpoint, account, profile, region string
	roleARN, externalID                      string
	configPath, labsDir                      string
}

func (f *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.kind, "target", "", "local (the local cloud) or aws (your AWS profile); default from your config, else local")
	fs.StringVar(&f.endpoint, "endpoint", "", "the local cloud's URL (default $AWS_ENDPOINT_URL, else your config's, else "+target.DefaultLocalEndpoint+")")
	fs.StringVar(&f.account, "account", "", "local cloud account id to act in (default 000000000000)")
	fs.StringVar(&f.profile, "profile", "", "AWS profile (target aws)")
	fs.StringVar(&f.region, "region", "", "AWS region (default from the profile; us-east-1 on the local cloud)")
	fs.StringVar(&f.roleARN, "role-arn", "", "assume this role first (an instructor grading a learner's account)")
	fs.StringVar(&f.externalID, "external-id", "", "external id for --role-arn")
	fs.StringVar(&f.configPath, "config", labs.ConfigPath(), "your labkit config (resource names, default target)")
	fs.StringVar(&f.labsDir, "labs-dir", "", "read lab content from this folder instead of the built-in copy")
}

// resolved is a command's view of the learner's target.
type resolved struct {
	spec   target.Spec
	cfg    aws.Config
	names  map[string]string
	config labs.Config
}

func (f *targetFlags) resolve(ctx context.Context) (*resolved, error) {
	c, err := labs.LoadConfig(f.configPath)
	if err != nil {
		return nil, err
	}
	// AWS_ENDPOINT_URL is the variable the SDKs and AWS CLI 2.13+ honour: a
	// learner who exported it for the local cloud gets the same from lab.
	spec := target.Spec{Kind: first(f.kind, c.Target, "local"), Endpoint: first(f.endpoint, os.Getenv("AWS_ENDPOINT_URL"), c.Endpoint), Account: f.account,
		Profile: first(f.profile, c.Profile), Region: first(f.region, c.Region), RoleARN: f.roleARN, ExternalID: f.externalID}
	cfg, err := target.Config(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &resolved{spec: spec, cfg: cfg, names: c.ResolvedNames(), config: c}, nil
}

// ready resolves the target and checks that it answers (preflight); a
// failure of either is a usage-level error (exit code 2).
func (f *targetFlags) ready(ctx context.Context) (*resolved, error) {
	t, err := f.resolve(ctx)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if err := t.preflight(ctx); err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return t, nil
}

// commandFlags starts the flag set of command name; its errors and usage go
// to stderr.
func commandFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// usageLine makes -h print line (without "usage: ") before fs's flags.
func usageLine(fs *flag.FlagSet, stderr io.Writer, line string) {
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\nflags:\n", line)
		fs.PrintDefaults()
	}
}

func (f *targetFlags) content() (fs.FS, error) { return labContent(f.labsDir) }

// labContent is the built-in lab content, or the folder dir when given.
func labContent(dir string) (fs.FS, error) {
	if dir == "" {
		return labs.Content, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("--labs-dir: %w", err)
	}
	return os.DirFS(dir), nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// preflight fails fast, with advice, when the local cloud is not running.
func (r *resolved) preflight(ctx context.Context) error {
	if r.spec.Kind != "local" {
		return nil
	}
	ep := first(r.spec.Endpoint, target.DefaultLocalEndpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep+"/_lab/health", nil)
	if err != nil {
		return fmt.Errorf("bad local cloud endpoint %q: %w", ep, err)
	}
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("the local cloud is not answering at %s: start it with `go run ./cmd/lab up` in another terminal (or pass --endpoint)", ep)
	}
	resp.Body.Close()
	return nil
}
