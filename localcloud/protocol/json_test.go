package protocol

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestErrorFields(t *testing.T) {
	t.Parallel()
	// Fields try to replace every member either protocol writes itself.
	fields := map[string]any{
		"Item":    map[string]any{"pk": map[string]any{"S": "a"}},
		"__type":  "Overridden",
		"message": "overridden",
		"Message": "overridden",
		"Type":    "overridden",
	}
	fail := &Error{Code: "ConditionalCheckFailedException", Message: "The conditional request failed", Fields: fields}
	// awsJson writes only __type and message: other members pass through.
	item := map[string]any{"pk": map[string]any{"S": "a"}}
	tests := []struct {
		name  string
		write func(w http.ResponseWriter, r *http.Request, err error)
		want  map[string]any
	}{
		{
			name: "awsJson",
			write: func(w http.ResponseWriter, r *http.Request, err error) {
				svc := &JSONService{ErrorNamespace: "ns#", Ops: map[string]JSONOp{"Op": func(context.Context, []byte) (any, error) { return nil, err }}}
				r.Header.Set("X-Amz-Target", "Op")
				svc.ServeHTTP(w, r)
			},
			want: map[string]any{"__type": "ns#ConditionalCheckFailedException", "message": "The conditional request failed",
				"Message": "overridden", "Type": "overridden", "Item": item},
		},
		{
			name: "restJson",
			write: func(w http.ResponseWriter, r *http.Request, err error) {
				WriteRESTError(w, r, nil, err)
			},
			want: map[string]any{"__type": "ConditionalCheckFailedException", "message": "The conditional request failed",
				"Message": "The conditional request failed", "Type": "User", "Item": item},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			tt.write(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")), fail)
			if w.Code != http.StatusBadRequest {
				t.Errorf("got status %d, want 400", w.Code)
			}
			if got := w.Header().Get("X-Amzn-ErrorType"); got != "ConditionalCheckFailedException" {
				t.Errorf("got X-Amzn-ErrorType %q, want ConditionalCheckFailedException", got)
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got body %v, want %v", got, tt.want)
			}
		})
	}
	if len(fields) != 5 {
		t.Errorf("writing the error changed its Fields: %v", fields)
	}
}

// TestErrorShapes: a code listed in ErrorShapes gets its whole __type and
// its message member; other codes keep the namespace and "message".
func TestErrorShapes(t *testing.T) {
	t.Parallel()
	shapes := map[string]ErrorShape{
		"SerializationException":    {Type: "com.amazon.coral.service#SerializationException", MessageKey: "Message"},
		"ValidationException":       {Type: "com.amazon.coral.validate#ValidationException"},
		"UnknownOperationException": {Type: "com.amazon.coral.service#UnknownOperationException", NoMessage: true},
	}
	tests := []struct {
		code, msg string
		want      map[string]any
	}{
		{"SerializationException", "m", map[string]any{"__type": "com.amazon.coral.service#SerializationException", "Message": "m"}},
		{"SerializationException", "", map[string]any{"__type": "com.amazon.coral.service#SerializationException"}},
		{"ValidationException", "m", map[string]any{"__type": "com.amazon.coral.validate#ValidationException", "message": "m"}},
		{"UnknownOperationException", "m", map[string]any{"__type": "com.amazon.coral.service#UnknownOperationException"}},
		{"ResourceNotFoundException", "m", map[string]any{"__type": "ns#ResourceNotFoundException", "message": "m"}},
	}
	for _, tt := range tests {
		svc := &JSONService{ErrorNamespace: "ns#", ErrorShapes: shapes, Ops: map[string]JSONOp{"Op": func(context.Context, []byte) (any, error) { return nil, &Error{Code: tt.code, Message: tt.msg} }}}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		r.Header.Set("X-Amz-Target", "Op")
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, r)
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %s, want %v", tt.code, w.Body, tt.want)
		}
	}
}
