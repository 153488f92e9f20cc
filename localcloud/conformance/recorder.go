package conformance

import (
	"bytes"
	"io"
	"net/http"
	"sync"

	"github.com/aws/smithy-go/middleware"
)

// Call is one HTTP exchange an SDK client made: its operation and the
// response.
type Call struct {
	// Operation is the SDK's operation name ("CreateFunction").
	Operation string
	Status    int
	Header    http.Header
	Body      []byte
}

// Recorder is an aws.HTTPClient that records every response with the
// operation of the request, read from the SDK's middleware stack values in
// the request's context. Set it as an SDK config's HTTPClient. Its zero
// value sends through http.DefaultClient; it is safe for concurrent use.
type Recorder struct {
	// Next sends the requests; nil means http.DefaultClient.
	Next interface {
		Do(*http.Request) (*http.Response, error)
	}

	mu    sync.Mutex
	calls []Call
}

// Do sends req, reads the whole response body, records it and returns the
// response with the body readable again.
func (r *Recorder) Do(req *http.Request) (*http.Response, error) {
	next := r.Next
	if next == nil {
		next = http.DefaultClient
	}
	resp, err := next.Do(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, Call{
		Operation: middleware.GetOperationName(req.Context()),
		Status:    resp.StatusCode,
		Header:    resp.Header.Clone(),
		Body:      body,
	})
	return resp, nil
}

// Calls returns the calls recorded so far, in order.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}
