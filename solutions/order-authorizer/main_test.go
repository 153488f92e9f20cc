package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestNewHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "secret set", env: map[string]string{"TOKEN_SECRET": "s3cret"}},
		{name: "secret missing", env: map[string]string{}, wantErr: "TOKEN_SECRET is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := newHandler(func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("newHandler error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("newHandler: %v", err)
			}
			if string(h.secret) != tt.env["TOKEN_SECRET"] {
				t.Errorf("secret = %q, want %q", h.secret, tt.env["TOKEN_SECRET"])
			}
		})
	}
}

func TestSecretPrintsRedacted(t *testing.T) {
	t.Parallel()
	s := secretKey("s3cret")
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "secret", s)
	for _, out := range []string{logs.String(), fmt.Sprint(s), fmt.Sprintf("%v", s)} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("output %q contains the secret, want it redacted", out)
		}
	}
}
