package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/kit"
)

// Actions are the controls Do accepts.
var Actions = []string{"spike", "accounting-down", "accounting-up", "inventory-slow", "inventory-normal", "poison", "redrive", "reset"}

// ErrBusy says a spike is already running.
var ErrBusy = errors.New("a spike is already running: wait for it to finish")

// slowLatency is what "inventory slow" adds to every inventory request.
const slowLatency = 2 * time.Second

// Do runs one control. args: spike takes "orders" and "rate". It returns
// what it did, for the page's log. A spike runs in the background until
// its orders are sent and answered.
func (d *Demo) Do(ctx context.Context, action string, args map[string]string) (string, error) {
	var msg string
	var err error
	switch action {
	case "spike":
		msg, err = d.startSpike(args)
	case "accounting-down", "accounting-up":
		down := action == "accounting-down"
		err = d.fail(ctx, "accounting", down, 1, 0)
		d.set(func(s *Switches) { s.AccountingDown = down })
		msg = map[bool]string{true: "accounting is down: every request to it fails (503)", false: "accounting is back up"}[down]
	case "inventory-slow", "inventory-normal":
		slow := action == "inventory-slow"
		err = d.fail(ctx, "inventory", slow, 0, slowLatency)
		d.set(func(s *Switches) { s.InventorySlow = slow })
		msg = map[bool]string{true: fmt.Sprintf("inventory is slow: %v per request", slowLatency), false: "inventory is fast again"}[slow]
	case "poison":
		msg, err = d.poison(ctx)
	case "redrive":
		msg, err = d.redrive(ctx)
	case "reset":
		err = d.Reset(ctx)
		msg = "reset: failures off, queues and tables empty, figures from zero"
	default:
		return "", fmt.Errorf("no demo control %q: want one of %s", action, strings.Join(Actions, ", "))
	}
	if err != nil {
		d.note("%s failed: %v", action, err)
		return "", err
	}
	d.note("%s", msg)
	select { // show it on the page now
	case d.kick <- struct{}{}:
	default:
	}
	return msg, nil
}

func (d *Demo) set(f func(*Switches)) {
	d.mu.Lock()
	f(&d.sw)
	d.mu.Unlock()
}

// fail flips a downstream service's switch in both accounts: the same
// failure for both designs.
func (d *Demo) fail(ctx context.Context, service string, on bool, rate float64, latency time.Duration) error {
	for _, k := range []*kit.Kit{d.dec, d.mono} {
		if err := k.Fail(ctx, service, on, rate, latency); err != nil {
			return err
		}
	}
	return nil
}

// startSpike sends the same spike to both designs in the background.
func (d *Demo) startSpike(args map[string]string) (string, error) {
	orders, err := intArg(args, "orders", 100, 1, d.cfg.MaxOrders)
	if err != nil {
		return "", err
	}
	rate, err := intArg(args, "rate", 20, 1, d.cfg.MaxRate)
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	if d.busy != "" {
		d.mu.Unlock()
		return "", ErrBusy
	}
	d.busy = fmt.Sprintf("sales spike: %d orders at %d/s to both designs", orders, rate)
	d.sent["decoupled"] += orders
	d.sent["monolith"] += orders
	d.mu.Unlock()
	go func() {
		// The spike outlives the request that started it, not the demo.
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(orders/rate+60)*time.Second)
		defer cancel()
		errc := make(chan error, 2)
		for _, s := range []struct {
			k    *kit.Kit
			anon bool
		}{{d.dec, false}, {d.mono, true}} {
			go func() {
				// Completion is the scoreboard's business: wait only briefly.
				_, err := s.k.Load(ctx, kit.LoadOptions{Orders: orders, Rate: rate, Timeout: time.Second, Anonymous: s.anon, Quiet: true})
				errc <- err
			}()
		}
		var errs []error
		for range 2 {
			errs = append(errs, <-errc)
		}
		d.mu.Lock()
		d.busy = ""
		d.mu.Unlock()
		if err := errors.Join(errs...); err != nil {
			d.note("spike: %v", err)
			return
		}
		d.note("spike sent: %d orders to each design", orders)
	}()
	return fmt.Sprintf("sales spike: sending %d orders at %d/s to each design", orders, rate), nil
}

// Busy reports whether a spike is running.
func (d *Demo) Busy() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.busy != ""
}

func intArg(args map[string]string, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(args[name])
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s=%q: want a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// poison sends a message no worker can read to the inventory queue: it
// fails MaxReceiveCount times and lands in the dead-letter queue.
func (d *Demo) poison(ctx context.Context) (string, error) {
	body := fmt.Sprintf(`{"note":"a malformed order event: no orderId","sentAt":%q}`, time.Now().UTC().Format(time.RFC3339Nano))
	if _, err := d.c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.queueURL["invQueue"]), MessageBody: aws.String(body)}); err != nil {
		return "", fmt.Errorf("send a poison message: %w", err)
	}
	return fmt.Sprintf("poison message sent to %s: the worker will fail it %d times, then it goes to the dead-letter queue",
		d.names["inventoryQueue"], d.cfg.MaxReceiveCount), nil
}

// redrive moves the workers' dead-letter queues back to their queues.
func (d *Demo) redrive(ctx context.Context) (string, error) {
	depth, err := d.queueDepths(ctx)
	if err != nil {
		return "", err
	}
	var moved []string
	for _, dlq := range []string{"invDLQ", "accDLQ"} {
		n := depth[dlq][0]
		if n == 0 {
			continue
		}
		_, err := d.c.sqs.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(d.queueARN[dlq])})
		var ae smithy.APIError
		if errors.As(err, &ae) && strings.Contains(ae.ErrorCode(), "AlreadyExists") {
			continue // a move is running already
		}
		if err != nil {
			return "", fmt.Errorf("redrive %s: %w", d.queueURL[dlq], err)
		}
		moved = append(moved, fmt.Sprintf("%d from %s", n, lastPart(d.queueURL[dlq])))
	}
	if len(moved) == 0 {
		return "redrive: the dead-letter queues are empty", nil
	}
	return "redrive: moving " + strings.Join(moved, " and ") + " back to the work queues", nil
}

func lastPart(s string) string { return s[strings.LastIndex(s, "/")+1:] }

// Reset turns the failures off, empties the demo's queues and tables and
// starts the figures from zero.
func (d *Demo) Reset(ctx context.Context) error {
	if d.Busy() {
		return ErrBusy
	}
	if err := d.fail(ctx, "accounting", false, 0, 0); err != nil {
		return err
	}
	if err := d.fail(ctx, "inventory", false, 0, 0); err != nil {
		return err
	}
	for _, url := range d.queueURL {
		if err := drain(ctx, d.c.sqs, url); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		c     clients
		table string
		key   string
	}{{d.c, d.names["ordersTable"], "orderId"}, {d.c, d.names["inventoryTable"], "idempotencyKey"}, {d.c, d.names["accountingTable"], "idempotencyKey"},
		{d.mc, "MonolithOrders", "orderId"}, {d.mc, d.names["inventoryTable"], "idempotencyKey"}, {d.mc, d.names["accountingTable"], "idempotencyKey"}} {
		if err := clearTable(ctx, t.c.ddb, t.table, t.key); err != nil {
			return err
		}
	}
	logBase, err := d.pipelineLogBytes(ctx)
	if err != nil {
		return err
	}
	d.meter.reset(time.Now())
	d.mu.Lock()
	d.sw = Switches{}
	d.sent = map[string]int{}
	d.series = nil
	d.logBase, d.logBytes, d.dsWrites = logBase, logBase, 0
	d.mu.Unlock()
	return nil
}

// drain empties a queue: PurgeQueue, or (when a purge ran in the last
// minute, which SQS refuses) receiving and deleting what is visible.
func drain(ctx context.Context, c *sqs.Client, url string) error {
	_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	var ae smithy.APIError
	if err == nil || !errors.As(err, &ae) || !strings.Contains(ae.ErrorCode(), "PurgeQueueInProgress") {
		if err != nil {
			return fmt.Errorf("purge %s: %w", url, err)
		}
		return nil
	}
	for range 100 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			return fmt.Errorf("empty %s: %w", url, err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		for _, m := range out.Messages {
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return fmt.Errorf("empty %s: %w", url, err)
			}
		}
	}
	return nil
}

// clearTable deletes every item of a table.
func clearTable(ctx context.Context, db *dynamodb.Client, table, key string) error {
	items, err := scan(ctx, db, table, key)
	if err != nil {
		return err
	}
	for len(items) > 0 {
		n := min(25, len(items))
		var reqs []types.WriteRequest
		for _, it := range items[:n] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: map[string]types.AttributeValue{key: it[key]}}})
		}
		items = items[n:]
		req := map[string][]types.WriteRequest{table: reqs}
		for len(req) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("empty %s: %w", table, err)
			}
			req = out.UnprocessedItems
		}
	}
	return nil
}
