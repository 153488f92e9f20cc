package kit

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	apig "github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
)

// apiSpec is the reference shape of an HTTP API whose routes are Lambda
// proxy integrations (payload 2.0) on a $default stage with AutoDeploy.
type apiSpec struct {
	name string
	// routes maps a route key to the ARN of its function.
	routes map[string]string
	// authorizer, when its function ARN is set, guards every route.
	authorizer    string // authorizer (and its function's) name
	authorizerARN string
	// throttle sets the stage's default route throttling (0: none).
	rate  float64
	burst int32
}

// httpAPI is what ensureAPI built.
type httpAPI struct {
	id, endpoint string
}

// findAPI returns the HTTP API named name, or nil.
func (k *Kit) findAPI(ctx context.Context, name string) (*types.Api, error) {
	var token *string
	for {
		out, err := k.cl().apig.GetApis(ctx, &apig.GetApisInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list APIs: %w", err)
		}
		for _, a := range out.Items {
			if aws.ToString(a.Name) == name && a.ProtocolType == types.ProtocolTypeHttp {
				return &a, nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil, nil
		}
		token = out.NextToken
	}
}

// lambdaURI is the integration (and authorizer) URI of a function.
func (k *Kit) lambdaURI(ctx context.Context, fnARN string) (string, error) {
	_, part, err := k.identity(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", part, k.region(), fnARN), nil
}

// ensureAPI creates the API or converges its integrations, authorizer,
// routes and stage, and lets API Gateway invoke the functions.
func (k *Kit) ensureAPI(ctx context.Context, s apiSpec) (*httpAPI, error) {
	c := k.cl().apig
	a, err := k.findAPI(ctx, s.name)
	if err != nil {
		return nil, err
	}
	if a == nil {
		k.logf("  create HTTP API %s", s.name)
		out, err := c.CreateApi(ctx, &apig.CreateApiInput{Name: aws.String(s.name), ProtocolType: types.ProtocolTypeHttp,
			Tags: map[string]string{"course": "week1"}})
		if err != nil {
			return nil, fmt.Errorf("create API %s: %w", s.name, err)
		}
		a = &types.Api{ApiId: out.ApiId, ApiEndpoint: out.ApiEndpoint, Name: out.Name}
	}
	id := aws.ToString(a.ApiId)

	// Integrations: one per function, by URI.
	ints, err := c.GetIntegrations(ctx, &apig.GetIntegrationsInput{ApiId: a.ApiId, MaxResults: aws.String("500")})
	if err != nil {
		return nil, fmt.Errorf("list integrations of %s: %w", s.name, err)
	}
	integrationOf := map[string]string{} // function ARN -> integration id
	fns := map[string]bool{}
	for _, fn := range s.routes {
		fns[fn] = true
	}
	for _, fn := range sortedKeys(fns) {
		var found *types.Integration
		for i := range ints.Items {
			if aws.ToString(ints.Items[i].IntegrationUri) == fn {
				found = &ints.Items[i]
				break
			}
		}
		if found == nil {
			k.logf("  API %s: integration -> %s", s.name, lastPart(fn))
			out, err := c.CreateIntegration(ctx, &apig.CreateIntegrationInput{ApiId: a.ApiId, IntegrationType: types.IntegrationTypeAwsProxy,
				IntegrationUri: aws.String(fn), PayloadFormatVersion: aws.String("2.0"), IntegrationMethod: aws.String("POST")})
			if err != nil {
				return nil, fmt.Errorf("create integration on %s: %w", s.name, err)
			}
			integrationOf[fn] = aws.ToString(out.IntegrationId)
			continue
		}
		integrationOf[fn] = aws.ToString(found.IntegrationId)
		if found.IntegrationType != types.IntegrationTypeAwsProxy || aws.ToString(found.PayloadFormatVersion) != "2.0" {
			k.logf("  API %s: integration %s -> AWS_PROXY, payload 2.0", s.name, lastPart(fn))
			if _, err := c.UpdateIntegration(ctx, &apig.UpdateIntegrationInput{ApiId: a.ApiId, IntegrationId: found.IntegrationId,
				IntegrationType: types.IntegrationTypeAwsProxy, PayloadFormatVersion: aws.String("2.0"), IntegrationUri: aws.String(fn)}); err != nil {
				return nil, fmt.Errorf("update integration on %s: %w", s.name, err)
			}
		}
	}

	// The authorizer.
	var authID string
	if s.authorizerARN != "" {
		uri, err := k.lambdaURI(ctx, s.authorizerARN)
		if err != nil {
			return nil, err
		}
		auths, err := c.GetAuthorizers(ctx, &apig.GetAuthorizersInput{ApiId: a.ApiId, MaxResults: aws.String("500")})
		if err != nil {
			return nil, fmt.Errorf("list authorizers of %s: %w", s.name, err)
		}
		var found *types.Authorizer
		for i := range auths.Items {
			if aws.ToString(auths.Items[i].Name) == s.authorizer {
				found = &auths.Items[i]
			}
		}
		if found == nil {
			k.logf("  API %s: authorizer %s (REQUEST, payload 2.0, simple responses, cache 300 s)", s.name, s.authorizer)
			out, err := c.CreateAuthorizer(ctx, &apig.CreateAuthorizerInput{ApiId: a.ApiId, Name: aws.String(s.authorizer),
				AuthorizerType: types.AuthorizerTypeRequest, AuthorizerUri: aws.String(uri), AuthorizerPayloadFormatVersion: aws.String("2.0"),
				EnableSimpleResponses: aws.Bool(true), IdentitySource: []string{authIdentity}, AuthorizerResultTtlInSeconds: aws.Int32(authTTL)})
			if err != nil {
				return nil, fmt.Errorf("create authorizer on %s: %w", s.name, err)
			}
			authID = aws.ToString(out.AuthorizerId)
		} else {
			authID = aws.ToString(found.AuthorizerId)
			if found.AuthorizerType != types.AuthorizerTypeRequest || aws.ToString(found.AuthorizerUri) != uri ||
				aws.ToString(found.AuthorizerPayloadFormatVersion) != "2.0" || !aws.ToBool(found.EnableSimpleResponses) ||
				!slices.Equal(found.IdentitySource, []string{authIdentity}) || aws.ToInt32(found.AuthorizerResultTtlInSeconds) != authTTL {
				k.logf("  API %s: authorizer %s -> reference settings", s.name, s.authorizer)
				if _, err := c.UpdateAuthorizer(ctx, &apig.UpdateAuthorizerInput{ApiId: a.ApiId, AuthorizerId: found.AuthorizerId,
					AuthorizerType: types.AuthorizerTypeRequest, AuthorizerUri: aws.String(uri), AuthorizerPayloadFormatVersion: aws.String("2.0"),
					EnableSimpleResponses: aws.Bool(true), IdentitySource: []string{authIdentity}, AuthorizerResultTtlInSeconds: aws.Int32(authTTL)}); err != nil {
					return nil, fmt.Errorf("update authorizer on %s: %w", s.name, err)
				}
			}
		}
	}

	// Routes.
	routes, err := c.GetRoutes(ctx, &apig.GetRoutesInput{ApiId: a.ApiId, MaxResults: aws.String("500")})
	if err != nil {
		return nil, fmt.Errorf("list routes of %s: %w", s.name, err)
	}
	for _, key := range sortedKeys(s.routes) {
		target := "integrations/" + integrationOf[s.routes[key]]
		authType := types.AuthorizationTypeNone
		if authID != "" {
			authType = types.AuthorizationTypeCustom
		}
		var found *types.Route
		for i := range routes.Items {
			if aws.ToString(routes.Items[i].RouteKey) == key {
				found = &routes.Items[i]
			}
		}
		if found == nil {
			k.logf("  API %s: route %s", s.name, key)
			in := &apig.CreateRouteInput{ApiId: a.ApiId, RouteKey: aws.String(key), Target: aws.String(target), AuthorizationType: authType}
			if authID != "" {
				in.AuthorizerId = aws.String(authID)
			}
			if _, err := c.CreateRoute(ctx, in); err != nil {
				return nil, fmt.Errorf("create route %s on %s: %w", key, s.name, err)
			}
			continue
		}
		if aws.ToString(found.Target) != target || found.AuthorizationType != authType || aws.ToString(found.AuthorizerId) != authID {
			k.logf("  API %s: route %s -> reference target and authorization", s.name, key)
			in := &apig.UpdateRouteInput{ApiId: a.ApiId, RouteId: found.RouteId, Target: aws.String(target), AuthorizationType: authType}
			if authID != "" {
				in.AuthorizerId = aws.String(authID)
			}
			if _, err := c.UpdateRoute(ctx, in); err != nil {
				return nil, fmt.Errorf("update route %s on %s: %w", key, s.name, err)
			}
		}
	}

	// The $default stage.
	settings := &types.RouteSettings{}
	if s.rate > 0 {
		settings.ThrottlingRateLimit, settings.ThrottlingBurstLimit = aws.Float64(s.rate), aws.Int32(s.burst)
	}
	st, err := c.GetStage(ctx, &apig.GetStageInput{ApiId: a.ApiId, StageName: aws.String("$default")})
	switch {
	case isNotFound(err):
		k.logf("  API %s: stage $default (auto-deploy%s)", s.name, throttleNote(s))
		if _, err := c.CreateStage(ctx, &apig.CreateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true),
			DefaultRouteSettings: settings}); err != nil {
			return nil, fmt.Errorf("create stage on %s: %w", s.name, err)
		}
	case err != nil:
		return nil, fmt.Errorf("get stage of %s: %w", s.name, err)
	default:
		drs := st.DefaultRouteSettings
		if drs == nil {
			drs = &types.RouteSettings{}
		}
		if !aws.ToBool(st.AutoDeploy) || aws.ToFloat64(drs.ThrottlingRateLimit) != aws.ToFloat64(settings.ThrottlingRateLimit) ||
			aws.ToInt32(drs.ThrottlingBurstLimit) != aws.ToInt32(settings.ThrottlingBurstLimit) {
			k.logf("  API %s: stage $default -> auto-deploy%s", s.name, throttleNote(s))
			if _, err := c.UpdateStage(ctx, &apig.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true),
				DefaultRouteSettings: settings}); err != nil {
				return nil, fmt.Errorf("update stage of %s: %w", s.name, err)
			}
		}
	}

	// Let API Gateway invoke the functions.
	src, err := k.arnOf(ctx, "execute-api", id+"/*")
	if err != nil {
		return nil, err
	}
	perm := map[string]bool{}
	for fn := range fns {
		perm[fn] = true
	}
	if s.authorizerARN != "" {
		perm[s.authorizerARN] = true
	}
	for _, fn := range sortedKeys(perm) {
		if err := k.ensurePermission(ctx, lastPart(fn), s.name+"-invoke", "apigateway.amazonaws.com", src); err != nil {
			return nil, err
		}
	}
	return &httpAPI{id: id, endpoint: aws.ToString(a.ApiEndpoint)}, nil
}

// The orders API authorizer's settings.
const (
	authIdentity = "$request.header.Authorization"
	authTTL      = 300
)

func throttleNote(s apiSpec) string {
	if s.rate == 0 {
		return ""
	}
	return fmt.Sprintf(", throttling %g rps burst %d", s.rate, s.burst)
}

// deleteAPI deletes the HTTP API named name; a missing one is not an error.
func (k *Kit) deleteAPI(ctx context.Context, name string) (bool, error) {
	deleted := false
	for {
		a, err := k.findAPI(ctx, name)
		if err != nil || a == nil {
			return deleted, err
		}
		if _, err := k.cl().apig.DeleteApi(ctx, &apig.DeleteApiInput{ApiId: a.ApiId}); err != nil && !isNotFound(err) {
			return deleted, fmt.Errorf("delete API %s: %w", name, err)
		}
		deleted = true
	}
}

// lastPart returns what follows the last ':' of an ARN (a function's name).
func lastPart(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == ':' {
			return arn[i+1:]
		}
	}
	return arn
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
