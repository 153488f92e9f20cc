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
	if raw, ok := out.(rawBody); ok {
		w.Header().Set("Content-Type", raw.contentType)
		w.WriteHeader(status)
		w.Write(raw.data)
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
	// collection serves list/create at depth n and get/update/delete at n+1.
	collection := func(c crud, n int, p pathArgs) (op, pathArgs, int, error) {
		switch {
		case len(seg) == n && m == http.MethodGet:
			return c.list, p, 200, nil
		case len(seg) == n && m == http.MethodPost:
			return c.create, p, 201, nil
		case len(seg) == n+1 && m == http.MethodGet:
			return c.get, p, 200, nil
		case len(seg) == n+1 && m == http.MethodPatch:
			return c.update, p, 200, nil
		case len(seg) == n+1 && m == http.MethodDelete:
			return c.del, p, 204, nil
		}
		return unknown()
	}
	at := func(i int) string {
		if i < len(seg) {
			return seg[i]
		}
		return ""
	}
	switch seg[1] {
	case "domainnames":
		p := pathArgs{api: at(2), sub: at(4)}
		if len(seg) <= 3 {
			return collection(crud{s.getDomainNames, s.createDomainName, s.getDomainName, s.updateDomainName, s.deleteDomainName}, 2, p)
		}
		if seg[3] == "apimappings" {
			return collection(crud{s.getApiMappings, s.createApiMapping, s.getApiMapping, s.updateApiMapping, s.deleteApiMapping}, 4, p)
		}
		return unknown()
	case "vpclinks":
		if len(seg) == 3 && m == http.MethodDelete {
			return s.deleteVpcLink, pathArgs{api: seg[2]}, http.StatusAccepted, nil
		}
		return collection(crud{s.getVpcLinks, s.createVpcLink, s.getVpcLink, s.updateVpcLink, s.deleteVpcLink}, 2, pathArgs{api: at(2)})
	case "apis":
	default:
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
			return s.importApi, pathArgs{}, 201, nil
		}
		return unknown()
	case 3:
		p := pathArgs{api: seg[2]}
		switch m {
		case http.MethodGet:
			return s.getApi, p, 200, nil
		case http.MethodPatch:
			return s.updateApi, p, 200, nil
		case http.MethodPut:
			return s.reimportApi, p, 201, nil
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
	switch seg[3] {
	case "cors":
		if len(seg) == 4 && m == http.MethodDelete {
			return s.deleteCors, p, 204, nil
		}
		return unknown()
	case "routes":
		if len(seg) >= 6 && seg[5] == "routeresponses" {
			return collection(crudOf(s, routeResponseOps), 6, p)
		}
		if len(seg) == 7 && seg[5] == "requestparameters" && m == http.MethodDelete {
			return s.deleteRouteRequestParameter, p, 204, nil
		}
		return collection(crud{s.getRoutes, s.createRoute, s.getRoute, s.updateRoute, s.deleteRoute}, 4, p)
	case "integrations":
		if len(seg) >= 6 && seg[5] == "integrationresponses" {
			return collection(crudOf(s, integrationResponseOps), 6, p)
		}
		return collection(crud{s.getIntegrations, s.createIntegration, s.getIntegration, s.updateIntegration, s.deleteIntegration}, 4, p)
	case "authorizers":
		return collection(crud{s.getAuthorizers, s.createAuthorizer, s.getAuthorizer, s.updateAuthorizer, s.deleteAuthorizer}, 4, p)
	case "exports":
		if len(seg) == 5 && m == http.MethodGet {
			return s.exportApi, p, 200, nil
		}
		return unknown()
	case "models":
		if len(seg) == 6 && seg[5] == "template" && m == http.MethodGet {
			return s.getModelTemplate, p, 200, nil
		}
		return collection(crud{s.getModels, s.createModel, s.getModel, s.updateModel, s.deleteModel}, 4, p)
	case "stages":
		if len(seg) == 7 && seg[5] == "routesettings" && m == http.MethodDelete {
			return s.deleteRouteSettings, p, 204, nil
		}
		if len(seg) == 7 && seg[5] == "cache" && seg[6] == "authorizers" && m == http.MethodDelete {
			return s.resetAuthorizersCache, p, 204, nil
		}
		if len(seg) == 6 && seg[5] == "accesslogsettings" && m == http.MethodDelete {
			return s.deleteAccessLogSettings, p, 204, nil
		}
		return collection(crud{s.getStages, s.createStage, s.getStage, s.updateStage, s.deleteStage}, 4, p)
	case "deployments":
		return collection(crud{s.getDeployments, s.createDeployment, s.getDeployment, s.updateDeployment, s.deleteDeployment}, 4, p)
	}
	return unknown()
}

type crud struct{ list, create, get, update, del op }

func crudOf[T, I any](s *Service, c *subResources[T, I]) crud {
	return crud{c.list(s), c.create(s), c.get(s), c.update(s), c.del(s)}
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
