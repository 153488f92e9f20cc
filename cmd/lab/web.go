package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/web"
	"github.com/labkit-dev/labkit/web/progress"
)

// webFlags are the web app's flags.
type webFlags struct {
	addr, labsDir, token, configPath string
	allowPrivate                     bool
	allowHosts                       listFlag
}

func (f *webFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "web-addr", "127.0.0.1:8080", "address the web app listens on (loopback by default)")
	fs.StringVar(&f.labsDir, "labs-dir", "", "serve lab content from this folder, re-read on every page view (for authors)")
	fs.StringVar(&f.token, "token", os.Getenv("LABKIT_WEB_TOKEN"), "access token required when --web-addr is not loopback (default $LABKIT_WEB_TOKEN, else generated)")
	fs.BoolVar(&f.allowPrivate, "allow-private", false, "let the grader send test traffic to private and loopback addresses other than the local cloud's")
	fs.StringVar(&f.configPath, "config", labs.ConfigPath(), "your labkit config (resource names, target)")
	if fs.Lookup("allow-host") == nil { // lab up: the local cloud's --allow-host serves both (see runUp)
		fs.Var(&f.allowHosts, "allow-host", "a host name the web app answers besides loopback ones and its address (repeatable; others are refused as DNS rebinding)")
	}
}

// startedWeb is a web app bound to its port.
type startedWeb struct {
	srv   *web.Server
	ln    net.Listener
	store *progress.Store
	url   string
}

// startWeb binds the web app's port and builds it; demo, when not nil, is
// the classroom demo its /demo page shows.
func startWeb(ctx context.Context, f webFlags, dataDir, cloudEndpoint string, log *slog.Logger, demo web.DemoRunner) (*startedWeb, error) {
	if err := hostPort(f.addr); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(f.addr)
	hosted := !isLoopback(host)
	token := f.token
	if hosted && token == "" {
		token = randomToken()
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		var se *os.SyscallError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("cannot listen on %s for the web app: %v (pass --web-addr with a free port)", f.addr, se.Err)
		}
		return nil, fmt.Errorf("cannot listen on %s for the web app: %w", f.addr, err)
	}
	store, err := progress.Open(ctx, filepath.Join(dataDir, "progress.db"))
	if err != nil {
		ln.Close()
		return nil, err
	}
	reload := f.labsDir != ""
	allow := append([]string(nil), f.allowHosts...)
	if net.ParseIP(host) == nil && host != "" {
		allow = append(allow, host) // --web-addr named the machine: browsers will use that name
	}
	cfg := web.Config{Addr: ln.Addr().String(), AllowHosts: allow, Reload: reload, Store: store, Library: checks.Library(), ConfigPath: f.configPath,
		LocalEndpoint: cloudEndpoint, Hosted: hosted, Token: token, AllowPrivate: f.allowPrivate, Logger: log, Demo: demo,
		Class: &web.ClassDashboard{Context: ctx, Grading: class.Config{Endpoint: first(cloudEndpoint, target.DefaultLocalEndpoint),
			GradeSubmission: submissionGrader(), Log: log}}}
	if reload {
		cfg.Content = os.DirFS(f.labsDir)
	} else {
		cfg.Content = labs.Content
	}
	srv, err := web.New(cfg)
	if err != nil {
		store.Close()
		ln.Close()
		return nil, err
	}
	u := "http://" + ln.Addr().String() + "/"
	if hosted {
		u += "?token=" + token
	}
	return &startedWeb{srv: srv, ln: ln, store: store, url: u}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runWeb(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab web", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var wf webFlags
	wf.register(fs)
	dataDir := fs.String("data", defaultDataDir(), "directory for your progress")
	endpoint := fs.String("cloud-endpoint", "", "a local cloud to offer as a target (e.g. http://127.0.0.1:4566)")
	logLevel := fs.String("log-level", "info", "log level")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	w, err := startWeb(ctx, wf, *dataDir, *endpoint, log, nil)
	if err != nil {
		return err
	}
	defer w.store.Close()
	fmt.Fprintf(stdout, "labs ready at %s\n", w.url)
	return w.srv.Serve(ctx, w.ln)
}
