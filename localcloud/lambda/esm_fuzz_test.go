package lambda

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzCreateEventSourceMappingJSON posts arbitrary CreateEventSourceMapping
// bodies and ListEventSourceMappings queries: every answer is a success or
// an error in the restJson1 shape, never a 500.
func FuzzCreateEventSourceMappingJSON(f *testing.F) {
	w := newWorld(f, "")
	_, q := w.queue(f, "fuzz-q", nil)
	stream := w.table(f, "fuzz-t")
	w.function(f, "fn", 3, nil)
	f.Add([]byte(`{"FunctionName":"fn","EventSourceArn":"`+q+`","BatchSize":5,"FunctionResponseTypes":["ReportBatchItemFailures"]}`), "FunctionName=fn")
	f.Add([]byte(`{"FunctionName":"fn","EventSourceArn":"`+stream+`","StartingPosition":"TRIM_HORIZON","BisectBatchOnFunctionError":true,"MaximumRetryAttempts":2,"DestinationConfig":{"OnFailure":{"Destination":"`+q+`"}}}`), "EventSourceArn="+url.QueryEscape(stream))
	f.Add([]byte(`{"FunctionName":"fn","EventSourceArn":"`+q+`","FilterCriteria":{"Filters":[{"Pattern":"{\"body\":{\"a\":[{\"numeric\":[\">\",1]}]}}"}]}}`), "MaxItems=1&Marker=1")
	f.Add([]byte(`{"FunctionName":"fn","EventSourceArn":"`+stream+`","StartingPosition":"AT_TIMESTAMP","StartingPositionTimestamp":1.7e9,"MaximumRecordAgeInSeconds":59}`), "MaxItems=0")
	f.Add([]byte(`{"FunctionName":null,"BatchSize":"ten"}`), "Marker=-1")
	f.Add([]byte(`{"FunctionName":"fn","EventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/x","Topics":["t"]}`), "MaxItems=abc")
	f.Add([]byte(`{`), "")
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		vals, err := url.ParseQuery(query)
		if err != nil {
			vals = nil
		}
		query = vals.Encode()
		for _, r := range []struct {
			method, target string
			body           []byte
		}{
			{"POST", "/2015-03-31/event-source-mappings/", body},
			{"GET", "/2015-03-31/event-source-mappings/?" + query, nil},
		} {
			rec := serveDirect(w.lam, r.method, r.target, r.body, nil)
			if rec.Code >= 500 {
				t.Fatalf("%s %s: got %d %s", r.method, r.target, rec.Code, rec.Body)
			}
			if rec.Code >= 400 && rec.Header().Get("X-Amzn-ErrorType") == "" {
				t.Fatalf("%s %s: error %d without X-Amzn-ErrorType", r.method, r.target, rec.Code)
			}
			if rec.Code < 400 && rec.Code != http.StatusOK && rec.Code != http.StatusAccepted {
				t.Fatalf("%s %s: got status %d", r.method, r.target, rec.Code)
			}
		}
	})
}
