package protocol

import (
	"crypto/rand"
	"encoding/json"
	"hash/crc32"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The endpoint's root answers what no service claims as DynamoDB's Coral
// front end answers it, DynamoDB being the JSON service a bare endpoint
// URL most often meets (its SDK configurations point at "/"). Observed on
// DynamoDB by a public conformance suite:
//
//   - GET / is a health check: 200 "healthy: dynamodb.<region>.amazonaws.com ";
//   - a POST whose Content-Type is JSON (application/json or
//     application/x-amz-json-1.0, parameters ignored) or that has neither
//     a Content-Type nor a body is 400 UnknownOperationException, or
//     SerializationException when its body is not JSON, answered in the
//     request's awsJson type (else application/json);
//   - anything else (another method, another Content-Type, a body without
//     one) is 404 <UnknownOperationException/>.

// CoralRequestID is an id in DynamoDB's form: 52 characters of 0-9 and A-V
// (its x-amzn-RequestId, "M916D78UO89CO2GHJ2RQT8T0HJVV4KQNSO5AEMVJF66Q9ASUAAJG").
func CoralRequestID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
	var b [52]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b[:])
}

// CoralJSONType reports whether ct (a Content-Type header) is one DynamoDB's
// front end reads as JSON, and which of them.
func CoralJSONType(ct string) (base string, ok bool) {
	base, _, err := mime.ParseMediaType(ct)
	if err != nil {
		// "application/json;" and the like: the type before the ';'.
		base, _, _ = strings.Cut(ct, ";")
		base = strings.ToLower(strings.TrimSpace(base))
	}
	return base, base == "application/json" || base == "application/x-amz-json-1.0"
}

// WriteCoralNotFound writes DynamoDB's answer to a request it cannot read
// as an API call: 404 with an XML UnknownOperationException.
func WriteCoralNotFound(w http.ResponseWriter) {
	writeCoral(w, http.StatusNotFound, "", []byte("<UnknownOperationException/>\n"))
}

// CoralMaxBody is the largest request body DynamoDB reads: 16 MiB.
const CoralMaxBody = 16 << 20

// WriteCoralTooLarge writes DynamoDB's answer to a request body over
// CoralMaxBody: 413 and no body, sent chunked (dynalite's index.js and its
// test/connection.js, recorded from DynamoDB).
func WriteCoralTooLarge(w http.ResponseWriter) {
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // headers out before any body: the answer is chunked
	}
}

func writeCoral(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	w.WriteHeader(status)
	w.Write(b)
}

// coralRoot answers r, which no route claims, as DynamoDB's front end, if
// it is addressed to the endpoint's root by no other service; it reports
// whether it did.
func coralRoot(w http.ResponseWriter, r *http.Request, id Identity) bool {
	if r.URL.Path != "/" || (id.Service != "" && id.Service != "dynamodb") {
		return false
	}
	reqID := CoralRequestID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	w.Header().Set("X-Amz-Request-Id", reqID)
	CoralCORS(w, r)
	if r.Method == http.MethodGet {
		writeCoral(w, http.StatusOK, "text/plain", []byte("healthy: dynamodb."+id.Region+".amazonaws.com "))
		return true
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, CoralMaxBody+1))
	if len(body) > CoralMaxBody {
		WriteCoralTooLarge(w)
		return true
	}
	ct := r.Header.Get("Content-Type")
	base, isJSON := CoralJSONType(ct)
	if r.Method != http.MethodPost || !isJSON && !(ct == "" && len(body) == 0) {
		WriteCoralNotFound(w)
		return true
	}
	respType := "application/json"
	if base == "application/x-amz-json-1.0" {
		respType = base
	}
	code := "UnknownOperationException"
	if len(body) > 0 && !json.Valid(body) {
		code = "SerializationException"
	}
	w.Header().Set("X-Amzn-ErrorType", code)
	writeCoral(w, http.StatusBadRequest, respType, []byte(`{"__type":"com.amazon.coral.service#`+code+`"}`))
	return true
}

// coralPreflight answers a CORS preflight (OPTIONS with an Origin) to the
// endpoint's root, for DynamoDB or no particular service, as DynamoDB
// does: 200, any origin, the requested headers and method, cached for two
// days. The guard has already refused origins that may not call the
// cloud. It reports whether it answered.
func coralPreflight(w http.ResponseWriter, r *http.Request, id Identity) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Origin") == "" || r.URL.Path != "/" || (id.Service != "" && id.Service != "dynamodb") {
		return false
	}
	h := w.Header()
	reqID := CoralRequestID()
	h.Set("X-Amzn-RequestId", reqID)
	h.Set("X-Amz-Request-Id", reqID)
	h.Set("Access-Control-Allow-Origin", "*")
	if v := r.Header.Get("Access-Control-Request-Headers"); v != "" {
		h.Set("Access-Control-Allow-Headers", v)
	}
	if v := r.Header.Get("Access-Control-Request-Method"); v != "" {
		h.Set("Access-Control-Allow-Methods", v)
	}
	h.Set("Access-Control-Max-Age", "172800")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return true
}

// CoralCORS lets the page that sent r (the guard allowed its origin) read
// the answer, as DynamoDB lets any origin.
func CoralCORS(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
}
