package apigw

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// op is one management operation: it reads its own body and returns the
// response value.
type op func(ctx context.Context, r *http.Request, p pathArgs, body []byte) (any, error)

// pathArgs are the decoded path parameters of a management request.
type pathArgs struct {
	api, sub, sub2 string
}

// manage serves the restJson1 management API.
func (s *Service) manage(w http.ResponseWriter, r *http.Request) {
	fn, p, status, err := s.dispatch(r)
	if err != nil {
		protocol.WriteRESTError(w, r, s.log, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 6<<20))
	if err != nil {
		protocol.WriteRESTError(w, r, s.log, protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "BadRequestException", "request body too large or unreadable"))
		return
	}
	out, err := fn(r.Context(), r, p, body)
	if err != nil {
		protocol.WriteRESTError(w, r, s.log, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	protocol.WriteJSON(w, status, out)
}

// dispatch picks the operation for a method and path.
func (s *Service) dispatch(r *http.Request) (op, pathArgs, int, error) {
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	seg := make([]string, len(raw))
	for i, x := range raw {
		d, err := url.PathUnescape(x)
		if err != nil {
			return nil, pathArgs{}, 0, badRequest("invalid path %q", r.URL.EscapedPath())
		}
		seg[i] = d
	}
	m := r.Method
	unknown := func() (op, pathArgs, int, error) {
		return nil, pathArgs{}, 0, notFound("no API Gateway operation answers %s %s", m, r.URL.Path)
	}
	if len(seg) < 2 || seg[0] != "v2" {
		return unknown()
	}
	if seg[1] == "tags" {
		if len(seg) != 3 {
			return unknown()
		}
		p := pathArgs{api: seg[2]}
		switch m {
		case http.MethodGet:
			return s.getTags, p, 200, nil
		case http.MethodPost:
			return s.tagResource, p, 201, nil
		case http.MethodDelete:
			return s.untagResource, p, 204, nil
		}
		return unknown()
	}
	if seg[1] != "apis" {
		return unknown()
	}
	switch len(seg) {
	case 2:
		switch m {
		case http.MethodGet:
			return s.getApis, pathArgs{}, 200, nil
		case http.MethodPost:
			return s.createApi, pathArgs{}, 201, nil
		case http.MethodPut:
			return nil, pathArgs{}, 0, badRequest("ImportApi (OpenAPI definitions) is not supported by the local cloud")
		}
		return unknown()
	case 3:
		p := pathArgs{api: seg[2]}
		switch m {
		case http.MethodGet:
			return s.getApi, p, 200, nil
		case http.MethodPatch:
			return s.updateApi, p, 200, nil
		case http.MethodDelete:
			return s.deleteApi, p, 204, nil
		}
		return unknown()
	}
	p := pathArgs{api: seg[2]}
	if len(seg) >= 5 {
		p.sub = seg[4]
	}
	if len(seg) >= 7 {
		p.sub2 = seg[6]
	}
	type crud struct{ list, create, get, update, del op }
	var c crud
	switch seg[3] {
	case "cors":
		if len(seg) == 4 && m == http.MethodDelete {
			return s.deleteCors, p, 204, nil
		}
		return unknown()
	case "routes":
		c = crud{s.getRoutes, s.createRoute, s.getRoute, s.updateRoute, s.deleteRoute}
	case "integrations":
		c = crud{s.getIntegrations, s.createIntegration, s.getIntegration, s.updateIntegration, s.deleteIntegration}
	case "authorizers":
		c = crud{s.getAuthorizers, s.createAuthorizer, s.getAuthorizer, s.updateAuthorizer, s.deleteAuthorizer}
	case "stages":
		c = crud{s.getStages, s.createStage, s.getStage, s.updateStage, s.deleteStage}
		if len(seg) == 7 && seg[5] == "routesettings" && m == http.MethodDelete {
			return s.deleteRouteSettings, p, 204, nil
		}
		if len(seg) == 7 && seg[5] == "cache" && seg[6] == "authorizers" && m == http.MethodDelete {
			return s.resetAuthorizersCache, p, 204, nil
		}
		if len(seg) == 6 && seg[5] == "accesslogsettings" && m == http.MethodDelete {
			return s.deleteAccessLogSettings, p, 204, nil
		}
	case "deployments":
		c = crud{s.getDeployments, s.createDeployment, s.getDeployment, s.updateDeployment, s.deleteDeployment}
	default:
		return unknown()
	}
	switch {
	case len(seg) == 4 && m == http.MethodGet:
		return c.list, p, 200, nil
	case len(seg) == 4 && m == http.MethodPost:
		return c.create, p, 201, nil
	case len(seg) == 5 && m == http.MethodGet:
		return c.get, p, 200, nil
	case len(seg) == 5 && m == http.MethodPatch:
		return c.update, p, 200, nil
	case len(seg) == 5 && m == http.MethodDelete:
		return c.del, p, 204, nil
	}
	return unknown()
}

// decode unmarshals a JSON request body; malformed bodies are BadRequest.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("Invalid request body: %v", err)
	}
	return nil
}

// page is a page of a listing.
type page[T any] struct {
	Items     []T    `json:"items"`
	NextToken string `json:"nextToken,omitempty"`
}

// paginate returns the page of items (sorted by key) that r's maxResults and
// nextToken ask for. The token is the key of the first item of the next page.
func paginate[T any](r *http.Request, items []T, key func(T) string) (page[T], error) {
	q := r.URL.Query()
	max := 100
	if v := q.Get("maxResults"); v != "" {
		n, err := atoiStrict(v)
		if err != nil || n < 1 || n > 500 {
			return page[T]{}, badRequest("maxResults must be a number between 1 and 500")
		}
		max = n
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		start = len(items)
		for i, it := range items {
			if key(it) >= tok {
				start = i
				break
			}
		}
	}
	end := min(start+max, len(items))
	p := page[T]{Items: items[start:end]}
	if p.Items == nil {
		p.Items = []T{}
	}
	if end < len(items) {
		p.NextToken = key(items[end])
	}
	return p, nil
}

func atoiStrict(s string) (int, error) {
	n := 0
	if s == "" || len(s) > 9 {
		return 0, badRequest("not a number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, badRequest("not a number")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}
