package submission

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// decodePolicy undoes the URL encoding IAM's query protocol gives policy
// documents.
func decodePolicy(doc string) string {
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		if d, err := url.QueryUnescape(doc); err == nil {
			return d
		}
	}
	return doc
}

func exportAPIs(ctx context.Context, c *clients, a *Archive) error {
	var token *string
	for {
		page, err := c.apig.GetApis(ctx, &apigatewayv2.GetApisInput{NextToken: token})
		if err != nil {
			return err
		}
		for _, api := range page.Items {
			x, err := exportAPI(ctx, c, aws.ToString(api.ApiId))
			if err != nil {
				return fmt.Errorf("API %s: %w", aws.ToString(api.Name), err)
			}
			x.Name, x.Endpoint = aws.ToString(api.Name), aws.ToString(api.ApiEndpoint)
			a.Account.APIs = append(a.Account.APIs, x)
		}
		if token = page.NextToken; token == nil {
			return nil
		}
	}
}

func exportAPI(ctx context.Context, c *clients, id string) (API, error) {
	x := API{ID: id}
	max := aws.String("500")
	ints, err := c.apig.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: &id, MaxResults: max})
	if err != nil {
		return x, fmt.Errorf("integrations: %w", err)
	}
	for _, in := range ints.Items {
		x.Integrations = append(x.Integrations, Integration{ID: aws.ToString(in.IntegrationId), Type: string(in.IntegrationType),
			URI: aws.ToString(in.IntegrationUri), PayloadFormat: aws.ToString(in.PayloadFormatVersion), TimeoutMs: aws.ToInt32(in.TimeoutInMillis)})
	}
	auths, err := c.apig.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: &id, MaxResults: max})
	if err != nil {
		return x, fmt.Errorf("authorizers: %w", err)
	}
	for _, au := range auths.Items {
		x.Authorizers = append(x.Authorizers, Authorizer{ID: aws.ToString(au.AuthorizerId), Name: aws.ToString(au.Name), Type: string(au.AuthorizerType),
			URI: aws.ToString(au.AuthorizerUri), IdentitySource: au.IdentitySource, PayloadFormat: aws.ToString(au.AuthorizerPayloadFormatVersion),
			SimpleResponse: aws.ToBool(au.EnableSimpleResponses), CacheTTL: aws.ToInt32(au.AuthorizerResultTtlInSeconds)})
	}
	routes, err := c.apig.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: &id, MaxResults: max})
	if err != nil {
		return x, fmt.Errorf("routes: %w", err)
	}
	for _, r := range routes.Items {
		x.Routes = append(x.Routes, Route{Key: aws.ToString(r.RouteKey), Target: aws.ToString(r.Target),
			AuthorizationType: string(r.AuthorizationType), AuthorizerID: aws.ToString(r.AuthorizerId)})
	}
	stages, err := c.apig.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: &id, MaxResults: max})
	if err != nil {
		return x, fmt.Errorf("stages: %w", err)
	}
	for _, s := range stages.Items {
		st := Stage{Name: aws.ToString(s.StageName), AutoDeploy: aws.ToBool(s.AutoDeploy)}
		if d := s.DefaultRouteSettings; d != nil && (d.ThrottlingRateLimit != nil || d.ThrottlingBurstLimit != nil) {
			st.Default = &Throttle{Rate: aws.ToFloat64(d.ThrottlingRateLimit), Burst: aws.ToInt32(d.ThrottlingBurstLimit)}
		}
		for k, rs := range s.RouteSettings {
			if st.Routes == nil {
				st.Routes = map[string]Throttle{}
			}
			st.Routes[k] = Throttle{Rate: aws.ToFloat64(rs.ThrottlingRateLimit), Burst: aws.ToInt32(rs.ThrottlingBurstLimit)}
		}
		x.Stages = append(x.Stages, st)
	}
	return x, nil
}

// exportPermissions reads a function's resource-based policy.
func exportPermissions(ctx context.Context, c *clients, name string) ([]Permission, error) {
	out, err := c.lam.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: &name})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Action    any
			Principal any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	var ps []Permission
	for _, s := range doc.Statement {
		p := Permission{Sid: s.Sid, Action: first(s.Action), Principal: first(s.Principal)}
		if m, ok := s.Principal.(map[string]any); ok {
			p.Principal = first(m["Service"])
			if p.Principal == "" {
				p.Principal = first(m["AWS"])
			}
		}
		if src, ok := s.Condition["ArnLike"]["AWS:SourceArn"]; ok {
			p.SourceArn = first(src)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// first returns a JSON string, or the first of a list of strings.
func first(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		if len(t) > 0 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}
