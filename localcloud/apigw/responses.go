package apigw

import (
	"context"
	"net/http"
	"strings"
)

// Route responses, integration responses and route request parameters: the
// parts of routes and integrations that have their own operations.

// routeResponse is a RouteResponse on the wire.
type routeResponse struct {
	ModelSelectionExpression string            `json:"modelSelectionExpression,omitempty"`
	ResponseModels           map[string]string `json:"responseModels,omitempty"`
	ResponseParameters       map[string]param  `json:"responseParameters,omitempty"`
	RouteResponseId          string            `json:"routeResponseId"`
	RouteResponseKey         string            `json:"routeResponseKey"`
}

type routeResponseInput struct {
	ModelSelectionExpression *string           `json:"modelSelectionExpression"`
	ResponseModels           map[string]string `json:"responseModels"`
	ResponseParameters       map[string]param  `json:"responseParameters"`
	RouteResponseKey         *string           `json:"routeResponseKey"`
}

func routeMissing(id string) error { return notFound("Invalid Route identifier specified %s", id) }

func integrationMissing(id string) error {
	return notFound("Invalid Integration identifier specified %s", id)
}

func applyRouteResponse(rr *routeResponse, in *routeResponseInput) error {
	if in.RouteResponseKey != nil {
		if *in.RouteResponseKey == "" {
			return badRequest("routeResponseKey must not be empty")
		}
		rr.RouteResponseKey = *in.RouteResponseKey
	}
	if in.ModelSelectionExpression != nil {
		rr.ModelSelectionExpression = *in.ModelSelectionExpression
	}
	if in.ResponseModels != nil {
		rr.ResponseModels = in.ResponseModels
	}
	if in.ResponseParameters != nil {
		rr.ResponseParameters = in.ResponseParameters
	}
	return nil
}

// deleteRouteRequestParameter removes one request parameter of a route.
func (s *Service) deleteRouteRequestParameter(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		rt := a.Routes[p.sub]
		if rt == nil {
			return nil, routeMissing(p.sub)
		}
		if _, ok := rt.RequestParameters[p.sub2]; !ok {
			return nil, notFound("Invalid parameter name specified")
		}
		delete(rt.RequestParameters, p.sub2)
		if len(rt.RequestParameters) == 0 {
			rt.RequestParameters = nil
		}
		return nil, nil
	})
	return nil, err
}

// integrationResponse is an IntegrationResponse on the wire.
type integrationResponse struct {
	ContentHandlingStrategy     string            `json:"contentHandlingStrategy,omitempty"`
	IntegrationResponseId       string            `json:"integrationResponseId"`
	IntegrationResponseKey      string            `json:"integrationResponseKey"`
	ResponseParameters          map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates           map[string]string `json:"responseTemplates,omitempty"`
	TemplateSelectionExpression string            `json:"templateSelectionExpression,omitempty"`
}

type integrationResponseInput struct {
	ContentHandlingStrategy     *string           `json:"contentHandlingStrategy"`
	IntegrationResponseKey      *string           `json:"integrationResponseKey"`
	ResponseParameters          map[string]string `json:"responseParameters"`
	ResponseTemplates           map[string]string `json:"responseTemplates"`
	TemplateSelectionExpression *string           `json:"templateSelectionExpression"`
}

func applyIntegrationResponse(ir *integrationResponse, in *integrationResponseInput) error {
	if in.IntegrationResponseKey != nil {
		if *in.IntegrationResponseKey == "" {
			return badRequest("integrationResponseKey must not be empty")
		}
		ir.IntegrationResponseKey = *in.IntegrationResponseKey
	}
	if in.ContentHandlingStrategy != nil {
		switch *in.ContentHandlingStrategy {
		case "CONVERT_TO_BINARY", "CONVERT_TO_TEXT":
		default:
			return badRequest("Invalid contentHandlingStrategy %q: must be CONVERT_TO_BINARY or CONVERT_TO_TEXT", *in.ContentHandlingStrategy)
		}
		ir.ContentHandlingStrategy = *in.ContentHandlingStrategy
	}
	if in.ResponseParameters != nil {
		ir.ResponseParameters = in.ResponseParameters
	}
	if in.ResponseTemplates != nil {
		ir.ResponseTemplates = in.ResponseTemplates
	}
	if in.TemplateSelectionExpression != nil {
		ir.TemplateSelectionExpression = *in.TemplateSelectionExpression
	}
	return nil
}

// subResources is one kind of resource under a route or an integration
// (route responses, integration responses): T is its wire shape, I its
// create and update body.
type subResources[T, I any] struct {
	what          string // "RouteResponse"
	parent        string // "Route"
	parentExists  func(a *api, id string) bool
	parentMissing func(id string) error
	all           func(a *api) map[string]map[string]*T
	id            func(*T) string
	key           func(*T) string
	inKey         func(*I) *string
	make          func(id string) *T
	apply         func(*T, *I) error
}

func (c *subResources[T, I]) missing(id string) error {
	return notFound("Invalid %s identifier specified %s", c.what, id)
}

// of returns the resources under a's parent id (a map the caller may edit
// in a clone), or NotFound.
func (c *subResources[T, I]) of(a *api, parentID string) (map[string]*T, error) {
	if !c.parentExists(a, parentID) {
		return nil, c.parentMissing(parentID)
	}
	all := c.all(a)
	m := all[parentID]
	if m == nil {
		m = map[string]*T{}
		all[parentID] = m
	}
	return m, nil
}

func (c *subResources[T, I]) create(s *Service) op {
	return func(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
		var in I
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		key := c.inKey(&in)
		if key == nil {
			return nil, badRequest("%s%s is required", strings.ToLower(c.what[:1]), c.what[1:]+"Key")
		}
		return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
			m, err := c.of(a, p.sub)
			if err != nil {
				return nil, err
			}
			for _, x := range m {
				if c.key(x) == *key {
					return nil, conflict("%s with key %s already exists for this %s", c.what, *key, c.parent)
				}
			}
			v := c.make(newID(6))
			if err := c.apply(v, &in); err != nil {
				return nil, err
			}
			m[c.id(v)] = v
			return v, nil
		})
	}
}

func (c *subResources[T, I]) get(s *Service) op {
	return func(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
		a, err := s.getAPI(ctx, p.api)
		if err != nil {
			return nil, err
		}
		if !c.parentExists(a, p.sub) {
			return nil, c.parentMissing(p.sub)
		}
		if v := c.all(a)[p.sub][p.sub2]; v != nil {
			return v, nil
		}
		return nil, c.missing(p.sub2)
	}
}

func (c *subResources[T, I]) list(s *Service) op {
	return func(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
		a, err := s.getAPI(ctx, p.api)
		if err != nil {
			return nil, err
		}
		if !c.parentExists(a, p.sub) {
			return nil, c.parentMissing(p.sub)
		}
		return listPage(r, c.all(a)[p.sub])
	}
}

func (c *subResources[T, I]) update(s *Service) op {
	return func(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
		var in I
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
			m, err := c.of(a, p.sub)
			if err != nil {
				return nil, err
			}
			v := m[p.sub2]
			if v == nil {
				return nil, c.missing(p.sub2)
			}
			if err := c.apply(v, &in); err != nil {
				return nil, err
			}
			return v, nil
		})
	}
}

func (c *subResources[T, I]) del(s *Service) op {
	return func(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
		_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
			m, err := c.of(a, p.sub)
			if err != nil {
				return nil, err
			}
			if m[p.sub2] == nil {
				return nil, c.missing(p.sub2)
			}
			delete(m, p.sub2)
			return nil, nil
		})
		return nil, err
	}
}

var routeResponseOps = &subResources[routeResponse, routeResponseInput]{
	what: "RouteResponse", parent: "Route",
	parentExists:  func(a *api, id string) bool { return a.Routes[id] != nil },
	parentMissing: routeMissing,
	all:           func(a *api) map[string]map[string]*routeResponse { return a.RouteResponses },
	id:            func(v *routeResponse) string { return v.RouteResponseId },
	key:           func(v *routeResponse) string { return v.RouteResponseKey },
	inKey:         func(in *routeResponseInput) *string { return in.RouteResponseKey },
	make:          func(id string) *routeResponse { return &routeResponse{RouteResponseId: id} },
	apply:         applyRouteResponse,
}

var integrationResponseOps = &subResources[integrationResponse, integrationResponseInput]{
	what: "IntegrationResponse", parent: "Integration",
	parentExists:  func(a *api, id string) bool { return a.Integrations[id] != nil },
	parentMissing: integrationMissing,
	all:           func(a *api) map[string]map[string]*integrationResponse { return a.IntegrationResponses },
	id:            func(v *integrationResponse) string { return v.IntegrationResponseId },
	key:           func(v *integrationResponse) string { return v.IntegrationResponseKey },
	inKey:         func(in *integrationResponseInput) *string { return in.IntegrationResponseKey },
	make:          func(id string) *integrationResponse { return &integrationResponse{IntegrationResponseId: id} },
	apply:         applyIntegrationResponse,
}
