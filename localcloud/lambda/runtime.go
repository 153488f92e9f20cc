package lambda

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// fnError is an error a function invocation answers with (the payload of an
// X-Amz-Function-Error response), in the Runtime API's shape.
type fnError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *fnError) payload() []byte {
	b, _ := json.Marshal(e)
	return b
}

// invocation is one request handed to an environment through the Runtime API.
type invocation struct {
	id            string
	arn           string
	payload       []byte
	timeout       time.Duration
	clientContext string
	wantTail      bool

	// started is closed by the Runtime API when the runtime has taken the
	// invocation; deadline and startedAt are set before.
	started   chan struct{}
	startedAt time.Time
	deadline  time.Time
	done      chan runtimeReply // the runtime's response or error, once

	tail bytes.Buffer // log lines of this invocation (guarded by env.logMu)
}

// runtimeReply is what the runtime posted for an invocation.
type runtimeReply struct {
	payload []byte
	failed  bool // posted to /error (or a response that broke off)
}

// env is an execution environment: one bootstrap process and the Runtime
// API it polls.
type env struct {
	s      *Service
	fn     *function // the definition it was started with
	dir    string
	stream string
	srv    *http.Server
	addr   string
	cmd    *exec.Cmd
	tree   procTree // nil until the process started
	logs   *logReader
	// logsDone is closed once the log pipe's last writer (in the process
	// tree) is gone and its read end is closed.
	logsDone chan struct{}

	startedAt time.Time
	readyAt   time.Time // set before ready is closed
	ready     chan struct{}
	readyOnce sync.Once
	initErr   chan []byte // body of /runtime/init/error
	work      chan *invocation
	exited    chan struct{}
	exitErr   error // set before exited is closed

	mu  sync.Mutex
	cur *invocation // the invocation the runtime works on

	logMu  sync.Mutex
	logInv *invocation // the invocation whose log lines are being collected

	lastUsed time.Time // guarded by pools.mu
	leaving  bool      // taken out of the pool to be stopped (guarded by pools.mu)
	maxMemMB int
	dead     atomic.Bool
	killOnce sync.Once
}

func (e *env) hasExited() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

// kill stops the environment's whole process tree and its Runtime API.
func (e *env) kill() {
	e.killOnce.Do(func() {
		e.dead.Store(true)
		if e.tree != nil {
			e.tree.kill()
		}
		e.srv.Close()
	})
}

// stop kills the environment and waits for its process to be reaped.
func (e *env) stop() {
	e.kill()
	select {
	case <-e.exited:
	case <-time.After(5 * time.Second):
		e.s.log.Error("lambda environment did not exit after SIGKILL", "function", e.fn.Name, "pid", e.cmd.Process.Pid)
	}
	e.s.envs.remove(e)
}

// startEnv starts a new environment for f: unpacks its code if needed,
// checks the bootstrap, starts the Runtime API and the process. A function
// whose bootstrap cannot run gets a *fnError; other failures are errors.
func (s *Service) startEnv(f *function, reqID string) (*env, *fnError, error) {
	dir := s.codeDir(f)
	if err := unpack(s.zipPath(f), dir); err != nil {
		return nil, nil, fmt.Errorf("unpack code of %s: %w", f.Name, err)
	}
	cmd, problem, err := s.launcher(f, dir, reqID)
	if problem != nil || err != nil {
		return nil, problem, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen for the runtime API of %s: %w", f.Name, err)
	}
	e := &env{
		s:        s,
		fn:       f,
		dir:      dir,
		stream:   time.Now().UTC().Format("2006/01/02") + "/[" + f.ver() + "]" + randomHex(16),
		addr:     ln.Addr().String(),
		ready:    make(chan struct{}),
		initErr:  make(chan []byte, 1),
		work:     make(chan *invocation),
		exited:   make(chan struct{}),
		logsDone: make(chan struct{}),
	}
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	evicted, err := s.envs.add(e)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	for _, old := range evicted {
		go old.stop()
	}
	go e.srv.Serve(ln)

	pr, pw, err := os.Pipe()
	if err != nil {
		e.srv.Close()
		s.envs.remove(e)
		return nil, nil, fmt.Errorf("start %s: %w", f.Name, err)
	}
	cmd.Dir = dir
	cmd.Env = e.environ()
	cmd.Stdout, cmd.Stderr = pw, pw
	e.cmd = cmd
	e.sysLine(nil, f.initStartLog())
	e.startedAt = time.Now()
	e.tree, err = s.procs.start(cmd, e.marker())
	pw.Close()
	if err != nil {
		pr.Close()
		e.srv.Close()
		s.envs.remove(e)
		return nil, entrypointError(reqID, f.Name, cmd.Path, err), nil
	}
	e.logs = newLogReader(pr, e.logLine)
	go func() {
		e.logs.run()
		close(e.logsDone)
	}()
	go func() {
		e.exitErr = cmd.Wait()
		close(e.exited)
		e.dead.Store(true)
		e.kill() // the rest of the process tree, and the Runtime API
		e.tree.release()
		s.envs.remove(e)
	}()
	return e, nil, nil
}

// checkEntrypointCached checks a bootstrap once per code directory.
func (s *Service) checkEntrypointCached(path string) error {
	s.entryMu.Lock()
	defer s.entryMu.Unlock()
	if err, ok := s.entries[path]; ok {
		return err
	}
	err := checkEntrypoint(path)
	s.entries[path] = err
	return err
}

// environ is the process environment AWS gives a provided-runtime function;
// nothing of the local cloud's own environment leaks in.
func (e *env) environ() []string {
	f := e.fn
	vars := append(systemEnviron(e.dir),
		"LAMBDA_TASK_ROOT="+e.dir,
		"LAMBDA_RUNTIME_DIR="+e.dir,
		"_HANDLER="+f.Handler,
		"AWS_REGION="+f.Region,
		"AWS_DEFAULT_REGION="+f.Region,
		"AWS_EXECUTION_ENV="+supportedRuntimes[f.Runtime].execEnv,
		"AWS_LAMBDA_FUNCTION_NAME="+f.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(f.MemorySize),
		"AWS_LAMBDA_FUNCTION_VERSION="+f.ver(),
		"AWS_LAMBDA_LOG_GROUP_NAME="+f.logGroup(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+e.stream,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_RUNTIME_API="+e.addr,
		// The function acts in its own account: the local cloud takes a
		// 12-digit access key id as the account.
		"AWS_ACCESS_KEY_ID="+f.Account,
		"AWS_SECRET_ACCESS_KEY=local-lambda-secret",
		"AWS_SESSION_TOKEN=local-lambda-session",
	)
	vars = append(vars, e.s.interpreterEnviron(f, e.dir)...)
	if ep := e.s.endpointURL(); ep != "" {
		vars = append(vars, "AWS_ENDPOINT_URL="+ep)
	}
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vars = append(vars, k+"="+f.Env[k])
	}
	return vars
}

// Runtime API paths.
const (
	runtimePrefix = "/2018-06-01/runtime/"
	pathNext      = runtimePrefix + "invocation/next"
	pathInitError = runtimePrefix + "init/error"
)

// ServeHTTP serves the environment's Runtime API.
func (e *env) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if protocol.FromBrowser(r) {
		// A web page that found this port must not take events or fail
		// the function: only the bootstrap calls the Runtime API.
		runtimeStatus(w, http.StatusForbidden, `{"errorMessage":"the Runtime API answers only the function's own process","errorType":"Forbidden"}`)
		return
	}
	p := r.URL.Path
	switch {
	case p == pathNext && r.Method == http.MethodGet:
		e.next(w, r)
	case p == pathInitError && r.Method == http.MethodPost:
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		select {
		case e.initErr <- b:
		default:
		}
		runtimeStatus(w, http.StatusAccepted, `{"status":"OK"}`)
	case strings.HasPrefix(p, runtimePrefix+"invocation/") && r.Method == http.MethodPost:
		rest := strings.TrimPrefix(p, runtimePrefix+"invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		switch kind {
		case "response":
			e.reply(w, r, id, false)
		case "error":
			e.reply(w, r, id, true)
		default:
			runtimeStatus(w, http.StatusNotFound, `{"errorMessage":"not found","errorType":"InvalidRequest"}`)
		}
	default:
		runtimeStatus(w, http.StatusNotFound, `{"errorMessage":"not found","errorType":"InvalidRequest"}`)
	}
}

func runtimeStatus(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// next long-polls for the next invocation.
func (e *env) next(w http.ResponseWriter, r *http.Request) {
	e.readyOnce.Do(func() {
		e.readyAt = time.Now()
		close(e.ready)
	})
	var inv *invocation
	select {
	case inv = <-e.work:
	case <-r.Context().Done():
		return
	case <-e.s.closed:
		// The cloud is shutting down and the environment is about to be
		// killed. Answer nothing: an error answer makes the runtime print a
		// "failed to GET" line into the function's log group, which AWS
		// never shows a learner. Killing it closes this request.
		<-r.Context().Done()
		return
	}
	now := time.Now()
	inv.startedAt = now
	inv.deadline = now.Add(inv.timeout)
	e.mu.Lock()
	e.cur = inv
	e.mu.Unlock()
	e.logMu.Lock()
	e.logInv = inv
	e.logMu.Unlock()
	e.sysLine(inv, e.fn.startLog(inv.id))
	close(inv.started)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.arn)
	h.Set("Lambda-Runtime-Trace-Id", traceID(now, inv.id))
	if inv.clientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.clientContext)
	}
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload)
}

// traceID formats an X-Ray trace header for an invocation.
func traceID(t time.Time, reqID string) string {
	h := strings.ReplaceAll(reqID, "-", "")
	if len(h) < 24 {
		h += strings.Repeat("0", 24-len(h))
	}
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0;Lineage=1", t.Unix(), h[:24], h[len(h)-16:])
}

// reply receives the runtime's response or error for invocation id.
func (e *env) reply(w http.ResponseWriter, r *http.Request, id string, failed bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSyncPayload+1))
	e.mu.Lock()
	inv := e.cur
	if inv == nil || inv.id != id {
		e.mu.Unlock()
		runtimeStatus(w, http.StatusBadRequest, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
		return
	}
	e.cur = nil
	e.mu.Unlock()

	rep := runtimeReply{payload: body, failed: failed}
	status, answer := http.StatusAccepted, `{"status":"OK"}`
	switch {
	case len(body) > maxSyncPayload:
		rep = runtimeReply{failed: true, payload: (&fnError{Type: "Function.ResponseSizeTooLarge", Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxSyncPayload)}).payload()}
		status, answer = http.StatusRequestEntityTooLarge, `{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}`
	case err != nil || r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that broke off: aws-lambda-go reports the
		// error in trailers.
		t := r.Trailer.Get("Lambda-Runtime-Function-Error-Type")
		msg := "the runtime's response broke off"
		if b := r.Trailer.Get("Lambda-Runtime-Function-Error-Body"); b != "" {
			msg = b
		}
		rep = runtimeReply{failed: true, payload: (&fnError{Type: firstNonEmpty(t, "Runtime.TruncatedResponse"), Message: msg}).payload()}
	case failed:
		if !json.Valid(body) {
			t := firstNonEmpty(r.Header.Get("Lambda-Runtime-Function-Error-Type"), "Runtime.Unknown")
			rep.payload = (&fnError{Type: t, Message: string(body)}).payload()
		}
	}
	select {
	case inv.done <- rep:
	default:
	}
	runtimeStatus(w, status, answer)
}

// logLine takes one line of the process's output.
func (e *env) logLine(line string) {
	if !e.fn.keepOutput(line) {
		return
	}
	now := time.Now()
	e.logMu.Lock()
	if inv := e.logInv; inv != nil && inv.wantTail {
		appendTail(&inv.tail, line)
	}
	e.logMu.Unlock()
	e.s.logs.addOutput(e.fn, e.stream, protocol.LogEvent{Time: now, Message: line})
}

// platformLine writes a line of Lambda's own (START, END, REPORT).
func (e *env) platformLine(inv *invocation, line string) {
	now := time.Now()
	if inv != nil && inv.wantTail {
		e.logMu.Lock()
		appendTail(&inv.tail, line)
		e.logMu.Unlock()
	}
	e.s.logs.add(e.fn, e.stream, protocol.LogEvent{Time: now, Message: line})
}

// sysLine writes one of Lambda's own records in the function's log format.
func (e *env) sysLine(inv *invocation, ev sysLog) {
	e.platformLine(inv, e.fn.render(ev, time.Now()))
}

// appendTail adds a line to an invocation's log, keeping only its end.
func appendTail(b *bytes.Buffer, line string) {
	b.WriteString(line)
	b.WriteByte('\n')
	if b.Len() > 4*tailBytes {
		keep := append([]byte(nil), b.Bytes()[b.Len()-tailBytes:]...)
		b.Reset()
		b.Write(keep)
	}
}

// memoryUsedMB is the process's peak memory so far (VmHWM on Linux).
func (e *env) memoryUsedMB() int {
	if e.tree == nil {
		return e.maxMemMB
	}
	if mb := e.tree.peakMemoryMB(); mb > e.maxMemMB {
		e.maxMemMB = mb
	}
	return e.maxMemMB
}

// marker is the environment entry that marks the processes of this
// environment: the log stream name, random per environment.
func (e *env) marker() string { return "AWS_LAMBDA_LOG_STREAM_NAME=" + e.stream }
