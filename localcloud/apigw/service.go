package apigw

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// Config configures the API Gateway service.
type Config struct {
	// DataDir holds apigw.db.
	DataDir string
	// Endpoint is the cloud's base URL (http://127.0.0.1:4566); ApiEndpoint is
	// {Endpoint}/_aws/execute-api/{apiId}. Empty uses the scheme and host the
	// management request came to.
	Endpoint string
	Logger   *slog.Logger
	Bus      *activity.Bus
	// Functions invokes Lambda functions for integrations and authorizers
	// (the Lambda service's InvokeFromService). Nil answers every invoke
	// with 500 Internal Server Error.
	Functions protocol.FunctionInvoker
	// IntegrationTimeout caps every integration's TimeoutInMillis; 0 means
	// 30 s, AWS's maximum for HTTP APIs.
	IntegrationTimeout time.Duration
	// Now is the clock for throttling, authorizer caching and event times;
	// nil means time.Now.
	Now func() time.Time
}

// Service is the API Gateway v2 service.
type Service struct {
	cfg  Config
	log  *slog.Logger
	db   *sql.DB
	now  func() time.Time
	bus  *activity.Bus
	mu   sync.RWMutex
	apis map[string]*api // by api id: ids are unique across accounts, as the execute endpoint needs

	domains  *accountStore[domainRecord] // custom domain names with their API mappings
	vpcLinks *accountStore[vpcLink]

	throttle  *throttler
	authCache *authCache
	// proxy forwards HTTP_PROXY integrations; it returns redirects to the
	// client instead of following them, as a proxy must.
	proxy *http.Client

	// endpoint is the base URL of ApiEndpoint values ("" = the request's host).
	endpointURL atomic.Pointer[string]

	closeOnce sync.Once
	closeErr  error
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS apis (api_id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS deployments (api_id TEXT NOT NULL, deployment_id TEXT NOT NULL, doc TEXT NOT NULL, snapshot TEXT NOT NULL, PRIMARY KEY (api_id, deployment_id))`,
	accountSchema,
}

// New opens the service's database and loads its state.
func New(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.IntegrationTimeout <= 0 {
		cfg.IntegrationTimeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	db, err := store.Open(filepath.Join(cfg.DataDir, "apigw.db"), schema...)
	if err != nil {
		return nil, fmt.Errorf("apigw: %w", err)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, db: db, now: cfg.Now, bus: cfg.Bus, apis: map[string]*api{},
		throttle: newThrottler(), authCache: newAuthCache(),
		proxy: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	s.SetEndpoint(cfg.Endpoint)
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("apigw: load: %w", err)
	}
	if s.domains, err = newAccountStore[domainRecord](db, "domainname"); err == nil {
		s.vpcLinks, err = newAccountStore[vpcLink](db, "vpclink")
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("apigw: %w", err)
	}
	return s, nil
}

func (s *Service) load() error {
	rows, err := s.db.Query(`SELECT doc FROM apis`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		a := &api{}
		if err := json.Unmarshal([]byte(doc), a); err != nil {
			return fmt.Errorf("decode api: %w", err)
		}
		a.ensureMaps()
		s.apis[a.ApiID] = a
	}
	if err := rows.Err(); err != nil {
		return err
	}
	drows, err := s.db.Query(`SELECT api_id, doc, snapshot FROM deployments`)
	if err != nil {
		return err
	}
	defer drows.Close()
	for drows.Next() {
		var id, doc, snap string
		if err := drows.Scan(&id, &doc, &snap); err != nil {
			return err
		}
		d := &deployment{snap: &snapshot{}}
		if err := json.Unmarshal([]byte(doc), d); err != nil {
			return fmt.Errorf("decode deployment: %w", err)
		}
		if err := json.Unmarshal([]byte(snap), d.snap); err != nil {
			return fmt.Errorf("decode deployment snapshot: %w", err)
		}
		if a := s.apis[id]; a != nil {
			a.deployments[d.DeploymentId] = d
		}
	}
	return drows.Err()
}

// Route tells the router which requests are API Gateway's.
func (s *Service) Route() protocol.Route {
	return protocol.Route{
		Service:      "apigateway",
		PathPrefixes: []string{"/v2/apis", "/v2/tags/", "/v2/domainnames", "/v2/vpclinks", executePrefix},
		HostSuffixes: []string{hostSuffix},
		Handler:      s,
		Unsigned: func(r *http.Request) bool {
			_, _, ok := executeTarget(r)
			return ok
		},
		AllowOrigin: s.corsAllows,
	}
}

// corsAllows reports whether the HTTP API r calls lets pages at origin call
// it: its CorsConfiguration names the origin (or *).
func (s *Service) corsAllows(r *http.Request, origin string) bool {
	id, _, ok := executeTarget(r)
	if !ok {
		return false
	}
	a := s.lookup(id)
	if a == nil || a.CorsConfiguration == nil {
		return false
	}
	_, allowed := originAllowed(a.CorsConfiguration, origin)
	return allowed
}

// executeTarget is the API id and the escaped path after the API's own
// address of a request to the execute endpoint, by host
// (<apiId>.execute-api.localhost) or by path (/_aws/execute-api/<apiId>/).
func executeTarget(r *http.Request) (apiID, path string, ok bool) {
	host := strings.ToLower(r.Host)
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	if id, ok := strings.CutSuffix(host, hostSuffix); ok && id != "" && !strings.Contains(id, ".") {
		return id, r.URL.EscapedPath(), true
	}
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), executePrefix); ok {
		id, path, _ := strings.Cut(rest, "/")
		return id, "/" + path, true
	}
	return "", "", false
}

// Close closes the database; it is idempotent.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.proxy.CloseIdleConnections()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

const (
	executePrefix = "/_aws/execute-api/"
	hostSuffix    = ".execute-api.localhost"
)

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id, path, ok := executeTarget(r); ok {
		s.execute(w, r, id, path)
		return
	}
	s.manage(w, r)
}

// SetEndpoint sets the base URL ApiEndpoint values start with, for a cloud
// that learns its URL after New (an empty url uses the host each management
// request came to).
func (s *Service) SetEndpoint(url string) {
	url = strings.TrimRight(url, "/")
	s.endpointURL.Store(&url)
}

// endpoint is the base URL ApiEndpoint values start with.
func (s *Service) endpoint(r *http.Request) string {
	if e := *s.endpointURL.Load(); e != "" {
		return e
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// errNotFoundAPI is the error for an api the caller cannot see.
// AWS names the account with the id: "Invalid API identifier specified
// 123456789012:a1b2c3d4e5".
func errNotFoundAPI(account, id string) error {
	return protocol.StatusErrorf(http.StatusNotFound, "NotFoundException", "Invalid API identifier specified %s:%s", account, id)
}

func notFound(format string, args ...any) error {
	return protocol.StatusErrorf(http.StatusNotFound, "NotFoundException", format, args...)
}

func badRequest(format string, args ...any) error {
	return protocol.Errorf("BadRequestException", format, args...)
}

func conflict(format string, args ...any) error {
	return protocol.StatusErrorf(http.StatusConflict, "ConflictException", format, args...)
}

// getAPI returns the caller's api (read only).
func (s *Service) getAPI(ctx context.Context, id string) (*api, error) {
	ident := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	a := s.apis[id]
	s.mu.RUnlock()
	if a == nil || a.Account != ident.AccountID || a.Region != ident.Region {
		return nil, errNotFoundAPI(ident.AccountID, id)
	}
	return a, nil
}

// change lists deployment rows to write or remove with an api.
type change struct {
	putDeployments []*deployment
	delDeployments []string
}

// mutate edits a clone of the caller's api under the write lock, commits it
// to SQLite and publishes it. fn returns the response value.
func (s *Service) mutate(ctx context.Context, id string, fn func(a *api, ch *change) (any, error)) (any, error) {
	ident := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.apis[id]
	if cur == nil || cur.Account != ident.AccountID || cur.Region != ident.Region {
		return nil, errNotFoundAPI(ident.AccountID, id)
	}
	a := cur.clone()
	ch := &change{}
	out, err := fn(a, ch)
	if err != nil {
		return nil, err
	}
	s.autoDeploy(cur, a, ch)
	if err := s.save(ctx, a, ch); err != nil {
		return nil, err
	}
	for _, d := range ch.putDeployments {
		a.deployments[d.DeploymentId] = d
	}
	for _, d := range ch.delDeployments {
		delete(a.deployments, d)
	}
	s.apis[id] = a
	return out, nil
}

// autoDeploy records a deployment for the stages with autoDeploy when a
// change touched the routes, integrations or authorizers, as AWS does (those
// stages serve the live configuration either way).
func (s *Service) autoDeploy(before, after *api, ch *change) {
	var auto []*stage
	for _, st := range after.Stages {
		if st.AutoDeploy {
			auto = append(auto, st)
		}
	}
	if len(auto) == 0 || bytes.Equal(before.configJSON(), after.configJSON()) {
		return
	}
	d := s.newDeployment(after, "", true)
	ch.putDeployments = append(ch.putDeployments, d)
	for _, st := range auto {
		st.DeploymentId = d.DeploymentId
		st.LastUpdatedDate = d.CreatedDate
		st.LastDeploymentStatusMessage = "Successfully deployed stage with deployment ID '" + d.DeploymentId + "'"
	}
}

// save commits an api and its deployment changes in one transaction.
func (s *Service) save(ctx context.Context, a *api, ch *change) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode api %s: %w", a.ApiID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save api %s: %w", a.ApiID, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO apis (api_id, account, region, doc) VALUES (?, ?, ?, ?)
		ON CONFLICT (api_id) DO UPDATE SET doc = excluded.doc`, a.ApiID, a.Account, a.Region, string(doc)); err != nil {
		return fmt.Errorf("save api %s: %w", a.ApiID, err)
	}
	if ch != nil {
		for _, d := range ch.putDeployments {
			ddoc, err := json.Marshal(d)
			if err != nil {
				return fmt.Errorf("encode deployment: %w", err)
			}
			snap, err := json.Marshal(d.snap)
			if err != nil {
				return fmt.Errorf("encode deployment: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO deployments (api_id, deployment_id, doc, snapshot) VALUES (?, ?, ?, ?)
				ON CONFLICT (api_id, deployment_id) DO UPDATE SET doc = excluded.doc, snapshot = excluded.snapshot`,
				a.ApiID, d.DeploymentId, string(ddoc), string(snap)); err != nil {
				return fmt.Errorf("save deployment: %w", err)
			}
		}
		for _, id := range ch.delDeployments {
			if _, err := tx.ExecContext(ctx, `DELETE FROM deployments WHERE api_id = ? AND deployment_id = ?`, a.ApiID, id); err != nil {
				return fmt.Errorf("delete deployment: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save api %s: %w", a.ApiID, err)
	}
	return nil
}

// createAPI stores a new api under a fresh id.
func (s *Service) createAPI(ctx context.Context, a *api, ch *change) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		a.ApiID = newID(10)
		if s.apis[a.ApiID] == nil {
			break
		}
	}
	for _, d := range ch.putDeployments {
		a.deployments[d.DeploymentId] = d
	}
	if err := s.save(ctx, a, ch); err != nil {
		return err
	}
	s.apis[a.ApiID] = a
	return nil
}

// deleteAPI removes the caller's api and its deployments.
func (s *Service) deleteAPI(ctx context.Context, id string) error {
	ident := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apis[id]
	if a == nil || a.Account != ident.AccountID || a.Region != ident.Region {
		return errNotFoundAPI(ident.AccountID, id)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete api %s: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM deployments WHERE api_id = ?`, id); err != nil {
		return fmt.Errorf("delete api %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM apis WHERE api_id = ?`, id); err != nil {
		return fmt.Errorf("delete api %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete api %s: %w", id, err)
	}
	delete(s.apis, id)
	s.throttle.forget(id)
	s.authCache.forget(id)
	return nil
}

// listAPIs returns the caller's apis sorted by id.
func (s *Service) listAPIs(ctx context.Context) []*api {
	ident := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api
	for _, a := range s.apis {
		if a.Account == ident.AccountID && a.Region == ident.Region {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ApiID < out[j].ApiID })
	return out
}

// lookup finds an api by id for the execute endpoint (any account).
func (s *Service) lookup(id string) *api {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.apis[id]
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns n random lowercase alphanumerics, like AWS's ids.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}
