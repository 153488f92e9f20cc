package kit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/solutions/downstream"
)

// LoadOptions configures Load.
type LoadOptions struct {
	// Orders is how many orders to send (default 100).
	Orders int
	// Rate is the target send rate in orders per second (default 50).
	Rate int
	// Concurrency bounds the requests in flight (default 128).
	Concurrency int
	// Timeout bounds the wait for accepted orders to complete after the
	// last one is sent (default 2 minutes).
	Timeout time.Duration
	// Progress, when set, receives a progress bar redrawn in place
	// (carriage returns): give it a terminal only.
	Progress io.Writer
	// HTTP sends the orders; nil means a client sized for Concurrency.
	HTTP *http.Client
	// Retries is how many times an order answered 429, 5xx or a network
	// error is sent again, with the same Idempotency-Key, after a short
	// backoff (default 0: every answer counts as it comes, as the lab's
	// spike report wants). Retrying is safe because of the key.
	Retries int
	// Anonymous sends no Authorization header, for an API without an
	// authorizer (the demo's monolith); no token is minted.
	Anonymous bool
	// Quiet skips the report's downstream record count (one GET of every
	// record per service): the caller counts effects itself.
	Quiet bool
}

// Latency holds request latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// LoadReport is what Load measured.
type LoadReport struct {
	Run       string `json:"run"`
	Endpoint  string `json:"endpoint"`
	Orders    int    `json:"orders"`
	Rate      int    `json:"rate"`
	Accepted  int    `json:"accepted"`  // 201
	Throttled int    `json:"throttled"` // 429
	Rejected  int    `json:"rejected"`  // other 4xx
	Failed    int    `json:"failed"`    // 5xx and network errors
	// Retried counts the extra requests sent under LoadOptions.Retries.
	Retried int `json:"retried,omitempty"`
	// Completed orders have inventoryStatus and accountingStatus DONE and
	// one record in each downstream service.
	Completed int `json:"completed"`
	// Lost orders were accepted but did not complete by the deadline, or
	// have no downstream record.
	Lost int `json:"lost"`
	// Duplicated orders have more than one effect in a downstream service.
	Duplicated int `json:"duplicated"`
	// Downstream is false when no downstream services were found (before
	// lab 4): then Completed counts stored orders.
	Downstream bool `json:"downstream"`
	// Latency of the accepted requests.
	Latency Latency `json:"latencyMs"`
	// SendSeconds is the time from the first request to the last answer;
	// Throughput is Accepted / SendSeconds.
	SendSeconds float64 `json:"sendSeconds"`
	Throughput  float64 `json:"throughputPerSecond"`
	// CompleteSeconds is the time from the first request until every
	// accepted order completed (or the deadline).
	CompleteSeconds float64 `json:"completeSeconds"`
	// Errors counts failures by kind ("503", "network: ...").
	Errors map[string]int `json:"errors,omitempty"`
	// LostSample names a few lost orders.
	LostSample []string `json:"lostSample,omitempty"`
}

// String is the report for a terminal.
func (r *LoadReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "load run %s: %s at %d/s to %s\n", r.Run, plural.Count(r.Orders, "order", "orders"), r.Rate, r.Endpoint)
	fmt.Fprintf(&b, "  accepted   %d\n  throttled  %d\n  rejected   %d\n  failed     %d\n", r.Accepted, r.Throttled, r.Rejected, r.Failed)
	if r.Retried > 0 {
		fmt.Fprintf(&b, "  retried    %s (same Idempotency-Key)\n", plural.Count(r.Retried, "request", "requests"))
	}
	what := "completed  %d (both downstream services applied them)\n"
	if !r.Downstream {
		what = "completed  %d (stored; no downstream services found, so only storage was checked)\n"
	}
	fmt.Fprintf(&b, "  "+what, r.Completed)
	fmt.Fprintf(&b, "  lost       %d\n  duplicated %d\n", r.Lost, r.Duplicated)
	fmt.Fprintf(&b, "  latency    p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms\n", r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(&b, "  throughput %.1f accepted/s over %.1f s\n", r.Throughput, r.SendSeconds)
	if r.Lost == 0 {
		fmt.Fprintf(&b, "  all accepted orders complete %.1f s after the first was sent\n", r.CompleteSeconds)
	} else {
		fmt.Fprintf(&b, "  stopped waiting for the rest %.1f s after the first was sent\n", r.CompleteSeconds)
	}
	for _, k := range sortedKeys(r.Errors) {
		fmt.Fprintf(&b, "  error      %s x%d\n", k, r.Errors[k])
	}
	if len(r.LostSample) > 0 {
		fmt.Fprintf(&b, "  lost e.g.  %s\n", strings.Join(r.LostSample, ", "))
	}
	return b.String()
}

var channels = []string{"web", "mobile", "wholesale"}

// Load sends opts.Orders valid orders to the orders API at opts.Rate per
// second, then waits until every accepted order has completed (both
// statuses DONE) or the timeout, and counts the downstream effects.
func (k *Kit) Load(ctx context.Context, opts LoadOptions) (*LoadReport, error) {
	if opts.Orders <= 0 {
		opts.Orders = 100
	}
	if opts.Rate <= 0 {
		opts.Rate = 50
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 128
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	client := opts.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: opts.Concurrency,
			MaxIdleConnsPerHost: opts.Concurrency, IdleConnTimeout: 30 * time.Second}}
	}
	api, err := k.findAPI(ctx, k.name("api"))
	if err != nil {
		return nil, err
	}
	if api == nil {
		return nil, fmt.Errorf("no HTTP API named %s: deploy lab2 first", k.name("api"))
	}
	endpoint := strings.TrimRight(aws.ToString(api.ApiEndpoint), "/")
	tokens := map[string]string{}
	for _, ch := range channels {
		if opts.Anonymous {
			break
		}
		if tokens[ch], err = k.Token(ctx, ch); err != nil {
			return nil, err
		}
	}
	var dsEndpoint string
	if ds, err := k.findAPI(ctx, k.name("downstreamApi")); err != nil {
		return nil, err
	} else if ds != nil {
		dsEndpoint = strings.TrimRight(aws.ToString(ds.ApiEndpoint), "/")
	}
	runID := make([]byte, 4)
	rand.Read(runID)
	rep := &LoadReport{Run: hex.EncodeToString(runID), Endpoint: endpoint, Orders: opts.Orders, Rate: opts.Rate,
		Downstream: dsEndpoint != "", Errors: map[string]int{}}

	// Send.
	results := make([]result, opts.Orders)
	var sent, answered, retried atomic.Int64
	start := time.Now()
	stopBar := k.progress(opts.Progress, func() string {
		return fmt.Sprintf("sent %d/%d, answered %d", sent.Load(), opts.Orders, answered.Load())
	}, func() float64 { return float64(answered.Load()) / float64(opts.Orders) })
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(opts.Rate)
sendLoop:
	for i := 0; i < opts.Orders; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				break sendLoop
			case <-time.After(d):
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break sendLoop
		}
		sent.Add(1)
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; answered.Add(1); wg.Done() }()
			ch := channels[i%len(channels)]
			key := fmt.Sprintf("load-%s-%d", rep.Run, i)
			body := fmt.Sprintf(`{"customerId":%q,"channel":%q,"lines":[{"sku":"SOAP-%d","quantity":%d,"unitPriceCents":499}]}`, key, ch, i%7, 1+i%3)
			t0 := time.Now()
			var r result
			for attempt := 0; ; attempt++ {
				r = sendOrder(ctx, client, endpoint, tokens[ch], key, body)
				retryable := r.status == http.StatusTooManyRequests || r.status >= 500 || r.status == 0
				if !retryable || attempt >= opts.Retries || ctx.Err() != nil {
					break
				}
				retried.Add(1)
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(100<<attempt)*time.Millisecond + time.Duration(mrand.IntN(50))*time.Millisecond):
				}
			}
			r.latency = time.Since(t0)
			results[i] = r
		}(i)
	}
	wg.Wait()
	sendDur := time.Since(start)
	stopBar()
	rep.Retried = int(retried.Load())

	var lat []time.Duration
	accepted := map[string]bool{}
	for _, r := range results {
		switch {
		case r.err != "" && r.status == 0:
			rep.Failed++
			rep.Errors[r.err]++
		case r.status == http.StatusCreated && r.orderID != "":
			rep.Accepted++
			accepted[r.orderID] = true
			lat = append(lat, r.latency)
		case r.status == http.StatusTooManyRequests:
			rep.Throttled++
		case r.status >= 400 && r.status < 500:
			rep.Rejected++
			rep.Errors[fmt.Sprint(r.status)]++
		default:
			rep.Failed++
			rep.Errors[fmt.Sprint(r.status)]++
			if r.err != "" {
				rep.Errors[r.err]++
			}
		}
	}
	rep.Latency = percentiles(lat)
	rep.SendSeconds = sendDur.Seconds()
	if rep.SendSeconds > 0 {
		rep.Throughput = float64(rep.Accepted) / rep.SendSeconds
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}

	// Wait for completion.
	ids := sortedKeys(accepted)
	done, err := k.waitComplete(ctx, ids, rep.Downstream, opts.Timeout, opts.Progress)
	rep.CompleteSeconds = time.Since(start).Seconds()
	if err != nil {
		return rep, err
	}
	effects := map[string]int{} // orderId -> max records in one service
	seen := map[string]int{}    // orderId -> services with a record
	if rep.Downstream && !opts.Quiet {
		for _, path := range []string{"/reservations", "/entries"} {
			recs, err := k.records(ctx, client, dsEndpoint+path)
			if err != nil {
				return rep, err
			}
			per := map[string]int{}
			for _, r := range recs {
				if accepted[r.OrderID] {
					per[r.OrderID]++
				}
			}
			for id, n := range per {
				seen[id]++
				effects[id] = max(effects[id], n)
			}
		}
	}
	for _, id := range ids {
		ok := done[id] && (!rep.Downstream || opts.Quiet || seen[id] == 2)
		if ok {
			rep.Completed++
		} else {
			rep.Lost++
			if len(rep.LostSample) < 5 {
				rep.LostSample = append(rep.LostSample, id)
			}
		}
		if effects[id] > 1 {
			rep.Duplicated++
		}
	}
	if len(rep.Errors) == 0 {
		rep.Errors = nil
	}
	return rep, nil
}

// sendOrder posts one order and classifies the answer.
func sendOrder(ctx context.Context, client *http.Client, endpoint, tok, key, body string) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/orders", strings.NewReader(body))
	if err != nil {
		return result{err: "request: " + err.Error()}
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return result{err: "network: " + shortErr(err)}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r := result{status: resp.StatusCode}
	if resp.StatusCode == http.StatusCreated {
		var a struct {
			OrderID string `json:"orderId"`
		}
		if json.Unmarshal(b, &a) != nil || a.OrderID == "" {
			r.err = "201 without an orderId"
		}
		r.orderID = a.OrderID
	}
	return r
}

// result is the answer to one order.
type result struct {
	status  int
	orderID string
	latency time.Duration
	err     string
}

// waitComplete polls the orders table until every id has both statuses
// DONE (or, without downstream services, exists), or the timeout passes.
func (k *Kit) waitComplete(ctx context.Context, ids []string, downstream bool, timeout time.Duration, progress io.Writer) (map[string]bool, error) {
	done := map[string]bool{}
	table := k.name("ordersTable")
	deadline := time.Now().Add(timeout)
	var ndone atomic.Int64 // len(done), for the progress bar's goroutine
	stop := k.progress(progress, func() string { return fmt.Sprintf("completed %d/%d", ndone.Load(), len(ids)) },
		func() float64 {
			if len(ids) == 0 {
				return 1
			}
			return float64(ndone.Load()) / float64(len(ids))
		})
	defer stop()
	for {
		var pending []string
		for _, id := range ids {
			if !done[id] {
				pending = append(pending, id)
			}
		}
		if len(pending) == 0 || time.Now().After(deadline) {
			return done, nil
		}
		for len(pending) > 0 {
			n := min(100, len(pending))
			keys := make([]map[string]types.AttributeValue, n)
			for i, id := range pending[:n] {
				keys[i] = map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}}
			}
			pending = pending[n:]
			req := map[string]types.KeysAndAttributes{table: {Keys: keys, ConsistentRead: aws.Bool(true),
				ProjectionExpression: aws.String("orderId, inventoryStatus, accountingStatus")}}
			for len(req) > 0 {
				out, err := k.cl().ddb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
				if err != nil {
					return done, fmt.Errorf("read orders: %w", err)
				}
				for _, item := range out.Responses[table] {
					id := attrS(item, "orderId")
					if !downstream || attrS(item, "inventoryStatus") == "DONE" && attrS(item, "accountingStatus") == "DONE" {
						if !done[id] {
							done[id] = true
							ndone.Add(1)
						}
					}
				}
				req = out.UnprocessedKeys
			}
		}
		select {
		case <-ctx.Done():
			return done, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func attrS(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// records reads a downstream service's records (GET on its effect path).
func (k *Kit) records(ctx context.Context, client *http.Client, url string) ([]downstream.Record, error) {
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b[:min(len(b), 200)]))
			continue
		}
		var l downstream.Listing
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("read %s: %w", url, err)
		}
		return l.Records, nil
	}
	return nil, fmt.Errorf("read downstream records at %s: %w", url, last)
}

// percentiles of the durations, in milliseconds.
func percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		i := int(p*float64(len(d))+0.5) - 1
		i = max(0, min(i, len(d)-1))
		return float64(d[i].Microseconds()) / 1000
	}
	return Latency{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: float64(d[len(d)-1].Microseconds()) / 1000}
}

func shortErr(err error) string {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// progress redraws a bar on w every 200 ms until the returned stop is
// called; with a nil w it does nothing.
func (k *Kit) progress(w io.Writer, label func() string, frac func() float64) (stop func()) {
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	draw := func() {
		f := max(0, min(1, frac()))
		const width = 30
		n := int(f * width)
		fmt.Fprintf(w, "\r[%s%s] %3.0f%% %s\x1b[K", strings.Repeat("#", n), strings.Repeat(" ", width-n), f*100, label())
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				draw()
				fmt.Fprintln(w)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}
