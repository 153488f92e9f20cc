package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
)

func runUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f cloudFlags
	f.register(fs, "cloud-addr")
	var wf webFlags
	wf.register(fs)
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	wf.allowHosts = f.allowHosts // one --allow-host: both answer to the names given
	if err := hostPort(wf.addr); err != nil {
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
	w, err := startWeb(ctx, wf, f.dataDir, sc.endpoint, log, nil)
	if err != nil {
		sc.ln.Close()
		return err
	}
	defer w.store.Close()
	printCloudBanner(stdout, sc.endpoint, f.dataDir)
	fmt.Fprintf(stdout, "\nlabs ready at %s\n", w.url)
	// Serve both until ctx ends or either fails; then stop the other.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- sc.cloud.Serve(ctx, sc.ln) }()
	go func() { errc <- w.srv.Serve(ctx, w.ln) }()
	err = <-errc
	cancel()
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
