package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/web/progress"
	"github.com/labkit-dev/labkit/web/render"
)

// Config configures a Server.
type Config struct {
	// Content is the lab content (labs.Content, or os.DirFS of labs/).
	Content fs.FS
	// Reload re-reads the content on every page view (for authors).
	Reload bool
	// Store keeps progress and attempts.
	Store *progress.Store
	// Library is the grader's check kinds.
	Library *grader.Library
	// Learner is whose progress this is; default "me" (one learner on a laptop).
	Learner string
	// ConfigPath is the learner's labkit config (target and resource names).
	ConfigPath string
	// LocalEndpoint is the URL of the local cloud running beside the app,
	// if any ("http://127.0.0.1:4566").
	LocalEndpoint string
	// Hosted is true when the app listens on a non-loopback address: every
	// page then needs Token.
	Hosted bool
	Token  string
	// Addr is the address the app listens on ("127.0.0.1:8080"); requests
	// naming it in Host are the app's own (see hostguard.go).
	Addr string
	// AllowHosts are more names (or IPs) a browser may use to reach the app
	// (--allow-host), beyond loopback and Addr.
	AllowHosts []string
	// AllowPrivate lets the grader send test traffic to private, loopback
	// and link-local addresses besides the local cloud's (grader.ForTarget).
	AllowPrivate bool
	// AWSConfigFile lists the learner's AWS profiles; default ~/.aws/config.
	AWSConfigFile string
	Logger        *slog.Logger
	// Demo is the classroom demo `lab demo` runs (nil: /demo says how to
	// start one).
	Demo DemoRunner
	// Class, when set, serves the instructor dashboard at /class.
	Class *ClassDashboard
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the web app.
type Server struct {
	cfg     Config
	log     *slog.Logger
	md      *render.Renderer
	pages   map[string]*template.Template
	css     string
	csrfKey string
	hosts   hostPolicy

	mu       sync.Mutex
	content  *content    // cached when !cfg.Reload
	lc       labs.Config // the learner's config, as of lcStamp (mtime/size)
	lcStamp  string
	lcLoaded bool
	runs     sync.Map // lab -> *sync.Mutex: one grading run per lab at a time
	auth     *instructorAuth
	live     sync.Map // class run id -> *liveRun
}

// New builds the server and loads the content once, so a broken lab fails
// at start with the file and line.
func New(cfg Config) (*Server, error) {
	if cfg.Learner == "" {
		cfg.Learner = "me"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Hosted && len(cfg.Token) < 16 {
		return nil, errors.New("the web app listens on a non-loopback address, so it needs an access token of at least 16 characters (--token or LABKIT_WEB_TOKEN)")
	}
	if cfg.Store == nil || cfg.Library == nil || cfg.Content == nil {
		return nil, errors.New("web: Content, Store and Library are required")
	}
	css, err := render.HighlightCSS()
	if err != nil {
		return nil, fmt.Errorf("build highlight css: %w", err)
	}
	hosts, err := newHostPolicy(cfg.Addr, cfg.AllowHosts)
	if err != nil {
		return nil, err
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, md: render.New(), pages: pages, css: css, csrfKey: randomHex(32), hosts: hosts, auth: newInstructorAuth(cfg.Now)}
	c, err := s.loadContent()
	if err != nil {
		return nil, err
	}
	s.content = c
	return s, nil
}

// Handler returns the app's HTTP handler.
func (s *Server) Handler() http.Handler { return s.routes() }

// Serve answers on ln until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve web app: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

// currentContent returns the lab content, reloading it when authoring.
func (s *Server) currentContent() (*content, error) {
	if !s.cfg.Reload {
		return s.content, nil
	}
	return s.loadContent()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
