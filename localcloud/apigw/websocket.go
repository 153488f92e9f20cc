package apigw

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// WebSocket APIs: their management API follows AWS's rules for WEBSOCKET
// (route keys are route selection values such as $connect, integrations
// of types AWS, AWS_PROXY, HTTP, HTTP_PROXY and MOCK with request templates,
// REQUEST authorizers on $connect only, stage logging settings). The local
// cloud does not serve WebSocket connections: the execute endpoint answers
// 501 for these APIs.

const wsProtocol = "WEBSOCKET"

func (a *api) websocket() bool { return a.ProtocolType == wsProtocol }

// integrate applies an integration body as the api's protocol requires.
func integrate(a *api, it *integration, in *integrationInput) error {
	if a.websocket() {
		return applyWSIntegration(it, in)
	}
	return applyIntegration(it, in)
}

// authorize applies an authorizer body as the api's protocol requires.
func authorize(a *api, au *authorizer, in *authorizerInput) error {
	if a.websocket() {
		return applyWSAuthorizer(au, in)
	}
	return applyAuthorizer(au, in)
}

func applyWSIntegration(it *integration, in *integrationInput) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&it.IntegrationType, in.IntegrationType)
	set(&it.IntegrationUri, in.IntegrationUri)
	set(&it.IntegrationMethod, in.IntegrationMethod)
	set(&it.PayloadFormatVersion, in.PayloadFormatVersion)
	set(&it.ConnectionType, in.ConnectionType)
	set(&it.ContentHandlingStrategy, in.ContentHandlingStrategy)
	set(&it.CredentialsArn, in.CredentialsArn)
	set(&it.Description, in.Description)
	set(&it.PassthroughBehavior, in.PassthroughBehavior)
	set(&it.TemplateSelectionExpression, in.TemplateSelectionExpression)
	if in.RequestParameters != nil {
		it.RequestParameters = in.RequestParameters
	}
	if in.RequestTemplates != nil {
		it.RequestTemplates = in.RequestTemplates
	}
	if in.ResponseParameters != nil {
		return badRequest("responseParameters are supported only for HTTP APIs")
	}
	if in.IntegrationSubtype != nil || in.TlsConfig != nil {
		return badRequest("integrationSubtype and tlsConfig are supported only for HTTP APIs")
	}
	if in.TimeoutInMillis != nil {
		if *in.TimeoutInMillis < 50 || *in.TimeoutInMillis > 29000 {
			return badRequest("timeoutInMillis must be between 50 and 29000")
		}
		it.TimeoutInMillis = *in.TimeoutInMillis
	}
	if it.TimeoutInMillis == 0 {
		it.TimeoutInMillis = 29000
	}
	if it.ConnectionType == "" {
		it.ConnectionType = "INTERNET"
	}
	if it.ConnectionType != "INTERNET" {
		return badRequest("Invalid connectionType %q: WebSocket APIs connect over INTERNET", it.ConnectionType)
	}
	if it.PayloadFormatVersion == "" {
		it.PayloadFormatVersion = "1.0"
	}
	if it.PayloadFormatVersion != "1.0" {
		return badRequest("WebSocket APIs support payloadFormatVersion 1.0 only")
	}
	if err := checkLen("description", it.Description, 0, 1024); err != nil {
		return err
	}
	switch it.PassthroughBehavior {
	case "", "WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES":
	default:
		return badRequest("Invalid passthroughBehavior %q: must be WHEN_NO_MATCH, NEVER or WHEN_NO_TEMPLATES", it.PassthroughBehavior)
	}
	switch it.ContentHandlingStrategy {
	case "", "CONVERT_TO_BINARY", "CONVERT_TO_TEXT":
	default:
		return badRequest("Invalid contentHandlingStrategy %q: must be CONVERT_TO_BINARY or CONVERT_TO_TEXT", it.ContentHandlingStrategy)
	}
	switch it.IntegrationType {
	case "AWS_PROXY":
		if _, ok := lambdaFunctionARN(it.IntegrationUri); !ok {
			return badRequest("Invalid integrationUri %q: specify a Lambda function ARN or arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations", it.IntegrationUri)
		}
		if it.IntegrationMethod == "" {
			it.IntegrationMethod = "POST"
		}
	case "AWS":
		if _, ok := apigatewayURI(it.IntegrationUri); !ok {
			return badRequest("Invalid integrationUri %q: AWS integrations need an arn:aws:apigateway:{region}:{service}:{path} URI", it.IntegrationUri)
		}
		if it.IntegrationMethod == "" {
			return badRequest("integrationMethod is required for AWS integrations")
		}
	case "HTTP", "HTTP_PROXY":
		if u, err := url.Parse(it.IntegrationUri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return badRequest("Invalid integrationUri %q: %s integrations need an http(s) URL", it.IntegrationUri, it.IntegrationType)
		}
		if it.IntegrationMethod == "" {
			return badRequest("integrationMethod is required for %s integrations", it.IntegrationType)
		}
	case "MOCK":
		if it.IntegrationUri != "" {
			return badRequest("integrationUri is not supported for MOCK integrations")
		}
	case "":
		return badRequest("integrationType is required")
	default:
		return badRequest("Invalid integrationType %q: WebSocket APIs support AWS, AWS_PROXY, HTTP, HTTP_PROXY and MOCK", it.IntegrationType)
	}
	if it.IntegrationMethod != "" && !routeMethods[it.IntegrationMethod] {
		return badRequest("Invalid integrationMethod %q", it.IntegrationMethod)
	}
	return nil
}

// applyWSRoute applies a route body to a WebSocket API's route.
func applyWSRoute(a *api, rt *route, in *routeInput) error {
	if in.RouteKey != nil {
		if *in.RouteKey == "" || len(*in.RouteKey) > 128 {
			return badRequest("routeKey must be between 1 and 128 characters long")
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
		rt.ApiKeyRequired = *in.ApiKeyRequired
	}
	if in.AuthorizationType != nil {
		rt.AuthorizationType = *in.AuthorizationType
		if rt.AuthorizationType != "CUSTOM" {
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
			return badRequest("authorizerId can only be set with authorizationType CUSTOM")
		}
	case "CUSTOM":
		if au := a.Authorizers[rt.AuthorizerId]; au == nil {
			return badRequest("Invalid authorizer id %q: authorizationType CUSTOM needs an authorizer of this API", rt.AuthorizerId)
		}
	default:
		return badRequest("Invalid authorizationType %q: WebSocket APIs support NONE, AWS_IAM and CUSTOM", rt.AuthorizationType)
	}
	if (rt.AuthorizationType != "NONE" || rt.ApiKeyRequired) && rt.RouteKey != "$connect" {
		return badRequest("Currently, authorization and API keys are only supported for the $connect route")
	}
	if len(in.AuthorizationScopes) > 0 {
		return badRequest("authorizationScopes are supported only for HTTP APIs with JWT authorizers")
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

var wsIdentitySourceRE = regexp.MustCompile(`^(route\.request\.(header|querystring)\.[^\s.,][^\s,]*|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)$`)

// applyWSAuthorizer applies an authorizer body to a WebSocket API's
// authorizer: REQUEST (Lambda) only, identity sources in route.request form.
func applyWSAuthorizer(au *authorizer, in *authorizerInput) error {
	if in.Name != nil {
		au.Name = *in.Name
	}
	if err := checkLen("name", au.Name, 1, 128); err != nil {
		return err
	}
	if in.AuthorizerType != nil {
		au.AuthorizerType = *in.AuthorizerType
	}
	if au.AuthorizerType != "REQUEST" {
		return badRequest("Invalid authorizerType %q: WebSocket APIs support REQUEST authorizers", au.AuthorizerType)
	}
	if in.JwtConfiguration != nil || in.EnableSimpleResponses != nil || in.AuthorizerPayloadFormatVersion != nil || in.AuthorizerResultTtlInSeconds != nil {
		return badRequest("jwtConfiguration, enableSimpleResponses, authorizerPayloadFormatVersion and authorizerResultTtlInSeconds are supported only for HTTP APIs")
	}
	if in.AuthorizerCredentialsArn != nil {
		au.AuthorizerCredentialsArn = *in.AuthorizerCredentialsArn
	}
	if in.AuthorizerUri != nil {
		au.AuthorizerUri = *in.AuthorizerUri
	}
	if _, ok := lambdaFunctionARN(au.AuthorizerUri); !ok {
		return badRequest("Invalid authorizerUri %q: specify arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations", au.AuthorizerUri)
	}
	if in.IdentitySource != nil {
		au.IdentitySource = in.IdentitySource
	}
	if au.IdentitySource == nil {
		au.IdentitySource = []string{}
	}
	for _, src := range au.IdentitySource {
		if !wsIdentitySourceRE.MatchString(src) {
			return badRequest("Invalid identitySource %q: use route.request.header.Name, route.request.querystring.name, context.variable or stageVariables.name", src)
		}
	}
	if in.IdentityValidationExpression != nil {
		au.IdentityValidationExpression = *in.IdentityValidationExpression
	}
	return nil
}

// checkWSRouteSettings holds a WebSocket stage's logging settings to AWS's values.
func checkWSRouteSettings(rs *routeSettings, where string) error {
	switch rs.LoggingLevel {
	case "", "ERROR", "INFO", "OFF":
		return nil
	}
	return badRequest("%s.loggingLevel must be ERROR, INFO or OFF", where)
}

// checkWSApi holds CreateApi's body for a WebSocket API to AWS's rules.
func checkWSApi(in *apiInput) error {
	if deref(in.RouteSelectionExpression) == "" {
		return badRequest("routeSelectionExpression is required for WEBSOCKET APIs")
	}
	if in.CorsConfiguration != nil {
		return badRequest("corsConfiguration is supported only for HTTP APIs")
	}
	if in.Target != nil || in.RouteKey != nil {
		return badRequest("Quick create (target and routeKey) is supported only for HTTP APIs")
	}
	return nil
}

// apiEndpoint is an api's ApiEndpoint: its execute address, ws:// for a
// WebSocket API as AWS gives wss://.
func (s *Service) apiEndpoint(r *http.Request, a *api) string {
	e := s.endpoint(r) + strings.TrimSuffix(executePrefix, "/") + "/" + a.ApiID
	if a.websocket() {
		if rest, ok := strings.CutPrefix(e, "http"); ok {
			e = "ws" + rest
		}
	}
	return e
}
