package protocol

import (
	"context"
	"encoding/json"
	"hash/crc32"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// GuardConfig says whom the router serves besides the local user's own
// clients. The local cloud trusts whoever reaches its port, and every web
// page the learner opens can reach it; the guard in front of the services
// refuses what only a web page would send:
//
//   - a Host that is not a loopback name or address (localhost, *.localhost,
//     127.0.0.0/8, ::1), the address the request arrived on, the cloud's
//     endpoint host or one of AllowHosts: a DNS-rebinding page sends its own
//     name;
//   - a cross-site request (an Origin other than the cloud's own, or
//     Sec-Fetch-Site cross-site/same-site) unless its origin is in
//     AllowOrigins or the route allows it (an HTTP API's CORS
//     configuration); a link followed to an HTTP API still works;
//   - an AWS API call without a SigV4 Authorization header or presigned
//     query: every SDK and the CLI sign, and a page cannot add the header to
//     a cross-site request without a CORS preflight, which is refused.
//
// Refusals are 403s in the protocol the request used: AccessDenied(Exception)
// for Host and Origin, MissingAuthenticationToken(Exception) without a
// signature, Forbidden for an HTTP API.
type GuardConfig struct {
	// AllowHosts are host names (no port) served besides loopback ones.
	AllowHosts []string
	// AllowOrigins are web origins ("http://localhost:3000") whose pages may
	// call the cloud.
	AllowOrigins []string
}

// guard applies a GuardConfig. It logs the first refusal of each kind and
// host or origin at Warn and the rest at Debug, so a hostile page cannot
// flood the log.
type guard struct {
	hosts   map[string]bool
	origins map[string]bool
	log     *slog.Logger

	mu     sync.Mutex
	logged map[string]bool
}

// maxLoggedRefusals bounds the set of refusals already logged at Warn.
const maxLoggedRefusals = 1024

func newGuard(cfg GuardConfig, log *slog.Logger) *guard {
	g := &guard{hosts: map[string]bool{}, origins: map[string]bool{}, log: log, logged: map[string]bool{}}
	for _, h := range cfg.AllowHosts {
		g.allowHost(h)
	}
	for _, o := range cfg.AllowOrigins {
		g.origins[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return g
}

// allowHost adds a host name, with or without a port, to the allowed ones.
func (g *guard) allowHost(h string) {
	if h = hostName(h); h != "" {
		g.hosts[h] = true
	}
}

// hostName is the lower-cased name of a Host header value without its port,
// brackets or trailing dot.
func hostName(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// refusal is why the guard refused a request.
type refusal int

const (
	refuseHost refusal = iota + 1
	refuseOrigin
	refuseUnsigned
	refuseBadSignature
	refuseBothSignatures
)

// hostOK reports whether r's Host names this cloud and not a page's own
// (rebound) name.
func (g *guard) hostOK(r *http.Request) bool {
	h := hostName(r.Host)
	switch {
	case h == "":
		return false
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return true
	case g.hosts[h]:
		return true
	}
	ip := net.ParseIP(h)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	// An address literal cannot be rebound: the page that sends it is the
	// cloud's own origin. Accept the one the request arrived on.
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if ta, ok := la.(*net.TCPAddr); ok && ta.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// FromBrowser reports whether r carries what only browsers send (Origin or
// Fetch metadata): no SDK, CLI or Lambda bootstrap sends them, so an
// endpoint only they call (a Runtime API) can refuse these outright.
func FromBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Sec-Fetch-Mode") != ""
}

// originOK reports whether r comes from the cloud's own origin, from no web
// page at all, or from an origin allowed by the config or by route.
func (g *guard) originOK(r *http.Request, route *Route) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		switch r.Header.Get("Sec-Fetch-Site") {
		case "", "none", "same-origin":
			return true
		}
		// A cross-site request without Origin: a no-cors GET (an image,
		// a script) or a navigation. Following a link to the learner's
		// API is fine; the rest is not.
		return route != nil && r.Header.Get("Sec-Fetch-Mode") == "navigate" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	}
	if !strings.Contains(origin, "://") && origin != "null" {
		// Not a serialized origin: browsers send "scheme://host[:port]"
		// or "null", so no web page sent this one.
		return true
	}
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	if o == "http://"+strings.ToLower(r.Host) || o == "https://"+strings.ToLower(r.Host) {
		return true
	}
	if g.origins[o] {
		return true
	}
	return route != nil && route.AllowOrigin != nil && route.AllowOrigin(r, origin)
}

// signature says whether r carries a SigV4 signature: the Authorization
// header's scheme or a presigned query (SigV4, or S3's SigV2 header or
// query), and if not, why it is refused: refuseUnsigned, or
// refuseBadSignature for an Authorization header that is not SigV4 (nor a
// complete SigV2 one). A page cannot send either header to another site
// without a preflight, which the guard refuses.
//
// As DynamoDB answers: a header that does not even start with "AWS4-" (or
// is empty) is a missing token, not an incomplete signature.
func signature(r *http.Request) (signed bool, why refusal) {
	if r.Header.Get("X-Amz-Target") != "" {
		return coralSignature(r)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		if !strings.HasPrefix(auth, "AWS4-") && !strings.HasPrefix(auth, "AWS ") {
			return false, refuseUnsigned
		}
		return credential(r)
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Signature") == "" && (q.Get("Signature") == "" || q.Get("AWSAccessKeyId") == "") {
		return false, refuseUnsigned
	}
	return credential(r)
}

// coralQueryParams are the parameters a presigned awsJson call must have,
// in the order Coral names the missing ones.
var coralQueryParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"}

// coralSignature is signature for an awsJson (X-Amz-Target) call, in the
// order DynamoDB's Coral front end checks it (dynalite's index.js and
// test/connection.js, recorded from DynamoDB): an X-Amz-Algorithm query
// parameter, even empty, makes the call presigned, and with an
// Authorization header too it is refused (refuseBothSignatures); without
// it, an Authorization header not starting "AWS4-" is a missing token;
// then the header's or the query's parts must all be there.
func coralSignature(r *http.Request) (bool, refusal) {
	auth := r.Header.Get("Authorization")
	q := r.URL.Query()
	_, presigned := q["X-Amz-Algorithm"]
	switch {
	case presigned && auth != "":
		return false, refuseBothSignatures
	case presigned:
		for _, p := range coralQueryParams {
			if q.Get(p) == "" {
				return false, refuseBadSignature
			}
		}
	case !strings.HasPrefix(strings.TrimSpace(auth), "AWS4-"):
		return false, refuseUnsigned
	}
	return credential(r)
}

// credential says whether r's signature names a credential scope.
func credential(r *http.Request) (bool, refusal) {
	if _, ok := ParseCredential(r); !ok {
		return false, refuseBadSignature
	}
	return true, 0
}

// refuse answers a refused request with a 403 in its protocol's shape and
// logs it.
//
// rest says r's path belongs to a REST service (Lambda, API Gateway), whose
// errors are JSON whatever the Content-Type (curl --data sends a form's).
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, why refusal, public, rest bool) {
	query := !rest && isQueryRequest(r)
	e := refusalError(r, why, public, query)
	g.note(r.Context(), why, r)
	switch {
	case public:
		w.Header().Set("X-Amzn-ErrorType", e.Code)
		WriteJSON(w, e.HTTPStatus(), map[string]string{"message": e.Message})
	case r.Header.Get("X-Amz-Target") != "":
		writeCoralError(w, r, e)
	case query:
		WriteQueryError(w, r, "", e)
	default:
		WriteRESTError(w, r, g.log, e)
	}
}

// refusalError is the error a refused request is answered with.
func refusalError(r *http.Request, why refusal, public, query bool) *Error {
	query = query && r.Header.Get("X-Amz-Target") == ""
	code := func(c string) string {
		if query {
			return strings.TrimSuffix(c, "Exception")
		}
		return c
	}
	var e *Error
	switch why {
	case refuseHost:
		e = StatusErrorf(http.StatusForbidden, code("AccessDeniedException"), "the local cloud does not answer requests for host %q: a web page may be trying DNS rebinding (start it with --allow-host NAME to serve that name)", hostName(r.Host))
	case refuseOrigin:
		origin := r.Header.Get("Origin")
		if origin == "" {
			origin = "a " + r.Header.Get("Sec-Fetch-Site") + " page"
		}
		e = StatusErrorf(http.StatusForbidden, code("AccessDeniedException"), "the local cloud refuses requests from web pages of other sites (%s); start it with --allow-origin ORIGIN to allow one", origin)
	case refuseBadSignature:
		e = StatusErrorf(http.StatusForbidden, code("IncompleteSignatureException"), "%s", incompleteSignature(r))
	case refuseBothSignatures:
		e = StatusErrorf(http.StatusForbidden, "InvalidSignatureException", "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	default:
		msg := "Request is missing Authentication Token"
		if !query && r.Header.Get("X-Amz-Target") == "" {
			msg = "Missing Authentication Token"
		}
		e = StatusErrorf(http.StatusForbidden, code("MissingAuthenticationTokenException"), "%s", msg)
	}
	if public {
		e.Code, e.Message = "ForbiddenException", "Forbidden: "+e.Message
	}
	if r.Header.Get("X-Amz-Target") != "" && (why == refuseUnsigned || why == refuseBadSignature || why == refuseBothSignatures) {
		// The awsJson services (DynamoDB's Coral front end) answer a
		// missing or incomplete signature with 400, not 403.
		e.Status = http.StatusBadRequest
	}
	return e
}

// incompleteSignature is AWS's message for an "AWS4-" Authorization header
// that lacks parts: each missing parameter named in a fixed order, then the
// header itself; or for a presigned call (no header), the missing query
// parameters, or its credential scope.
func incompleteSignature(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	var b strings.Builder
	if auth == "" {
		q := r.URL.Query()
		for _, p := range coralQueryParams {
			if q.Get(p) == "" {
				b.WriteString("AWS query-string parameters must include '" + p + "'. ")
			}
		}
		if b.Len() == 0 {
			return "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + q.Get("X-Amz-Credential") + "'"
		}
		return b.String() + "Re-examine the query-string parameters."
	}
	for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
		if !strings.Contains(auth, p+"=") {
			b.WriteString("Authorization header requires '" + p + "' parameter. ")
		}
	}
	if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if b.Len() == 0 {
		return "Authorization header is not a valid AWS Signature Version 4 header. Authorization=" + auth
	}
	return b.String() + "Authorization=" + auth
}

// isQueryRequest reports whether r uses the awsQuery protocol (a form body
// or an Action= query).
func isQueryRequest(r *http.Request) bool {
	return r.URL.Query().Get("Action") != "" || strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// writeCoralError writes e in the awsJson shape every JSON service shares,
// with the checksum DynamoDB clients verify.
func writeCoralError(w http.ResponseWriter, r *http.Request, e *Error) {
	b, _ := json.Marshal(map[string]string{"__type": "com.amazon.coral.service#" + e.Code, "message": e.Message})
	h := w.Header()
	h.Set("Content-Type", coralContentType(r))
	h.Set("X-Amzn-ErrorType", e.Code)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	w.WriteHeader(e.HTTPStatus())
	w.Write(b)
}

// note logs a refusal: the first of each kind and host or origin at Warn.
func (g *guard) note(ctx context.Context, why refusal, r *http.Request) {
	kind := map[refusal]string{refuseHost: "host", refuseOrigin: "origin", refuseUnsigned: "unsigned", refuseBadSignature: "signature", refuseBothSignatures: "signature"}[why]
	key := kind + " " + hostName(r.Host) + " " + r.Header.Get("Origin")
	g.mu.Lock()
	first := !g.logged[key] && len(g.logged) < maxLoggedRefusals
	if first {
		g.logged[key] = true
	}
	g.mu.Unlock()
	level := slog.LevelDebug
	if first {
		level = slog.LevelWarn
	}
	g.log.Log(ctx, level, "refused a request", "why", kind, "method", r.Method, "path", r.URL.Path, "host", r.Host, "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "remote", r.RemoteAddr)
}

// coralContentType is the Content-Type a Coral front end answers with: the
// request's own awsJson type, else application/json (DynamoDB's answers to
// requests without one).
func coralContentType(r *http.Request) string {
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/x-amz-json-1.0", "application/x-amz-json-1.1":
		return ct
	}
	return "application/json"
}
