package demo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// window is how many seconds of per-second counts the live view keeps:
// the chart's span.
const window = 180

// rateSpan is the span live rates are averaged over, in seconds: short
// enough that a control shows on the diagram within a second or two.
const rateSpan = 3

// bucket is one second's counts by key.
type bucket struct {
	sec int64
	m   map[string]float64
}

// meter keeps per-second counts for the last window seconds, totals since
// the last reset, and door latency samples per design. It is safe for
// concurrent use.
type meter struct {
	mu      sync.Mutex
	ring    [window]bucket
	totals  map[string]float64
	latency map[string][]float64 // design -> ms samples (a bounded reservoir)
	seen    map[string]int       // design -> samples offered to the reservoir
	since   time.Time
}

// maxSamples bounds each design's latency reservoir.
const maxSamples = 20000

func newMeter(now time.Time) *meter {
	m := &meter{}
	m.reset(now)
	return m
}

func (m *meter) reset(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ring = [window]bucket{}
	m.totals = map[string]float64{}
	m.latency = map[string][]float64{}
	m.seen = map[string]int{}
	m.since = now
}

// add counts v under key at t.
func (m *meter) add(t time.Time, key string, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addLocked(t, key, v)
}

func (m *meter) addLocked(t time.Time, key string, v float64) {
	if t.Before(m.since) {
		return
	}
	sec := t.Unix()
	b := &m.ring[sec%window]
	if b.sec != sec || b.m == nil {
		*b = bucket{sec: sec, m: map[string]float64{}}
	}
	b.m[key] += v
	m.totals[key] += v
}

// sample offers one latency sample of design to its reservoir.
func (m *meter) sample(design string, ms float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sampleLocked(design, ms)
}

func (m *meter) sampleLocked(design string, ms float64) {
	m.seen[design]++
	s := m.latency[design]
	if len(s) < maxSamples {
		m.latency[design] = append(s, ms)
		return
	}
	if i := rand.IntN(m.seen[design]); i < maxSamples {
		s[i] = ms
	}
}

// rate is key's count per second over the rateSpan seconds up to now.
func (m *meter) rate(key string, now time.Time) float64 {
	return m.sum(key, now, rateSpan) / rateSpan
}

// sum adds key's counts over the n seconds up to and including now's.
func (m *meter) sum(key string, now time.Time, n int) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var s float64
	for sec := now.Unix() - int64(n) + 1; sec <= now.Unix(); sec++ {
		if b := m.ring[sec%window]; b.sec == sec {
			s += b.m[key]
		}
	}
	return s
}

func (m *meter) total(key string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.totals[key]
}

// percentiles of design's latency samples.
func (m *meter) percentiles(design string) Latency {
	m.mu.Lock()
	s := slices.Clone(m.latency[design])
	m.mu.Unlock()
	if len(s) == 0 {
		return Latency{}
	}
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(p*float64(len(s))+0.5) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1]}
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// topology names what the meter counts events under: the demo's two
// accounts, its APIs and functions.
type topology struct {
	account, monoAccount string
	api, monoAPI, dsAPI  string            // API ids
	nodes                map[string]string // function name -> diagram node
	memory               map[string]int    // function name -> MB
	queues               map[string]string // queue name -> diagram node
	streamARN            string
}

// count files one activity event under the keys the figures read:
//
//	door:<design>:<class>  requests at a design's front door (ok, throttled, refused, failed)
//	req:<node> / err:<node> / thr:<node>  a node's requests, errors and throttles
//	inv:<node> / dur:<node>  invocations and their seconds (concurrency by Little's law)
//	gbs                    billed Lambda GB-seconds of the pipeline's functions
//	ddb:w / ddb:r          DynamoDB item writes and reads of the decoupled design
//	sns / sqs              SNS publishes and billable SQS requests of the decoupled design
//	rec:stream             stream records handed to the publisher
//	depth:<node>           not counted here: queues report their depth as a gauge
func (m *meter) count(e activity.Event, top *topology, p Prices) (gauge string, visible, inflight int) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	switch e.Account {
	case top.account:
	case top.monoAccount:
		m.countMonolith(e, top)
		return "", 0, 0
	default:
		return "", 0, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := e.Time
	switch e.Kind {
	case activity.KindHTTPAPI:
		switch e.Name {
		case top.api:
			if e.Status != 401 && e.Status != 403 { // API Gateway bills no request its authorizer refused
				m.addLocked(t, "bill:api", 1)
			}
			m.addLocked(t, "req:api", 1)
			m.addLocked(t, "door:decoupled:"+doorClass(e.Status), 1)
			if e.Status >= 500 {
				m.addLocked(t, "err:api", 1)
			}
			if e.Status == 429 {
				m.addLocked(t, "thr:api", 1)
			}
			m.latencyLocked("decoupled", e)
		case top.dsAPI:
			node := "inventory"
			if strings.Contains(e.Route, "/entries") {
				node = "accounting"
			}
			m.addLocked(t, "req:"+node, 1)
			if e.Status >= 500 {
				m.addLocked(t, "err:"+node, 1)
			}
		}
	case activity.KindInvocation:
		node, ok := top.nodes[e.Name]
		if !ok {
			return "", 0, 0
		}
		switch e.Outcome {
		case "throttled":
			m.addLocked(t, "thr:"+node, 1)
			return "", 0, 0
		case "error", "timeout":
			m.addLocked(t, "err:"+node, 1)
		}
		m.addLocked(t, "inv:"+node, 1)
		m.addLocked(t, "dur:"+node, e.Duration.Seconds())
		if node != "inventory" && node != "accounting" { // the downstream services are not the design's cost
			m.addLocked(t, "gbs", p.GBSeconds(e.Duration.Seconds(), top.memory[e.Name]))
			m.addLocked(t, "lambda", 1)
		}
	case activity.KindBatch:
		if e.Route == top.streamARN {
			m.addLocked(t, "rec:stream", float64(e.Status))
		}
	case activity.KindQueueDepth:
		if node, ok := top.queues[e.Name]; ok {
			return node, e.Visible, e.InFlight
		}
	case activity.KindRequest:
		m.countRequest(e)
	}
	return "", 0, 0
}

// Billable operations of the decoupled design. Observers' calls (the
// demo's own Scan, BatchGetItem, GetQueueAttributes, Describe*) are left
// out, and so are stream reads, which Lambda does not bill.
var (
	ddbWrites = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true}
	ddbReads  = map[string]bool{"GetItem": true}
	sqsBilled = map[string]bool{"SendMessage": true, "SendMessageBatch": true, "ReceiveMessage": true, "DeleteMessage": true,
		"DeleteMessageBatch": true, "ChangeMessageVisibility": true, "ChangeMessageVisibilityBatch": true}
)

func (m *meter) countRequest(e activity.Event) {
	if e.Status >= 400 {
		return
	}
	switch {
	case e.Service == "dynamodb" && ddbWrites[e.Name]:
		m.addLocked(e.Time, "ddb:w", 1)
	case e.Service == "dynamodb" && ddbReads[e.Name]:
		m.addLocked(e.Time, "ddb:r", 1)
	case e.Service == "sns" && e.Name == "Publish":
		m.addLocked(e.Time, "sns", 1)
	case e.Service == "sqs" && sqsBilled[e.Name]:
		m.addLocked(e.Time, "sqs", 1)
	}
}

func (m *meter) countMonolith(e activity.Event, top *topology) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case e.Kind == activity.KindHTTPAPI && e.Name == top.monoAPI:
		m.addLocked(e.Time, "req:monolith", 1)
		m.addLocked(e.Time, "door:monolith:"+doorClass(e.Status), 1)
		if e.Status >= 500 {
			m.addLocked(e.Time, "err:monolith", 1)
		}
		m.latencyLocked("monolith", e)
	case e.Kind == activity.KindInvocation && e.Name == monolithFunction:
		if e.Outcome == "throttled" {
			m.addLocked(e.Time, "thr:monolith", 1)
			return
		}
		m.addLocked(e.Time, "inv:monolith", 1)
		m.addLocked(e.Time, "dur:monolith", e.Duration.Seconds())
	}
}

func (m *meter) latencyLocked(design string, e activity.Event) {
	m.sampleLocked(design, float64(e.Duration.Microseconds())/1000)
}

// doorClass sorts a front door's answer: ok (201), throttled (429),
// refused (other 4xx) or failed (5xx: errors and timeouts).
func doorClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "ok"
	case status == 429:
		return "throttled"
	case status >= 400 && status < 500:
		return "refused"
	default:
		return "failed"
	}
}
