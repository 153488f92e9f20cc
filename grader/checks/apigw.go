package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/grader"
)

var (
	apiParam    = grader.Param{Name: "api", Required: true, Doc: "the API's name, e.g. ${api}"}
	routesParam = grader.Param{Name: "routes", Required: true, Doc: `route keys, e.g. "POST /orders"`}
)

func apigwKinds() []grader.Kind {
	get := []string{"apigateway:GET"}
	return []grader.Kind{
		{
			Name: "apigw.api", Doc: "an HTTP API with the name exists",
			Params: []grader.Param{apiParam}, Calls: get,
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name := p.String("api", "")
				a, err := findAPI(ctx, env, name)
				if err != nil {
					return lookupOutcome("find API "+name, err)
				}
				if a.ProtocolType != apitypes.ProtocolTypeHttp {
					return grader.Failf("API %s is a %s API; the lab asks for an HTTP API", name, a.ProtocolType)
				}
				return grader.Passf("HTTP API %s (%s) at %s", name, aws.ToString(a.ApiId), aws.ToString(a.ApiEndpoint))
			},
		},
		{
			Name: "apigw.routes", Doc: "the API has the routes",
			Params: []grader.Param{apiParam, routesParam}, Calls: get,
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				return withAPI(ctx, env, p, func(a *apiParts) grader.Outcome {
					var parts []grader.Part
					for _, k := range p.Strings("routes") {
						_, ok := a.routes[normalizeRouteKey(k)]
						parts = append(parts, grader.Part{Name: k, Passed: ok, Detail: map[bool]string{true: "present", false: "missing"}[ok]})
					}
					return partsOutcome(parts, "API "+p.String("api", "")+" is missing routes", "routes present: "+strings.Join(p.Strings("routes"), ", "))
				})
			},
		},
		{
			Name: "apigw.integrations",
			Doc:  "each route is a Lambda proxy integration (AWS_PROXY, payload format 2.0) to the function",
			Params: []grader.Param{apiParam, routesParam,
				{Name: "function", Required: true, Doc: "the function the routes invoke"},
				{Name: "payloadFormat", Doc: "payload format version (default 2.0)"}},
			Calls: get,
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				fn, pf := p.String("function", ""), p.String("payloadFormat", "2.0")
				return withAPI(ctx, env, p, func(a *apiParts) grader.Outcome {
					var parts []grader.Part
					for _, k := range p.Strings("routes") {
						r, ok := a.routes[normalizeRouteKey(k)]
						if !ok {
							parts = append(parts, grader.Part{Name: k, Detail: "the route is missing"})
							continue
						}
						id, ok := strings.CutPrefix(aws.ToString(r.Target), "integrations/")
						in, found := a.integrations[id]
						if !ok || !found {
							parts = append(parts, grader.Part{Name: k, Detail: "the route has no integration (target)"})
							continue
						}
						var bad []string
						if in.IntegrationType != apitypes.IntegrationTypeAwsProxy {
							bad = append(bad, fmt.Sprintf("type %s, want AWS_PROXY", in.IntegrationType))
						}
						if got := aws.ToString(in.PayloadFormatVersion); got != pf {
							bad = append(bad, fmt.Sprintf("payload format %s, want %s", got, pf))
						}
						if got := functionOf(aws.ToString(in.IntegrationUri)); got != fn {
							bad = append(bad, fmt.Sprintf("invokes %q, want %s", got, fn))
						}
						parts = append(parts, grader.Part{Name: k, Passed: len(bad) == 0, Detail: strings.Join(bad, ", ")})
					}
					return partsOutcome(parts, "not every route is a Lambda proxy integration to "+fn, "routes proxy to "+fn+" with payload "+pf)
				})
			},
		},
		{
			Name: "apigw.authorizer",
			Doc:  "a Lambda REQUEST authorizer (payload 2.0, simple responses, identity source the Authorization header, a short result cache) backed by the function",
			Params: []grader.Param{apiParam,
				{Name: "function", Required: true, Doc: "the authorizer function"},
				{Name: "identitySource", Doc: "default $request.header.Authorization"},
				{Name: "maxTtl", Doc: "longest acceptable result TTL in seconds (default 3600)"}},
			Calls: get,
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				fn := p.String("function", "")
				return withAPI(ctx, env, p, func(a *apiParts) grader.Outcome {
					z, ok := authorizerFor(a, fn)
					if !ok {
						return grader.Failf("API %s has no Lambda authorizer that invokes %s", p.String("api", ""), fn)
					}
					src, maxTTL := p.String("identitySource", "$request.header.Authorization"), p.Int("maxTtl", 3600)
					ttl := int(aws.ToInt32(z.AuthorizerResultTtlInSeconds))
					hasSrc := false
					for _, s := range z.IdentitySource {
						hasSrc = hasSrc || strings.EqualFold(s, src)
					}
					parts := []grader.Part{
						{Name: "type", Passed: z.AuthorizerType == apitypes.AuthorizerTypeRequest, Detail: fmt.Sprintf("is %s, want REQUEST", z.AuthorizerType)},
						{Name: "payload format", Passed: aws.ToString(z.AuthorizerPayloadFormatVersion) == "2.0", Detail: fmt.Sprintf("is %q, want 2.0", aws.ToString(z.AuthorizerPayloadFormatVersion))},
						{Name: "simple responses", Passed: aws.ToBool(z.EnableSimpleResponses), Detail: "must be enabled"},
						{Name: "identity source", Passed: hasSrc, Detail: fmt.Sprintf("is %v, want %s", z.IdentitySource, src)},
						{Name: "result cache", Passed: ttl > 0 && ttl <= maxTTL, Detail: fmt.Sprintf("TTL is %d s, want 1 to %d s", ttl, maxTTL)},
					}
					return partsOutcome(parts, "authorizer "+aws.ToString(z.Name)+" is not set up as the lab asks",
						fmt.Sprintf("authorizer %s: REQUEST, payload 2.0, simple responses, %s, TTL %d s", aws.ToString(z.Name), src, ttl))
				})
			},
		},
		{
			Name: "apigw.routes-authorized",
			Doc:  "each route uses the Lambda authorizer (AuthorizationType CUSTOM with its AuthorizerId)",
			Params: []grader.Param{apiParam, routesParam,
				{Name: "function", Required: true, Doc: "the authorizer function"}},
			Calls: get,
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				fn := p.String("function", "")
				return withAPI(ctx, env, p, func(a *apiParts) grader.Outcome {
					z, ok := authorizerFor(a, fn)
					if !ok {
						return grader.Failf("API %s has no Lambda authorizer that invokes %s, so no route can use it", p.String("api", ""), fn)
					}
					var parts []grader.Part
					for _, k := range p.Strings("routes") {
						r, ok := a.routes[normalizeRouteKey(k)]
						switch {
						case !ok:
							parts = append(parts, grader.Part{Name: k, Detail: "the route is missing"})
						case r.AuthorizationType != apitypes.AuthorizationTypeCustom || aws.ToString(r.AuthorizerId) != aws.ToString(z.AuthorizerId):
							parts = append(parts, grader.Part{Name: k, Detail: fmt.Sprintf("authorization is %s (authorizer %q), want CUSTOM with authorizer %s", r.AuthorizationType, aws.ToString(r.AuthorizerId), aws.ToString(z.AuthorizerId))})
						default:
							parts = append(parts, grader.Part{Name: k, Passed: true})
						}
					}
					return partsOutcome(parts, "not every route is protected by the authorizer", "every route uses authorizer "+aws.ToString(z.Name))
				})
			},
		},
		{
			Name: "apigw.stage-throttling",
			Doc:  "the stage exists and its default route settings set throttling limits",
			Params: []grader.Param{apiParam,
				{Name: "stage", Doc: "default $default"},
				{Name: "minRate", Doc: "the lowest acceptable rate limit (default 1)"},
				{Name: "minBurst", Doc: "the lowest acceptable burst limit (default 1)"}},
			Calls: get,
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name, stage := p.String("api", ""), p.String("stage", "$default")
				a, err := findAPI(ctx, env, name)
				if err != nil {
					return lookupOutcome("find API "+name, err)
				}
				st, err := apigatewayv2.NewFromConfig(env.AWS).GetStage(ctx, &apigatewayv2.GetStageInput{ApiId: a.ApiId, StageName: &stage})
				if isNotFound(err) {
					return grader.Failf("API %s has no stage %s", name, stage)
				}
				if err != nil {
					return undecided("get stage "+stage, err)
				}
				var rate float64
				var burst int
				if s := st.DefaultRouteSettings; s != nil {
					rate, burst = aws.ToFloat64(s.ThrottlingRateLimit), int(aws.ToInt32(s.ThrottlingBurstLimit))
				}
				minRate, minBurst := p.Float("minRate", 1), p.Int("minBurst", 1)
				parts := []grader.Part{
					{Name: "rate limit", Passed: rate >= minRate, Detail: fmt.Sprintf("is %g requests/s, want at least %g", rate, minRate)},
					{Name: "burst limit", Passed: burst >= minBurst, Detail: fmt.Sprintf("is %d, want at least %d", burst, minBurst)},
				}
				return partsOutcome(parts, "stage "+stage+" of "+name+" has no throttling limits set",
					fmt.Sprintf("stage %s throttles at %g requests/s, burst %d", stage, rate, burst))
			},
		},
	}
}

// withAPI runs fn on the API named by the "api" parameter.
func withAPI(ctx context.Context, env *grader.Env, p grader.Params, fn func(*apiParts) grader.Outcome) grader.Outcome {
	name := p.String("api", "")
	a, err := describeAPI(ctx, env, name)
	if err != nil {
		return lookupOutcome("read API "+name, err)
	}
	return fn(a)
}

// authorizerFor finds the API's authorizer that invokes fn.
func authorizerFor(a *apiParts, fn string) (apitypes.Authorizer, bool) {
	for _, z := range sortedAuthorizers(a) {
		if functionOf(aws.ToString(z.AuthorizerUri)) == fn {
			return z, true
		}
	}
	return apitypes.Authorizer{}, false
}

func sortedAuthorizers(a *apiParts) []apitypes.Authorizer {
	ids := make([]string, 0, len(a.authorizers))
	for id := range a.authorizers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]apitypes.Authorizer, 0, len(ids))
	for _, id := range ids {
		out = append(out, a.authorizers[id])
	}
	return out
}

// partsOutcome grades parts with a reason naming the failed ones, or
// evidence when all pass.
func partsOutcome(parts []grader.Part, failWhy, passEvidence string) grader.Outcome {
	o := grader.FromParts(parts)
	if o.Status == grader.Pass {
		return o.With(passEvidence)
	}
	o.Reason = failWhy + ": " + failedDetails(parts)
	return o
}
