package dynamo

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestCoralFrontEnd: requests that are not API calls get the answers
// DynamoDB's front end gives, as a public conformance suite records them on
// DynamoDB (statuses, bodies, their CRC32 and Content-Type), through the
// router, unsigned.
func TestCoralFrontEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := cloudtest.Serve(t, e.svc.Route())
	const (
		notFound      = "<UnknownOperationException/>\n"
		unknownOp     = `{"__type":"com.amazon.coral.service#UnknownOperationException"}`
		serialization = `{"__type":"com.amazon.coral.service#SerializationException"}`
	)
	for _, c := range []struct {
		method, contentType, target, body string
		status                            int
		want, wantType, crc               string
	}{
		{"GET", "", "", "", 200, "healthy: dynamodb.us-east-1.amazonaws.com ", "", ""},
		{"POST", "", "", "hi", 404, notFound, "", "3552371480"},
		{"POST", "whatever", "", "hi", 404, notFound, "", "3552371480"},
		{"POST", "application/x-amz-json-1.1", "", "hi", 404, notFound, "", "3552371480"},
		{"POST", "application/jsonasdf", "", "hi", 404, notFound, "", "3552371480"},
		{"PUT", "", "", "", 404, notFound, "", "3552371480"},
		{"DELETE", "", "", "", 404, notFound, "", "3552371480"},
		{"OPTIONS", "", "", "", 404, notFound, "", "3552371480"},
		{"POST", "application/json", "", "hi", 400, serialization, "application/json", "3948637019"},
		{"POST", "application/x-amz-json-1.0", "", "hi", 400, serialization, "application/x-amz-json-1.0", "3948637019"},
		{"POST", "application/json;", "", "hi", 400, serialization, "application/json", "3948637019"},
		{"POST", "  application/json  ;   asfd", "", "hi", 400, serialization, "application/json", "3948637019"},
		{"POST", "application/json;blahblah", "", "hi", 400, serialization, "application/json", "3948637019"},
		{"POST", "application/x-amz-json-1.0;blahblah", "", "hi", 400, serialization, "application/x-amz-json-1.0", "3948637019"},
		{"POST", "", "", "", 400, unknownOp, "application/json", "1368724161"},
		{"POST", "application/json", "", "{}", 400, unknownOp, "application/json", "1368724161"},
		{"POST", "application/x-amz-json-1.0", "", "{}", 400, unknownOp, "application/x-amz-json-1.0", "1368724161"},
		{"POST", "application/json;charset=asfdsaf", "", "{}", 400, unknownOp, "application/json", "1368724161"},
		{"POST", "", "whatever", "", 400, unknownOp, "application/json", "1368724161"},
		// An operation neither API has is unknown before the missing
		// signature is looked at.
		{"POST", "", "DynamoDB_20120810.ListTable", "", 400, unknownOp, "application/json", "1368724161"},
		{"POST", "", "DynamoDBStreams_20120810.ListTables", "", 400, unknownOp, "application/json", "1368724161"},
	} {
		req, err := http.NewRequest(c.method, url+"/", strings.NewReader(c.body))
		require.NoError(t, err)
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		if c.target != "" {
			req.Header.Set("X-Amz-Target", c.target)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		what := c.method + " " + c.contentType + " " + c.body
		assert.Equal(t, c.status, resp.StatusCode, what)
		assert.Equal(t, c.want, string(b), what)
		assert.Regexp(t, regexp.MustCompile(`^[0-9A-Z]{52}$`), resp.Header.Get("X-Amzn-RequestId"), what)
		if c.crc != "" {
			assert.Equal(t, c.crc, resp.Header.Get("X-Amz-Crc32"), what)
		} else {
			assert.Regexp(t, `^[0-9]+$`, resp.Header.Get("X-Amz-Crc32"), what)
		}
		if c.wantType != "" {
			assert.Equal(t, c.wantType, resp.Header.Get("Content-Type"), what)
		}
	}
	// CORS, for an Origin the guard lets through (no browser sends
	// "whatever"): a preflight is answered, and an answer may be read.
	req, _ := http.NewRequest("OPTIONS", url+"/", nil)
	req.Header.Set("Origin", "whatever")
	req.Header.Set("Access-Control-Request-Headers", "a, b, c")
	req.Header.Set("Access-Control-Request-Method", "d")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, b)
	for k, v := range map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "a, b, c",
		"Access-Control-Allow-Methods": "d", "Access-Control-Max-Age": "172800", "Content-Length": "0"} {
		assert.Equal(t, v, resp.Header.Get(k), k)
	}
	req, _ = http.NewRequest("POST", url+"/", nil)
	req.Header.Set("Origin", "whatever")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, unknownOp, string(b))
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	// A DynamoDB call in another Content-Type is not one either.
	for _, ct := range []string{"text/plain", "application/x-amz-json-1.1"} {
		req, _ := http.NewRequest("POST", url+"/", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cloudtest.Account+"/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, 404, resp.StatusCode, ct)
		assert.Equal(t, notFound, string(b), ct)
	}
}
