package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/labkit-dev/labkit/solutions/token"
)

type (
	authorizerRequest  = events.APIGatewayV2CustomAuthorizerV2Request
	authorizerResponse = events.APIGatewayV2CustomAuthorizerSimpleResponse
)

// secretKey is the token secret; it prints redacted in logs and %v.
type secretKey []byte

// LogValue implements slog.LogValuer.
func (secretKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String implements fmt.Stringer.
func (secretKey) String() string { return "[redacted]" }

// handler decides whether a request may reach the orders API.
type handler struct {
	secret secretKey        // HMAC secret shared with the kit's token minting
	now    func() time.Time // clock used for token expiry
	log    *slog.Logger
}

// Handle authorizes a request carrying "Authorization: Bearer <token>".
//
// A valid, unexpired token of a known channel gives IsAuthorized true and Context
// {"channel": <channel>}; anything else gives IsAuthorized false (API Gateway answers 403).
// It returns an error never: a denial is an answer, not a failure.
func (h *handler) Handle(ctx context.Context, req authorizerRequest) (authorizerResponse, error) {
	tok, ok := bearerToken(req)
	if !ok {
		h.log.InfoContext(ctx, "request denied", "route", req.RouteKey, "reason", "no bearer token")
		return authorizerResponse{IsAuthorized: false}, nil
	}
	channel, err := token.Verify(h.secret, tok, h.now())
	if err != nil {
		h.log.InfoContext(ctx, "request denied", "route", req.RouteKey, "reason", err.Error())
		return authorizerResponse{IsAuthorized: false}, nil
	}
	h.log.InfoContext(ctx, "request authorized", "route", req.RouteKey, "channel", channel)
	return authorizerResponse{IsAuthorized: true, Context: map[string]any{"channel": channel}}, nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header (the header name
// and the scheme are case-insensitive), falling back to the first identity source.
func bearerToken(req authorizerRequest) (string, bool) {
	value := ""
	for k, v := range req.Headers {
		if strings.EqualFold(k, "authorization") {
			value = v
			break
		}
	}
	if value == "" && len(req.IdentitySource) > 0 {
		value = req.IdentitySource[0]
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(value), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
