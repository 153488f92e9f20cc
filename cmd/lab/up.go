package main

import (
	"context"
	"flag"
	"io"
)

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f cloudFlags
	f.register(fs, "cloud-addr")
	webAddr := fs.String("web-addr", "127.0.0.1:8080", "address the web app listens on")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if err := hostPort(*webAddr); err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	sc, err := startCloud(f, log)
	if err != nil {
		return err
	}
	defer sc.cloud.Close()
	printCloudBanner(stdout, sc.endpoint, f.dataDir)
	return sc.cloud.Serve(ctx, sc.ln)
}
