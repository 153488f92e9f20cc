package protocol

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// Route tells the router which requests belong to a service.
type Route struct {
	// Service is the SigV4 signing name ("sqs", "dynamodb", "lambda"...).
	Service string
	// Targets are X-Amz-Target prefixes, e.g. "DynamoDB_20120810.".
	Targets []string
	// QueryVersions are the API versions of Action= form requests this
	// service answers ("2012-11-05" for SQS). A form request is routed by its
	// credential scope's service first, then by Version.
	QueryVersions []string
	// PathPrefixes are REST path prefixes ("/2015-03-31/").
	PathPrefixes []string
	// HostSuffixes route by the request's host name ("execute-api.localhost").
	// Requests routed by host are public: served without a signature.
	HostSuffixes []string
	// Unsigned reports whether the service answers r without a SigV4
	// signature: an HTTP API's execute endpoint, a capability URL (a
	// function's code, an SNS unsubscribe link). nil: every request is signed.
	Unsigned func(r *http.Request) bool
	// RequestID makes the service's request ids (DynamoDB's are 52
	// characters); nil: a UUID, as most services use.
	RequestID func() string
	// ByScope routes every request signed for Service (its credential
	// scope's service) here before targets, query actions and paths are
	// looked at: S3's paths are bucket names and keys and its bodies any
	// content, so a key under "/2015-03-31/" or a form-encoded object must
	// not reach another service. It serves nothing unsigned but what its
	// Unsigned accepts.
	ByScope bool
	// AllowOrigin reports whether a page at origin (another site) may make
	// request r: an HTTP API allows the origins of its CORS configuration.
	AllowOrigin func(r *http.Request, origin string) bool
	// Anonymous answers an unsigned request that reaches no route, without
	// running any operation, and reports whether it answered: S3 tells a
	// missing bucket (NoSuchBucket) from an existing one (AccessDenied) for
	// a bucket in the path or the host name, as it does for anonymous
	// requests to private buckets. nil: such requests get
	// UnknownOperationException.
	Anonymous func(w http.ResponseWriter, r *http.Request) bool
	// KnownTarget reports whether the service has the operation an
	// X-Amz-Target names. An unsigned call to one it lacks reaches no
	// route: the root answers it UnknownOperationException, as DynamoDB's
	// front end looks at the target before the signature. nil: every
	// target under Targets is refused unsigned.
	KnownTarget func(target string) bool
	// Handler serves the requests.
	Handler http.Handler
}

// AccountResolver maps access key ids that are not account ids (temporary
// credentials from STS AssumeRole) to the account they act in.
type AccountResolver interface {
	AccountForAccessKey(ctx context.Context, accessKeyID string) (accountID string, ok bool)
}

// Router is the one listener's handler: it works out the caller's identity,
// gives the request an id, and passes it to the service it belongs to.
type Router struct {
	routes   []Route
	internal *http.ServeMux
	resolver AccountResolver
	log      *slog.Logger
	bus      *activity.Bus
	guard    *guard
	body     *bodyLimiter
}

// RouterConfig configures a Router.
type RouterConfig struct {
	Logger   *slog.Logger
	Resolver AccountResolver // may be nil
	Bus      *activity.Bus   // may be nil
	// Guard widens what the guard in front of every service accepts; the
	// zero value serves loopback hosts, no other site, signed calls.
	Guard GuardConfig
	// Body bounds how slowly and how many large request bodies arrive.
	Body BodyLimits
}

// NewRouter returns a router with no routes.
func NewRouter(cfg RouterConfig) *Router {
	log := logger(cfg.Logger)
	return &Router{internal: http.NewServeMux(), resolver: cfg.Resolver, log: log, bus: cfg.Bus, guard: newGuard(cfg.Guard, log), body: newBodyLimiter(cfg.Body)}
}

// AllowHost adds a host name (with or without a port) the router answers
// besides loopback ones: the host of the cloud's endpoint, once known.
// Call it before serving.
func (rt *Router) AllowHost(h string) { rt.guard.allowHost(h) }

// Handle adds a service's route.
func (rt *Router) Handle(r Route) { rt.routes = append(rt.routes, r) }

// HandleInternal serves pattern (under /_lab/) outside any AWS service.
func (rt *Router) HandleInternal(pattern string, h http.Handler) { rt.internal.Handle(pattern, h) }

// SetResolver sets the resolver for temporary credentials.
func (rt *Router) SetResolver(r AccountResolver) { rt.resolver = r }

// ServeHTTP implements http.Handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := NewRequestID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	w.Header().Set("X-Amz-Request-Id", reqID)
	ctx := WithRequestID(r.Context(), reqID)

	cred, signed := ParseCredential(r)
	id := Identity{AccountID: DefaultAccount, Region: DefaultRegion}
	if signed {
		id.AccessKeyID, id.Service = cred.AccessKeyID, cred.Service
		if cred.Region != "" {
			id.Region = cred.Region
		}
		switch {
		case IsAccountID(cred.AccessKeyID):
			id.AccountID = cred.AccessKeyID
		case rt.resolver != nil:
			// The resolver sees the signing service and region, for
			// what it records of the key's use.
			if acct, ok := rt.resolver.AccountForAccessKey(WithIdentity(ctx, id), cred.AccessKeyID); ok {
				id.AccountID = acct
			}
		}
	}
	ctx = WithIdentity(ctx, id)
	r = r.WithContext(ctx)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			rt.log.ErrorContext(ctx, "panic serving request", "panic", p, "stack", string(debug.Stack()))
			if !sw.wrote {
				WriteRESTError(sw, r, rt.log, &Error{Code: "InternalFailure", Message: "the local cloud failed to process the request", Status: http.StatusInternalServerError, Receiver: true})
			}
		}
	}()

	pub := rt.publicRoute(r)
	if !rt.guard.hostOK(r) {
		rt.guard.refuse(sw, r, refuseHost, pub != nil, rt.restPath(r.URL.Path))
		return
	}
	if !rt.guard.originOK(r, pub) {
		rt.guard.refuse(sw, r, refuseOrigin, pub != nil, rt.restPath(r.URL.Path))
		return
	}
	if coralPreflight(sw, r, id) {
		return
	}
	internal := strings.HasPrefix(r.URL.Path, "/_lab/")
	signed, unsigned := signature(r)
	if internal {
		rt.internal.ServeHTTP(sw, r)
		return
	}
	release, ok := rt.body.admit(ctx, w, r)
	if !ok {
		return // the client left while waiting for a large-request slot
	}
	defer release()
	// An unsigned request is refused once it is known to reach an
	// operation: one that reaches none gets the answer a signed one would
	// (DynamoDB answers a missing or unknown target before it looks at the
	// signature), and runs nothing.
	route, op := rt.match(r, id.Service)
	if route != nil && !signed && route.KnownTarget != nil && !route.KnownTarget(r.Header.Get("X-Amz-Target")) {
		route = nil
	}
	if route == nil && pub != nil {
		// Served unsigned by what it is, not by its path (an S3 upload
		// form POSTed to a bucket).
		route, op = pub, r.Method+" "+r.URL.Path
	}
	if route != nil && route.RequestID != nil {
		reqID = route.RequestID()
		w.Header().Set("X-Amzn-RequestId", reqID)
		w.Header().Set("X-Amz-Request-Id", reqID)
		r = r.WithContext(WithRequestID(r.Context(), reqID))
	}
	if !signed && route != nil && route != pub {
		rt.guard.refuse(sw, r, unsigned, false, rt.restPath(r.URL.Path))
		return
	}
	if route == nil {
		if !signed && unsigned == refuseUnsigned && rt.anonymous(sw, r) {
			return
		}
		if coralRoot(sw, r, id) {
			return
		}
		WriteRESTError(sw, r, rt.log, StatusErrorf(http.StatusNotFound, "UnknownOperationException", "no local service answers %s %s (service %q)", r.Method, r.URL.Path, id.Service))
		return
	}
	if route == pub && !rt.byHost(r) {
		// A public route's page at the cloud's own address (an HTTP API
		// under /_aws/execute-api/) would share the cloud's origin, whose
		// pages the guard lets call every service: it renders sandboxed.
		sw.sandbox = true
	}
	route.Handler.ServeHTTP(sw, r)
	d := time.Since(start)
	if rt.log.Enabled(ctx, slog.LevelDebug) {
		rt.log.DebugContext(ctx, "request", "service", route.Service, "op", op, "status", sw.status, "account", id.AccountID, "region", id.Region, "dur", d)
	}
	if rt.bus.Active() {
		ev := activity.Event{Kind: activity.KindRequest, Service: route.Service, Name: op, Account: id.AccountID, Region: id.Region, Status: sw.status, Duration: d}
		if sw.status >= 400 {
			ev.Outcome = sw.Header().Get("X-Amzn-ErrorType") // JSON protocols' error code
		}
		rt.bus.Publish(ev)
	}
}

// publicRoute is the route that serves r without a signature, or nil: a
// route r reaches by its host name, or one whose Unsigned accepts r.
func (rt *Router) publicRoute(r *http.Request) *Route {
	host := hostName(r.Host)
	for i := range rt.routes {
		for _, s := range rt.routes[i].HostSuffixes {
			if strings.HasSuffix(host, s) {
				return &rt.routes[i]
			}
		}
	}
	for i := range rt.routes {
		if u := rt.routes[i].Unsigned; u != nil && u(r) {
			return &rt.routes[i]
		}
	}
	return nil
}

// anonymous lets a route's Anonymous answer an unsigned request that
// reaches no route, and reports whether one did.
func (rt *Router) anonymous(w http.ResponseWriter, r *http.Request) bool {
	for i := range rt.routes {
		if a := rt.routes[i].Anonymous; a != nil && a(w, r) {
			rt.guard.note(r.Context(), refuseUnsigned, r)
			return true
		}
	}
	return false
}

// byHost reports whether r reaches its route by its host name (a public
// route's own origin, not the cloud's).
func (rt *Router) byHost(r *http.Request) bool {
	host := hostName(r.Host)
	for i := range rt.routes {
		for _, s := range rt.routes[i].HostSuffixes {
			if strings.HasSuffix(host, s) {
				return true
			}
		}
	}
	return false
}

// restPath reports whether path is under a REST service's prefix.
func (rt *Router) restPath(path string) bool {
	for i := range rt.routes {
		for _, p := range rt.routes[i].PathPrefixes {
			if strings.HasPrefix(path, p) {
				return true
			}
		}
	}
	return false
}

// match finds the route for r; op names the operation for logs.
func (rt *Router) match(r *http.Request, scopeService string) (*Route, string) {
	host := r.Host
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	for i := range rt.routes {
		for _, s := range rt.routes[i].HostSuffixes {
			if strings.HasSuffix(host, s) {
				return &rt.routes[i], r.Method + " " + r.URL.Path
			}
		}
	}
	if scopeService != "" {
		for i := range rt.routes {
			if rt.routes[i].ByScope && rt.routes[i].Service == scopeService {
				return &rt.routes[i], r.Method + " " + r.URL.Path
			}
		}
	}
	// Paths under /_aws/ (the execute endpoint) belong to their service
	// whatever their body says: an API's own form posts may carry Action=.
	if strings.HasPrefix(r.URL.Path, "/_aws/") {
		for i := range rt.routes {
			for _, p := range rt.routes[i].PathPrefixes {
				if strings.HasPrefix(r.URL.Path, p) {
					return &rt.routes[i], r.Method + " " + r.URL.Path
				}
			}
		}
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		for i := range rt.routes {
			for _, p := range rt.routes[i].Targets {
				if strings.HasPrefix(t, p) {
					return &rt.routes[i], strings.TrimPrefix(t, p)
				}
			}
		}
	}
	if action, version, ok := peekAction(r); ok {
		for i := range rt.routes {
			if len(rt.routes[i].QueryVersions) > 0 && rt.routes[i].Service == scopeService {
				return &rt.routes[i], action
			}
		}
		for i := range rt.routes {
			for _, v := range rt.routes[i].QueryVersions {
				if v == version {
					return &rt.routes[i], action
				}
			}
		}
	}
	var best *Route
	bestLen := 0
	for i := range rt.routes {
		for _, p := range rt.routes[i].PathPrefixes {
			if strings.HasPrefix(r.URL.Path, p) && len(p) > bestLen {
				best, bestLen = &rt.routes[i], len(p)
			}
		}
	}
	if best != nil {
		return best, r.Method + " " + r.URL.Path
	}
	for i := range rt.routes {
		if scopeService != "" && rt.routes[i].Service == scopeService {
			return &rt.routes[i], r.Method + " " + r.URL.Path
		}
	}
	return nil, ""
}

// PeekAction reads Action from a query-protocol request, leaving the body
// readable for the handler: a Route's Unsigned can tell the operations AWS
// serves without a signature (STS's AssumeRoleWithWebIdentity).
func PeekAction(r *http.Request) (string, bool) {
	a, _, ok := peekAction(r)
	return a, ok
}

// peekAction reads Action and Version from a query-protocol request, leaving
// the body readable for the handler.
func peekAction(r *http.Request) (action, version string, ok bool) {
	q := r.URL.Query()
	if a := q.Get("Action"); a != "" {
		return a, q.Get("Version"), true
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.Body == nil {
		return "", "", false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	if err != nil {
		return "", "", false
	}
	form, err := url.ParseQuery(string(b))
	if err != nil || form.Get("Action") == "" {
		return "", "", false
	}
	return form.Get("Action"), form.Get("Version"), true
}

// NewRequestID returns a random id in the UUID format AWS uses.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:16])
	return string(out[:])
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	// sandbox sets SandboxCSP on the response, whatever the handler set.
	sandbox bool
}

// SandboxCSP is the Content-Security-Policy of pages the cloud serves at
// its own origin from content it does not control (an object, an HTTP
// API's answer): they render, scripts and all, in an opaque origin whose
// calls to the cloud the guard refuses as another site's.
const SandboxCSP = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
		w.beforeHeader()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		w.beforeHeader()
	}
	return w.ResponseWriter.Write(b)
}

// beforeHeader runs once, before the status line goes out.
func (w *statusWriter) beforeHeader() {
	if w.sandbox {
		w.Header().Set("Content-Security-Policy", SandboxCSP)
	}
}

// Flush lets streaming handlers (long polls, SSE) flush through the router.
func (w *statusWriter) Flush() {
	if !w.wrote {
		w.wrote = true
		w.beforeHeader()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
