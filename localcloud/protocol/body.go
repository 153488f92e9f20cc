package protocol

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Request bodies are read on the router's terms, whatever the service does
// with them:
//
//   - at a minimum rate: a body must arrive within BodyGrace plus one second
//     per BodyMinRate bytes received, or the connection's read deadline
//     passes and the read fails (a body sent a byte at a time no longer
//     holds a connection and a handler for ever); the deadline is cleared
//     once the body is read, so long polls and long invocations are not cut;
//   - a few large ones at a time: a request whose body is over LargeBody
//     bytes (or of unknown length) waits for one of LargeRequests slots
//     before its handler runs, and frees it when the handler returns, which
//     bounds the memory large bodies and their decoding take together.

// Defaults for RouterConfig's body limits.
const (
	DefaultBodyGrace     = 10 * time.Second
	DefaultBodyMinRate   = 16 << 10 // bytes a second
	DefaultLargeBody     = 1 << 20
	DefaultLargeRequests = 4
)

// BodyLimits configures how the router reads request bodies.
type BodyLimits struct {
	// Grace is the time any body gets before the minimum rate applies;
	// 0 means DefaultBodyGrace.
	Grace time.Duration
	// MinRate is the slowest a body may arrive after Grace, in bytes a
	// second; 0 means DefaultBodyMinRate.
	MinRate int64
	// LargeBody is the size over which a request takes a large-request
	// slot; 0 means DefaultLargeBody.
	LargeBody int64
	// LargeRequests is how many large requests are served at once; 0 means
	// DefaultLargeRequests.
	LargeRequests int
}

// bodyLimiter applies BodyLimits.
type bodyLimiter struct {
	grace     time.Duration
	minRate   int64
	largeBody int64
	slots     chan struct{}
	waiting   atomic.Int64 // requests waiting for a slot
}

func newBodyLimiter(l BodyLimits) *bodyLimiter {
	b := &bodyLimiter{grace: l.Grace, minRate: l.MinRate, largeBody: l.LargeBody}
	if b.grace <= 0 {
		b.grace = DefaultBodyGrace
	}
	if b.minRate <= 0 {
		b.minRate = DefaultBodyMinRate
	}
	if b.largeBody <= 0 {
		b.largeBody = DefaultLargeBody
	}
	n := l.LargeRequests
	if n <= 0 {
		n = DefaultLargeRequests
	}
	b.slots = make(chan struct{}, n)
	return b
}

// admit waits for a large-request slot when r needs one and wraps its body
// in the minimum-rate reader. done releases what admit took; ok is false
// when the client went away while waiting.
func (b *bodyLimiter) admit(ctx context.Context, w http.ResponseWriter, r *http.Request) (done func(), ok bool) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return func() {}, true
	}
	release := func() {}
	if r.ContentLength < 0 || r.ContentLength > b.largeBody {
		b.waiting.Add(1)
		defer b.waiting.Add(-1)
		select {
		case b.slots <- struct{}{}:
			release = sync.OnceFunc(func() { <-b.slots })
		case <-ctx.Done():
			return nil, false
		}
	}
	rb := &rateBody{ReadCloser: r.Body, ctl: http.NewResponseController(w), header: w.Header(), limits: b, start: time.Now()}
	rb.extend()
	r.Body = rb
	return release, true
}

// rateBody is a request body whose connection read deadline moves with the
// bytes received: start + grace + read/minRate. The deadline stays when a
// handler leaves the body unread, so the server's discarding of the rest is
// bounded too; the server sets its own deadline for the next request.
type rateBody struct {
	io.ReadCloser
	ctl    *http.ResponseController
	header http.Header // the response's: a cut-off body closes the connection
	limits *bodyLimiter
	start  time.Time

	mu      sync.Mutex
	read    int64
	cleared bool
}

func (b *rateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	b.read += int64(n)
	b.mu.Unlock()
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		// The rest of the body is still on its way: the connection
		// cannot carry another request.
		b.header.Set("Connection", "close")
	case err != nil:
		b.clear() // EOF: later reads on the connection are not the body's
	default:
		b.extend()
	}
	return n, err
}

// extend moves the read deadline to what the bytes so far earn.
func (b *rateBody) extend() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cleared {
		return
	}
	earned := time.Duration(b.read * int64(time.Second) / b.limits.minRate)
	b.ctl.SetReadDeadline(b.start.Add(b.limits.grace + earned))
}

// clear removes the deadline once the body is done with.
func (b *rateBody) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.cleared {
		b.cleared = true
		b.ctl.SetReadDeadline(time.Time{})
	}
}
