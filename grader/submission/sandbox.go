package submission

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/labkit-dev/labkit/grader"
)

// GraderAccount is the account a submission is imported into in its
// sandbox's local cloud.
const GraderAccount = "100000000001"

// Sandbox grades submissions, each in its own throwaway local cloud: a
// child process (the lab binary re-run as `lab submission serve-isolated`)
// with its own temporary data directory and port, an empty environment,
// resource limits and, on Linux where user namespaces work, its own user,
// mount and PID namespaces with nothing of the machine's file system
// visible but its own directory. The child and every process it started
// are killed when the grade is done.
type Sandbox struct {
	// Exe and Args run the isolated local cloud; empty means this program
	// (os.Executable) with "submission serve-isolated".
	Exe  string
	Args []string
	// Deadline bounds one submission's import and grading; 0 means 10 minutes.
	Deadline time.Duration
	// Limits are the child's resource limits; zero fields take DefaultLimits'.
	Limits Limits
	// Dir is where each sandbox's temporary folder is made; empty means
	// os.TempDir(). It must allow executing files (functions run from
	// there): choose another when /tmp is mounted noexec.
	Dir string
	// NoNamespaces turns the Linux namespaces off (for a machine where
	// they misbehave); the rest of the isolation stays.
	NoNamespaces bool
	// Log receives what the sandbox did (isolation used, teardown); nil
	// discards all but a warning that namespaces were refused, which goes to
	// the default logger.
	Log *slog.Logger
	// BeforeTeardown, when set, is called with the sandbox's folder once its
	// processes are killed and before the folder is deleted (for tests and
	// debugging: what the submission's functions left there).
	BeforeTeardown func(dir string)
}

// Limits are a sandboxed local cloud's resource limits, inherited by the
// functions it runs (each process is held to them separately).
type Limits struct {
	CPUSeconds uint64 // RLIMIT_CPU
	AddressMiB uint64 // RLIMIT_AS
	FileMiB    uint64 // RLIMIT_FSIZE: the largest file a process may write
	OpenFiles  uint64 // RLIMIT_NOFILE
}

// DefaultLimits leave room for grading every lab (the local cloud and the
// functions it runs), and not much more.
var DefaultLimits = Limits{CPUSeconds: 600, AddressMiB: 16 << 10, FileMiB: 1 << 10, OpenFiles: 4096}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.CPUSeconds == 0 {
		l.CPUSeconds = d.CPUSeconds
	}
	if l.AddressMiB == 0 {
		l.AddressMiB = d.AddressMiB
	}
	if l.FileMiB == 0 {
		l.FileMiB = d.FileMiB
	}
	if l.OpenFiles == 0 {
		l.OpenFiles = d.OpenFiles
	}
	return l
}

// Grade grades the submission at archivePath in a sandbox with the default
// settings: the SubmissionGrader `lab class grade --submissions` uses.
func Grade(ctx context.Context, archivePath string, labs []string) ([]grader.Result, error) {
	return (&Sandbox{}).Grade(ctx, archivePath, labs)
}

// Grade validates the archive, starts a sandboxed local cloud, imports the
// submission into it, grades the labs and tears everything down. A refused
// archive's error wraps ErrInvalid.
func (s *Sandbox) Grade(ctx context.Context, archivePath string, labs []string) ([]grader.Result, error) {
	a, err := ReadFile(archivePath)
	if err != nil {
		return nil, err
	}
	list, err := Checks(labs)
	if err != nil {
		return nil, err
	}
	d := s.Deadline
	if d == 0 {
		d = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	ch, err := s.start(ctx)
	if err != nil {
		return nil, err
	}
	defer ch.stop()
	cfg := aws.Config{Region: a.Manifest.Region, BaseEndpoint: aws.String(ch.endpoint), RetryMaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider(GraderAccount, "sandbox", "")}
	if err := Import(ctx, cfg, ch.endpoint, a); err != nil {
		return nil, fmt.Errorf("import %s: %w", filepath.Base(archivePath), err)
	}
	u, err := url.Parse(ch.endpoint)
	if err != nil {
		return nil, fmt.Errorf("sandbox endpoint %q: %w", ch.endpoint, err)
	}
	return GradeAccount(ctx, cfg, a.Manifest.Names, u.Host, list, s.log()), nil
}

// warn is where a weaker sandbox is reported: Log, or the default logger
// (standard error) when Log is nil, since an instructor must know.
func (s *Sandbox) warn() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func (s *Sandbox) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// child is a running sandboxed local cloud.
type child struct {
	cmd      *exec.Cmd
	dir      string
	endpoint string
	mode     string // the isolation it got
	stdin    io.Closer
	stderr   *tail
	waited   chan struct{}
	once     sync.Once
	log      *slog.Logger
	inspect  func(dir string)
}

// readyPrefix starts the line the child prints once it serves.
const readyPrefix = "labkit-sandbox listening "

func (s *Sandbox) start(ctx context.Context) (*child, error) {
	exe, args := s.Exe, s.Args
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find the lab binary to run the sandbox: %w", err)
		}
		args = []string{"submission", "serve-isolated"}
	}
	dir, err := os.MkdirTemp(s.Dir, "labkit-sandbox-*")
	if err != nil {
		return nil, fmt.Errorf("sandbox directory: %w", err)
	}
	lim := s.Limits.withDefaults()
	jail := !s.NoNamespaces && namespacesAvailable()
	ch, err := s.spawn(ctx, exe, args, dir, lim, jail)
	if err != nil && jail {
		s.warn().Warn("sandbox: Linux namespaces refused, grading this submission with a process group, rlimits and an empty environment only (see the README: grade inside a container or VM)", "err", err)
		ch, err = s.spawn(ctx, exe, args, dir, lim, false)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return ch, nil
}

func (s *Sandbox) spawn(ctx context.Context, exe string, args []string, dir string, lim Limits, jail bool) (*child, error) {
	full := append(append([]string{}, args...), "--data", filepath.Join(dir, "data"),
		"--cpu", fmt.Sprint(lim.CPUSeconds), "--as-mib", fmt.Sprint(lim.AddressMiB), "--fsize-mib", fmt.Sprint(lim.FileMiB), "--nofile", fmt.Sprint(lim.OpenFiles))
	var listener *os.File
	if jail {
		// In its own network namespace the child cannot open a port the
		// grader reaches: it gets one opened here (fd 3), and serves the same
		// address on its own loopback for its functions.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("sandbox listener: %w", err)
		}
		listener, err = ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			return nil, fmt.Errorf("sandbox listener: %w", err)
		}
		defer listener.Close()
		full = append(full, "--jail", dir, "--listen-fd", "3")
	}
	cmd := exec.Command(exe, full...)
	cmd.Dir = dir
	cmd.Env = []string{}            // empty: nothing of the grader's environment (tokens, keys) reaches the child
	cmd.WaitDelay = 5 * time.Second // a leftover holding the child's stderr must not hold the grade
	if listener != nil {
		cmd.ExtraFiles = []*os.File{listener}
	}
	mode := isolate(cmd, jail)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	errTail := &tail{max: 4096}
	cmd.Stderr = errTail
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sandbox (%s): %w", mode, err)
	}
	ch := &child{cmd: cmd, dir: dir, mode: mode, stdin: stdin, stderr: errTail, waited: make(chan struct{}), log: s.log(), inspect: s.BeforeTeardown}
	go func() { cmd.Wait(); close(ch.waited) }()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if ep, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				ready <- ep
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ep := <-ready:
		ch.endpoint = ep
		ch.log.Info("sandbox started", "isolation", mode, "endpoint", ep, "dir", dir)
		return ch, nil
	case <-ch.waited:
		return nil, fmt.Errorf("sandbox (%s) exited before serving: %s", mode, strings.TrimSpace(errTail.String()))
	case <-ctx.Done():
		ch.kill()
		return nil, fmt.Errorf("sandbox (%s) did not start: %w", mode, ctx.Err())
	case <-time.After(30 * time.Second):
		ch.kill()
		return nil, fmt.Errorf("sandbox (%s) did not start within 30 s: %s", mode, strings.TrimSpace(errTail.String()))
	}
}

// kill ends the child and every process under it.
func (c *child) kill() {
	c.once.Do(func() {
		c.stdin.Close()
		killTree(c.cmd)
		select {
		case <-c.waited:
		case <-time.After(10 * time.Second):
			c.log.Error("sandbox did not exit after SIGKILL", "pid", c.cmd.Process.Pid)
		}
	})
}

// stop kills the child and deletes its directory.
func (c *child) stop() {
	c.kill()
	if c.inspect != nil {
		c.inspect(c.dir)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		c.log.Warn("sandbox directory left behind", "dir", c.dir, "err", err)
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

var errNoJail = errors.New("this system cannot confine a sandbox to its directory (Linux user namespaces only)")
