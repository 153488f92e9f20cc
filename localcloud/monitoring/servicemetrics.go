package monitoring

import (
	"context"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Service metrics: the other services' events (the activity bus, tapped so
// none is lost) become the metrics AWS publishes for them, aggregated per
// metric and minute in memory and written as one datapoint each when
// flushed (before every read and alarm evaluation, and every few seconds).
//
//	AWS/Lambda     Invocations, Errors, Throttles, ConcurrentExecutions,
//	               DeadLetterErrors (only when a send to the dead-letter queue fails; Count),
//	               Duration, IteratorAge (stream mappings; Milliseconds)
//	               by FunctionName and across all functions
//	AWS/ApiGateway Count, 4xx, 5xx (Count), Latency, IntegrationLatency (Milliseconds)
//	               by ApiId and by ApiId and Stage ($default for the default stage);
//	               IntegrationLatency only for requests that reached the integration
//	AWS/SQS        ApproximateNumberOfMessagesVisible, ...NotVisible, ...Delayed (Count),
//	               ApproximateAgeOfOldestMessage (Seconds, 0 when empty)
//	               by QueueName, sampled from the queue at each flush while it is active;
//	               NumberOfMessagesSent, ...Received, ...Deleted, NumberOfEmptyReceives
//	AWS/SNS        NumberOfMessagesPublished, NumberOfNotificationsDelivered, ...Failed,
//	               ...FilteredOut (Count) by TopicName
//	AWS/DynamoDB   UserErrors (Count; 400s but failed conditions), account-wide as on AWS; by TableName:
//	               ConsumedRead/WriteCapacityUnits (Count, units of successful
//	               data-plane calls), ConditionalCheckFailedRequests (Count);
//	               by TableName and Operation: SuccessfulRequestLatency
//	               (Milliseconds), ThrottledRequests (Count)

// maxRawValues bounds the raw values one minute's aggregate keeps for
// percentiles; past it the minute keeps only its statistic set.
const maxRawValues = 1000

// queueIdle is how long a queue that saw no activity keeps being sampled
// (AWS stops publishing a queue's metrics after six hours of inactivity).
const queueIdle = 6 * time.Hour

type accKey struct {
	rk     regionKey
	series string
	minute int64
}

type acc struct {
	metric Metric
	unit   string
	t      int64
	count  float64
	sum    float64
	min    float64
	max    float64
	vals   map[float64]float64
	noRaw  bool
}

type queueDepth struct {
	visible, inFlight int
	last              time.Time
}

type observer struct {
	mu     sync.Mutex
	accs   map[accKey]*acc
	queues map[regionKey]map[string]*queueDepth
	// runs are the invocations that ended since the last flush, by
	// function ("" for the account), for ConcurrentExecutions.
	runs map[regionKey]map[string][]span
}

const minuteUS = int64(time.Minute / time.Microsecond)

// span is one invocation's run, in Unix microseconds.
type span struct{ from, to int64 }

func newObserver() *observer {
	return &observer{accs: map[accKey]*acc{}, queues: map[regionKey]map[string]*queueDepth{}, runs: map[regionKey]map[string][]span{}}
}

// concurrency adds ConcurrentExecutions: for each minute the spans touch,
// the most spans running at once. Spans reported in a later flush are
// measured apart from these (an invocation still running at a flush is
// counted when it ends), which can only under-count across the flush.
func (o *observer) concurrency() {
	for rk, byFn := range o.runs {
		for fn, spans := range byFn {
			type edge struct {
				t     int64
				delta int
			}
			edges := make([]edge, 0, 2*len(spans))
			for _, sp := range spans {
				edges = append(edges, edge{sp.from, 1}, edge{sp.to, -1})
			}
			sort.Slice(edges, func(i, j int) bool {
				return edges[i].t < edges[j].t || (edges[i].t == edges[j].t && edges[i].delta < edges[j].delta)
			})
			peak := map[int64]int{}
			cur := 0
			for i, e := range edges {
				if i > 0 && cur > 0 {
					// Minutes crossed since the previous edge ran at cur.
					for m := edges[i-1].t/minuteUS + 1; m <= e.t/minuteUS && m-edges[i-1].t/minuteUS <= 15; m++ {
						peak[m] = max(peak[m], cur)
					}
				}
				cur += e.delta
				if cur > 0 {
					peak[e.t/minuteUS] = max(peak[e.t/minuteUS], cur)
				}
			}
			var dims []string
			if fn != "" {
				dims = []string{"FunctionName", fn}
			}
			for m, n := range peak {
				o.add(rk, metric("AWS/Lambda", "ConcurrentExecutions", dims...), "Count", float64(n), time.UnixMilli(m*60000))
			}
		}
	}
	o.runs = map[regionKey]map[string][]span{}
}

func (o *observer) add(rk regionKey, m Metric, unit string, v float64, t time.Time) {
	k := accKey{rk, seriesKey(m.Namespace, m.MetricName, m.Dimensions), t.UnixMilli() / 60000}
	a := o.accs[k]
	if a == nil {
		a = &acc{metric: m, unit: unit, t: k.minute * 60000, min: math.Inf(1), max: math.Inf(-1), vals: map[float64]float64{}}
		o.accs[k] = a
	}
	a.count++
	a.sum += v
	a.min, a.max = math.Min(a.min, v), math.Max(a.max, v)
	if !a.noRaw {
		if _, ok := a.vals[v]; ok || len(a.vals) < maxRawValues {
			a.vals[v]++
		} else {
			a.noRaw, a.vals = true, nil
		}
	}
}

func metric(ns, name string, dims ...string) Metric {
	m := Metric{Namespace: ns, MetricName: name, Dimensions: []Dimension{}}
	for i := 0; i+1 < len(dims); i += 2 {
		m.Dimensions = append(m.Dimensions, Dimension{Name: dims[i], Value: dims[i+1]})
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// observe is the bus tap: it only adds to the minute's aggregates.
func (s *Service) observe(e activity.Event) {
	if e.Account == "" {
		return
	}
	rk := regionKey{e.Account, e.Region}
	o := s.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	switch e.Kind {
	case activity.KindInvocation:
		for _, dims := range [][]string{{"FunctionName", e.Name}, nil} {
			if e.Outcome == "throttled" {
				o.add(rk, metric("AWS/Lambda", "Throttles", dims...), "Count", 1, e.Time)
				continue
			}
			o.add(rk, metric("AWS/Lambda", "Invocations", dims...), "Count", 1, e.Time)
			o.add(rk, metric("AWS/Lambda", "Errors", dims...), "Count", b2f(e.Outcome == "error" || e.Outcome == "timeout"), e.Time)
			o.add(rk, metric("AWS/Lambda", "Duration", dims...), "Milliseconds", ms(e.Duration), e.Time)
		}
		if e.Outcome != "throttled" {
			byFn := o.runs[rk]
			if byFn == nil {
				byFn = map[string][]span{}
				o.runs[rk] = byFn
			}
			// A run takes at least a microsecond, so the shortest
			// invocation still counts as running.
			from := e.Time.Add(-e.Duration).UnixMicro()
			sp := span{from, max(e.Time.UnixMicro(), from+1)}
			byFn[e.Name] = append(byFn[e.Name], sp)
			byFn[""] = append(byFn[""], sp)
		}
	case activity.KindHTTPAPI:
		dimSets := [][]string{{"ApiId", e.Name}}
		if e.Stage != "" {
			dimSets = append(dimSets, []string{"ApiId", e.Name, "Stage", e.Stage})
		}
		for _, dims := range dimSets {
			o.add(rk, metric("AWS/ApiGateway", "Count", dims...), "Count", 1, e.Time)
			o.add(rk, metric("AWS/ApiGateway", "4xx", dims...), "Count", b2f(e.Status >= 400 && e.Status < 500), e.Time)
			o.add(rk, metric("AWS/ApiGateway", "5xx", dims...), "Count", b2f(e.Status >= 500), e.Time)
			o.add(rk, metric("AWS/ApiGateway", "Latency", dims...), "Milliseconds", ms(e.Duration), e.Time)
			if e.Integration > 0 {
				o.add(rk, metric("AWS/ApiGateway", "IntegrationLatency", dims...), "Milliseconds", ms(e.Integration), e.Time)
			}
		}
	case activity.KindQueueDepth:
		q := o.touchQueue(rk, e.Name, e.Time)
		q.visible, q.inFlight = e.Visible, e.InFlight
	case activity.KindCount:
		switch e.Service {
		case "sqs":
			o.add(rk, metric("AWS/SQS", e.Route, "QueueName", e.Name), "Count", float64(e.Status), e.Time)
			o.touchQueue(rk, e.Name, e.Time)
		case "sns":
			o.add(rk, metric("AWS/SNS", e.Route, "TopicName", e.Name), "Count", float64(e.Status), e.Time)
		case "lambda":
			for _, dims := range [][]string{{"FunctionName", e.Name}, nil} {
				o.add(rk, metric("AWS/Lambda", e.Route, dims...), "Count", float64(e.Status), e.Time)
			}
		}
	case activity.KindSample:
		if e.Service == "lambda" {
			for _, dims := range [][]string{{"FunctionName", e.Name}, nil} {
				o.add(rk, metric("AWS/Lambda", e.Route, dims...), "Milliseconds", ms(e.Duration), e.Time)
			}
		}
	case activity.KindTable:
		if e.Read > 0 {
			o.add(rk, metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", e.Name), "Count", e.Read, e.Time)
		}
		if e.Write > 0 {
			o.add(rk, metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", e.Name), "Count", e.Write, e.Time)
		}
		switch e.Outcome {
		case "ok":
			o.add(rk, metric("AWS/DynamoDB", "SuccessfulRequestLatency", "Operation", e.Route, "TableName", e.Name), "Milliseconds", ms(e.Duration), e.Time)
		case "conditional":
			o.add(rk, metric("AWS/DynamoDB", "ConditionalCheckFailedRequests", "TableName", e.Name), "Count", 1, e.Time)
		case "throttled":
			o.add(rk, metric("AWS/DynamoDB", "ThrottledRequests", "Operation", e.Route, "TableName", e.Name), "Count", 1, e.Time)
		}
	case activity.KindRequest:
		// A failed condition is a 400 that AWS counts in
		// ConditionalCheckFailedRequests, "but not in the UserErrors metric".
		if e.Service == "dynamodb" && e.Status >= 400 && e.Status < 500 && e.Outcome != "ConditionalCheckFailedException" {
			o.add(rk, metric("AWS/DynamoDB", "UserErrors"), "Count", 1, e.Time)
		}
	}
}

// touchQueue marks a queue active (its depth is sampled at each flush).
func (o *observer) touchQueue(rk regionKey, name string, t time.Time) *queueDepth {
	byName := o.queues[rk]
	if byName == nil {
		byName = map[string]*queueDepth{}
		o.queues[rk] = byName
	}
	q := byName[name]
	if q == nil {
		q = &queueDepth{}
		byName[name] = q
	}
	q.last = t
	return q
}

// QueueAttributes reads a queue's attributes (the SQS service).
type QueueAttributes interface {
	QueueAttributesFromService(ctx context.Context, queueARN string) (map[string]string, error)
}

// queueAger tells the age of a queue's oldest message (the SQS service).
type queueAger interface {
	OldestMessageAgeFromService(ctx context.Context, queueARN string) (time.Duration, bool, error)
}

// sampleQueues adds a depth sample for every queue active in the last six
// hours: read from the queue itself when the SQS service is wired in (its
// events are rate-limited), else the last depth its events told.
func (s *Service) sampleQueues(now time.Time) {
	type sample struct {
		rk   regionKey
		name string
		q    queueDepth
	}
	var todo []sample
	o := s.obs
	o.mu.Lock()
	for rk, byName := range o.queues {
		for name, q := range byName {
			if now.Sub(q.last) > queueIdle {
				delete(byName, name)
				continue
			}
			todo = append(todo, sample{rk, name, *q})
		}
	}
	o.mu.Unlock()
	for _, sm := range todo {
		vals := map[string]float64{"ApproximateNumberOfMessagesVisible": float64(sm.q.visible), "ApproximateNumberOfMessagesNotVisible": float64(sm.q.inFlight)}
		if s.cfg.Queues != nil {
			arn := protocol.ARN("sqs", sm.rk.region, sm.rk.account, sm.name)
			attrs, err := s.cfg.Queues.QueueAttributesFromService(context.Background(), arn)
			if err != nil {
				o.mu.Lock()
				delete(o.queues[sm.rk], sm.name)
				o.mu.Unlock()
				continue
			}
			for attr, name := range map[string]string{"ApproximateNumberOfMessages": "ApproximateNumberOfMessagesVisible",
				"ApproximateNumberOfMessagesNotVisible": "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed": "ApproximateNumberOfMessagesDelayed"} {
				if v, err := strconv.ParseFloat(attrs[attr], 64); err == nil {
					vals[name] = v
				}
			}
		}
		age, hasAge := 0.0, false
		if ager, ok := s.cfg.Queues.(queueAger); ok {
			arn := protocol.ARN("sqs", sm.rk.region, sm.rk.account, sm.name)
			if d, _, err := ager.OldestMessageAgeFromService(context.Background(), arn); err == nil {
				age, hasAge = math.Floor(d.Seconds()), true
			}
		}
		o.mu.Lock()
		for name, v := range vals {
			o.add(sm.rk, metric("AWS/SQS", name, "QueueName", sm.name), "Count", v, now)
		}
		if hasAge {
			o.add(sm.rk, metric("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", sm.name), "Seconds", age, now)
		}
		o.mu.Unlock()
	}
}

// flushObserved samples the active queues and writes the aggregates
// gathered so far as datapoints.
func (s *Service) flushObserved() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	now := s.now()
	s.sampleQueues(now)
	o := s.obs
	o.mu.Lock()
	o.concurrency()
	accs := o.accs
	o.accs = map[accKey]*acc{}
	o.mu.Unlock()
	if len(accs) == 0 {
		return
	}
	byRegion := map[regionKey][]published{}
	for k, a := range accs {
		p := point{t: a.t, unit: a.unit, count: a.count, sum: a.sum, min: a.min, max: a.max}
		if !a.noRaw {
			for v, c := range a.vals {
				p.vals = append(p.vals, [2]float64{v, c})
			}
		}
		byRegion[k.rk] = append(byRegion[k.rk], published{metric: a.metric, p: p})
	}
	for rk, batch := range byRegion {
		if err := s.publish(rk, batch); err != nil {
			s.log.Warn("store service metrics", "account", rk.account, "region", rk.region, "points", len(batch), "err", err)
		}
	}
}

// PublishMetrics adds metrics other services produce (CloudWatch Logs'
// metric filters and embedded-metric-format lines) to the minute's
// aggregates; they are written at the next flush.
func (s *Service) PublishMetrics(account, region string, data []protocol.MetricDatum) {
	rk := regionKey{account, region}
	o := s.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range data {
		if d.Namespace == "" || d.MetricName == "" || !validValue(d.Value) {
			continue
		}
		m := Metric{Namespace: d.Namespace, MetricName: d.MetricName, Dimensions: []Dimension{}}
		for k, v := range d.Dimensions {
			m.Dimensions = append(m.Dimensions, Dimension{Name: k, Value: v})
		}
		m.Dimensions = sortDims(m.Dimensions)
		unit := d.Unit
		if !units[unit] {
			unit = "None"
		}
		o.add(rk, m, unit, d.Value, d.Time)
	}
}
