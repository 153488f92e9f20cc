package apigw

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// maxPayload is the largest request body an HTTP API accepts (10 MB).
const maxPayload = 10 << 20

// exchange is one request to the execute endpoint on its way through.
type exchange struct {
	r         *http.Request
	a         *api
	st        *stage
	reqID     string
	start     time.Time // the gateway's clock (Config.Now)
	rawPath   string    // as the client sent it, with a named stage's prefix
	routePath string    // without the stage prefix: what routes match
	rt        *planRoute
	params    map[string]string
	plan      *plan
	body      []byte
	// integration is how long the integration took to answer (0 when the
	// request never reached it): CloudWatch's IntegrationLatency.
	integration time.Duration

	headers      map[string]string
	multiHeaders map[string][]string
	cookies      []string
	query        map[string]string
	multiQuery   map[string][]string
}

// execute serves a request to an HTTP API. path is the escaped path after
// the API's own address.
func (s *Service) execute(w http.ResponseWriter, r *http.Request, apiID, path string) {
	began := time.Now()
	x := &exchange{r: r, reqID: newGatewayRequestID(), start: s.now()}
	w.Header().Set("Apigw-Requestid", x.reqID)
	status := s.serve(w, x, apiID, path)
	if s.bus.Active() {
		ev := activity.Event{Kind: activity.KindHTTPAPI, Service: "apigateway", Name: apiID, Status: status, Duration: time.Since(began)}
		if x.a != nil {
			ev.Account, ev.Region = x.a.Account, x.a.Region
		}
		if x.rt != nil {
			ev.Route = x.rt.key.raw
		}
		if x.st != nil {
			ev.Stage = x.st.StageName
		}
		ev.Integration = x.integration
		if status >= 500 {
			ev.Outcome = "error"
		} else if status == http.StatusTooManyRequests {
			ev.Outcome = "throttled"
		} else {
			ev.Outcome = "ok"
		}
		s.bus.Publish(ev)
	}
}

func writeMessage(w http.ResponseWriter, status int, msg string) int {
	b := []byte(`{"message":"` + msg + `"}`)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	return status
}

func notFoundResponse(w http.ResponseWriter) int {
	return writeMessage(w, http.StatusNotFound, "Not Found")
}

func internalError(w http.ResponseWriter) int {
	return writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
}

func (s *Service) serve(w http.ResponseWriter, x *exchange, apiID, path string) int {
	r := x.r
	a := s.lookup(apiID)
	if a == nil {
		return notFoundResponse(w)
	}
	x.a = a
	if a.websocket() {
		return writeMessage(w, http.StatusNotImplemented, "WebSocket APIs are not served by the local cloud")
	}
	if a.DisableExecuteApiEndpoint {
		return writeMessage(w, http.StatusForbidden, "Forbidden")
	}
	// A first segment naming a stage selects it; otherwise $default serves.
	x.rawPath, x.routePath = path, path
	first, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if st := a.Stages[first]; st != nil && first != defaultRouteKey && first != "" {
		x.st, x.routePath = st, "/"+rest
	} else if st := a.Stages[defaultRouteKey]; st != nil {
		x.st = st
	} else {
		return notFoundResponse(w)
	}
	if x.plan = a.planFor(x.st); x.plan == nil {
		return notFoundResponse(w)
	}
	if a.CorsConfiguration != nil && r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		return preflight(w, r, a.CorsConfiguration)
	}
	x.rt, x.params = x.plan.match(r.Method, splitPath(x.routePath))
	if x.rt == nil {
		return notFoundResponse(w)
	}
	rate, burst := limits(x.st, x.rt.key.raw)
	if !s.throttle.allow(bucketKey{a.ApiID, x.st.StageName, x.rt.key.raw}, rate, burst, x.start.UnixNano()) {
		return writeMessage(w, http.StatusTooManyRequests, "Too Many Requests")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayload))
	if err != nil {
		return writeMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	x.body = body
	x.query, x.multiQuery = queryParams(r.URL.RawQuery)

	var authz *authorizerDescription
	switch x.rt.r.AuthorizationType {
	case "CUSTOM":
		au := x.plan.authorizers[x.rt.r.AuthorizerId]
		if au == nil {
			return internalError(w)
		}
		var status int
		if authz, status = s.authorize(r.Context(), x, au); status != 0 {
			return status2message(w, status)
		}
	case "JWT":
		// JWT authorizers need the issuer's key set, which the local cloud
		// cannot fetch: such routes answer as AWS does for a token it cannot
		// validate.
		return writeMessage(w, http.StatusUnauthorized, "Unauthorized")
	case "AWS_IAM":
		cred, ok := protocol.ParseCredential(r)
		if !ok {
			return writeMessage(w, http.StatusForbidden, "Forbidden")
		}
		acct := cred.AccessKeyID
		if !protocol.IsAccountID(acct) {
			acct = protocol.DefaultAccount
		}
		authz = &authorizerDescription{IAM: &iamDescription{AccessKey: cred.AccessKeyID, AccountID: acct, CallerID: cred.AccessKeyID,
			UserARN: protocol.RootARN(cred.Region, acct), UserID: acct}}
	}

	id := strings.TrimPrefix(x.rt.r.Target, "integrations/")
	integ := x.plan.integrations[id]
	if x.rt.r.Target == "" || integ == nil {
		s.log.DebugContext(r.Context(), "route has no integration", "api", a.ApiID, "route", x.rt.key.raw)
		return internalError(w)
	}
	var resp *response
	var status int
	integrationStart := time.Now()
	switch integ.IntegrationType {
	case "AWS_PROXY":
		resp, status = s.invokeLambda(r.Context(), x, integ, authz)
	case "HTTP_PROXY":
		resp, status = s.proxyHTTP(r.Context(), x, integ)
	default:
		status = http.StatusInternalServerError
	}
	x.integration = time.Since(integrationStart)
	if resp == nil {
		return status2message(w, status)
	}
	h := w.Header()
	for k, vs := range resp.header {
		h[k] = vs
	}
	if c := a.CorsConfiguration; c != nil {
		corsHeaders(h, r, c)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		w.Write(resp.body)
	}
	return resp.status
}

// status2message answers with the gateway's own message for status.
func status2message(w http.ResponseWriter, status int) int {
	switch status {
	case http.StatusUnauthorized:
		return writeMessage(w, status, "Unauthorized")
	case http.StatusForbidden:
		return writeMessage(w, status, "Forbidden")
	case http.StatusServiceUnavailable:
		return writeMessage(w, status, "Service Unavailable")
	case http.StatusGatewayTimeout:
		return writeMessage(w, status, "Gateway Timeout")
	case http.StatusTooManyRequests:
		return writeMessage(w, status, "Too Many Requests")
	}
	return internalError(w)
}

// sourceARN is the execute-api ARN a route's invocations come from.
func sourceARN(x *exchange) string {
	res := x.a.ApiID + "/" + x.st.StageName + "/"
	if x.rt.key.isDefault {
		res += defaultRouteKey
	} else {
		res += x.rt.key.method + x.rt.key.path
	}
	return protocol.ARN("execute-api", x.a.Region, x.a.Account, res)
}

// routeARN is the ARN authorizer policies are evaluated against: the
// request's method and path.
func routeARN(x *exchange) string {
	return protocol.ARN("execute-api", x.a.Region, x.a.Account, x.a.ApiID+"/"+x.st.StageName+"/"+x.r.Method+x.routePath)
}

func (x *exchange) requestHeaders(keepCookie bool) {
	x.headers, x.multiHeaders, x.cookies = requestHeaders(x.r, keepCookie)
	x.headers["x-amzn-trace-id"] = "Root=1-" + strconv.FormatInt(x.start.Unix(), 16) + "-" + newHex(12)
}

func (x *exchange) contextV2(authz *authorizerDescription) contextV2 {
	return contextV2{
		AccountID: x.a.Account, APIID: x.a.ApiID, Authorizer: authz,
		DomainName: x.a.ApiID + hostSuffix, DomainPrefix: x.a.ApiID,
		HTTP:      httpDescription{Method: x.r.Method, Path: x.rawPath, Protocol: x.r.Proto, SourceIP: sourceIP(x.r), UserAgent: x.r.UserAgent()},
		RequestID: x.reqID, RouteKey: x.rt.key.raw, Stage: x.st.StageName,
		Time: x.start.UTC().Format("02/Jan/2006:15:04:05 +0000"), TimeEpoch: x.start.UnixMilli(),
	}
}

func (x *exchange) contextV1(authz map[string]any) contextV1 {
	resource := x.rt.key.path
	if x.rt.key.isDefault {
		resource = defaultRouteKey
	}
	return contextV1{
		AccountID: x.a.Account, APIID: x.a.ApiID, Authorizer: authz,
		DomainName: x.a.ApiID + hostSuffix, DomainPrefix: x.a.ApiID, ExtendedRequestID: x.reqID,
		HTTPMethod: x.r.Method, Identity: identityV1{SourceIP: sourceIP(x.r), UserAgent: x.r.UserAgent()},
		Path: x.rawPath, Protocol: x.r.Proto, RequestID: x.reqID,
		RequestTime: x.start.UTC().Format("02/Jan/2006:15:04:05 +0000"), RequestTimeEpoch: x.start.UnixMilli(),
		ResourceID: x.rt.key.raw, ResourcePath: resource, Stage: x.st.StageName,
	}
}

func stageVars(st *stage) map[string]string {
	if len(st.StageVariables) == 0 {
		return nil
	}
	return st.StageVariables
}

// event builds the integration event in the integration's payload format.
func (x *exchange) event(version string, authz *authorizerDescription) ([]byte, error) {
	body, b64 := encodeBody(x.body, x.r.Header.Get("Content-Type"))
	if version == "1.0" {
		x.requestHeaders(true)
		var auth map[string]any
		if authz != nil {
			auth = map[string]any{}
			for k, v := range authz.Lambda {
				auth[k] = v
			}
			if authz.Lambda != nil {
				auth["lambda"] = authz.Lambda
			}
			if authz.PrincipalID != "" {
				auth["principalId"] = authz.PrincipalID
			}
			if authz.IAM != nil {
				auth["iam"] = authz.IAM
			}
		}
		resource := x.rt.key.path
		if x.rt.key.isDefault {
			resource = defaultRouteKey
		}
		ev := eventV1{Version: "1.0", Resource: resource, Path: x.rawPath, HTTPMethod: x.r.Method,
			Headers: x.headers, MultiValueHeaders: x.multiHeaders,
			QueryStringParameters: lastValues(x.multiQuery), MultiValueQueryStringParameters: x.multiQuery,
			RequestContext: x.contextV1(auth), PathParameters: x.params, StageVariables: stageVars(x.st), IsBase64Encoded: b64}
		for k, vs := range x.multiHeaders {
			ev.Headers[k] = vs[len(vs)-1]
		}
		if len(x.body) > 0 {
			ev.Body = &body
		}
		return json.Marshal(ev)
	}
	x.requestHeaders(false)
	ev := eventV2{Version: "2.0", RouteKey: x.rt.key.raw, RawPath: x.rawPath, RawQueryString: x.r.URL.RawQuery,
		Cookies: x.cookies, Headers: x.headers, QueryStringParameters: x.query, PathParameters: x.params,
		RequestContext: x.contextV2(authz), StageVariables: stageVars(x.st), Body: body, IsBase64Encoded: b64}
	return json.Marshal(ev)
}

func lastValues(m map[string][]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, vs := range m {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// integrationTimeout is the integration's timeout capped by the config's.
func (s *Service) integrationTimeout(integ *integration) time.Duration {
	d := time.Duration(integ.TimeoutInMillis) * time.Millisecond
	if d <= 0 || d > s.cfg.IntegrationTimeout {
		d = s.cfg.IntegrationTimeout
	}
	return d
}

// invokeOutcome is how an invocation went, for the gateway's answer.
type invokeOutcome int

const (
	invokeOK invokeOutcome = iota
	invokeFailed
	invokeTimedOut
)

// invoke calls a function on the API's behalf, giving up after timeout.
func (s *Service) invoke(ctx context.Context, x *exchange, uri, source string, payload []byte, timeout time.Duration) ([]byte, invokeOutcome) {
	fn, ok := lambdaFunctionARN(uri)
	if !ok || s.cfg.Functions == nil {
		s.log.WarnContext(ctx, "cannot invoke", "uri", uri, "invoker", s.cfg.Functions != nil)
		return nil, invokeFailed
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		res protocol.InvocationResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.cfg.Functions.InvokeFromService(ctx, protocol.ServiceInvocation{
			FunctionARN: fn, SourcePrincipal: "apigateway.amazonaws.com", SourceARN: source,
			SourceAccount: x.a.Account, Payload: payload})
		done <- result{res, err}
	}()
	var out result
	select {
	case out = <-done:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, invokeTimedOut
		}
		return nil, invokeFailed
	}
	if out.err != nil {
		if errors.Is(out.err, context.DeadlineExceeded) {
			return nil, invokeTimedOut
		}
		s.log.InfoContext(ctx, "integration invoke failed", "function", fn, "source", source, "err", out.err)
		return nil, invokeFailed
	}
	if out.res.FunctionError != "" {
		s.log.InfoContext(ctx, "function failed", "function", fn, "error", out.res.FunctionError, "timedOut", out.res.TimedOut)
		return nil, invokeFailed
	}
	return out.res.Payload, invokeOK
}

func (s *Service) invokeLambda(ctx context.Context, x *exchange, integ *integration, authz *authorizerDescription) (*response, int) {
	payload, err := x.event(integ.PayloadFormatVersion, authz)
	if err != nil {
		return nil, http.StatusInternalServerError
	}
	out, outcome := s.invoke(ctx, x, integ.IntegrationUri, sourceARN(x), payload, s.integrationTimeout(integ))
	switch outcome {
	case invokeTimedOut:
		return nil, http.StatusServiceUnavailable
	case invokeFailed:
		return nil, http.StatusInternalServerError
	}
	resp, err := mapResponse(out, integ.PayloadFormatVersion)
	if err != nil {
		s.log.InfoContext(ctx, "bad Lambda proxy response", "api", x.a.ApiID, "route", x.rt.key.raw, "err", err)
		return nil, http.StatusInternalServerError
	}
	return resp, 0
}

// identityValue evaluates one identity source expression.
func (x *exchange) identityValue(src string) string {
	switch {
	case strings.HasPrefix(src, "$request.header."):
		return strings.Join(x.r.Header.Values(strings.TrimPrefix(src, "$request.header.")), ",")
	case strings.HasPrefix(src, "$request.querystring."):
		return x.query[strings.TrimPrefix(src, "$request.querystring.")]
	case strings.HasPrefix(src, "$stageVariables."):
		return x.st.StageVariables[strings.TrimPrefix(src, "$stageVariables.")]
	case strings.HasPrefix(src, "$context."):
		switch strings.TrimPrefix(src, "$context.") {
		case "accountId":
			return x.a.Account
		case "apiId":
			return x.a.ApiID
		case "domainName":
			return x.a.ApiID + hostSuffix
		case "domainPrefix":
			return x.a.ApiID
		case "httpMethod":
			return x.r.Method
		case "identity.sourceIp":
			return sourceIP(x.r)
		case "identity.userAgent":
			return x.r.UserAgent()
		case "path":
			return x.rawPath
		case "protocol":
			return x.r.Proto
		case "requestId":
			return x.reqID
		case "routeKey":
			return x.rt.key.raw
		case "stage":
			return x.st.StageName
		}
	}
	return ""
}

// authorize runs a Lambda authorizer; a non-zero status is the answer to give.
func (s *Service) authorize(ctx context.Context, x *exchange, au *authorizer) (*authorizerDescription, int) {
	values := make([]string, len(au.IdentitySource))
	for i, src := range au.IdentitySource {
		if values[i] = x.identityValue(src); values[i] == "" {
			return nil, http.StatusUnauthorized
		}
	}
	routeArn := routeARN(x)
	ttl := au.ttl()
	key := authKey{x.a.ApiID, x.st.StageName, au.AuthorizerId, strings.Join(values, "\x00")}
	var res *authResult
	if ttl > 0 && len(values) > 0 {
		res = s.authCache.get(key, s.now())
	}
	if res == nil {
		payload, err := x.authorizerEvent(au, values, routeArn)
		if err != nil {
			return nil, http.StatusInternalServerError
		}
		source := protocol.ARN("execute-api", x.a.Region, x.a.Account, x.a.ApiID+"/authorizers/"+au.AuthorizerId)
		out, outcome := s.invoke(ctx, x, au.AuthorizerUri, source, payload, min(10*time.Second, s.cfg.IntegrationTimeout))
		if outcome != invokeOK {
			return nil, http.StatusInternalServerError
		}
		if res, err = parseAuthResponse(out, au.EnableSimpleResponses); err != nil {
			s.log.InfoContext(ctx, "bad authorizer response", "api", x.a.ApiID, "authorizer", au.AuthorizerId, "err", err)
			return nil, http.StatusInternalServerError
		}
		if ttl > 0 && len(values) > 0 {
			now := s.now()
			s.authCache.put(key, res, now.Add(ttl), now)
		}
	}
	if !res.allows(routeArn) {
		return nil, http.StatusForbidden
	}
	return &authorizerDescription{Lambda: res.context, PrincipalID: res.principalID}, 0
}

func (x *exchange) authorizerEvent(au *authorizer, values []string, routeArn string) ([]byte, error) {
	if au.AuthorizerPayloadFormatVersion == "1.0" {
		x.requestHeaders(true)
		resource := x.rt.key.path
		if x.rt.key.isDefault {
			resource = defaultRouteKey
		}
		joined := strings.Join(values, ",")
		return json.Marshal(authorizerEventV1{Version: "1.0", Type: "REQUEST", MethodArn: routeArn, IdentitySource: joined,
			AuthorizationToken: joined, Resource: resource, Path: x.rawPath, HTTPMethod: x.r.Method,
			Headers: lastValues(x.multiHeaders), MultiValueHeaders: x.multiHeaders,
			QueryStringParameters: lastValues(x.multiQuery), MultiValueQueryStringParameters: x.multiQuery,
			PathParameters: x.params, StageVariables: stageVars(x.st), RequestContext: x.contextV1(nil)})
	}
	x.requestHeaders(false)
	return json.Marshal(authorizerEventV2{Version: "2.0", Type: "REQUEST", RouteArn: routeArn, IdentitySource: values,
		RouteKey: x.rt.key.raw, RawPath: x.rawPath, RawQueryString: x.r.URL.RawQuery, Cookies: x.cookies,
		Headers: x.headers, QueryStringParameters: x.query, RequestContext: x.contextV2(nil),
		PathParameters: x.params, StageVariables: stageVars(x.st)})
}

// proxyHTTP forwards the request to an HTTP_PROXY integration's URL, with
// {name} in it replaced by path parameters.
func (s *Service) proxyHTTP(ctx context.Context, x *exchange, integ *integration) (*response, int) {
	if integ.ConnectionType == "VPC_LINK" {
		// The private load balancer or Cloud Map service behind a VPC
		// link is out of the local cloud's reach: the gateway answers as
		// it does for an unreachable target.
		return nil, http.StatusServiceUnavailable
	}
	target := integ.IntegrationUri
	for k, v := range x.params {
		target = strings.ReplaceAll(target, "{"+k+"}", v)
		target = strings.ReplaceAll(target, "{"+k+"+}", v)
	}
	if x.r.URL.RawQuery != "" {
		if strings.Contains(target, "?") {
			target += "&" + x.r.URL.RawQuery
		} else {
			target += "?" + x.r.URL.RawQuery
		}
	}
	method := integ.IntegrationMethod
	if method == "ANY" {
		method = x.r.Method
	}
	ctx, cancel := context.WithTimeout(ctx, s.integrationTimeout(integ))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(x.body))
	if err != nil {
		return nil, http.StatusInternalServerError
	}
	for k, vs := range x.r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Te", "Trailer", "Proxy-Connection":
			continue
		}
		req.Header[k] = vs
	}
	req.Header.Set("X-Forwarded-For", sourceIP(x.r))
	req.Header.Set("X-Amzn-Apigateway-Api-Id", x.a.ApiID)
	resp, err := s.proxy.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, http.StatusServiceUnavailable
		}
		return nil, http.StatusInternalServerError
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPayload))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, http.StatusServiceUnavailable
		}
		return nil, http.StatusInternalServerError
	}
	h := resp.Header.Clone()
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	h.Del("Connection")
	return &response{status: resp.StatusCode, header: h, body: body}, 0
}

// CORS, as HTTP APIs apply an API's CorsConfiguration.

func originAllowed(c *cors, origin string) (string, bool) {
	for _, o := range c.AllowOrigins {
		if o == "*" {
			return "*", true
		}
		if strings.EqualFold(o, origin) {
			return origin, true
		}
	}
	return "", false
}

func preflight(w http.ResponseWriter, r *http.Request, c *cors) int {
	h := w.Header()
	if allow, ok := originAllowed(c, r.Header.Get("Origin")); ok {
		h.Set("Access-Control-Allow-Origin", allow)
		if len(c.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(c.AllowMethods, ","))
		}
		if len(c.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ","))
		}
		if c.AllowCredentials != nil && *c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if c.MaxAge != nil && *c.MaxAge >= 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(*c.MaxAge))
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

func corsHeaders(h http.Header, r *http.Request, c *cors) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	allow, ok := originAllowed(c, origin)
	if !ok {
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	if c.AllowCredentials != nil && *c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ","))
	}
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
}

// newGatewayRequestID returns an id shaped like API Gateway's ("LV7fzho-PHcEJPw=").
func newGatewayRequestID() string {
	var b [11]byte
	rand.Read(b[:])
	return base64.URLEncoding.EncodeToString(b[:])
}

func newHex(n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	rand.Read(b)
	out := make([]byte, 2*n)
	for i, c := range b {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&15]
	}
	return string(out)
}
