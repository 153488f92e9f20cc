package apigw

import (
	"context"
	"net/http"
	"regexp"
)

// ---- Authorizers ----

type authorizerInput struct {
	AuthorizerCredentialsArn       *string           `json:"authorizerCredentialsArn"`
	AuthorizerPayloadFormatVersion *string           `json:"authorizerPayloadFormatVersion"`
	AuthorizerResultTtlInSeconds   *int              `json:"authorizerResultTtlInSeconds"`
	AuthorizerType                 *string           `json:"authorizerType"`
	AuthorizerUri                  *string           `json:"authorizerUri"`
	EnableSimpleResponses          *bool             `json:"enableSimpleResponses"`
	IdentitySource                 []string          `json:"identitySource"`
	IdentityValidationExpression   *string           `json:"identityValidationExpression"`
	JwtConfiguration               *jwtConfiguration `json:"jwtConfiguration"`
	Name                           *string           `json:"name"`
}

var identitySourceRE = regexp.MustCompile(`^\$(request\.(header|querystring)\.[^\s.,][^\s,]*|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)$`)

func applyAuthorizer(au *authorizer, in *authorizerInput) error {
	if in.Name != nil {
		au.Name = *in.Name
	}
	if err := checkLen("name", au.Name, 1, 128); err != nil {
		return err
	}
	if in.AuthorizerType != nil {
		au.AuthorizerType = *in.AuthorizerType
	}
	if in.AuthorizerCredentialsArn != nil {
		au.AuthorizerCredentialsArn = *in.AuthorizerCredentialsArn
	}
	if in.AuthorizerPayloadFormatVersion != nil {
		au.AuthorizerPayloadFormatVersion = *in.AuthorizerPayloadFormatVersion
	}
	if in.AuthorizerResultTtlInSeconds != nil {
		if *in.AuthorizerResultTtlInSeconds < 0 || *in.AuthorizerResultTtlInSeconds > 3600 {
			return badRequest("authorizerResultTtlInSeconds must be between 0 and 3600")
		}
		au.AuthorizerResultTtlInSeconds = ptr(*in.AuthorizerResultTtlInSeconds)
	}
	if in.AuthorizerUri != nil {
		au.AuthorizerUri = *in.AuthorizerUri
	}
	if in.EnableSimpleResponses != nil {
		au.EnableSimpleResponses = *in.EnableSimpleResponses
	}
	if in.IdentitySource != nil {
		au.IdentitySource = in.IdentitySource
	}
	if in.IdentityValidationExpression != nil {
		au.IdentityValidationExpression = *in.IdentityValidationExpression
	}
	if in.JwtConfiguration != nil {
		au.JwtConfiguration = in.JwtConfiguration
	}
	if au.IdentitySource == nil {
		au.IdentitySource = []string{}
	}
	if au.AuthorizerType == "REQUEST" && au.AuthorizerPayloadFormatVersion == "" {
		// A missing required member is refused before the others are checked.
		return badRequest("AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer")
	}
	for _, src := range au.IdentitySource {
		if !identitySourceRE.MatchString(src) {
			return badRequest("Invalid identitySource %q: use $request.header.Name, $request.querystring.name, $context.variable or $stageVariables.name", src)
		}
	}
	switch au.AuthorizerType {
	case "REQUEST":
		if au.AuthorizerUri == "" {
			return badRequest("authorizerUri is required for REQUEST authorizers")
		}
		if _, ok := lambdaFunctionARN(au.AuthorizerUri); !ok {
			return badRequest("Invalid authorizerUri %q: specify arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations", au.AuthorizerUri)
		}
		switch au.AuthorizerPayloadFormatVersion {
		case "2.0":
		case "1.0":
			if au.EnableSimpleResponses {
				return badRequest("enableSimpleResponses is supported only with authorizerPayloadFormatVersion 2.0")
			}
		default:
			return badRequest("Invalid authorizerPayloadFormatVersion %q: must be 1.0 or 2.0", au.AuthorizerPayloadFormatVersion)
		}
		if au.AuthorizerResultTtlInSeconds == nil {
			au.AuthorizerResultTtlInSeconds = ptr(0)
		}
		if *au.AuthorizerResultTtlInSeconds > 0 && len(au.IdentitySource) == 0 {
			return badRequest("identitySource is required when authorizer caching is enabled (authorizerResultTtlInSeconds > 0)")
		}
		if au.JwtConfiguration != nil {
			return badRequest("jwtConfiguration is supported only for JWT authorizers")
		}
	case "JWT":
		if au.JwtConfiguration == nil || au.JwtConfiguration.Issuer == "" {
			return badRequest("jwtConfiguration with an issuer is required for JWT authorizers")
		}
		if len(au.IdentitySource) != 1 {
			return badRequest("JWT authorizers need exactly one identitySource")
		}
		if au.AuthorizerUri != "" || au.EnableSimpleResponses {
			return badRequest("authorizerUri and enableSimpleResponses are supported only for REQUEST authorizers")
		}
	case "":
		return badRequest("authorizerType is required")
	default:
		return badRequest("Invalid authorizerType %q: HTTP APIs support REQUEST and JWT", au.AuthorizerType)
	}
	return nil
}

func (s *Service) createAuthorizer(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in authorizerInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, badRequest("name is required")
	}
	if in.IdentitySource == nil && deref(in.AuthorizerType) == "JWT" {
		return nil, badRequest("identitySource is required")
	}
	return s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		if len(a.Authorizers) >= 10 {
			return nil, badRequest("an API can have at most 10 authorizers")
		}
		au := &authorizer{AuthorizerId: newID(6)}
		if err := authorize(a, au, &in); err != nil {
			return nil, err
		}
		a.Authorizers[au.AuthorizerId] = au
		return au, nil
	})
}

func (s *Service) getAuthorizer(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	if au := a.Authorizers[p.sub]; au != nil {
		return au, nil
	}
	return nil, notFound("Invalid Authorizer identifier specified %s", p.sub)
}

func (s *Service) getAuthorizers(ctx context.Context, r *http.Request, p pathArgs, _ []byte) (any, error) {
	a, err := s.getAPI(ctx, p.api)
	if err != nil {
		return nil, err
	}
	return listPage(r, a.Authorizers)
}

func (s *Service) updateAuthorizer(ctx context.Context, _ *http.Request, p pathArgs, body []byte) (any, error) {
	var in authorizerInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	out, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		au := a.Authorizers[p.sub]
		if au == nil {
			return nil, notFound("Invalid Authorizer identifier specified %s", p.sub)
		}
		if in.AuthorizerType != nil && *in.AuthorizerType != au.AuthorizerType {
			return nil, badRequest("authorizerType cannot be changed")
		}
		if err := authorize(a, au, &in); err != nil {
			return nil, err
		}
		return au, nil
	})
	if err == nil {
		s.authCache.forget(p.api)
	}
	return out, err
}

func (s *Service) deleteAuthorizer(ctx context.Context, _ *http.Request, p pathArgs, _ []byte) (any, error) {
	_, err := s.mutate(ctx, p.api, func(a *api, _ *change) (any, error) {
		if a.Authorizers[p.sub] == nil {
			return nil, notFound("Invalid Authorizer identifier specified %s", p.sub)
		}
		for _, rt := range a.Routes {
			if rt.AuthorizerId == p.sub {
				return nil, conflict("Authorizer %s is used by route %s (%s): change the route first", p.sub, rt.RouteId, rt.RouteKey)
			}
		}
		delete(a.Authorizers, p.sub)
		return nil, nil
	})
	return nil, err
}
