package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// DefaultAddr is where the local cloud listens unless told otherwise: the
// port local AWS emulators customarily use.
const DefaultAddr = "127.0.0.1:4566"

// Config configures a Cloud.
type Config struct {
	// DataDir holds every service's state. It is created if missing.
	DataDir string
	// Logger receives the cloud's logs; nil discards them.
	Logger *slog.Logger
	// Endpoint is the URL the cloud is reachable at (http://127.0.0.1:4566),
	// used in queue URLs, API endpoints and functions' AWS_ENDPOINT_URL. Serve
	// fills it from the listener when empty.
	Endpoint string
	// LambdaConcurrency bounds concurrent function executions per account
	// and region (AWS's default quota is 1,000); 0 means DefaultLambdaConcurrency.
	LambdaConcurrency int
	// AllowHosts are host names (no port) the cloud answers besides loopback
	// ones (localhost, *.localhost, 127.0.0.0/8, [::1]) and its Endpoint's:
	// the guard against DNS rebinding refuses every other Host.
	AllowHosts []string
	// AllowOrigins are web origins ("http://localhost:3000") whose pages may
	// call the cloud; requests from any other site are refused.
	AllowOrigins []string
	// AlarmEvaluationInterval is how often CloudWatch alarms are evaluated;
	// 0 means once a minute, as on AWS. Tests and demos shorten it.
	AlarmEvaluationInterval time.Duration
	// NoServiceMetrics stops CloudWatch publishing the services' metrics
	// (AWS/Lambda, AWS/SQS...); benchmarks compare with and without.
	NoServiceMetrics bool
	// TableDelay is how long DynamoDB tables stay CREATING, UPDATING or
	// DELETING; 0 means dynamo.DefaultTableDelay, negative no delay.
	TableDelay time.Duration
	// S3MaxObjectSize bounds one S3 object's size; 0 means
	// s3.DefaultMaxObjectSize.
	S3MaxObjectSize int64
	// S3UploadMaxAge is how old an unfinished S3 multipart upload may be
	// when the cloud starts before it is aborted and its parts deleted; 0
	// means s3.DefaultUploadMaxAge, negative keeps them all.
	S3UploadMaxAge time.Duration
}

// DefaultLambdaConcurrency is the local cloud's per-account limit on
// concurrent executions: enough for lab 5's spike of 200 orders a second
// through seven functions, few enough processes for a laptop.
const DefaultLambdaConcurrency = 200

// named is a built service and its name.
type named struct {
	name string
	svc  service
}

// service is what every service package's *Service provides.
type service interface {
	Route() protocol.Route
	Close() error
}

// Cloud is a running set of local services.
type Cloud struct {
	cfg      Config
	log      *slog.Logger
	bus      *activity.Bus
	router   *protocol.Router
	services []named
	started  time.Time
}

// New opens the data directory and builds every service. Close releases them.
func New(cfg Config) (*Cloud, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := checkDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	// State is the learner's alone: folders 0700, files 0600.
	if n, err := store.TightenDir(cfg.DataDir); err != nil {
		cfg.Logger.Warn("could not make the data directory private: other users of this machine may read it", "dir", cfg.DataDir, "err", err)
	} else if n > 0 {
		cfg.Logger.Info("made the data directory private (no access for group and others)", "dir", cfg.DataDir, "changed", n)
	}
	c := &Cloud{cfg: cfg, log: cfg.Logger, bus: activity.NewBus(), started: time.Now()}
	c.router = protocol.NewRouter(protocol.RouterConfig{Logger: cfg.Logger, Bus: c.bus,
		Guard: protocol.GuardConfig{AllowHosts: cfg.AllowHosts, AllowOrigins: cfg.AllowOrigins}})
	c.allowEndpointHost()
	if err := c.build(); err != nil {
		c.Close()
		return nil, err
	}
	c.router.HandleInternal("GET /_lab/health", http.HandlerFunc(c.health))
	c.router.HandleInternal("GET /_lab/activity", http.HandlerFunc(c.activityStream))
	return c, nil
}

// add registers a built service under its name.
func (c *Cloud) add(name string, s service) {
	c.services = append(c.services, named{name, s})
	c.router.Handle(s.Route())
}

// checkDataDir makes sure dir exists and is writable, with a message that
// says what to do when it is not.
func checkDataDir(dir string) error {
	if dir == "" {
		return errors.New("no data directory: pass --data DIR")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the data directory %s (%w): pass --data with a directory you can write to", dir, err)
	}
	probe := filepath.Join(dir, ".write-test")
	if err := os.WriteFile(probe, []byte("ok"), 0o600); err != nil {
		return fmt.Errorf("cannot write to the data directory %s (%w): fix its permissions or pass --data with another directory", dir, err)
	}
	return os.Remove(probe)
}

// Handler returns the cloud's HTTP handler.
func (c *Cloud) Handler() http.Handler { return c.router }

// Bus returns the cloud's internal event stream.
func (c *Cloud) Bus() *activity.Bus { return c.bus }

// Listen binds addr, failing with advice when the port is taken.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var se *os.SyscallError
		if errors.As(err, &se) && errors.Is(se.Err, errAddrInUse) {
			return nil, fmt.Errorf("cannot listen on %s: the port is already in use (is another local cloud running? stop it or pass --addr with a free port)", addr)
		}
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve answers requests on ln until ctx is done, then shuts down gracefully,
// giving in-flight requests up to 5 seconds.
func (c *Cloud) Serve(ctx context.Context, ln net.Listener) error {
	if c.cfg.Endpoint == "" {
		c.setEndpoint("http://" + ln.Addr().String())
	}
	srv := &http.Server{Handler: c.router, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve local cloud: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

// setEndpoint tells services that build URLs (functions' AWS_ENDPOINT_URL,
// API endpoints, queue URLs) where the cloud is, when it learns that only
// from its listener.
func (c *Cloud) setEndpoint(url string) {
	c.cfg.Endpoint = url
	c.allowEndpointHost()
	for _, n := range c.services {
		if s, ok := n.svc.(interface{ SetEndpoint(string) }); ok {
			s.SetEndpoint(url)
		}
	}
}

// allowEndpointHost lets the guard answer the host of the cloud's own
// endpoint (a name the user chose for it).
func (c *Cloud) allowEndpointHost() {
	if u, err := url.Parse(c.cfg.Endpoint); err == nil && u.Host != "" {
		c.router.AllowHost(u.Host)
	}
}

// Endpoint returns the URL the cloud is reachable at, once known.
func (c *Cloud) Endpoint() string { return c.cfg.Endpoint }

// Close stops every service, the ones that call others first, and closes
// their databases. It leaves no child process behind.
func (c *Cloud) Close() error {
	var errs []error
	for i := len(c.services) - 1; i >= 0; i-- {
		if err := c.services[i].svc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", c.services[i].name, err))
		}
	}
	c.services = nil
	return errors.Join(errs...)
}

// Health is the body of GET /_lab/health.
type Health struct {
	Status   string            `json:"status"`
	Services map[string]string `json:"services"`
	Uptime   string            `json:"uptime"`
}

func (c *Cloud) health(w http.ResponseWriter, r *http.Request) {
	h := Health{Status: "ok", Services: map[string]string{}, Uptime: time.Since(c.started).Round(time.Millisecond).String()}
	for _, n := range c.services {
		h.Services[n.name] = "running"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(h)
}
