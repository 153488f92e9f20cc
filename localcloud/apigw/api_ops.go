package apigw

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// apiInput is CreateApi's and UpdateApi's body.
type apiInput struct {
	Name                      *string           `json:"name"`
	ProtocolType              *string           `json:"protocolType"`
	Description               *string           `json:"description"`
	Version                   *string           `json:"version"`
	RouteSelectionExpression  *string           `json:"routeSelectionExpression"`
	ApiKeySelectionExpression *string           `json:"apiKeySelectionExpression"`
	CorsConfiguration         *cors             `json:"corsConfiguration"`
	CredentialsArn            *string           `json:"credentialsArn"`
	DisableExecuteApiEndpoint *bool             `json:"disableExecuteApiEndpoint"`
	DisableSchemaValidation   *bool             `json:"disableSchemaValidation"`
	RouteKey                  *string           `json:"routeKey"`
	Target                    *string           `json:"target"`
	Tags                      map[string]string `json:"tags"`
}

// apiOutput is the wire shape of an Api.
type apiOutput struct {
	ApiEndpoint               string            `json:"apiEndpoint"`
	ApiGatewayManaged         bool              `json:"apiGatewayManaged,omitempty"`
	ApiId                     string            `json:"apiId"`
	ApiKeySelectionExpression string            `json:"apiKeySelectionExpression,omitempty"`
	CorsConfiguration         *cors             `json:"corsConfiguration,omitempty"`
	CreatedDate               *isoTime          `json:"createdDate,omitempty"`
	Description               string            `json:"description,omitempty"`
	DisableExecuteApiEndpoint bool              `json:"disableExecuteApiEndpoint"`
	DisableSchemaValidation   bool              `json:"disableSchemaValidation,omitempty"`
	Name                      string            `json:"name"`
	ProtocolType              string            `json:"protocolType"`
	RouteSelectionExpression  string            `json:"routeSelectionExpression,omitempty"`
	Tags                      map[string]string `json:"tags"`
	Version                   string            `json:"version,omitempty"`
}

func (s *Service) apiOut(r *http.Request, a *api) apiOutput {
	tags := a.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return apiOutput{
		ApiEndpoint: s.apiEndpoint(r, a), ApiId: a.ApiID,
		ApiKeySelectionExpression: a.ApiKeySelectionExpression, CorsConfiguration: a.CorsConfiguration,
		CreatedDate: a.CreatedDate, Description: a.Description, DisableExecuteApiEndpoint: a.DisableExecuteApiEndpoint,
		DisableSchemaValidation: a.DisableSchemaValidation, Name: a.Name, ProtocolType: a.ProtocolType,
		RouteSelectionExpression: a.RouteSelectionExpression, Tags: tags, Version: a.Version,
	}
}

func checkLen(field, v string, lo, hi int) error {
	if n := len(v); n < lo || n > hi {
		return badRequest("%s must be between %d and %d characters long", field, lo, hi)
	}
	return nil
}

func checkCors(c *cors) error {
	if c == nil {
		return nil
	}
	if c.MaxAge != nil && (*c.MaxAge < -1 || *c.MaxAge > 86400) {
		return badRequest("corsConfiguration.maxAge must be between -1 and 86400")
	}
	for _, o := range c.AllowOrigins {
		if o == "*" && c.AllowCredentials != nil && *c.AllowCredentials {
			return badRequest("allowCredentials is not supported when allowOrigins contains *")
		}
	}
	return nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > 50 {
		return badRequest("a resource can have at most 50 tags")
	}
	for k, v := range tags {
		if err := checkLen("tag key", k, 1, 128); err != nil {
			return err
		}
		if len(v) > 256 {
			return badRequest("tag value for %q must be at most 256 characters long", k)
		}
	}
	return nil
}

// quickTarget is what a quick create target makes: an AWS_PROXY integration
// for a Lambda function, an HTTP_PROXY one for a URL.
func quickTarget(target string) (*integration, error) {
	if _, ok := lambdaFunctionARN(target); ok {
		return &integration{IntegrationType: "AWS_PROXY", IntegrationUri: target, IntegrationMethod: "POST", PayloadFormatVersion: "2.0",
			ConnectionType: "INTERNET", TimeoutInMillis: 30000, ApiGatewayManaged: true}, nil
	}
	if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return &integration{IntegrationType: "HTTP_PROXY", IntegrationUri: target, IntegrationMethod: "ANY", PayloadFormatVersion: "1.0",
			ConnectionType: "INTERNET", TimeoutInMillis: 30000, ApiGatewayManaged: true}, nil
	}
	return nil, badRequest("Invalid target %q: specify a Lambda function ARN or an http(s) URL", target)
}

func (s *Service) createApi(ctx context.Context, r *http.Request, _ pathArgs, body []byte) (any, error) {
	var in apiInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, badRequest("name is required")
	}
	if err := checkLen("name", *in.Name, 1, 128); err != nil {
		return nil, err
	}
	switch pt := deref(in.ProtocolType); pt {
	case "HTTP":
	case wsProtocol:
		if err := checkWSApi(&in); err != nil {
			return nil, err
		}
	case "":
		return nil, badRequest("protocolType is required")
	default:
		return nil, badRequest("Invalid protocolType %q: must be HTTP or WEBSOCKET", pt)
	}
	if err := checkLen("description", deref(in.Description), 0, 1024); err != nil {
		return nil, err
	}
	if err := checkCors(in.CorsConfiguration); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if rse := deref(in.RouteSelectionExpression); *in.ProtocolType == "HTTP" && rse != "" && rse != "${request.method} ${request.path}" && rse != "$request.method $request.path" {
		return nil, badRequest("routeSelectionExpression for HTTP APIs must be ${request.method} ${request.path}")
	}
	ident := protocol.IdentityFrom(ctx)
	a := &api{Account: ident.AccountID, Region: ident.Region, Name: *in.Name, ProtocolType: *in.ProtocolType,
		Description: deref(in.Description), Version: deref(in.Version),
		RouteSelectionExpression: "$request.method $request.path", ApiKeySelectionExpression: "$request.header.x-api-key",
		CorsConfiguration: in.CorsConfiguration, DisableExecuteApiEndpoint: deref(in.DisableExecuteApiEndpoint),
		DisableSchemaValidation: deref(in.DisableSchemaValidation), CreatedDate: now(s.now()), Tags: in.Tags}
	if a.websocket() {
		a.RouteSelectionExpression = *in.RouteSelectionExpression
		if in.ApiKeySelectionExpression != nil {
			a.ApiKeySelectionExpression = *in.ApiKeySelectionExpression
		}
	}
	a.ensureMaps()
	ch := &change{}
	if in.RouteKey != nil && in.Target == nil {
		return nil, badRequest("routeKey is part of quick create and needs target")
	}
	if in.Target != nil {
		integ, err := quickTarget(*in.Target)
		if err != nil {
			return nil, err
		}
		key := defaultRouteKey
		if in.RouteKey != nil {
			key = *in.RouteKey
		}
		if _, err := parseRouteKey(key); err != nil {
			return nil, badRequest("%v", err)
		}
		integ.IntegrationId = newID(7)
		a.Integrations[integ.IntegrationId] = integ
		rt := &route{ApiGatewayManaged: true, AuthorizationType: "NONE", RouteId: newID(7), RouteKey: key, Target: "integrations/" + integ.IntegrationId}
		a.Routes[rt.RouteId] = rt
		t := now(s.now())
		d := &deployment{AutoDeployed: true, CreatedDate: t, DeploymentId: newID(6), DeploymentStatus: "DEPLOYED", snap: a.snapshot()}
		ch.putDeployments = append(ch.putDeployments, d)
		a.Stages[defaultRouteKey] = &stage{ApiGatewayManaged: true, AutoDeploy: true, CreatedDate: t, LastUpdatedDate: t,
			DefaultRouteSettings: &routeSettings{DetailedMetricsEnabled: ptr(false)}, DeploymentId: d.DeploymentId,
			LastDeploymentStatusMessage: "Successfully deployed stage with deployment ID '" + d.DeploymentId + "'",
			RouteSettings:               map[string]*routeSettings{}, StageName: defaultRouteKey, StageVariables: map[string]string{}, Tags: map[string]string{}}
	}
	if err := s.createAPI(ctx, a, ch); err != nil {
		return nil, err
	}
	return s.apiOut(r, a), nil
}

func (s *Service) getApi(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return s.apiOut(r, a), nil
}

func (s *Service) getApis(ctx context.Context, r *http.Request, _ pathArgs, _ []byte) (any, error) {
	apis := s.listAPIs(ctx)
	pg, err := paginate(r, apis, func(a *api) string { return a.ApiID })
	if err != nil {
		return nil, err
	}
	out := page[apiOutput]{Items: make([]apiOutput, 0, len(pg.Items)), NextToken: pg.NextToken}
	for _, a := range pg.Items {
		out.Items = append(out.Items, s.apiOut(r, a))
	}
	return out, nil
}

func (s *Service) updateApi(ctx context.Context, r *http.Request, p pathArgs, body []byte) (any, error) {
	var in apiInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	out, err := s.mutate(ctx, p.api, func(a *api, ch *change) (any, error) {
		if in.ProtocolType != nil && *in.ProtocolType != a.ProtocolType {
			return nil, badRequest("protocolType cannot be changed")
		}
		if a.websocket() && (in.CorsConfiguration != nil || in.Target != nil || in.RouteKey != nil) {
			return nil, badRequest("corsConfiguration, target and routeKey are supported only for HTTP APIs")
		}
		if a.websocket() && in.RouteSelectionExpression != nil {
			a.RouteSelectionExpression = *in.RouteSelectionExpression
		}
		if in.Name != nil {
			if err := checkLen("name", *in.Name, 1, 128); err != nil {
				return nil, err
			}
			a.Name = *in.Name
		}
		if in.Description != nil {
			if err := checkLen("description", *in.Description, 0, 1024); err != nil {
				return nil, err
			}
			a.Description = *in.Description
		}
		if in.Version != nil {
			a.Version = *in.Version
		}
		if in.CorsConfiguration != nil {
			if err := checkCors(in.CorsConfiguration); err != nil {
				return nil, err
			}
			a.CorsConfiguration = in.CorsConfiguration
		}
		if in.DisableExecuteApiEndpoint != nil {
			a.DisableExecuteApiEndpoint = *in.DisableExecuteApiEndpoint
		}
		if in.DisableSchemaValidation != nil {
			a.DisableSchemaValidation = *in.DisableSchemaValidation
		}
		if in.ApiKeySelectionExpression != nil {
			a.ApiKeySelectionExpression = *in.ApiKeySelectionExpression
		}
		if in.Target != nil || in.RouteKey != nil {
			if err := updateQuickCreate(a, in.Target, in.RouteKey); err != nil {
				return nil, err
			}
		}
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	return s.apiOut(r, out.(*api)), nil
}

// updateQuickCreate changes the target or route key of a quick-created API.
func updateQuickCreate(a *api, target, key *string) error {
	var rt *route
	for _, x := range a.Routes {
		if x.ApiGatewayManaged {
			rt = x
		}
	}
	if rt == nil {
		return badRequest("target and routeKey can only be updated on an API made with quick create")
	}
	if target != nil {
		integ, err := quickTarget(*target)
		if err != nil {
			return err
		}
		id := strings.TrimPrefix(rt.Target, "integrations/")
		integ.IntegrationId = id
		if old := a.Integrations[id]; old == nil {
			integ.IntegrationId = newID(7)
		}
		a.Integrations[integ.IntegrationId] = integ
		rt.Target = "integrations/" + integ.IntegrationId
	}
	if key != nil {
		if _, err := parseRouteKey(*key); err != nil {
			return badRequest("%v", err)
		}
		for _, x := range a.Routes {
			if x != rt && x.RouteKey == *key {
				return conflict("Route with key %s already exists for this API", *key)
			}
		}
		rt.RouteKey = *key
	}
	return nil
}

func (s *Service) deleteApi(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	ident := protocol.IdentityFrom(ctx)
	recs, _ := s.domains.list(ident.AccountID, ident.Region)
	for _, rec := range recs {
		for _, m := range rec.Mappings {
			if m.ApiId == p.api {
				return nil, badRequest("Deleting API %s failed. Please remove all API mappings for the API from your custom domain names.", p.api)
			}
		}
	}
	return nil, s.deleteAPI(ctx, p.api)
}

func (s *Service) deleteCors(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		a.CorsConfiguration = nil
		return nil, nil
	})
	return nil, err
}

// Tags. Taggable resources are APIs (arn:aws:apigateway:{region}::/apis/{id}),
// stages (.../apis/{id}/stages/{name}), custom domain names
// (.../domainnames/{name}) and VPC links (.../vpclinks/{id}).

type tagsBody struct {
	Tags map[string]string `json:"tags"`
}

// tagTarget is the resource a tag ARN names.
type tagTarget struct {
	apiID, stageName, domain, vpcLink string
}

// parseTagARN returns the resource an ARN names.
func parseTagARN(ctx context.Context, arn string) (tagTarget, error) {
	ident := protocol.IdentityFrom(ctx)
	p, ok := protocol.ParseARN(arn)
	if !ok || p.Service != "apigateway" {
		return tagTarget{}, badRequest("Invalid resource ARN %q", arn)
	}
	if p.Region != ident.Region || !protocol.InPartition(p, ident) {
		return tagTarget{}, notFound("Invalid resource ARN %q: not in region %s", arn, ident.Region)
	}
	parts := strings.Split(strings.TrimPrefix(p.Resource, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "apis":
		return tagTarget{apiID: parts[1]}, nil
	case len(parts) == 4 && parts[0] == "apis" && parts[2] == "stages":
		return tagTarget{apiID: parts[1], stageName: parts[3]}, nil
	case len(parts) == 2 && parts[0] == "domainnames":
		return tagTarget{domain: strings.ToLower(parts[1])}, nil
	case len(parts) == 2 && parts[0] == "vpclinks":
		return tagTarget{vpcLink: parts[1]}, nil
	}
	return tagTarget{}, notFound("Invalid resource ARN %q: only APIs, stages, domain names and VPC links are taggable", arn)
}

// editTags applies fn to the tags of the resource arn names.
func (s *Service) editTags(ctx context.Context, arn string, fn func(tags map[string]string) (map[string]string, error)) error {
	t, err := parseTagARN(ctx, arn)
	if err != nil {
		return err
	}
	switch {
	case t.domain != "":
		_, err = s.domains.update(ctx, keyFor(ctx, t.domain), domainMissing(), func(rec *domainRecord) (err error) {
			rec.Domain.Tags, err = fn(rec.Domain.Tags)
			return err
		})
		return err
	case t.vpcLink != "":
		_, err = s.vpcLinks.update(ctx, keyFor(ctx, t.vpcLink), vpcLinkMissing(t.vpcLink), func(l *vpcLink) (err error) {
			l.Tags, err = fn(l.Tags)
			return err
		})
		return err
	}
	_, err = s.mutate(ctx, t.apiID, func(a *api, _ *change) (any, error) {
		if t.stageName == "" {
			a.Tags, err = fn(a.Tags)
			return nil, err
		}
		st := a.Stages[t.stageName]
		if st == nil {
			return nil, notFound("Invalid stage identifier specified")
		}
		st.Tags, err = fn(st.Tags)
		return nil, err
	})
	return err
}

// tagsOf returns the tags of the resource arn names.
func (s *Service) tagsOf(ctx context.Context, arn string) (map[string]string, error) {
	t, err := parseTagARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	switch {
	case t.domain != "":
		rec := s.domains.get(keyFor(ctx, t.domain))
		if rec == nil {
			return nil, domainMissing()
		}
		return rec.Domain.Tags, nil
	case t.vpcLink != "":
		l := s.vpcLinks.get(keyFor(ctx, t.vpcLink))
		if l == nil {
			return nil, vpcLinkMissing(t.vpcLink)
		}
		return l.Tags, nil
	}
	a, err := s.getAPI(ctx, t.apiID)
	if err != nil {
		return nil, err
	}
	if t.stageName == "" {
		return a.Tags, nil
	}
	st := a.Stages[t.stageName]
	if st == nil {
		return nil, notFound("Invalid stage identifier specified")
	}
	return st.Tags, nil
}

func (s *Service) getTags(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	tags, err := s.tagsOf(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return tagsBody{Tags: tags}, nil
}

func (s *Service) tagResource(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in tagsBody
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.editTags(ctx, p.api, func(tags map[string]string) (map[string]string, error) {
		if tags == nil {
			tags = map[string]string{}
		}
		for k, v := range in.Tags {
			tags[k] = v
		}
		if len(tags) > 50 {
			return nil, badRequest("a resource can have at most 50 tags")
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return nil, badRequest("tagKeys is required")
	}
	return nil, s.editTags(ctx, p.api, func(tags map[string]string) (map[string]string, error) {
		for _, k := range keys {
			delete(tags, k)
		}
		return tags, nil
	})
}

func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
