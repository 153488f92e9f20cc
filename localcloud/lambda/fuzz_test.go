package lambda

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// serveDirect sends one request straight to the service's routing table,
// acting as the test account.
func serveDirect(s *Service, method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		r.Header[k] = v
	}
	r = r.WithContext(protocol.WithIdentity(r.Context(), protocol.Identity{AccountID: cloudtest.Account, Region: "us-east-1"}))
	w := httptest.NewRecorder()
	s.mux.ServeHTTP(w, r)
	return w
}

// fuzzService is a service holding one function whose bootstrap cannot run,
// so fuzzed invocations exercise the whole path without starting processes.
func fuzzService(f *testing.F) *Service {
	s, err := New(Config{DataDir: f.TempDir(), Logger: cloudtest.Logger(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	zip := zipFiles(f, map[string]fileSpec{"bootstrap": {[]byte("no shebang"), 0o755}})
	body := []byte(`{"FunctionName":"target","Runtime":"provided.al2023","Handler":"h","Role":"` + testRole + `","Code":{"ZipFile":"` + base64.StdEncoding.EncodeToString(zip) + `"}}`)
	if w := serveDirect(s, "POST", "/2015-03-31/functions", body, nil); w.Code != http.StatusCreated {
		f.Fatalf("create: %d %s", w.Code, w.Body)
	}
	return s
}

func FuzzInvokePath(f *testing.F) {
	s := fuzzService(f)
	f.Add("target", "", "", []byte(`{}`))
	f.Add("target", "$LATEST", "Tail", []byte(`{"a":1}`))
	f.Add("arn:aws:lambda:us-east-1:123456789012:function:target:$LATEST", "", "None", []byte(``))
	f.Add("123456789012:function:target", "1", "Tail", []byte(`not json`))
	f.Add("arn:aws:lambda:eu-west-1:999999999999:function:x", "", "", []byte(`[]`))
	f.Add("a/../b", "..", "bogus", []byte{0xff})
	f.Fuzz(func(t *testing.T, name, qualifier, logType string, payload []byte) {
		target := "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
		if qualifier != "" {
			target += "?Qualifier=" + url.QueryEscape(qualifier)
		}
		h := http.Header{}
		if logType != "" {
			h.Set("X-Amz-Log-Type", logType)
		}
		w := serveDirect(s, "POST", target, payload, h)
		if w.Code >= 500 {
			t.Fatalf("POST %s: got %d %s", target, w.Code, w.Body)
		}
		if w.Code == http.StatusOK && w.Header().Get("X-Amz-Function-Error") == "" {
			t.Fatalf("POST %s: a function that cannot start answered without a function error", target)
		}
	})
}

func FuzzCreateFunctionJSON(f *testing.F) {
	s := fuzzService(f)
	zip := base64.StdEncoding.EncodeToString(zipFiles(f, map[string]fileSpec{"bootstrap": {[]byte("#!/bin/sh\n"), 0o755}}))
	f.Add([]byte(`{"FunctionName":"a","Runtime":"provided.al2023","Handler":"h","Role":"` + testRole + `","Code":{"ZipFile":"` + zip + `"}}`))
	f.Add([]byte(`{"FunctionName":"b","Runtime":"go1.x","Role":"` + testRole + `","Timeout":900,"MemorySize":10240,"Architectures":["arm64"],"Environment":{"Variables":{"A":"b"}},"Code":{"ZipFile":"` + zip + `"}}`))
	f.Add([]byte(`{"FunctionName":"c","Runtime":"provided.al2","Role":"x","Code":{"ZipFile":"AAAA"}}`))
	f.Add([]byte(`{"FunctionName":"d","Timeout":-1,"MemorySize":1e9}`))
	f.Add([]byte(`{"FunctionName":123}`))
	f.Add([]byte(`{`))
	f.Add([]byte(``))
	f.Add([]byte(`{"FunctionName":"e","Runtime":"provided.al2023","Role":"` + testRole + `","Code":{"ZipFile":null},"Tags":{"aws:x":"y"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := serveDirect(s, "POST", "/2015-03-31/functions", body, nil)
		if w.Code >= 500 {
			t.Fatalf("create %q: got %d %s", body, w.Code, w.Body)
		}
		if w.Code != http.StatusCreated && w.Header().Get("X-Amzn-ErrorType") == "" {
			t.Fatalf("create %q: status %d without an error type", body, w.Code)
		}
	})
}

func TestUnknownPathsAnswerInShape(t *testing.T) {
	t.Parallel()
	s, err := New(Config{DataDir: t.TempDir(), Logger: cloudtest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		method, target string
		status         int
	}{
		{"GET", "/2015-03-31/event-source-mappings/", http.StatusOK}, // ListEventSourceMappings (esm.go)
		{"PATCH", "/2015-03-31/functions/x", http.StatusNotFound},
		{"GET", "/2015-03-31/functions/", http.StatusOK},
		{"GET", "/2016-08-19/account-settings/", http.StatusOK},
		{"GET", "/2017-03-31/tags/not-an-arn", http.StatusBadRequest},
		{"GET", "/2015-03-31/code/1/2/3/4.zip", http.StatusNotFound},
	}
	for _, tt := range tests {
		w := serveDirect(s, tt.method, tt.target, nil, nil)
		if w.Code != tt.status {
			t.Errorf("%s %s: got %d %s, want %d", tt.method, tt.target, w.Code, w.Body, tt.status)
		}
		if w.Code >= 400 && w.Header().Get("X-Amzn-ErrorType") == "" {
			t.Errorf("%s %s: error without X-Amzn-ErrorType", tt.method, tt.target)
		}
	}
}
