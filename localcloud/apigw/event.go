package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The events below are what AWS sends; their field names are those of
// aws-lambda-go's events.APIGatewayV2HTTPRequest, APIGatewayProxyRequest and
// APIGatewayV2CustomAuthorizerV{1,2}Request.

type httpDescription struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

type iamDescription struct {
	AccessKey string `json:"accessKey"`
	AccountID string `json:"accountId"`
	CallerID  string `json:"callerId"`
	UserARN   string `json:"userArn"`
	UserID    string `json:"userId"`
}

type authorizerDescription struct {
	Lambda      map[string]any  `json:"lambda,omitempty"`
	IAM         *iamDescription `json:"iam,omitempty"`
	PrincipalID string          `json:"principalId,omitempty"`
}

type contextV2 struct {
	AccountID    string                 `json:"accountId"`
	APIID        string                 `json:"apiId"`
	Authorizer   *authorizerDescription `json:"authorizer,omitempty"`
	DomainName   string                 `json:"domainName"`
	DomainPrefix string                 `json:"domainPrefix"`
	HTTP         httpDescription        `json:"http"`
	RequestID    string                 `json:"requestId"`
	RouteKey     string                 `json:"routeKey"`
	Stage        string                 `json:"stage"`
	Time         string                 `json:"time"`
	TimeEpoch    int64                  `json:"timeEpoch"`
}

type eventV2 struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        contextV2         `json:"requestContext"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

type authorizerEventV2 struct {
	Version               string            `json:"version"`
	Type                  string            `json:"type"`
	RouteArn              string            `json:"routeArn"`
	IdentitySource        []string          `json:"identitySource"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        contextV2         `json:"requestContext"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

type identityV1 struct {
	AccessKey string `json:"accessKey,omitempty"`
	Caller    string `json:"caller,omitempty"`
	SourceIP  string `json:"sourceIp"`
	User      string `json:"user,omitempty"`
	UserAgent string `json:"userAgent"`
	UserArn   string `json:"userArn,omitempty"`
}

type contextV1 struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer,omitempty"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          identityV1     `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

type eventV1 struct {
	Version                         string              `json:"version"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  contextV1           `json:"requestContext"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type authorizerEventV1 struct {
	Version                         string              `json:"version"`
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	IdentitySource                  string              `json:"identitySource"`
	AuthorizationToken              string              `json:"authorizationToken"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  contextV1           `json:"requestContext"`
}

// requestHeaders returns the request's headers as AWS passes them: names
// lower-cased, repeated values joined with commas (multi keeps them apart),
// the Cookie header split into cookies (format 2.0) and the headers API
// Gateway adds (host, x-forwarded-*).
func requestHeaders(r *http.Request, keepCookie bool) (single map[string]string, multi map[string][]string, cookies []string) {
	single = make(map[string]string, len(r.Header)+4)
	multi = make(map[string][]string, len(r.Header)+4)
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" && !keepCookie {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		single[lk] = strings.Join(vs, ",")
		multi[lk] = append([]string(nil), vs...)
	}
	add := func(k, v string) {
		if _, ok := single[k]; !ok {
			single[k] = v
			multi[k] = []string{v}
		}
	}
	add("host", r.Host)
	add("x-forwarded-for", sourceIP(r))
	add("x-forwarded-proto", "http")
	if _, port, ok := strings.Cut(r.Host, ":"); ok {
		add("x-forwarded-port", port)
	} else {
		add("x-forwarded-port", "80")
	}
	return single, multi, cookies
}

// queryParams returns the query string's parameters, repeated values joined
// with commas (multi keeps them apart); nil when there are none.
func queryParams(raw string) (single map[string]string, multi map[string][]string) {
	if raw == "" {
		return nil, nil
	}
	q, _ := url.ParseQuery(raw) // keep what parses, as AWS does
	if len(q) == 0 {
		return nil, nil
	}
	single = make(map[string]string, len(q))
	for k, vs := range q {
		single[k] = strings.Join(vs, ",")
	}
	return single, q
}

func sourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(host, "[") {
		host = h
	} else if i := strings.LastIndex(host, "]"); strings.HasPrefix(host, "[") && i > 0 {
		host = host[1:i]
	}
	return host
}

// isTextType reports whether a body of this content type is passed as text;
// any other body is base64-encoded with isBase64Encoded set, as HTTP APIs do.
func isTextType(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/ecmascript", mt == "application/x-javascript",
		mt == "application/graphql", mt == "application/yaml", mt == "application/x-yaml":
		return true
	}
	return false
}

// encodeBody returns the body as the event carries it.
func encodeBody(body []byte, contentType string) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if isTextType(contentType) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// response is what the client gets.
type response struct {
	status int
	header http.Header
	body   []byte
}

var errBadResponse = errors.New("malformed Lambda proxy response")

// flexString decodes a JSON string, number or boolean as a string (header
// values in Lambda responses are often numbers).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64, bool:
		*f = flexString(strings.TrimSpace(string(b)))
		_ = x
		return nil
	case nil:
		*f = ""
		return nil
	}
	return fmt.Errorf("want a string, got %s", b)
}

type proxyResponse struct {
	StatusCode        json.RawMessage         `json:"statusCode"`
	Headers           map[string]flexString   `json:"headers"`
	MultiValueHeaders map[string][]flexString `json:"multiValueHeaders"`
	Cookies           []string                `json:"cookies"`
	Body              *string                 `json:"body"`
	IsBase64Encoded   bool                    `json:"isBase64Encoded"`
}

// statusCode parses a statusCode value: an integer (or a string holding
// one) between 100 and 599.
func statusCode(raw json.RawMessage) (int, error) {
	s := strings.TrimSpace(string(raw))
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("%w: statusCode %s is not an HTTP status", errBadResponse, raw)
	}
	return n, nil
}

// mapResponse turns a function's answer into the client's response, as the
// integration's payload format version says.
func mapResponse(payload []byte, version string) (*response, error) {
	payload = bytes.TrimSpace(payload)
	var pr proxyResponse
	isObject := len(payload) > 0 && payload[0] == '{'
	decoded := false
	if isObject {
		// One pass for the common case: an object in the proxy response shape.
		decoded = json.Unmarshal(payload, &pr) == nil
		if !decoded {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(payload, &fields); err != nil {
				return nil, fmt.Errorf("%w: not JSON: %v", errBadResponse, err)
			}
			if raw, ok := fields["statusCode"]; ok {
				pr.StatusCode = raw
			}
		}
	} else if !json.Valid(payload) {
		return nil, fmt.Errorf("%w: not JSON", errBadResponse)
	}
	hasStatus := pr.StatusCode != nil
	if version == "2.0" && !hasStatus {
		body := payload
		var s string
		if len(payload) > 0 && payload[0] == '"' && json.Unmarshal(payload, &s) == nil {
			body = []byte(s)
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		return &response{status: http.StatusOK, header: h, body: body}, nil
	}
	if !hasStatus {
		return nil, fmt.Errorf("%w: payload format 1.0 needs an object with statusCode", errBadResponse)
	}
	if !decoded {
		return nil, fmt.Errorf("%w: the fields do not have the proxy response's types", errBadResponse)
	}
	status, err := statusCode(pr.StatusCode)
	if err != nil {
		return nil, err
	}
	h := make(http.Header, len(pr.Headers)+len(pr.Cookies))
	for k, v := range pr.Headers {
		h.Set(k, string(v))
	}
	for k, vs := range pr.MultiValueHeaders {
		ck := http.CanonicalHeaderKey(k)
		if _, single := pr.Headers[k]; single {
			h.Del(ck)
		}
		for _, v := range vs {
			h.Add(ck, string(v))
		}
	}
	if version == "2.0" {
		for _, c := range pr.Cookies {
			h.Add("Set-Cookie", c)
		}
	}
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	h.Del("Connection")
	var body []byte
	if pr.Body != nil {
		body = []byte(*pr.Body)
		if pr.IsBase64Encoded {
			body, err = base64.StdEncoding.DecodeString(*pr.Body)
			if err != nil {
				return nil, fmt.Errorf("%w: body is not valid base64: %v", errBadResponse, err)
			}
		}
	}
	return &response{status: status, header: h, body: body}, nil
}
