package logs_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/logs"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

var fuzzOps = []string{
	"CreateLogGroup", "DeleteLogGroup", "DescribeLogGroups", "PutRetentionPolicy", "DeleteRetentionPolicy",
	"CreateLogStream", "DeleteLogStream", "DescribeLogStreams", "PutLogEvents", "GetLogEvents", "FilterLogEvents",
	"TagResource", "UntagResource", "ListTagsForResource", "TagLogGroup", "UntagLogGroup", "ListTagsLogGroup", "TestMetricFilter", "Nope", "StartQuery", "GetQueryResults", "PutMetricFilter", "DescribeMetricFilters", "DeleteMetricFilter",
}

// FuzzLogsJSON sends arbitrary bodies to every operation: each answer must be
// JSON and never a 500.
func FuzzLogsJSON(f *testing.F) {
	seeds := []struct {
		op   uint8
		body string
	}{
		{0, `{"logGroupName":"g","tags":{"a":"b"}}`},
		{5, `{"logGroupName":"g","logStreamName":"s"}`},
		{8, `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1700000000000,"message":"hi"}]}`},
		{8, `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":-1,"message":""}]}`},
		{8, `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":9223372036854775807,"message":"x"},{"timestamp":0,"message":"y"}]}`},
		{9, `{"logGroupName":"g","logStreamName":"s","nextToken":"f/1/2","limit":0}`},
		{9, `{"logGroupName":"g","logStreamName":"s","nextToken":"b/-9223372036854775808/0","startTime":5,"endTime":1}`},
		{10, `{"logGroupName":"g","filterPattern":"{ $.a = \"x*\" || ($.b > 1 && $.c NOT EXISTS) }","limit":1}`},
		{10, `{"logGroupIdentifier":"arn:aws:logs:us-east-1:000000000000:log-group:g:*","nextToken":"Zi8xLzI"}`},
		{2, `{"logGroupNamePattern":"G","limit":1,"nextToken":"Zw"}`},
		{7, `{"logGroupName":"g","orderBy":"LastEventTime","descending":true,"nextToken":"MQ"}`},
		{3, `{"logGroupName":"g","retentionInDays":7}`},
		{11, `{"resourceArn":"arn:aws:logs:us-east-1:000000000000:log-group:g","tags":{"k":"v"}}`},
		{13, `{"resourceArn":"not an arn"}`},
		{17, `{}`},
		{1, `not json`},
		{19, `{"logGroupName":"g","startTime":0,"endTime":9999999999,"queryString":"fields @timestamp, level | filter level = 'ERROR' and latency > 100 or @message like /x+/ | sort @timestamp desc | limit 5"}`},
		{19, `{"logGroupName":"g","startTime":0,"endTime":9999999999,"queryString":"stats count(*) as n, avg(latency) by level"}`},
		{20, `{"queryId":"nope"}`},
		{21, `{"logGroupName":"g","filterName":"f","filterPattern":"ERROR","metricTransformations":[{"metricName":"m","metricNamespace":"n","metricValue":"1","unit":"Count"}]}`},
		{22, `{"filterNamePrefix":"f"}`},
		{23, `{"logGroupName":"g","filterName":"f"}`},
		{4, `{"logGroupName":1}`},
	}
	for _, s := range seeds {
		f.Add(s.op, s.body)
	}
	svc, err := logs.New(logs.Config{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	// No test logger: the fuzz target may not log through f.
	rt := protocol.NewRouter(protocol.RouterConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rt.Handle(svc.Route())
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		target := "Logs_20140328." + fuzzOps[int(op)%len(fuzzOps)]
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=x")
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: got status %d: %s", target, body, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %q: response is not JSON: %s", target, body, w.Body)
		}
	})
}
