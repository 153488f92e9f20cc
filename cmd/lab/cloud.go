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
	"runtime"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/dynamo"
	"github.com/labkit-dev/labkit/localcloud/s3"
)

// cloudFlags are the flags every command that runs the local cloud takes.
type cloudFlags struct {
	addr        string
	dataDir     string
	logLevel    string
	concurrency int
	// allowHosts and allowOrigins widen the guard against web pages
	// (DNS rebinding, drive-by calls): see protocol.GuardConfig.
	allowHosts   listFlag
	allowOrigins listFlag
	alarmEvery   time.Duration
	tableDelay   time.Duration
	uploadAge    time.Duration
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (f *cloudFlags) register(fs *flag.FlagSet, addrFlag string) {
	fs.StringVar(&f.addr, addrFlag, localcloud.DefaultAddr, "address the local cloud listens on")
	fs.StringVar(&f.dataDir, "data", defaultDataDir(), "directory the local cloud keeps its state in")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.IntVar(&f.concurrency, "lambda-concurrency", localcloud.DefaultLambdaConcurrency, "concurrent Lambda executions per account and region")
	fs.Var(&f.allowHosts, "allow-host", "a host name the local cloud answers besides loopback ones (repeatable)")
	fs.Var(&f.allowOrigins, "allow-origin", "a web origin (http://localhost:3000) whose pages may call the local cloud (repeatable)")
	fs.DurationVar(&f.alarmEvery, "alarm-evaluation", time.Minute, "how often CloudWatch alarms are evaluated (AWS: 1m; shorten for demos)")
	fs.DurationVar(&f.tableDelay, "table-delay", dynamo.DefaultTableDelay, "how long DynamoDB tables stay CREATING, UPDATING or DELETING (AWS: seconds; 0 for none)")
	fs.DurationVar(&f.uploadAge, "s3-upload-max-age", s3.DefaultUploadMaxAge, "unfinished S3 multipart uploads older than this are aborted at start, their parts deleted (negative: never)")
}

// defaultDataDir is the per-user directory the local cloud keeps its state
// in (see dataDirFor).
func defaultDataDir() string {
	home, _ := os.UserHomeDir()
	config, _ := os.UserConfigDir()
	cache, _ := os.UserCacheDir()
	return dataDirFor(runtime.GOOS, os.Getenv, home, config, cache)
}

// dataDirFor follows each OS's convention for an application's own data:
// $XDG_DATA_HOME/labkit when set; Linux (and the BSDs) ~/.local/share/labkit;
// macOS ~/Library/Application Support/labkit (the user config dir);
// Windows %LocalAppData%\labkit (the user cache dir: local, not roaming, as
// databases should be). ".labkit" in the working directory when the OS
// names no home.
func dataDirFor(goos string, getenv func(string) string, home, configDir, cacheDir string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "labkit")
	}
	switch {
	case goos == "windows" && cacheDir != "":
		return filepath.Join(cacheDir, "labkit")
	case goos == "darwin" && configDir != "":
		return filepath.Join(configDir, "labkit")
	case goos != "windows" && goos != "darwin" && home != "":
		return filepath.Join(home, ".local", "share", "labkit")
	}
	return ".labkit"
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// startedCloud is a local cloud bound to its port, ready to serve.
type startedCloud struct {
	cloud    *localcloud.Cloud
	ln       net.Listener
	endpoint string
}

// startCloud binds the port first (so a busy port fails before anything is
// opened), then opens the data directory and builds the services.
func startCloud(f cloudFlags, log *slog.Logger) (*startedCloud, error) {
	ln, err := localcloud.Listen(f.addr)
	if err != nil {
		return nil, err
	}
	endpoint := "http://" + ln.Addr().String()
	c, err := localcloud.New(localcloud.Config{DataDir: f.dataDir, Logger: log, Endpoint: endpoint, LambdaConcurrency: f.concurrency,
		AllowHosts: f.allowHosts, AllowOrigins: f.allowOrigins,
		AlarmEvaluationInterval: f.alarmEvery, TableDelay: tableDelay(f.tableDelay), S3UploadMaxAge: f.uploadAge})
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &startedCloud{cloud: c, ln: ln, endpoint: endpoint}, nil
}

func runCloud(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lab cloud", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f cloudFlags
	f.register(fs, "addr")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
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

func printCloudBanner(w io.Writer, endpoint, dataDir string) {
	fmt.Fprintf(w, "local cloud ready at %s (state in %s)\n", endpoint, dataDir)
	fmt.Fprintf(w, "  use it from the AWS CLI:  aws --endpoint-url %s ...\n", endpoint)
	fmt.Fprintf(w, "  or from any SDK:          export AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=000000000000 AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1\n", endpoint)
	fmt.Fprintln(w, "  stop with Ctrl-C")
}

// errHelp is what a command returns after printing its usage for -h: Run
// exits 0 without an error line. A command must stop there, not go on with
// half-parsed flags.
var errHelp = errors.New("help requested")

// flagErr turns -h into errHelp and other flag errors into exit code 2.
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return &exitError{code: 2, err: err}
}

// hostPort validates an address flag.
func hostPort(s string) error {
	if _, _, err := net.SplitHostPort(s); err != nil || strings.TrimSpace(s) == "" {
		return fmt.Errorf("bad address %q: want host:port, e.g. 127.0.0.1:4566", s)
	}
	return nil
}

// tableDelay maps the flag's "0 for none" onto the local cloud's Config,
// where 0 means the default.
func tableDelay(flagValue time.Duration) time.Duration {
	if flagValue == 0 {
		return -1
	}
	return flagValue
}
