package lambdalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/labkit-dev/labkit/solutions/internal/lambdalog"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		level   string
		ctx     context.Context
		want    map[string]any
		wantOut bool
	}{
		{
			name:    "info with request id",
			level:   "",
			ctx:     lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"}),
			want:    map[string]any{"level": "INFO", "message": "accepted", "requestId": "req-1", "orderId": "ord-1"},
			wantOut: true,
		},
		{
			name:    "no lambda context",
			level:   "INFO",
			ctx:     context.Background(),
			want:    map[string]any{"level": "INFO", "message": "accepted", "orderId": "ord-1"},
			wantOut: true,
		},
		{name: "level above info drops info", level: "WARN", ctx: context.Background()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			lambdalog.New(&buf, tt.level).InfoContext(tt.ctx, "accepted", "orderId", "ord-1")
			if !tt.wantOut {
				if buf.Len() != 0 {
					t.Fatalf("output = %q, want none", buf.String())
				}
				return
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("output %q is not one JSON object: %v", buf.String(), err)
			}
			if _, ok := got["timestamp"]; !ok {
				t.Errorf("output %q has no timestamp", buf.String())
			}
			delete(got, "timestamp")
			if len(got) != len(tt.want) {
				t.Errorf("got keys %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
