package lambda

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// Config configures the Lambda service.
type Config struct {
	// DataDir is the cloud's data directory: lambda.db and the functions'
	// code under lambda/<account>/<region>/<name>/ live there.
	DataDir string
	// Endpoint is the local cloud's base URL: functions get it as
	// AWS_ENDPOINT_URL, and GetFunction's Code.Location points under it.
	Endpoint string
	Logger   *slog.Logger
	Bus      *activity.Bus
	// Logs receives functions' output and START/END/REPORT lines; nil keeps
	// them only for X-Amz-Log-Type: Tail.
	Logs protocol.LogAppender
	// AccountConcurrency bounds concurrent executions per account and
	// region; 0 means 50.
	AccountConcurrency int
	// MaxEnvironments bounds the execution environments (each a process,
	// its pipes and sockets) kept across all functions and accounts: a new
	// one beyond it first stops the least recently used idle environments,
	// as AWS reclaims idle environments when it needs the room (a function
	// sees only a cold start). Busy environments are never stopped, so a
	// burst may go past it for as long as it runs. 0 means
	// DefaultMaxEnvironments; a negative value, no bound.
	MaxEnvironments int
	// IdleTimeout is how long a warm environment waits for work before it is
	// stopped; 0 means 5 minutes.
	IdleTimeout time.Duration
	// AsyncRetryDelays are the waits before each retry of an Event
	// invocation that failed; nil means AWS's 1 and 2 minutes. Its length is
	// the number of retries.
	AsyncRetryDelays []time.Duration
	// InitTimeout bounds a new environment's init phase (process start to
	// its first request for work); 0 means 10 seconds, as on AWS.
	InitTimeout time.Duration
	// Roles answers whether a role exists and trusts lambda.amazonaws.com;
	// CreateFunction and UpdateFunctionConfiguration refuse other roles, as
	// Lambda does. nil accepts any role that is a well-formed ARN.
	Roles RoleChecker
	// Code is the S3 that Code.S3Bucket/S3Key name; nil refuses them.
	Code CodeSource
}

// RoleChecker is what Lambda asks IAM about a function's execution role.
type RoleChecker interface {
	ServiceCanAssume(ctx context.Context, roleARN, principal string) bool
}

// Service is the Lambda service.
type Service struct {
	cfg Config
	log *slog.Logger
	db  *sql.DB
	mux *http.ServeMux

	mu  sync.RWMutex // guards fns and quals; functions are immutable snapshots
	fns map[fnKey]*function
	// quals are the functions' published versions and aliases (versions.go).
	quals map[fnKey]*qualified
	// layers are the published layer versions (layers.go), by layer;
	// nextLayerVersion is each layer's last number.
	layers map[layerKey][]*layerVersion
	// configs are per-function settings documents (fnconfigs.go).
	configs          map[cfgKey][]byte
	nextLayerVersion map[layerKey]int
	// cscMu serialises changes to code signing configs and their use by
	// functions (codesigning.go).
	cscMu sync.Mutex
	// fnLocks holds a *sync.Mutex per fnKey: changes to one function are
	// serialised; different functions change in parallel.
	fnLocks sync.Map

	conc  *limiter
	envs  *pools
	procs procStarter // starts bootstraps (proc.go)
	logs  *logShipper
	async *asyncQueue

	entryMu sync.Mutex
	entries map[string]error // code dir -> result of checking its bootstrap
	// interpreters are the python3 and node executables found, and the
	// runtime loops written (interpreted.go); guarded by entryMu.
	interpreters map[string]string

	endpoint atomic.Pointer[string] // Config.Endpoint, or what SetEndpoint set

	esm *esmState // event source mappings (esm.go)

	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

// DefaultMaxEnvironments is the default Config.MaxEnvironments: room for
// lab 5's spike at the account's concurrency of 200 with the other
// functions warm, and about 4,000 open files (an environment holds its
// runtime API's listener and connection, its output pipe and the
// function's connections to the cloud) under the 20,000 a process may
// commonly open when a class of 100 accounts is graded on one cloud.
const DefaultMaxEnvironments = 512

// New opens the service's database under cfg.DataDir, loads its functions and
// queued events, and starts its background loops.
func New(cfg Config) (*Service, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("lambda: no data directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.AccountConcurrency <= 0 {
		cfg.AccountConcurrency = 50
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.MaxEnvironments == 0 {
		cfg.MaxEnvironments = DefaultMaxEnvironments
	}
	if cfg.AsyncRetryDelays == nil {
		cfg.AsyncRetryDelays = []time.Duration{time.Minute, 2 * time.Minute}
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	db, err := store.Open(filepath.Join(cfg.DataDir, "lambda.db"), append(append(schema, versionSchema...), append(layerSchema, configSchema, codeSigningSchema)...)...)
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	s := &Service{
		cfg:              cfg,
		log:              cfg.Logger,
		db:               db,
		fns:              map[fnKey]*function{},
		quals:            map[fnKey]*qualified{},
		layers:           map[layerKey][]*layerVersion{},
		nextLayerVersion: map[layerKey]int{},
		configs:          map[cfgKey][]byte{},
		entries:          map[string]error{},
		interpreters:     map[string]string{},
		procs:            newProcStarter(cfg.Logger),
		closed:           make(chan struct{}),
	}
	s.endpoint.Store(&cfg.Endpoint)
	s.conc = newLimiter(cfg.AccountConcurrency)
	s.envs = newPools(max(cfg.MaxEnvironments, 0))
	s.logs = newLogShipper(cfg.Logs, cfg.Logger)
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("lambda: %w", err)
	}
	s.async = newAsyncQueue(s)
	if err := s.async.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("lambda: %w", err)
	}
	s.mux = s.routes()
	if err := s.initMappings(); err != nil {
		db.Close()
		return nil, fmt.Errorf("lambda: %w", err)
	}
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.logs.run(s.closed) }()
	go func() { defer s.wg.Done(); s.reapIdle() }()
	go func() { defer s.wg.Done(); s.async.run() }()
	return s, nil
}

// SetEndpoint sets the local cloud's base URL when it is known only after
// New (a listener on a free port): environments started afterwards get it as
// AWS_ENDPOINT_URL, and Code.Location points under it.
func (s *Service) SetEndpoint(url string) { s.endpoint.Store(&url) }

// endpointURL returns the local cloud's base URL, or "".
func (s *Service) endpointURL() string { return *s.endpoint.Load() }

// Route tells the router which requests are Lambda's.
func (s *Service) Route() protocol.Route {
	return protocol.Route{
		Service: "lambda",
		PathPrefixes: []string{
			"/2015-03-31/", // functions, invocations, policy, event source mappings
			"/2017-03-31/tags/",
			"/2017-10-31/", // Put/DeleteFunctionConcurrency
			"/2019-09-30/", // GetFunctionConcurrency
			"/2016-08-19/", // GetAccountSettings
			"/2018-10-31/", // layers
			"/2019-09-25/", // event invoke configs
			"/2021-10-31/", // function URL configs
		},
		Handler: s.mux,
		// The code URL GetFunction gives is a capability, as AWS's
		// presigned S3 URL is: curl downloads it without signing.
		Unsigned: func(r *http.Request) bool {
			return (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, "/2015-03-31/code/")
		},
	}
}

// Close stops every execution environment (killing their process groups),
// stops the background loops, flushes logs and closes the database. It is
// idempotent.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.envs.closeAll()
		s.wg.Wait()
		s.async.wait()
		s.envs.closeAll() // environments started by invocations racing Close
		s.procs.close()
		s.logs.flush()
		err = s.db.Close()
	})
	return err
}

// lockFunction locks changes to one function and returns the unlock.
func (s *Service) lockFunction(k fnKey) func() {
	v, _ := s.fnLocks.LoadOrStore(k, &sync.Mutex{})
	m := v.(*sync.Mutex)
	m.Lock()
	return m.Unlock
}

// isClosed reports whether Close has begun.
func (s *Service) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// routes builds the REST routing table: every operation is a method.
func (s *Service) routes() *http.ServeMux {
	m := http.NewServeMux()
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				s.writeError(w, r, err)
			}
		})
	}
	// Functions. The AWS CLI adds a trailing slash to the collection paths.
	h("POST /2015-03-31/functions", s.createFunction)
	h("POST /2015-03-31/functions/{$}", s.createFunction)
	h("GET /2015-03-31/functions", s.listFunctions)
	h("GET /2015-03-31/functions/{$}", s.listFunctions)
	h("GET /2015-03-31/functions/{name}", s.getFunction)
	h("DELETE /2015-03-31/functions/{name}", s.deleteFunction)
	h("GET /2015-03-31/functions/{name}/configuration", s.getFunctionConfiguration)
	h("PUT /2015-03-31/functions/{name}/configuration", s.updateFunctionConfiguration)
	h("PUT /2015-03-31/functions/{name}/code", s.updateFunctionCode)
	h("POST /2015-03-31/functions/{name}/invocations", s.invokeHTTP)
	h("POST /2014-11-13/functions/{name}/invoke-async/{$}", s.invokeAsync)
	h("POST /2014-11-13/functions/{name}/invoke-async", s.invokeAsync)
	h("GET /2015-03-31/code/{account}/{region}/{name}/{file}", s.getCode)

	// Resource-based policy.
	h("POST /2015-03-31/functions/{name}/policy", s.addPermission)
	h("GET /2015-03-31/functions/{name}/policy", s.getPolicy)
	h("DELETE /2015-03-31/functions/{name}/policy/{sid}", s.removePermission)

	// Concurrency.
	h("PUT /2017-10-31/functions/{name}/concurrency", s.putFunctionConcurrency)
	h("DELETE /2017-10-31/functions/{name}/concurrency", s.deleteFunctionConcurrency)
	h("GET /2019-09-30/functions/{name}/concurrency", s.getFunctionConcurrency)

	// Tags.
	h("GET /2017-03-31/tags/{arn}", s.listTags)
	h("POST /2017-03-31/tags/{arn}", s.tagResource)
	h("DELETE /2017-03-31/tags/{arn}", s.untagResource)

	h("GET /2016-08-19/account-settings", s.getAccountSettings)
	h("GET /2016-08-19/account-settings/{$}", s.getAccountSettings)

	// Versions and aliases (versions.go, aliases.go), layers (layers.go).
	s.registerAliasRoutes(h)
	s.registerLayerRoutes(h)
	s.registerCodeSigningRoutes(h)

	// Per-function settings (fnconfigs.go, urlconfig.go, eventconfig.go).
	h("PUT /2019-09-30/functions/{name}/provisioned-concurrency", s.putProvisionedConcurrency)
	h("GET /2019-09-30/functions/{name}/provisioned-concurrency", s.provisionedOrList)
	h("DELETE /2019-09-30/functions/{name}/provisioned-concurrency", s.deleteProvisionedConcurrency)
	h("POST /2021-10-31/functions/{name}/url", s.createURLConfig)
	h("GET /2021-10-31/functions/{name}/url", s.getURLConfig)
	h("PUT /2021-10-31/functions/{name}/url", s.updateURLConfig)
	h("DELETE /2021-10-31/functions/{name}/url", s.deleteURLConfig)
	h("GET /2021-10-31/functions/{name}/urls", s.listURLConfigs)
	h("PUT /2019-09-25/functions/{name}/event-invoke-config", s.putEventInvokeConfig)
	h("POST /2019-09-25/functions/{name}/event-invoke-config", s.putEventInvokeConfig)
	h("GET /2019-09-25/functions/{name}/event-invoke-config", s.getEventInvokeConfig)
	h("DELETE /2019-09-25/functions/{name}/event-invoke-config", s.deleteEventInvokeConfig)
	h("GET /2019-09-25/functions/{name}/event-invoke-config/list", s.listEventInvokeConfigs)

	// Event source mappings (esm.go).
	s.registerMappingRoutes(h)

	h("/", func(w http.ResponseWriter, r *http.Request) error {
		return protocol.StatusErrorf(http.StatusNotFound, "UnknownOperationException", "the local Lambda service does not implement %s %s", r.Method, r.URL.Path)
	})
	return m
}

// writeError answers err in the restJson1 shape, with the extra members some
// Lambda errors carry (TooManyRequestsException's Reason).
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var te *throttleError
	if errors.As(err, &te) {
		w.Header().Set("X-Amzn-ErrorType", "TooManyRequestsException")
		w.Header().Set("Retry-After", "1")
		protocol.WriteJSON(w, http.StatusTooManyRequests, map[string]string{
			"message": te.msg, "Message": te.msg, "Type": "User", "Reason": te.reason, "__type": "TooManyRequestsException",
		})
		return
	}
	protocol.WriteRESTError(w, r, s.log, err)
}

// throttleError is TooManyRequestsException with its Reason.
type throttleError struct{ reason, msg string }

func (e *throttleError) Error() string { return "TooManyRequestsException: " + e.msg }

// Unwrap lets protocol.AsError see the code and status.
func (e *throttleError) Unwrap() error {
	return protocol.StatusErrorf(http.StatusTooManyRequests, "TooManyRequestsException", "%s", e.msg)
}

// Limits AWS documents for Lambda.
const (
	maxSyncPayload    = 6 * 1024 * 1024 // 6291456 bytes, request and response
	maxAsyncPayload   = 256 * 1024
	maxZipped         = 50 * 1024 * 1024  // direct upload
	maxUnzipped       = 250 * 1024 * 1024 // 262144000 bytes
	maxEntries        = 20000             // files in a zip: AWS documents none; a Go function has one
	maxEnvVarsBytes   = 4 * 1024
	maxCreateBodySize = 70 * 1024 * 1024 // base64 of a 50 MB zip plus the rest
	tailBytes         = 4 * 1024
)

// readBody reads at most max bytes of r's body; a larger body is
// RequestTooLargeException.
func readBody(w http.ResponseWriter, r *http.Request, max int64, op string) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the %s operation", max, op)
		}
		return nil, protocol.Errorf("InvalidRequestContentException", "could not read the request body: %v", err)
	}
	return b, nil
}

// decode reads a JSON request body into v.
func decode(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return protocol.Errorf("InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

// queryInt parses an optional integer query parameter.
func queryInt(r *http.Request, name string) (int, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false, protocol.Errorf("InvalidParameterValueException", "%s must be an integer, got %q", name, v)
	}
	return n, true, nil
}

// writeFile writes b to path atomically and durably (temp file, fsync, rename).
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
