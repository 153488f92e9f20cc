//go:build learner

// Learner tests for lab 2's authorizer. Run them with: go test -tags learner ./starter/...
// The events in testdata/ carry tokens minted with the secret "learner-test-secret" at
// 2026-01-01T00:00:00Z, valid for one hour.

package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

//go:embed testdata/*.json
var learnerEvents embed.FS

// learnerHandler returns a handler with the test secret and clock, logging into the buffer.
func learnerHandler(t testing.TB, logs *bytes.Buffer) *handler {
	t.Helper()
	return &handler{
		secret: secretKey("learner-test-secret"),
		now:    func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		log:    slog.New(slog.NewJSONHandler(logs, nil)),
	}
}

// learnerEvent decodes testdata/<name>.json.
func learnerEvent(t testing.TB, name string) authorizerRequest {
	t.Helper()
	b, err := learnerEvents.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatalf("read event: %v", err)
	}
	var req authorizerRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("decode testdata/%s.json: %v", name, err)
	}
	return req
}

func TestAuthorizerAllowsValidTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event       string
		wantChannel string
	}{
		{event: "allow-web", wantChannel: "web"},
		{event: "allow-mobile", wantChannel: "mobile"},
		{event: "allow-wholesale", wantChannel: "wholesale"},
		{event: "allow-lowercase-scheme", wantChannel: "web"},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := learnerHandler(t, &logs)
			got, err := h.Handle(context.Background(), learnerEvent(t, tt.event))
			if err != nil {
				t.Fatalf("Handle returned error %v, want nil (a decision is never an error)", err)
			}
			if !got.IsAuthorized {
				t.Fatalf("IsAuthorized = false, want true for a valid %s token", tt.wantChannel)
			}
			if ch := got.Context["channel"]; ch != tt.wantChannel {
				t.Errorf(`Context["channel"] = %v, want %q`, ch, tt.wantChannel)
			}
		})
	}
}

func TestAuthorizerDeniesEverythingElse(t *testing.T) {
	t.Parallel()
	for _, event := range []string{
		"deny-no-header", "deny-basic-scheme", "deny-expired", "deny-forged",
		"deny-channel-swapped", "deny-unknown-channel", "deny-malformed",
	} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := learnerHandler(t, &logs)
			got, err := h.Handle(context.Background(), learnerEvent(t, event))
			if err != nil {
				t.Fatalf("Handle returned error %v, want nil (deny with IsAuthorized false)", err)
			}
			if got.IsAuthorized {
				t.Errorf("IsAuthorized = true, want false")
			}
			if _, ok := got.Context["channel"]; ok {
				t.Errorf("Context = %v, want no channel on a denial", got.Context)
			}
		})
	}
}

func TestAuthorizerNeverLogsTheToken(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"allow-web", "deny-expired", "deny-forged"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := learnerHandler(t, &logs)
			req := learnerEvent(t, event)
			if _, err := h.Handle(context.Background(), req); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			tok := strings.TrimPrefix(req.Headers["authorization"], "Bearer ")
			sig := tok[strings.LastIndex(tok, ".")+1:]
			for _, secret := range []string{sig, "learner-test-secret"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("logs contain %q, want the token and the secret never logged:\n%s", secret, logs.String())
				}
			}
		})
	}
}
