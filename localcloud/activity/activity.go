// Package activity is the local cloud's internal event stream: API requests,
// function invocations and queue depths, for the demo page and the load
// report. Publishing costs one atomic load when nobody listens.
package activity

import (
	"sync"
	"sync/atomic"
	"time"
)

// Kinds of events.
const (
	KindRequest    = "request"    // an AWS API call: Service, Name (operation), Status, Duration, Outcome (a JSON protocol's error code)
	KindInvocation = "invocation" // a Lambda invocation: Name (function), Outcome, Duration, Cold
	KindHTTPAPI    = "httpapi"    // a request to an HTTP API: Name (api id), Stage, Route, Status, Duration, Integration
	KindQueueDepth = "queue"      // a queue's depth: Name (queue), Visible, InFlight
	KindBatch      = "esm-batch"  // an event source mapping's batch: Name (function), Route (source ARN), Status (records), Outcome, Duration
	KindCount      = "count"      // a count of a service's metric: Service, Name (queue or topic), Route (metric name), Status (count)
	KindSample     = "sample"     // a timing sample of a service's metric: Service, Name (function), Route (metric name), Duration
	KindTable      = "table"      // a DynamoDB data-plane request on one table: Name (table), Route (operation), Outcome, Duration, Read, Write (units)
)

// Event is one thing that happened in the local cloud.
type Event struct {
	Time     time.Time     `json:"time"`
	Kind     string        `json:"kind"`
	Service  string        `json:"service,omitempty"`
	Name     string        `json:"name,omitempty"`
	Account  string        `json:"account,omitempty"`
	Region   string        `json:"region,omitempty"`
	Route    string        `json:"route,omitempty"`
	Status   int           `json:"status,omitempty"`
	Outcome  string        `json:"outcome,omitempty"` // "ok", "error", "timeout", "throttled"
	Cold     bool          `json:"cold,omitempty"`
	Visible  int           `json:"visible,omitempty"`
	InFlight int           `json:"inFlight,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	// Stage and Integration (the integration's share of Duration, 0 when
	// the request never reached one) are an HTTP API request's.
	Stage       string        `json:"stage,omitempty"`
	Integration time.Duration `json:"integration,omitempty"`
	// Read and Write are the capacity units a DynamoDB request consumed.
	Read  float64 `json:"read,omitempty"`
	Write float64 `json:"write,omitempty"`
}

// Bus fans events out to subscribers. A nil *Bus is valid and drops
// everything. Slow subscribers lose events rather than slow the cloud down.
// Taps see every event, synchronously, and lose none: they are for cheap
// in-process aggregation (CloudWatch's service metrics).
type Bus struct {
	mu   sync.Mutex
	subs map[*sub]struct{}
	n    atomic.Int32
	taps atomic.Pointer[[]*tap]
}

type tap struct{ fn func(Event) }

type sub struct{ ch chan Event }

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*sub]struct{}{}} }

// Active reports whether anybody listens; callers may skip building events.
func (b *Bus) Active() bool { return b != nil && (b.n.Load() > 0 || b.taps.Load() != nil) }

// Publish gives e to every tap, then sends it to every subscriber that has
// room for it.
func (b *Bus) Publish(e Event) {
	if !b.Active() {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if taps := b.taps.Load(); taps != nil {
		for _, t := range *taps {
			t.fn(e)
		}
	}
	if b.n.Load() == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
		}
	}
}

// Subscribe returns a channel of events with room for buf of them, and a
// function that ends the subscription and closes the channel.
func (b *Bus) Subscribe(buf int) (<-chan Event, func()) {
	s := &sub{ch: make(chan Event, buf)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.n.Add(1)
	b.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.n.Add(-1)
			close(s.ch)
			b.mu.Unlock()
		})
	}
}

// Tap calls fn with every event published from now on, on the publisher's
// goroutine: fn must be quick and must not publish. The returned function
// removes the tap.
func (b *Bus) Tap(fn func(Event)) (stop func()) {
	t := &tap{fn: fn}
	b.mu.Lock()
	b.setTaps(func(old []*tap) []*tap { return append(old, t) })
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.setTaps(func(old []*tap) []*tap {
				var out []*tap
				for _, x := range old {
					if x != t {
						out = append(out, x)
					}
				}
				return out
			})
			b.mu.Unlock()
		})
	}
}

// setTaps replaces the tap list copy-on-write; the caller holds b.mu.
func (b *Bus) setTaps(change func([]*tap) []*tap) {
	var old []*tap
	if p := b.taps.Load(); p != nil {
		old = *p
	}
	next := change(append([]*tap(nil), old...))
	if len(next) == 0 {
		b.taps.Store(nil)
		return
	}
	b.taps.Store(&next)
}
