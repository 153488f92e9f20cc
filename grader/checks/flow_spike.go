package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

// spikeCountReserve is the time the spike keeps, after waiting for its
// orders to complete, to count them and clean up.
const spikeCountReserve = 15 * time.Second

func runSpike(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	// The spike runs through labs 3-4's queues: without them no order
	// can complete, so the check fails at once instead of waiting.
	for _, qn := range p.Strings("queues") {
		if _, err := findQueue(ctx, env, qn); err != nil {
			return lookupOutcome("find queue "+qn, err)
		}
	}
	n, conc := max(p.Int("orders", 20), 1), max(p.Int("concurrency", 8), 1)
	customer := a.customer("spike")
	leave, err := enterLoad(ctx)
	if err != nil {
		return undecided(waitForLoadSlot, err)
	}
	ids := make([]string, n)
	refused := make([]string, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				key := fmt.Sprintf("grader-%s-spike-%d", env.RunID, i)
				for attempt := 0; attempt < 4; attempt++ {
					r, _, err := a.place(ctx, customer, key)
					switch {
					case err != nil:
						refused[i] = err.Error()
					case r.status == http.StatusCreated || r.status == http.StatusOK:
						ids[i], refused[i] = r.str("orderId"), ""
					default:
						refused[i] = r.describe()
					}
					if ids[i] != "" || (err == nil && r.status < 500 && r.status != http.StatusTooManyRequests) {
						break
					}
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	leave()
	var accepted []string
	firstRefusal := ""
	for i := range n {
		if ids[i] != "" {
			accepted = append(accepted, ids[i])
		} else if firstRefusal == "" {
			firstRefusal = refused[i]
		}
	}
	accepted = dedupe(accepted)
	defer func() { a.remove(accepted...) }()
	if len(accepted) == 0 {
		return grader.Failf("none of %s was accepted; the first answer was %s", plural.Count(n, "order", "orders"), firstRefusal)
	}
	// Every accepted order completes.
	pending := map[string]bool{}
	for _, id := range accepted {
		pending[id] = true
	}
	// Wait for completion, leaving time to count what did not complete:
	// orders that never complete are a failure, not a check that ran out
	// of time.
	wctx, cancel := within(ctx, time.Hour, spikeCountReserve)
	defer cancel()
	err = poll(wctx, env, func() (bool, error) {
		for id := range pending {
			it, err := a.item(ctx, id)
			if err != nil {
				return false, err
			}
			if attrS(it, inventoryStatus) == statusDone && attrS(it, accountingStatus) == statusDone {
				delete(pending, id)
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil && !timedOut(err) {
		return undecided("follow the spike's orders", err)
	}
	// Deliver some completed orders again, as at-least-once delivery may,
	// and wait for the queues to drain.
	if qs := p.Strings("queues"); len(qs) > 0 && len(pending) == 0 {
		if o := a.redeliver(ctx, qs, accepted[:min(p.Int("duplicates", 2), len(accepted))]); o != nil {
			return *o
		}
	}
	// Each accepted order reached each downstream service exactly once.
	var lost, duplicated []string
	for _, table := range p.Strings("records") {
		counts, err := recordCounts(ctx, a.ddb, table, accepted)
		if err != nil {
			return undecided("read "+table, err)
		}
		for _, id := range accepted {
			switch c := counts[id]; {
			case c == 0:
				lost = append(lost, table+":"+id)
			case c > 1:
				duplicated = append(duplicated, fmt.Sprintf("%s:%s x%d", table, id, c))
			}
		}
	}
	stored, err := a.storedFor(ctx, customer, "")
	if err != nil {
		return undecided("count the spike's orders", err)
	}
	show := func(l []string) string {
		if len(l) > 5 {
			return strings.Join(l[:5], ", ") + fmt.Sprintf(" and %d more", len(l)-5)
		}
		return strings.Join(l, ", ")
	}
	parts := []grader.Part{
		{Name: "accepted", Passed: len(accepted) == n, Detail: fmt.Sprintf("%d of %d accepted; the first refusal was %s", len(accepted), n, firstRefusal)},
		{Name: "completed", Passed: len(pending) == 0, Detail: fmt.Sprintf("%s did not reach both statuses DONE in time", plural.Count(len(pending), "accepted order", "accepted orders"))},
		{Name: "none lost", Passed: len(lost) == 0, Detail: "no downstream record for " + show(lost)},
		{Name: "none duplicated", Passed: len(duplicated) == 0 && len(stored) == len(accepted),
			Detail: fmt.Sprintf("duplicated downstream records: %s; %s stored for %d accepted. A worker must apply an order once even when its message arrives twice (use the orderId as the service's Idempotency-Key)", show(duplicated), plural.Count(len(stored), "order", "orders"), len(accepted))},
	}
	return partsOutcome(parts, "the spike was not handled cleanly",
		fmt.Sprintf("%s accepted, all completed, 0 lost, 0 duplicated", plural.Count(len(accepted), "order", "orders")))
}

// redeliver sends the stored orders again to each queue, as the publisher
// would (the order as JSON), and waits (bounded) until the queues are empty.
func (a *orderAPI) redeliver(ctx context.Context, queues []string, ids []string) *grader.Outcome {
	c := sqs.NewFromConfig(a.env.AWS)
	var qs []queueInfo
	for _, qn := range queues {
		q, err := findQueue(ctx, a.env, qn)
		if err != nil {
			o := lookupOutcome("find queue "+qn, err)
			return &o
		}
		qs = append(qs, q)
	}
	// What is already in flight (a poison message being retried, say)
	// stays in flight; the redelivered copies are done when the count is
	// back where it was.
	before := make([]int, len(qs))
	for i, q := range qs {
		_, f, err := queueDepth(ctx, c, q)
		if err != nil {
			o := undecided("read the depth of "+q.name, err)
			return &o
		}
		before[i] = f
	}
	for _, id := range ids {
		it, err := a.item(ctx, id)
		if err != nil {
			o := undecided("read order "+id, err)
			return &o
		}
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			o := undecided("decode order "+id, err)
			return &o
		}
		for _, k := range []string{inventoryStatus, accountingStatus, "graderNote"} {
			delete(m, k)
		}
		b, _ := json.Marshal(m)
		for _, q := range qs {
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(string(b)),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{"eventType": {DataType: aws.String("String"), StringValue: aws.String("OrderPlaced")}}}); err != nil {
				o := undecided("deliver order "+id+" again to "+q.name, err)
				return &o
			}
		}
	}
	dctx, cancel := within(ctx, 60*time.Second, 5*time.Second)
	defer cancel()
	poll(dctx, a.env, func() (bool, error) {
		for i, q := range qs {
			v, f, err := queueDepth(dctx, c, q)
			if err != nil {
				return false, err
			}
			if v != 0 || f > before[i] {
				return false, nil
			}
		}
		return true, nil
	})
	return nil
}

// recordCounts counts the downstream records per orderId of the given ids.
func recordCounts(ctx context.Context, c *dynamodb.Client, table string, ids []string) (map[string]int, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	counts := map[string]int{}
	pg := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: &table, ProjectionExpression: aws.String("orderId")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			if id := attrS(it, "orderId"); want[id] {
				counts[id]++
			}
		}
	}
	return counts, nil
}
