package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/kit/demo"
)

// runDemo is `lab demo`: the classroom demo. It runs its own local cloud
// (or uses one at --endpoint), deploys the decoupled design and the old
// monolith into the demo's own accounts, and serves the web app with its
// /demo page.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f cloudFlags
	f.register(fs, "cloud-addr")
	// The demo's own cloud takes a free port and its own state, so it runs
	// beside a learner's lab up without touching it.
	setDefault(fs, "cloud-addr", "127.0.0.1:0")
	setDefault(fs, "data", filepath.Join(defaultDataDir(), "demo"))
	setDefault(fs, "log-level", "warn")
	var wf webFlags
	wf.register(fs)
	endpoint := fs.String("endpoint", "", "use the local cloud running at this URL (lab up, lab cloud) instead of starting one")
	account := fs.String("account", demo.DefaultAccount, "the account of the decoupled design (never a learner's)")
	monoAccount := fs.String("monolith-account", demo.DefaultMonolithAccount, "the account of the old monolith")
	webData := fs.String("web-data", defaultDataDir(), "the web app's data folder: its database, with the instructor password `lab class passwd` sets")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	wf.allowHosts = f.allowHosts
	if err := hostPort(wf.addr); err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logLevel)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	var source demo.Source
	cloudURL := strings.TrimRight(*endpoint, "/")
	if cloudURL == "" {
		sc, err := startCloud(f, log)
		if err != nil {
			return err
		}
		defer sc.cloud.Close()
		go func() { errc <- sc.cloud.Serve(ctx, sc.ln) }()
		cloudURL, source = sc.endpoint, demo.BusSource{Bus: sc.cloud.Bus()}
		fmt.Fprintf(stdout, "local cloud for the demo at %s (state in %s)\n", cloudURL, f.dataDir)
	} else {
		if err := cloudHealthy(ctx, cloudURL); err != nil {
			return err
		}
		source = demo.RemoteSource{Endpoint: cloudURL, Accounts: []string{*account, *monoAccount}}
		fmt.Fprintf(stdout, "using the local cloud at %s\n", cloudURL)
	}
	d, err := demo.New(demo.Config{Endpoint: cloudURL, Account: *account, MonolithAccount: *monoAccount, Source: source,
		Out: prefixWriter{w: stdout, prefix: "  "}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deploying the demo (accounts %s and %s; the first run ever builds the functions, about a minute)\n", *account, *monoAccount)
	start := time.Now()
	if err := d.Deploy(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployed in %.1f s\n", time.Since(start).Seconds())
	w, err := startWeb(ctx, wf, *webData, cloudURL, log, d)
	if err != nil {
		return err
	}
	defer w.store.Close()
	go func() { errc <- d.Run(ctx) }()
	go func() { errc <- w.srv.Serve(ctx, w.ln) }()
	fmt.Fprintf(stdout, "\ndemo ready at %s\n", demoURL(w.url))
	if strings.Contains(w.url, "?token=") {
		fmt.Fprintln(stdout, "  served to the class: that page is read-only; your controls are at /class/demo (log in with the password of lab class passwd)")
	}
	fmt.Fprintln(stdout, "  stop with Ctrl-C")
	err = <-errc
	cancel()
	return err
}

// demoURL is the web app's URL (with its ?token= when hosted) for /demo.
func demoURL(appURL string) string {
	base, query, _ := strings.Cut(appURL, "?")
	u := strings.TrimRight(base, "/") + "/demo"
	if query != "" {
		u += "?" + query
	}
	return u
}

// cloudHealthy checks that a local cloud answers at url.
func cloudHealthy(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/_lab/health", nil)
	if err != nil {
		return fmt.Errorf("--endpoint %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no local cloud answers at %s: %w (start one with lab up, or drop --endpoint)", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/_lab/health answered %d: is it a labkit local cloud?", url, resp.StatusCode)
	}
	return nil
}

// setDefault changes a registered flag's default (and its help text's).
func setDefault(fs *flag.FlagSet, name, value string) {
	fl := fs.Lookup(name)
	fl.DefValue = value
	fl.Value.Set(value)
}

// prefixWriter indents each line written to w.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	var sb strings.Builder
	for _, l := range lines {
		if l != "" {
			sb.WriteString(p.prefix + l)
		}
	}
	if _, err := io.WriteString(p.w, sb.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}
