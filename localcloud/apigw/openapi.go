package apigw

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// ImportApi, ReimportApi and ExportApi: HTTP APIs as OpenAPI definitions
// (3.0, or Swagger 2.0 on import) with API Gateway's extensions
// x-amazon-apigateway-integration (AWS_PROXY and HTTP_PROXY) and
// x-amazon-apigateway-cors. Authorizers (securitySchemes) are not imported.

// oasMethods maps OpenAPI operation keys to route methods.
var oasMethods = map[string]string{"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
	"head": "HEAD", "patch": "PATCH", "x-amazon-apigateway-any-method": "ANY"}

type oasCors struct {
	AllowCredentials *bool    `json:"allowCredentials,omitempty" yaml:"allowCredentials,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty" yaml:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty" yaml:"allowMethods,omitempty"`
	AllowOrigins     []string `json:"allowOrigins,omitempty" yaml:"allowOrigins,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty" yaml:"exposeHeaders,omitempty"`
	MaxAge           *int     `json:"maxAge,omitempty" yaml:"maxAge,omitempty"`
}

type oasDoc struct {
	OpenAPI string `yaml:"openapi"`
	Swagger string `yaml:"swagger"`
	Info    struct {
		Title       string `yaml:"title"`
		Version     any    `yaml:"version"`
		Description string `yaml:"description"`
	} `yaml:"info"`
	Paths      map[string]map[string]any `yaml:"paths"`
	Cors       *oasCors                  `yaml:"x-amazon-apigateway-cors"`
	Components struct {
		Schemas map[string]any `yaml:"schemas"`
	} `yaml:"components"`
	Definitions map[string]any `yaml:"definitions"` // Swagger 2.0's schemas
}

// scalar is a YAML scalar as text: 2.0 stays "2.0".
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func badDefinition(format string, args ...any) error {
	return badRequest("Invalid OpenAPI definition: "+format, args...)
}

// importDefinition builds an api's routes and integrations from an OpenAPI
// body into a (which has its maps). It returns the import's warnings; with
// failOnWarnings any warning refuses the import ("Warnings found during
// import:", one tab-indented line each).
func importDefinition(a *api, body string, failOnWarnings bool) ([]string, error) {
	var doc oasDoc
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		return nil, badDefinition("the body is neither JSON nor YAML")
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") && doc.Swagger != "2.0" {
		return nil, badDefinition("specify openapi 3.0.x or swagger 2.0")
	}
	if doc.Info.Title == "" {
		return nil, badDefinition("info.title is required")
	}
	warnings := missingSchemas(doc)
	if failOnWarnings && len(warnings) > 0 {
		return nil, badRequest("Warnings found during import:\n\t%s", strings.Join(warnings, "\n\t"))
	}
	return warnings, buildDefinition(a, doc)
}

// missingSchemas are the parse issues of response schemas that refer to
// a schema the definition does not have, as API Gateway words them
// ("Parse issue: attribute paths.'/p'(get).responses.200.content.schema.
// #/components/schemas/X is missing").
func missingSchemas(doc oasDoc) []string {
	var out []string
	check := func(where string, schema any) {
		m, _ := schema.(map[string]any)
		ref, _ := m["$ref"].(string)
		if name, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok && doc.Components.Schemas[name] == nil ||
			strings.HasPrefix(ref, "#/definitions/") && doc.Definitions[strings.TrimPrefix(ref, "#/definitions/")] == nil {
			out = append(out, "Parse issue: attribute "+where+"."+ref+" is missing")
		}
	}
	for _, p := range sortedKeys(doc.Paths) {
		for _, k := range sortedKeys(doc.Paths[p]) {
			op, _ := doc.Paths[p][k].(map[string]any)
			responses, _ := op["responses"].(map[string]any)
			for _, code := range sortedKeys(responses) {
				resp, _ := responses[code].(map[string]any)
				where := fmt.Sprintf("paths.'%s'(%s).responses.%s", p, k, code)
				if resp["schema"] != nil { // Swagger 2.0
					check(where+".schema", resp["schema"])
				}
				content, _ := resp["content"].(map[string]any)
				for _, mt := range sortedKeys(content) {
					media, _ := content[mt].(map[string]any)
					check(where+".content.schema", media["schema"])
				}
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// buildDefinition adds doc's API settings, routes and integrations to a.
func buildDefinition(a *api, doc oasDoc) error {
	a.Name, a.Version, a.Description = doc.Info.Title, scalar(doc.Info.Version), doc.Info.Description
	if doc.Cors != nil {
		c := cors(*doc.Cors)
		if err := checkCors(&c); err != nil {
			return err
		}
		a.CorsConfiguration = &c
	}
	for _, p := range sortedKeys(doc.Paths) {
		for _, k := range sortedKeys(doc.Paths[p]) {
			method, ok := oasMethods[strings.ToLower(k)]
			if !ok {
				continue // parameters, summary, servers...
			}
			key := method + " " + p
			if p == "/$default" && method == "ANY" {
				key = defaultRouteKey
			}
			op, _ := doc.Paths[p][k].(map[string]any)
			if err := importRoute(a, key, op); err != nil {
				return err
			}
		}
	}
	return nil
}

func importRoute(a *api, key string, op map[string]any) error {
	rt := &route{RouteId: newID(7)}
	in := &routeInput{RouteKey: &key}
	if x, ok := op["x-amazon-apigateway-integration"].(map[string]any); ok {
		it := &integration{IntegrationId: newID(7)}
		str := func(k string) *string {
			if v, ok := x[k]; ok {
				s := scalar(v)
				return &s
			}
			return nil
		}
		typ := strings.ToUpper(deref(str("type")))
		ii := &integrationInput{IntegrationType: &typ, IntegrationUri: str("uri"), IntegrationMethod: str("httpMethod"),
			PayloadFormatVersion: str("payloadFormatVersion"), ConnectionType: str("connectionType"), ConnectionId: str("connectionId"),
			Description: str("description")}
		if t := str("timeoutInMillis"); t != nil {
			n, err := strconv.Atoi(*t)
			if err != nil {
				return badDefinition("timeoutInMillis of %s must be a number", key)
			}
			ii.TimeoutInMillis = &n
		}
		if err := applyIntegration(it, ii); err != nil {
			return badDefinition("%s: %v", key, protocolMessage(err))
		}
		a.Integrations[it.IntegrationId] = it
		target := "integrations/" + it.IntegrationId
		in.Target = &target
	}
	if err := applyRoute(a, rt, in); err != nil {
		return badDefinition("%s: %v", key, protocolMessage(err))
	}
	a.Routes[rt.RouteId] = rt
	return nil
}

// protocolMessage is an error's message without its code.
func protocolMessage(err error) string {
	if e, ok := protocol.AsError(err); ok {
		return e.Message
	}
	return err.Error()
}

type importInput struct {
	Body *string `json:"body"`
}

func (s *Service) importApi(ctx context.Context, r *http.Request, _ pathArgs, body []byte) (any, error) {
	var in importInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Body == nil {
		return nil, badRequest("body is required")
	}
	ident := protocol.IdentityFrom(ctx)
	a := &api{Account: ident.AccountID, Region: ident.Region, ProtocolType: "HTTP", RouteSelectionExpression: "$request.method $request.path",
		ApiKeySelectionExpression: "$request.header.x-api-key", CreatedDate: now(s.now())}
	a.ensureMaps()
	warnings, err := importDefinition(a, *in.Body, r.URL.Query().Get("failOnWarnings") == "true")
	if err != nil {
		return nil, err
	}
	if err := s.createAPI(ctx, a, &change{}); err != nil {
		return nil, err
	}
	return importOutput{s.apiOut(r, a), warnings}, nil
}

// importOutput is ImportApi's and ReimportApi's answer: the API and the
// import's warnings.
type importOutput struct {
	apiOutput
	Warnings []string `json:"warnings,omitempty"`
}

// reimportApi replaces an api's definition: its routes, integrations and
// CORS configuration; stages, deployments, authorizers and tags stay.
func (s *Service) reimportApi(ctx context.Context, r *http.Request, p pathArgs, body []byte) (any, error) {
	var in importInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Body == nil {
		return nil, badRequest("body is required")
	}
	var warnings []string
	out, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		a.Routes, a.Integrations = map[string]*route{}, map[string]*integration{}
		a.RouteResponses, a.IntegrationResponses = map[string]map[string]*routeResponse{}, map[string]map[string]*integrationResponse{}
		a.CorsConfiguration = nil
		var err error
		warnings, err = importDefinition(a, *in.Body, r.URL.Query().Get("failOnWarnings") == "true")
		return a, err
	})
	if err != nil {
		return nil, err
	}
	return importOutput{s.apiOut(r, out.(*api)), warnings}, nil
}

// rawBody is a response written as it is (ExportApi's definition).
type rawBody struct {
	contentType string
	data        []byte
}

func (s *Service) exportApi(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	q := r.URL.Query()
	if p.sub != "OAS30" {
		return nil, badRequest("Invalid specification %q: only OAS30 is supported", p.sub)
	}
	outputType := q.Get("outputType")
	if outputType != "JSON" && outputType != "YAML" {
		return nil, badRequest("outputType must be JSON or YAML")
	}
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	routes, integrations := a.Routes, a.Integrations
	stageName := q.Get("stageName")
	if stageName != "" {
		st := a.Stages[stageName]
		if st == nil {
			return nil, notFound("Invalid stage identifier specified")
		}
		if d := a.deployments[st.DeploymentId]; d != nil && d.snap != nil && !st.AutoDeploy {
			routes, integrations = d.snap.Routes, d.snap.Integrations
		}
	}
	ext := q.Get("includeExtensions") != "false"
	doc := exportDefinition(a, routes, integrations, ext)
	if stageName != "" {
		base := s.endpoint(r) + strings.TrimSuffix(executePrefix, "/") + "/" + a.ApiID
		if stageName != defaultRouteKey {
			base += "/" + stageName
		}
		doc["servers"] = []any{map[string]any{"url": base}}
	}
	if outputType == "YAML" {
		b, err := yaml.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("export api %s: %w", a.ApiID, err)
		}
		return rawBody{"application/yaml", b}, nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("export api %s: %w", a.ApiID, err)
	}
	return rawBody{"application/json", b}, nil
}

// exportDefinition is the OpenAPI 3.0 document of an api's routes.
func exportDefinition(a *api, routes map[string]*route, integrations map[string]*integration, ext bool) map[string]any {
	version := a.Version
	if version == "" && a.CreatedDate != nil {
		version = a.CreatedDate.UTC().Format("2006-01-02 15:04:05UTC")
	}
	info := map[string]any{"title": a.Name, "version": version}
	if a.Description != "" {
		info["description"] = a.Description
	}
	paths := map[string]any{}
	for _, rt := range routes {
		method, path := "ANY", "/$default"
		if rt.RouteKey != defaultRouteKey {
			method, path, _ = strings.Cut(rt.RouteKey, " ")
		}
		opKey := strings.ToLower(method)
		if method == "ANY" {
			opKey = "x-amazon-apigateway-any-method"
		}
		op := map[string]any{"responses": map[string]any{"default": map[string]any{"description": "Default response for " + rt.RouteKey}}}
		var params []any
		for _, seg := range strings.Split(path, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				params = append(params, map[string]any{"name": strings.TrimSuffix(name, "}"), "in": "path", "required": true,
					"schema": map[string]any{"type": "string"}})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		if it := integrations[strings.TrimPrefix(rt.Target, "integrations/")]; ext && it != nil && rt.Target != "" {
			x := map[string]any{"type": strings.ToLower(it.IntegrationType), "uri": it.IntegrationUri, "httpMethod": it.IntegrationMethod,
				"payloadFormatVersion": it.PayloadFormatVersion, "connectionType": it.ConnectionType, "timeoutInMillis": it.TimeoutInMillis}
			if it.ConnectionId != "" {
				x["connectionId"] = it.ConnectionId
			}
			op["x-amazon-apigateway-integration"] = x
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[opKey] = op
	}
	doc := map[string]any{"openapi": "3.0.1", "info": info, "paths": paths}
	if ext && a.CorsConfiguration != nil {
		doc["x-amazon-apigateway-cors"] = oasCors(*a.CorsConfiguration)
	}
	return doc
}
