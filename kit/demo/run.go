package demo

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// Point is one second of the time chart: cumulative orders since the last
// reset, and queue depths.
type Point struct {
	T         int64 `json:"t"` // unix milliseconds
	Accepted  int   `json:"accepted"`
	Completed int   `json:"completed"`
	Monolith  int   `json:"monolith"` // the monolith's complete orders
	InvQueue  int   `json:"invQueue"`
	AccQueue  int   `json:"accQueue"`
	DLQ       int   `json:"dlq"` // both workers' dead-letter queues
}

// Node is one part of the diagram's live figures.
type Node struct {
	Rate        float64 `json:"rate"`        // requests, invocations or records per second
	Concurrency float64 `json:"concurrency"` // functions: average executions in flight
	Errors      int     `json:"errors"`      // since the reset
	Throttles   int     `json:"throttles"`   // since the reset
	Depth       int     `json:"depth"`       // queues: visible messages
	InFlight    int     `json:"inFlight"`    // queues: received, not yet deleted
}

// Frame is what the page draws, about once a second.
type Frame struct {
	Time     int64           `json:"time"`
	Ready    bool            `json:"ready"`
	Nodes    map[string]Node `json:"nodes"`
	Switches Switches        `json:"switches"`
	Score    map[string]Side `json:"score"`
	Usage    Usage           `json:"usage"`
	Cost     Estimate        `json:"cost"`
	Series   []Point         `json:"series"`
	Busy     string          `json:"busy,omitempty"`
	Log      []string        `json:"log"`
	Accounts [2]string       `json:"accounts"`
}

// Run feeds the figures from the activity source and the polls until ctx
// ends. Call it after Deploy.
func (d *Demo) Run(ctx context.Context) error {
	var events <-chan activity.Event
	if d.cfg.Source != nil {
		ch, err := d.cfg.Source.Subscribe(ctx)
		if err != nil {
			return err
		}
		events = ch
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	d.publish(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if node, vis, inflight := d.meter.count(e, &d.top, ListPrices); node != "" {
				d.mu.Lock()
				d.depth[node] = [2]int{vis, inflight}
				d.mu.Unlock()
			}
		case <-tick.C:
			d.publish(ctx)
		case <-d.kick:
			d.publish(ctx)
		}
	}
}

// publish polls, appends a chart point and sends a frame to the watchers.
func (d *Demo) publish(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err := d.poll(pctx)
	cancel()
	if err != nil && ctx.Err() == nil {
		d.note("could not read the figures: %v", err)
	}
	f := d.Frame()
	b, err := json.Marshal(f)
	if err == nil {
		d.frames.send(b)
	}
}

// Frame builds the current frame.
func (d *Demo) Frame() Frame {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.meter
	nodes := map[string]Node{}
	fn := func(node string) Node {
		return Node{Rate: m.rate("inv:"+node, now), Concurrency: m.sum("dur:"+node, now, rateSpan) / rateSpan,
			Errors: int(m.total("err:" + node)), Throttles: int(m.total("thr:" + node))}
	}
	for _, node := range []string{"authorizer", "intake", "publisher", "invWorker", "accWorker", "monolith"} {
		nodes[node] = fn(node)
	}
	for _, node := range []string{"api", "inventory", "accounting", "monolith"} {
		n := nodes[node]
		if node != "monolith" {
			n = fn(node)
		}
		n.Rate = m.rate("req:"+node, now)
		n.Errors = int(m.total("err:" + node))
		n.Throttles = max(n.Throttles, int(m.total("thr:"+node)))
		nodes[node] = n
	}
	nodes["table"] = Node{Rate: m.rate("ddb:w", now)}
	nodes["stream"] = Node{Rate: m.rate("rec:stream", now)}
	nodes["topic"] = Node{Rate: m.rate("sns", now)}
	for node, v := range d.depth {
		nodes[node] = Node{Depth: v[0], InFlight: v[1]}
	}
	u := d.usage(now)
	dec, mono := d.score["decoupled"], d.score["monolith"]
	p := Point{T: now.UnixMilli(), Accepted: dec.Accepted, Completed: dec.Complete, Monolith: mono.Complete,
		InvQueue: d.depth["invQueue"][0] + d.depth["invQueue"][1], AccQueue: d.depth["accQueue"][0] + d.depth["accQueue"][1],
		DLQ: d.depth["invDLQ"][0] + d.depth["accDLQ"][0]}
	if n := len(d.series); n == 0 || d.series[n-1].T/1000 != p.T/1000 {
		d.series = append(d.series, p)
	} else {
		d.series[n-1] = p
	}
	if len(d.series) > window {
		d.series = d.series[len(d.series)-window:]
	}
	return Frame{Time: now.UnixMilli(), Ready: d.ready, Nodes: nodes, Switches: d.sw, Score: d.score, Usage: u, Cost: Cost(u, ListPrices),
		Series: append([]Point(nil), d.series...), Busy: d.busy, Log: append([]string(nil), d.log...),
		Accounts: [2]string{d.cfg.Account, d.cfg.MonolithAccount}}
}

// usage is what the decoupled design used since the reset; d.mu is held.
func (d *Demo) usage(now time.Time) Usage {
	m := d.meter
	sns := int64(m.total("sns"))
	return Usage{
		APIRequests:     int64(m.total("bill:api")),
		LambdaRequests:  int64(m.total("lambda")),
		LambdaGBSeconds: m.total("gbs"),
		// The downstream services' own writes (one per delivery) are not the design's.
		DynamoWRU:    max(0, m.total("ddb:w")-float64(d.dsWrites)),
		DynamoRRU:    m.total("ddb:r"),
		SNSPublishes: sns,
		// SNS delivers each publish to both queues: one SendMessage each.
		SQSRequests: int64(m.total("sqs")) + 2*sns,
		LogBytes:    max(0, d.logBytes-d.logBase),
		Orders:      int64(m.total("door:decoupled:ok")),
		Seconds:     now.Sub(m.since).Seconds(),
	}
}

// Watch returns a channel of JSON frames (the latest first) until ctx ends.
func (d *Demo) Watch(ctx context.Context) <-chan []byte { return d.frames.watch(ctx) }

// broadcast hands the latest frame to every watcher; a slow watcher skips
// frames rather than holding the others up.
type broadcast struct {
	mu    sync.Mutex
	last  []byte
	chans map[chan []byte]struct{}
}

func (b *broadcast) send(f []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = f
	for ch := range b.chans {
		select {
		case <-ch: // drop the stale frame
		default:
		}
		ch <- f
	}
}

func (b *broadcast) watch(ctx context.Context) <-chan []byte {
	ch := make(chan []byte, 1)
	b.mu.Lock()
	if b.chans == nil {
		b.chans = map[chan []byte]struct{}{}
	}
	b.chans[ch] = struct{}{}
	if b.last != nil {
		ch <- b.last
	}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		delete(b.chans, ch)
		close(ch)
		b.mu.Unlock()
	})
	return ch
}
