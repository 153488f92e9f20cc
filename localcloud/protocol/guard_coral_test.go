package protocol_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// TestUnsignedCoralAnswers holds the guard's answers to unsigned awsJson
// calls to DynamoDB's: status, exact body and Content-Type as a public
// conformance suite run against real DynamoDB records them (architect/dynalite
// test/connection.js, its checks in dynalite's index.js). The call is
// refused either way; only the shape is DynamoDB's, so SDKs and test
// suites read the error they expect.
func TestUnsignedCoralAnswers(t *testing.T) {
	var ran bool
	rt := protocol.NewRouter(protocol.RouterConfig{})
	rt.Handle(protocol.Route{Service: "dynamodb", Targets: []string{"DynamoDB_20120810."}, Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true })})
	srv := httptest.NewServer(rt)
	defer srv.Close()

	const missing = `{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Request is missing Authentication Token"}`
	const incomplete = `{"__type":"com.amazon.coral.service#IncompleteSignatureException","message":`
	tests := []struct {
		name, query, auth, contentType, wantType, wantBody string
	}{
		{"no Authorization header", "", "", "", "application/json", missing},
		{"an incomplete Authorization header", "", "AWS4", "", "application/json", missing},
		{"the awsJson content type is echoed", "", "", "application/x-amz-json-1.0", "application/x-amz-json-1.0", missing},
		{"Authorization AWS4-", "", "AWS4-", "", "application/json", incomplete + `"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-"}`},
		// Presigned calls: X-Amz-Algorithm, even empty, is what makes one.
		{"an incomplete header and a query that is not X-Amz-Algorithm", "X-Amz-Algorith", "X", "", "application/json", missing},
		{"all query parameters but X-Amz-Algorithm", "X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d", "", "", "application/json", missing},
		{"both an Authorization header and X-Amz-Algorithm", "X-Amz-Algorithm", "X", "", "application/json", `{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."}`},
		{"an empty X-Amz-Algorithm", "X-Amz-Algorithm", "", "", "application/json", incomplete + `"AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."}`},
		{"no X-Amz-SignedHeaders", "X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d", "", "", "application/json", incomplete + `"AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", srv.URL+"/?"+tt.query, strings.NewReader(""))
			require.NoError(t, err)
			req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Equal(t, tt.wantType, res.Header.Get("Content-Type"))
			assert.JSONEq(t, tt.wantBody, string(body))
			assert.False(t, ran, "the operation ran for an unsigned call")
		})
	}
}

// TestCoralBodyLimit: DynamoDB reads request bodies of up to 16 MiB; one
// byte more is 413 with no body, sent chunked (dynalite's test/connection.js,
// recorded from DynamoDB: "should return 413 if request too large" and
// "should not return 413 if request not too large", a body of 'a's with
// no Content-Type, unsigned).
func TestCoralBodyLimit(t *testing.T) {
	rt := protocol.NewRouter(protocol.RouterConfig{})
	srv := httptest.NewServer(rt)
	defer srv.Close()
	for _, tc := range []struct {
		size        int
		status      int
		chunked     bool
		description string
	}{
		{16 << 20, http.StatusNotFound, false, "16 MiB: read, and not an API call"},
		{16<<20 + 1, http.StatusRequestEntityTooLarge, true, "one byte more: too large"},
	} {
		res, err := http.Post(srv.URL+"/", "", strings.NewReader(strings.Repeat("a", tc.size)))
		require.NoError(t, err, tc.description)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, tc.status, res.StatusCode, tc.description)
		if tc.chunked {
			assert.Equal(t, []string{"chunked"}, res.TransferEncoding, tc.description)
			assert.Empty(t, body, tc.description)
		}
	}
}
