package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// JSONOp is one operation of an awsJson service: it decodes body itself
// (DecodeJSON) and returns the value to encode as the response, or an error.
type JSONOp func(ctx context.Context, body []byte) (any, error)

// JSONService serves an awsJson1_0 / awsJson1_1 protocol: POST / with
// X-Amz-Target: <TargetPrefix><Operation>.
type JSONService struct {
	// TargetPrefix is the part of X-Amz-Target before the operation name,
	// with its dot: "DynamoDB_20120810.".
	TargetPrefix string
	// ContentType is "application/x-amz-json-1.0" or "...-1.1".
	ContentType string
	// ErrorNamespace prefixes codes in the __type field:
	// "com.amazonaws.dynamodb.v20120810#". Empty sends the bare code.
	ErrorNamespace string
	// ErrorShapes overrides, per code, the __type and the message member of
	// error bodies: DynamoDB types ValidationException
	// "com.amazon.coral.validate#ValidationException" with "message" and
	// SerializationException "com.amazon.coral.service#..." with "Message".
	ErrorShapes map[string]ErrorShape
	// CRC32 adds the X-Amz-Crc32 header DynamoDB clients verify.
	CRC32 bool
	// Ops maps operation names to their implementation.
	Ops map[string]JSONOp
	// UnknownOperationCode is the code for an unknown target; default
	// "UnknownOperationException".
	UnknownOperationCode string
	Logger               *slog.Logger
	// MaxBody bounds request bodies; 0 means 16 MiB.
	MaxBody int64
	// KeepEmptyBody hands an empty body to the operation as it is, for a
	// service that refuses it (DynamoDB: SerializationException), instead
	// of reading it as {}.
	KeepEmptyBody bool
}

// ErrorShape is how an awsJson service writes the body of one error code.
type ErrorShape struct {
	// Type is the whole __type value.
	Type string
	// MessageKey is the member holding the message; empty means "message".
	MessageKey string
	// NoMessage leaves the message out: DynamoDB's UnknownOperationException
	// is {"__type": ...} alone. An empty message is also left out.
	NoMessage bool
}

// ServeHTTP implements http.Handler.
func (s *JSONService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, s.TargetPrefix)
	if !ok {
		op = ""
	}
	fn := s.Ops[op]
	if fn == nil {
		code := s.UnknownOperationCode
		if code == "" {
			code = "UnknownOperationException"
		}
		s.writeError(w, r, Errorf(code, "unknown operation %q", target))
		return
	}
	max := s.MaxBody
	if max == 0 {
		max = 16 << 20
	}
	body, err := ReadBody(w, r, max)
	if err != nil {
		s.writeError(w, r, bodyError(err))
		return
	}
	if len(bytes.TrimSpace(body)) == 0 && !s.KeepEmptyBody {
		body = []byte("{}")
	}
	out, err := fn(r.Context(), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.write(w, http.StatusOK, b)
}

func (s *JSONService) write(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", s.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if s.CRC32 {
		h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	}
	w.WriteHeader(status)
	w.Write(b)
}

func (s *JSONService) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, known := AsError(err)
	if !known {
		logger(s.Logger).ErrorContext(r.Context(), "operation failed", "target", r.Header.Get("X-Amz-Target"), "err", err)
	}
	if e.QueryCode != "" {
		fault := "Sender"
		if e.Receiver {
			fault = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.QueryCode+";"+fault)
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	own := map[string]any{"__type": s.ErrorNamespace + e.Code, "message": e.Message}
	if shape, ok := s.ErrorShapes[e.Code]; ok {
		own = map[string]any{"__type": shape.Type}
		msgKey := shape.MessageKey
		if msgKey == "" {
			msgKey = "message"
		}
		if !shape.NoMessage && e.Message != "" {
			own[msgKey] = e.Message
		}
	}
	b, _ := json.Marshal(e.body(own))
	s.write(w, e.HTTPStatus(), b)
}

// ReadBody reads at most max bytes of r's body. A body of known length is
// read into one buffer of that length (no doubling of a growing buffer); a
// declared length over max fails before anything is read.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, &http.MaxBytesError{Limit: max}
	}
	if r.ContentLength > 0 {
		b := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, max))
}

// bodyError is the answer to a body ReadBody could not read: too slow
// (408) or too large (413).
func bodyError(err error) *Error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return StatusErrorf(http.StatusRequestTimeout, "RequestTimeoutException", "the request body arrived too slowly and was cut off")
	}
	return StatusErrorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "request body too large or unreadable: %v", err)
}

// DecodeJSON unmarshals an operation's request body into v. A body that is
// not valid JSON for v's shape yields the awsJson SerializationException.
func DecodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return Errorf("SerializationException", "could not decode the request body: %v", err)
	}
	return nil
}

// WriteJSON writes v as a JSON response with the given status (REST services).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"message":"could not encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// WriteRESTError writes err in the restJson1 error shape: the code in
// X-Amzn-ErrorType and the body {"message": ..., "__type"?}. Lambda and API
// Gateway use this shape.
func WriteRESTError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, known := AsError(err)
	if !known {
		logger(log).ErrorContext(r.Context(), "operation failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	WriteJSON(w, e.HTTPStatus(), e.body(map[string]any{"message": e.Message, "Message": e.Message, "Type": faultType(e), "__type": e.Code}))
}

// body adds e.Fields to the members the protocol writes, which win.
func (e *Error) body(own map[string]any) map[string]any {
	for k, v := range e.Fields {
		if _, ok := own[k]; !ok {
			own[k] = v
		}
	}
	return own
}

func faultType(e *Error) string {
	if e.Receiver {
		return "Service"
	}
	return "User"
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}
