package apigw

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// sortedValues returns a map's values sorted by key.
func sortedValues[T any](m map[string]T) ([]T, []string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out, keys
}

func listPage[T any](r *http.Request, m map[string]T) (any, error) {
	vals, keys := sortedValues(m)
	idx := map[string]int{}
	for i, k := range keys {
		idx[k] = i
	}
	type kv struct {
		k string
		v T
	}
	items := make([]kv, len(vals))
	for i := range vals {
		items[i] = kv{keys[i], vals[i]}
	}
	pg, err := paginate(r, items, func(x kv) string { return x.k })
	if err != nil {
		return nil, err
	}
	out := page[T]{Items: make([]T, 0, len(pg.Items)), NextToken: pg.NextToken}
	for _, x := range pg.Items {
		out.Items = append(out.Items, x.v)
	}
	return out, nil
}

// ---- Routes ----

type routeInput struct {
	ApiKeyRequired                   *bool             `json:"apiKeyRequired"`
	AuthorizationScopes              []string          `json:"authorizationScopes"`
	AuthorizationType                *string           `json:"authorizationType"`
	AuthorizerId                     *string           `json:"authorizerId"`
	ModelSelectionExpression         *string           `json:"modelSelectionExpression"`
	OperationName                    *string           `json:"operationName"`
	RequestModels                    map[string]string `json:"requestModels"`
	RequestParameters                map[string]param  `json:"requestParameters"`
	RouteKey                         *string           `json:"routeKey"`
	RouteResponseSelectionExpression *string           `json:"routeResponseSelectionExpression"`
	Target                           *string           `json:"target"`
}

// applyRoute applies in to rt and validates the result against a.
func applyRoute(a *api, rt *route, in *routeInput) error {
	if a.websocket() {
		return applyWSRoute(a, rt, in)
	}
	if in.RouteKey != nil {
		if _, err := parseRouteKey(*in.RouteKey); err != nil {
			return badRequest("%v", err)
		}
		for _, x := range a.Routes {
			if x.RouteId != rt.RouteId && x.RouteKey == *in.RouteKey {
				return conflict("Route with key %s already exists for this API", *in.RouteKey)
			}
		}
		rt.RouteKey = *in.RouteKey
	}
	if in.Target != nil {
		rt.Target = *in.Target
	}
	if rt.Target != "" {
		id, ok := strings.CutPrefix(rt.Target, "integrations/")
		if !ok || a.Integrations[id] == nil {
			return badRequest("Invalid target %q: it must be integrations/{integrationId} of an integration of this API", rt.Target)
		}
	}
	if in.ApiKeyRequired != nil {
		if *in.ApiKeyRequired {
			return badRequest("API keys are not supported for HTTP APIs")
		}
		rt.ApiKeyRequired = false
	}
	if in.AuthorizationScopes != nil {
		rt.AuthorizationScopes = in.AuthorizationScopes
	}
	if in.AuthorizationType != nil {
		rt.AuthorizationType = *in.AuthorizationType
		if *in.AuthorizationType == "NONE" || *in.AuthorizationType == "AWS_IAM" {
			rt.AuthorizerId = ""
		}
	}
	if in.AuthorizerId != nil {
		rt.AuthorizerId = *in.AuthorizerId
	}
	if rt.AuthorizationType == "" {
		rt.AuthorizationType = "NONE"
	}
	switch rt.AuthorizationType {
	case "NONE", "AWS_IAM":
		if rt.AuthorizerId != "" {
			return badRequest("authorizerId can only be set with authorizationType CUSTOM or JWT")
		}
	case "CUSTOM", "JWT":
		au := a.Authorizers[rt.AuthorizerId]
		if rt.AuthorizerId == "" || au == nil {
			return badRequest("Invalid authorizer id %q: authorizationType %s needs an authorizer of this API", rt.AuthorizerId, rt.AuthorizationType)
		}
		want := "REQUEST"
		if rt.AuthorizationType == "JWT" {
			want = "JWT"
		}
		if au.AuthorizerType != want {
			return badRequest("authorizationType %s needs a %s authorizer; %s is %s", rt.AuthorizationType, want, au.AuthorizerId, au.AuthorizerType)
		}
	default:
		return badRequest("Invalid authorizationType %q: must be NONE, AWS_IAM, CUSTOM or JWT", rt.AuthorizationType)
	}
	if len(rt.AuthorizationScopes) > 0 && rt.AuthorizationType != "JWT" {
		return badRequest("authorizationScopes are supported only with authorizationType JWT")
	}
	if in.ModelSelectionExpression != nil {
		rt.ModelSelectionExpression = *in.ModelSelectionExpression
	}
	if in.OperationName != nil {
		rt.OperationName = *in.OperationName
	}
	if in.RequestModels != nil {
		rt.RequestModels = in.RequestModels
	}
	if in.RequestParameters != nil {
		rt.RequestParameters = in.RequestParameters
	}
	if in.RouteResponseSelectionExpression != nil {
		rt.RouteResponseSelectionExpression = *in.RouteResponseSelectionExpression
	}
	return nil
}

func (s *Service) createRoute(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in routeInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.RouteKey == nil {
		return nil, badRequest("routeKey is required")
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		rt := &route{RouteId: newID(7)}
		if err := applyRoute(a, rt, &in); err != nil {
			return nil, err
		}
		a.Routes[rt.RouteId] = rt
		return rt, nil
	})
}

func (s *Service) getRoute(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if rt := a.Routes[p.sub]; rt != nil {
		return rt, nil
	}
	return nil, notFound("Invalid Route identifier specified %s", p.sub)
}

func (s *Service) getRoutes(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return listPage(r, a.Routes)
}

func (s *Service) updateRoute(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in routeInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		rt := a.Routes[p.sub]
		if rt == nil {
			return nil, notFound("Invalid Route identifier specified %s", p.sub)
		}
		if err := applyRoute(a, rt, &in); err != nil {
			return nil, err
		}
		return rt, nil
	})
}

func (s *Service) deleteRoute(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		rt := a.Routes[p.sub]
		if rt == nil {
			return nil, notFound("Invalid Route identifier specified %s", p.sub)
		}
		delete(a.Routes, p.sub)
		delete(a.RouteResponses, p.sub)
		for _, st := range a.Stages {
			delete(st.RouteSettings, rt.RouteKey)
		}
		return nil, nil
	})
	return nil, err
}

// ---- Integrations ----

type integrationInput struct {
	ConnectionId                *string                      `json:"connectionId"`
	ConnectionType              *string                      `json:"connectionType"`
	ContentHandlingStrategy     *string                      `json:"contentHandlingStrategy"`
	CredentialsArn              *string                      `json:"credentialsArn"`
	Description                 *string                      `json:"description"`
	IntegrationMethod           *string                      `json:"integrationMethod"`
	IntegrationSubtype          *string                      `json:"integrationSubtype"`
	IntegrationType             *string                      `json:"integrationType"`
	IntegrationUri              *string                      `json:"integrationUri"`
	PassthroughBehavior         *string                      `json:"passthroughBehavior"`
	PayloadFormatVersion        *string                      `json:"payloadFormatVersion"`
	RequestParameters           map[string]string            `json:"requestParameters"`
	RequestTemplates            map[string]string            `json:"requestTemplates"`
	ResponseParameters          map[string]map[string]string `json:"responseParameters"`
	TemplateSelectionExpression *string                      `json:"templateSelectionExpression"`
	TimeoutInMillis             *int                         `json:"timeoutInMillis"`
	TlsConfig                   *tlsConfig                   `json:"tlsConfig"`
}

// lambdaFunctionARN returns the function ARN an integration or authorizer
// URI names: a Lambda function ARN (with an optional qualifier) or
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fnArn}/invocations,
// in any partition (arn:aws-cn:apigateway:cn-north-1:lambda:path/...).
func lambdaFunctionARN(uri string) (string, bool) {
	if rest, ok := apigatewayURI(uri); ok {
		_, path, ok := strings.Cut(rest, ":lambda:path/2015-03-31/functions/")
		if !ok {
			return "", false
		}
		fn, ok := strings.CutSuffix(path, "/invocations")
		if !ok {
			return "", false
		}
		uri = fn
	}
	if !functionARN.MatchString(uri) {
		return "", false
	}
	return uri, true
}

// apigatewayURI returns what follows arn:PARTITION:apigateway: in an AWS
// integration's URI, in any partition.
func apigatewayURI(uri string) (string, bool) {
	a, ok := protocol.ParseARN(uri)
	if !ok || a.Service != "apigateway" || !protocol.IsPartition(a.Partition) {
		return "", false
	}
	return a.Region + ":" + a.Account + ":" + a.Resource, true
}

var functionARN = regexp.MustCompile(`^arn:` + protocol.PartitionPattern + `:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]{1,140}(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)

func applyIntegration(it *integration, in *integrationInput) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&it.IntegrationType, in.IntegrationType)
	set(&it.IntegrationUri, in.IntegrationUri)
	set(&it.IntegrationMethod, in.IntegrationMethod)
	set(&it.PayloadFormatVersion, in.PayloadFormatVersion)
	set(&it.ConnectionId, in.ConnectionId)
	set(&it.ConnectionType, in.ConnectionType)
	set(&it.ContentHandlingStrategy, in.ContentHandlingStrategy)
	set(&it.CredentialsArn, in.CredentialsArn)
	set(&it.Description, in.Description)
	set(&it.IntegrationSubtype, in.IntegrationSubtype)
	set(&it.PassthroughBehavior, in.PassthroughBehavior)
	if in.RequestParameters != nil {
		it.RequestParameters = in.RequestParameters
	}
	if in.ResponseParameters != nil {
		it.ResponseParameters = in.ResponseParameters
	}
	if in.RequestTemplates != nil || in.TemplateSelectionExpression != nil {
		return badRequest("requestTemplates and templateSelectionExpression are supported only for WebSocket APIs")
	}
	if in.TlsConfig != nil {
		it.TlsConfig = in.TlsConfig
	}
	if in.TimeoutInMillis != nil {
		if *in.TimeoutInMillis < 50 || *in.TimeoutInMillis > 30000 {
			return badRequest("timeoutInMillis must be between 50 and 30000")
		}
		it.TimeoutInMillis = *in.TimeoutInMillis
	}
	if it.TimeoutInMillis == 0 {
		it.TimeoutInMillis = 30000
	}
	if it.ConnectionType == "" {
		it.ConnectionType = "INTERNET"
	}
	switch it.ConnectionType {
	case "INTERNET":
		it.ConnectionId = ""
	case "VPC_LINK":
		if it.ConnectionId == "" {
			return badRequest("connectionId is required when connectionType is VPC_LINK")
		}
		if it.IntegrationType != "HTTP_PROXY" {
			return badRequest("connectionType VPC_LINK is supported only for HTTP_PROXY integrations")
		}
	default:
		return badRequest("Invalid connectionType %q: must be INTERNET or VPC_LINK", it.ConnectionType)
	}
	if err := checkLen("description", it.Description, 0, 1024); err != nil {
		return err
	}
	switch it.IntegrationType {
	case "AWS_PROXY":
		if it.IntegrationSubtype != "" {
			return badRequest("integrationSubtype %s (AWS service integrations) is not supported by the local cloud", it.IntegrationSubtype)
		}
		if it.IntegrationUri == "" {
			return badRequest("integrationUri is required for AWS_PROXY integrations")
		}
		if _, ok := lambdaFunctionARN(it.IntegrationUri); !ok {
			return badRequest("Invalid integrationUri %q: specify a Lambda function ARN or arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations", it.IntegrationUri)
		}
		switch it.PayloadFormatVersion {
		case "1.0", "2.0":
		case "":
			return badRequest("PayloadFormatVersion is a required parameter for AWS_PROXY integrations")
		default:
			return badRequest("Invalid payloadFormatVersion %q: must be 1.0 or 2.0", it.PayloadFormatVersion)
		}
		if it.IntegrationMethod == "" {
			it.IntegrationMethod = "POST"
		}
	case "HTTP_PROXY":
		if it.ConnectionType == "VPC_LINK" {
			if a, ok := protocol.ParseARN(it.IntegrationUri); !ok || (a.Service != "elasticloadbalancing" && a.Service != "servicediscovery") {
				return badRequest("Invalid integrationUri %q: a VPC_LINK integration needs the ARN of a load balancer listener or a Cloud Map service", it.IntegrationUri)
			}
		} else if !strings.HasPrefix(it.IntegrationUri, "http://") && !strings.HasPrefix(it.IntegrationUri, "https://") {
			return badRequest("Invalid integrationUri %q: HTTP_PROXY integrations need an http(s) URL", it.IntegrationUri)
		}
		if it.IntegrationMethod == "" {
			return badRequest("integrationMethod is required for HTTP_PROXY integrations")
		}
		if !routeMethods[it.IntegrationMethod] {
			return badRequest("Invalid integrationMethod %q", it.IntegrationMethod)
		}
		if it.PayloadFormatVersion == "" {
			it.PayloadFormatVersion = "1.0"
		}
		if it.PayloadFormatVersion != "1.0" {
			return badRequest("HTTP_PROXY integrations support payloadFormatVersion 1.0 only")
		}
	case "":
		return badRequest("integrationType is required")
	case "AWS", "HTTP", "MOCK":
		return badRequest("Currently, an API with a protocol type of HTTP may only be associated with proxy integrations (AWS_PROXY, HTTP_PROXY)")
	default:
		return badRequest("Invalid integrationType %q", it.IntegrationType)
	}
	return nil
}

func (s *Service) createIntegration(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in integrationInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		it := &integration{IntegrationId: newID(7)}
		if err := integrate(a, it, &in); err != nil {
			return nil, err
		}
		if err := s.checkConnection(ctx, it); err != nil {
			return nil, err
		}
		a.Integrations[it.IntegrationId] = it
		return it, nil
	})
}

func (s *Service) getIntegration(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if it := a.Integrations[p.sub]; it != nil {
		return it, nil
	}
	return nil, notFound("Invalid Integration identifier specified %s", p.sub)
}

func (s *Service) getIntegrations(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return listPage(r, a.Integrations)
}

func (s *Service) updateIntegration(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in integrationInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		it := a.Integrations[p.sub]
		if it == nil {
			return nil, notFound("Invalid Integration identifier specified %s", p.sub)
		}
		if in.RequestParameters != nil {
			in.RequestParameters = mergeMappings(it.RequestParameters, in.RequestParameters)
		}
		if err := integrate(a, it, &in); err != nil {
			return nil, err
		}
		if err := s.checkConnection(ctx, it); err != nil {
			return nil, err
		}
		return it, nil
	})
}

// mergeMappings applies UpdateIntegration's requestParameters to the
// integration's: a key with a value adds or replaces that mapping, a key
// with an empty value removes it (how API Gateway takes a mapping away;
// Terraform's provider sends removed keys so).
func mergeMappings(cur, update map[string]string) map[string]string {
	out := make(map[string]string, len(cur)+len(update))
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range update {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func (s *Service) deleteIntegration(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		if a.Integrations[p.sub] == nil {
			return nil, notFound("Invalid Integration identifier specified %s", p.sub)
		}
		for _, rt := range a.Routes {
			if rt.Target == "integrations/"+p.sub {
				return nil, conflict("Integration %s is the target of route %s (%s): change or delete the route first", p.sub, rt.RouteId, rt.RouteKey)
			}
		}
		delete(a.Integrations, p.sub)
		delete(a.IntegrationResponses, p.sub)
		return nil, nil
	})
	return nil, err
}
