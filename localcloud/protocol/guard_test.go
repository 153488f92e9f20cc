package protocol

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGuardHosts(t *testing.T) {
	g := newGuard(GuardConfig{AllowHosts: []string{"Labs.Internal", "box:4566"}}, nil)
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1:4566", true},
		{"127.9.9.9", true},
		{"[::1]:4566", true},
		{"localhost", true},
		{"LOCALHOST.:4566", true},
		{"abc.execute-api.localhost:4566", true},
		{"labs.internal:4566", true},
		{"box", true},
		{"", false},
		{"rebind.attacker.example:4566", false},
		{"localhost.attacker.example", false},
		{"localhost-attacker.example", false},
		{"0.0.0.0:4566", false},
		{"192.168.1.20:4566", false},
		{"10.0.0.5:4566", true}, // the address the request arrived on
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = tt.host
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 4566}))
		assert.Equal(t, tt.want, g.hostOK(r), "host %q", tt.host)
	}
}

func TestGuardSignature(t *testing.T) {
	tests := []struct {
		name, auth, query string
		signed, malformed bool
	}{
		{"sigv4 header", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0", "", true, false},
		{"bearer token (not SigV4 at all: a missing token, as DynamoDB answers)", "Bearer abc", "", false, false},
		{"AWS4 without the dash", "AWS4", "", false, false},
		{"AWS4- alone", "AWS4-", "", false, true},
		{"sigv4 without scope", "AWS4-HMAC-SHA256 Signature=0", "", false, true},
		{"presigned", "", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Flambda%2Faws4_request&X-Amz-Signature=0", true, false},
		{"credential without signature", "", "X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Flambda%2Faws4_request", false, false},
		{"nothing", "", "", false, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/?"+tt.query, nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		signed, why := signature(r)
		assert.Equal(t, tt.signed, signed, tt.name)
		assert.Equal(t, tt.malformed, why == refuseBadSignature, tt.name)
	}
}
