package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/grader"
)

// How the fan-out checks see a message without stealing it. Before the
// workers exist (lab 3) nothing consumes the queues, so the grader peeks:
// ReceiveMessage with a 1-second visibility timeout, then at once
// ChangeMessageVisibility to 0 on every message it leaves, so they are
// visible again immediately (the Go SDK does not send a VisibilityTimeout
// of 0 on ReceiveMessage: it would mean the queue's default). It deletes
// only its own test messages once it has seen them (and other grader runs'
// messages older than staleGraderMessage), so the queues do not fill up
// with grader traffic. Each peek counts as a receive of the messages it
// returns, so a learner's own message in a queue with a redrive policy can
// reach its dead-letter queue after maxReceiveCount peeks. Once an enabled
// event source mapping consumes a queue (lab 4 on), peeking would race the
// worker, so the checks read the downstream effect instead: the order's
// inventoryStatus and accountingStatus.
const staleGraderMessage = 10 * time.Minute

// The order attributes the workers set, and their final value.
const (
	inventoryStatus  = "inventoryStatus"
	accountingStatus = "accountingStatus"
	statusDone       = "DONE"
)

var (
	queuesFlowParam = grader.Param{Name: "queues", Required: true, Doc: "the queues the topic fans out to, e.g. [${inventoryQueue}, ${accountingQueue}]"}
	flowCalls       = append(slices.Clone(apiCalls), "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "lambda:ListEventSourceMappings")
)

func withParams(extra ...grader.Param) []grader.Param {
	return append(slices.Clone(apiParams), extra...)
}

func flowKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "fanout.queues", Functional: true,
			Doc:    "a placed order reaches every queue (peeked without taking it; or, once workers consume the queues, seen in the order's statuses)",
			Params: withParams(queuesFlowParam), Calls: flowCalls, Run: gated(false, runFanout),
		},
		{
			Name: "fanout.insert-only", Functional: true,
			Doc: "an update of a stored order (a MODIFY record) publishes nothing: no new message within a bounded wait " +
				"(once workers consume the queues: decided from the publisher mapping's filter)",
			Params: withParams(queuesFlowParam,
				grader.Param{Name: "publisher", Required: true, Doc: "the publisher function, e.g. ${publisherFunction}"},
				grader.Param{Name: "wait", Doc: "how long to watch for a message after the update, e.g. 5s (default 5s)"}),
			Calls: append(slices.Clone(flowCalls), "dynamodb:UpdateItem"), Run: gated(false, runInsertOnly),
		},
		{
			Name: "orders.complete", Functional: true,
			Doc:    "a placed order reaches inventoryStatus DONE and accountingStatus DONE",
			Params: apiParams, Calls: apiCalls, Run: gated(false, runComplete),
		},
		{
			Name: "workers.poison", Functional: true,
			Doc: "a message the worker cannot process (sent straight to its queue) ends in the dead-letter queue, " +
				"and a valid order placed after it still completes",
			Params: withParams(grader.Param{Name: "queue", Required: true, Doc: "the worker's queue"},
				grader.Param{Name: "dlq", Required: true, Doc: "its dead-letter queue"},
				grader.Param{Name: "status", Doc: "the order attribute the queue's worker sets (default inventoryStatus)"}),
			Calls: append(slices.Clone(flowCalls), "sqs:SendMessage"), Run: gated(true, runPoison),
		},
		{
			Name: "workers.accounting-down", Functional: true,
			Doc: "with the accounting service failing, the intake still answers 201 and inventory completes while accounting does not; " +
				"after the service recovers and its dead-letter queue is redriven, accounting completes too",
			Params: withParams(grader.Param{Name: "service", Required: true, Doc: "the downstream function with the FAIL_RATE switch, e.g. ${accountingService}"},
				grader.Param{Name: "dlq", Required: true, Doc: "the accounting worker's dead-letter queue, e.g. ${accountingDLQ}"}),
			Calls: append(slices.Clone(flowCalls), "lambda:UpdateFunctionConfiguration", "sqs:ListDeadLetterSourceQueues", "sqs:SendMessage", "sqs:StartMessageMoveTask"), Run: gated(true, runAccountingDown),
		},
		{
			Name: "load.spike", Functional: true,
			Doc: "a burst of orders (param orders) is accepted and every accepted order completes: none lost, none duplicated in the downstream records, " +
				"even when some OrderPlaced messages are delivered twice (the grader sends duplicates param duplicates to the queues, as SQS and SNS may)",
			Params: withParams(grader.Param{Name: "orders", Doc: "how many orders (default 20)"},
				grader.Param{Name: "concurrency", Doc: "how many at once (default 8)"},
				grader.Param{Name: "records", Required: true, Doc: "the downstream records tables, e.g. [${inventoryTable}, ${accountingTable}]"},
				grader.Param{Name: "queues", Doc: "the workers' queues, to deliver duplicates to"},
				grader.Param{Name: "duplicates", Doc: "how many completed orders to deliver a second time (default 2; needs queues)"}),
			Calls: append(slices.Clone(apiCalls), "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"), Run: gated(false, runSpike),
		},
	}
}

// downstreamGate keeps the checks that place orders (readers: their orders
// need the downstream services working) apart from the failure checks
// (writers, one at a time): accounting-down breaks a service on purpose, and
// poison-to-dlq reads how many messages a worker queue holds in flight, which
// other orders would move. Every check that places orders is a reader, lab
// 2's API checks too.
// The kinds' Run functions enter it through gated.
// Readers go first: a writer waits until no reader runs, and readers
// never wait for a writer that is only waiting, so the long failure checks
// do not eat the other checks' time.
type downstreamGate struct {
	mu      sync.Mutex
	readers int
	writer  bool
}

// waitForFailureChecks is what a check was doing when the gate's wait ended
// its time.
const waitForFailureChecks = "wait for lab 4's failure checks (accounting-down, poison-to-dlq) to finish"

// gated runs run inside the downstream gate: as a reader (a check that
// places orders) or, with write, alone (a failure check).
func gated(write bool, run func(context.Context, *grader.Env, grader.Params) grader.Outcome) func(context.Context, *grader.Env, grader.Params) grader.Outcome {
	wait := waitForFailureChecks
	if write {
		wait = "wait for the other order checks to finish"
	}
	return func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
		leave, err := gate(env).enter(ctx, env, write)
		if err != nil {
			return undecided(wait, err)
		}
		defer leave()
		return run(ctx, env, p)
	}
}

func gate(env *grader.Env) *downstreamGate {
	g, _ := grader.Fact(env, "gate/downstream", func() (*downstreamGate, error) { return &downstreamGate{}, nil })
	return g
}

// enter waits (polling) until the gate admits a reader (or the writer, when
// write) and returns the function that leaves it.
func (g *downstreamGate) enter(ctx context.Context, env *grader.Env, write bool) (leave func(), err error) {
	err = poll(ctx, env, func() (bool, error) {
		g.mu.Lock()
		defer g.mu.Unlock()
		switch {
		case g.writer:
			return false, nil
		case write && g.readers > 0:
			return false, nil
		case write:
			g.writer = true
		default:
			g.readers++
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if write {
			g.writer = false
		} else {
			g.readers--
		}
	}, nil
}

// consumed reports whether an enabled event source mapping reads any of the
// queues. A queue that does not exist has no consumer; when the grader cannot
// list mappings it assumes none.
func consumed(ctx context.Context, env *grader.Env, queues []string) bool {
	for _, qn := range queues {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			continue
		}
		arn := q.arn()
		ms, err := grader.Fact(env, "lambda.mappings-of/"+arn, func() ([]lambdatypes.EventSourceMappingConfiguration, error) {
			return listMappings(ctx, env, &lambda.ListEventSourceMappingsInput{EventSourceArn: &arn})
		})
		if err != nil {
			continue
		}
		for _, m := range ms {
			if st := aws.ToString(m.State); st == "Enabled" || st == "Enabling" || st == "Updating" {
				return true
			}
		}
	}
	return false
}

// workerQueues are the queues whose consumers set the order's statuses.
func workerQueues(env *grader.Env) []string {
	var out []string
	for _, k := range []string{"inventoryQueue", "accountingQueue"} {
		if v, ok := env.Names[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

// removeSettled deletes the orders, after waiting (briefly) for the workers
// to finish with them when workers consume the queues: a worker that finds
// its order gone would retry the message into its dead-letter queue.
// Orders still unsettled after the wait are left in place.
//
// It runs after the check, whose context may have expired by then: every
// call here uses a context that outlives it, or consumed would fail to
// list the mappings, assume no worker, and delete orders still in flight.
func (a *orderAPI) removeSettled(ctx context.Context, ids ...string) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if consumed(wctx, a.env, workerQueues(a.env)) {
		var settled []string
		for _, id := range ids {
			if id == "" {
				continue
			}
			err := poll(wctx, a.env, func() (bool, error) {
				it, err := a.item(wctx, id)
				return it == nil || (attrS(it, inventoryStatus) == statusDone && attrS(it, accountingStatus) == statusDone), err
			})
			if err == nil {
				settled = append(settled, id)
			}
		}
		ids = settled
	}
	a.remove(ctx, ids...)
}

// peek receives up to 10 messages of q, makes them visible again at once,
// and reports
// whether one satisfies match. It deletes the messages of this grader run
// that mine accepts (and stale messages of other grader runs).
func peek(ctx context.Context, env *grader.Env, q queueInfo, match, mine func(body string) bool) (bool, error) {
	c := sqs.NewFromConfig(env.AWS)
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &q.url, MaxNumberOfMessages: 10, VisibilityTimeout: 1, WaitTimeSeconds: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameSentTimestamp}})
	if err != nil {
		return false, err
	}
	found := false
	for _, m := range out.Messages {
		body := aws.ToString(m.Body)
		if match(body) {
			found = true
		}
		del := mine != nil && mine(body)
		if !del && strings.Contains(body, "grader-") {
			if ms, err := strconv.ParseInt(m.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil &&
				time.Since(time.UnixMilli(ms)) > staleGraderMessage {
				del = true
			}
		}
		if del {
			_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: m.ReceiptHandle})
		} else {
			_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		if err != nil && !isNotFound(err) {
			return found, fmt.Errorf("put back a peeked message of %s: %w", q.name, err)
		}
	}
	return found, nil
}

// placeOrFail places a valid order and returns its id, or the outcome to
// return when it was not accepted.
func (a *orderAPI) placeOrFail(ctx context.Context, customer string) (string, *grader.Outcome) {
	r, _, err := a.place(ctx, customer, "")
	if err != nil {
		o := undecided("POST /orders", err)
		return "", &o
	}
	if r.status != http.StatusCreated || r.str("orderId") == "" {
		o := grader.Failf("could not place an order to follow: POST /orders got %s", r.describe())
		return "", &o
	}
	return r.str("orderId"), nil
}

// reachQueues waits until order id reaches every queue and reports which
// ones it did not reach by the deadline.
func reachQueues(ctx context.Context, env *grader.Env, queues []queueInfo, id string) (missing []string, err error) {
	seen := map[string]bool{}
	has := func(b string) bool { return strings.Contains(b, id) }
	err = poll(ctx, env, func() (bool, error) {
		for _, q := range queues {
			if seen[q.name] {
				continue
			}
			ok, err := peek(ctx, env, q, has, has)
			if err != nil {
				return false, err
			}
			seen[q.name] = ok
		}
		return len(seen) == len(queues) && !slices.Contains(mapValues(seen), false), nil
	})
	for _, q := range queues {
		if !seen[q.name] {
			missing = append(missing, q.name)
		}
	}
	if timedOut(err) {
		err = nil
	}
	return missing, err
}

func mapValues(m map[string]bool) []bool {
	out := make([]bool, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// waitStatuses waits until the order's statuses are set (to DONE when
// done) and returns the last values seen.
func (a *orderAPI) waitStatuses(ctx context.Context, id string, attrs []string, done bool) (map[string]string, error) {
	last := map[string]string{}
	err := poll(ctx, a.env, func() (bool, error) {
		it, err := a.item(ctx, id)
		if err != nil {
			return false, err
		}
		ok := true
		for _, at := range attrs {
			v := attrS(it, at)
			last[at] = v
			if v == "" || (done && v != statusDone) {
				ok = false
			}
		}
		return ok, nil
	})
	if timedOut(err) {
		err = nil
	}
	return last, err
}

func statusText(m map[string]string) string {
	var parts []string
	for _, k := range []string{inventoryStatus, accountingStatus} {
		if v, ok := m[k]; ok {
			if v == "" {
				v = "(not set)"
			}
			parts = append(parts, k+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func runFanout(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	names := p.Strings("queues")
	var queues []queueInfo
	for _, qn := range names {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			return lookupOutcome("find queue "+qn, err)
		}
		queues = append(queues, q)
	}
	workers := consumed(ctx, env, names)
	id, bad := a.placeOrFail(ctx, a.customer("fanout"))
	if bad != nil {
		return *bad
	}
	defer func() { a.removeSettled(ctx, id) }()
	if workers {
		st, err := a.waitStatuses(ctx, id, []string{inventoryStatus, accountingStatus}, false)
		if err != nil {
			return undecided("follow order "+id, err)
		}
		if st[inventoryStatus] == "" || st[accountingStatus] == "" {
			return grader.Failf("order %s did not reach every worker in time (%s); the workers consume the queues, so the grader follows the order's statuses. "+
				"Check that order-publisher publishes OrderPlaced (%s) and each queue is subscribed", id, statusText(st), todoPublisher)
		}
		return grader.Passf("order %s reached both workers (%s): the queues are consumed, so the grader read the order's statuses", id, statusText(st))
	}
	missing, err := reachQueues(ctx, env, queues, id)
	if err != nil {
		return undecided("peek at the queues", err)
	}
	switch {
	case len(missing) == len(queues):
		return grader.Failf("order %s reached none of the queues (%s) in time: is order-publisher's mapping on the table's stream enabled, and does it publish OrderPlaced? If it is still the starter, %s",
			id, strings.Join(missing, ", "), todoPublisher)
	case len(missing) > 0:
		return grader.Failf("order %s reached some queues but not %s: is each queue subscribed to the topic, and does its policy let the topic send?", id, strings.Join(missing, ", "))
	}
	return grader.Passf("order %s reached %s (peeked with VisibilityTimeout 0; the grader deleted only its own message)", id, strings.Join(names, " and "))
}

func runInsertOnly(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	names, publisher := p.Strings("queues"), p.String("publisher", "")
	wait, err := time.ParseDuration(p.String("wait", "5s"))
	if err != nil || wait <= 0 {
		wait = 5 * time.Second
	}
	if consumed(ctx, env, names) {
		// Workers take every message at once: judge by the mapping's filter.
		ms, err := mappings(ctx, env, publisher)
		if err != nil {
			return lookupOutcome("list the mappings of "+publisher, err)
		}
		for _, m := range ms {
			if strings.Contains(aws.ToString(m.EventSourceArn), "/stream/") {
				if filterAdmits(m.FilterCriteria, "MODIFY") {
					return grader.Failf("%s's stream mapping passes MODIFY records, so every update of an order can publish it again: filter on eventName INSERT", publisher)
				}
				return grader.Passf("the workers consume the queues, so the grader cannot watch them; %s's stream mapping passes only INSERT records, so an update publishes nothing", publisher)
			}
		}
		return grader.Failf("%s has no mapping on the table's stream", publisher)
	}
	var queues []queueInfo
	for _, qn := range names {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			return lookupOutcome("find queue "+qn, err)
		}
		queues = append(queues, q)
	}
	id, bad := a.placeOrFail(ctx, a.customer("modify"))
	if bad != nil {
		return *bad
	}
	defer func() { a.remove(ctx, id) }()
	rctx, cancel := within(ctx, time.Hour, wait+2*time.Second)
	missing, err := reachQueues(rctx, env, queues, id)
	cancel()
	if err != nil {
		return undecided("peek at the queues", err)
	}
	if len(missing) > 0 {
		return grader.Skipf("the new order %s never reached %s, so there is nothing to compare an update with: make the fan-out check pass first", id, strings.Join(missing, ", "))
	}
	_, err = a.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &a.table,
		Key:                       map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression:          aws.String("SET graderNote = :n"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": &ddbtypes.AttributeValueMemberS{Value: "updated by the grader, run " + env.RunID}}})
	if err != nil {
		return undecided("update order "+id, err)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var again []string
	has := func(b string) bool { return strings.Contains(b, id) }
	err = poll(wctx, env, func() (bool, error) {
		for _, q := range queues {
			if slices.Contains(again, q.name) {
				continue
			}
			ok, err := peek(wctx, env, q, has, has)
			if err != nil {
				return false, err
			}
			if ok {
				again = append(again, q.name)
			}
		}
		return false, nil
	})
	if err != nil && !timedOut(err) {
		return undecided("peek at the queues", err)
	}
	if len(again) > 0 {
		return grader.Failf("after an update (MODIFY) of order %s a new message for it reached %s: the publisher must publish only new orders; filter its stream mapping on eventName INSERT",
			id, strings.Join(again, ", "))
	}
	return grader.Passf("after an update of order %s no new message reached %s within %s", id, strings.Join(names, " or "), wait)
}

func runComplete(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	id, bad := a.placeOrFail(ctx, a.customer("complete"))
	if bad != nil {
		return *bad
	}
	defer func() { a.removeSettled(ctx, id) }()
	st, err := a.waitStatuses(ctx, id, []string{inventoryStatus, accountingStatus}, true)
	if err != nil {
		return undecided("follow order "+id, err)
	}
	if st[inventoryStatus] != statusDone || st[accountingStatus] != statusDone {
		return grader.Failf("order %s did not complete in time: %s, want both DONE. If a worker is still the starter, %s", id, statusText(st), todoWorkers)
	}
	return grader.Passf("order %s completed: %s", id, statusText(st))
}

func runPoison(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	qn, dn, status := p.String("queue", ""), p.String("dlq", ""), p.String("status", inventoryStatus)
	q, err := findQueue(ctx, env, qn)
	if err != nil {
		return lookupOutcome("find queue "+qn, err)
	}
	d, err := findQueue(ctx, env, dn)
	if err != nil {
		return lookupOutcome("find queue "+dn, err)
	}
	// A valid order first, so the worker has an order to apply.
	id, bad := a.placeOrFail(ctx, a.customer("beside-poison"))
	if bad != nil {
		return *bad
	}
	defer func() { a.removeSettled(ctx, id) }()
	wctx, cancel := within(ctx, time.Minute, 10*time.Second)
	st, err := a.waitStatuses(wctx, id, []string{status}, true)
	cancel()
	if err != nil && !timedOut(err) {
		return undecided("follow order "+id, err)
	}
	if st[status] != statusDone {
		return grader.Failf("order %s never got "+status+" DONE, even before any poison message: %s. %s", id, statusText(st), todoWorkers)
	}
	it, err := a.item(ctx, id)
	if err != nil {
		return undecided("read order "+id, err)
	}
	order, err := orderMessage(it)
	if err != nil {
		return undecided("build order "+id+"'s message", err)
	}
	c := sqs.NewFromConfig(env.AWS)
	// settled waits until the worker has taken every visible message and
	// the number in flight has stopped changing, and returns it.
	settled := func() (int, error) {
		last, same := -1, 0
		sctx, cancel := within(ctx, 30*time.Second, 5*time.Second)
		defer cancel()
		err := poll(sctx, env, func() (bool, error) {
			v, f, err := queueDepth(sctx, c, q)
			if err != nil {
				return false, err
			}
			if v == 0 && f == last {
				same++
			} else {
				same = 0
			}
			last = f
			return same >= 5, nil
		})
		return last, err
	}
	before, err := settled()
	if err != nil {
		return undecided("wait for "+qn+" to be quiet", err)
	}
	// The poison message and three copies of the valid order's message, in
	// one batch send so the worker receives them in one batch.
	marker := "grader-" + env.RunID + "-poison"
	entries := []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("poison"),
		MessageBody: aws.String(marker + ": this message is not an order, and no worker can process it")}}
	for i := 1; i <= 3; i++ {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("valid", i)), MessageBody: aws.String(order)})
	}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.url, Entries: entries}); err != nil {
		return undecided("send a poison message and valid ones to "+qn, err)
	}
	after, err := settled()
	if err != nil {
		return undecided("wait for the worker to take the messages from "+qn, err)
	}
	held := after - before
	if held < 0 {
		return grader.Errorf("%s was busy with other messages while the check ran (in flight %d before, %d after); try again", qn, before, after)
	}
	redrive := q.attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)]
	toDLQ := strings.Contains(redrive, d.arn())
	parts := []grader.Part{
		{Name: "the valid messages beside the poison are processed", Passed: held <= 1,
			Detail: fmt.Sprintf("%d messages stayed in flight: the worker failed the whole batch; report only the bad message in batchItemFailures (ReportBatchItemFailures)", held)},
		{Name: "the poison message is kept for a retry, not swallowed", Passed: held >= 1,
			Detail: "no message stayed in flight: the worker deleted the poison message as if it had processed it; report it in batchItemFailures so SQS retries it"},
		{Name: "after its retries it goes to the dead-letter queue", Passed: toDLQ,
			Detail: fmt.Sprintf("%s's redrive policy does not send messages to %s", qn, dn)},
	}
	return partsOutcome(parts, "a message the worker cannot process is not handled as the lab asks",
		fmt.Sprintf("in a batch of a poison message and three valid ones, the worker processed the valid ones and kept only the poison message for a retry; %s moves it to %s after maxReceiveCount receives (%s)", qn, dn, redrive))
}

// queueDepth reads how many messages a queue holds visible and in flight.
func queueDepth(ctx context.Context, c *sqs.Client, q queueInfo) (visible, inFlight int, err error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &q.url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, 0, err
	}
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight, nil
}

// orderMessage is the message the topic delivers to a worker queue for an
// order: the order as JSON (raw delivery).
func orderMessage(it map[string]ddbtypes.AttributeValue) (string, error) {
	var m map[string]any
	if err := attributevalue.UnmarshalMap(it, &m); err != nil {
		return "", err
	}
	for _, k := range []string{inventoryStatus, accountingStatus} {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func runAccountingDown(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	svc, dn := p.String("service", ""), p.String("dlq", "")
	d, err := findQueue(ctx, env, dn)
	if err != nil {
		return lookupOutcome("find queue "+dn, err)
	}
	c := sqs.NewFromConfig(env.AWS)
	sources, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &d.url})
	if err != nil {
		return undecided("list the queues that dead-letter to "+dn, err)
	}
	if len(sources.QueueUrls) == 0 {
		return grader.Failf("no queue uses %s as its dead-letter queue: set accounting's queue's RedrivePolicy to it", dn)
	}
	source, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &sources.QueueUrls[0],
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn, sqstypes.QueueAttributeNameVisibilityTimeout}})
	if err != nil {
		return undecided("read the queue that dead-letters to "+dn, err)
	}
	sourceARN := source.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	visibility, _ := strconv.Atoi(source.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)])

	lc := lambda.NewFromConfig(env.AWS)
	fc, err := freshFunctionConfig(ctx, env, svc)
	if err != nil {
		return lookupOutcome("get function "+svc, err)
	}
	original := map[string]string{}
	if fc.Environment != nil {
		original = fc.Environment.Variables
	}
	setVars := func(ctx context.Context, vars map[string]string) error {
		err := retryConflict(ctx, env, func() error {
			_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: &svc,
				Environment: &lambdatypes.Environment{Variables: vars}})
			return err
		})
		if err != nil {
			return err
		}
		return poll(ctx, env, func() (bool, error) {
			c, err := freshFunctionConfig(ctx, env, svc)
			if err != nil {
				return false, err
			}
			return c.LastUpdateStatus != lambdatypes.LastUpdateStatusInProgress, nil
		})
	}
	failing := map[string]string{}
	for k, v := range original {
		failing[k] = v
	}
	failing["FAIL_RATE"] = "1"
	if err := setVars(ctx, failing); err != nil {
		return undecided("switch "+svc+" to failing", err)
	}
	restored := false
	restore := func() error {
		if restored {
			return nil
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err := setVars(rctx, original)
		restored = err == nil
		return err
	}
	defer restore() // always, even when the check fails or times out

	placedAt := time.Now()
	r, _, err := a.place(ctx, a.customer("accounting-down"), "")
	if err != nil {
		return undecided("POST /orders", err)
	}
	id := r.str("orderId")
	defer func() { a.removeSettled(ctx, id) }()
	parts := []grader.Part{{Name: "intake accepts while accounting fails", Passed: r.status == http.StatusCreated && id != "", Detail: "got " + r.describe()}}
	if id == "" {
		return partsOutcome(parts, "the intake refused an order while accounting was failing", "")
	}
	ictx, cancel := within(ctx, time.Minute, 30*time.Second)
	st, err := a.waitStatuses(ictx, id, []string{inventoryStatus}, true)
	cancel()
	if err != nil && !timedOut(err) {
		return undecided("follow order "+id, err)
	}
	parts = append(parts, grader.Part{Name: "inventory completes on its own", Passed: st[inventoryStatus] == statusDone, Detail: fmt.Sprintf("order %s: %s", id, statusText(st))})
	// Wait until accounting's worker has tried and failed: the order's
	// message stays in flight on its queue (steadily, not just while the
	// worker runs). A worker that wrongly takes the 503 as done deletes it,
	// and the wait runs its full 2 s before the order is read.
	accountingQueue := queueInfo{url: sources.QueueUrls[0]}
	hctx, cancel := within(ctx, 2*time.Second, 0)
	steady := 0
	poll(hctx, env, func() (bool, error) {
		v, f, err := queueDepth(hctx, c, accountingQueue)
		if err != nil {
			return false, err
		}
		if v == 0 && f >= 1 {
			steady++
		} else {
			steady = 0
		}
		return steady >= 3, nil
	})
	cancel()
	it, err := a.item(ctx, id)
	if err != nil {
		return undecided("read order "+id, err)
	}
	held := attrS(it, accountingStatus) != statusDone
	parts = append(parts, grader.Part{Name: "accounting waits while its service fails", Passed: held,
		Detail: "accountingStatus is DONE although " + svc + " answered every call with 503: does the worker check the service's answer?"})
	if err := restore(); err != nil {
		return undecided("switch "+svc+" back", err)
	}

	// Recovery: a person redrives what failed while the service was down
	// from the dead-letter queue. Put the order's message there, as SQS does
	// after maxReceiveCount failed receives (waiting for that takes minutes:
	// the resource checks prove the redrive policy), and redrive it.
	body, err := orderMessage(it)
	if err != nil {
		return undecided("build order "+id+"'s message", err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &d.url, MessageBody: &body}); err != nil {
		return undecided("put order "+id+"'s message in "+dn, err)
	}
	err = retryMoveTask(ctx, env, func() error {
		_, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(d.arn()), DestinationArn: &sourceARN})
		return err
	})
	if err != nil {
		return undecided("redrive "+dn, err)
	}
	// The order's first message comes back by itself after the queue's
	// visibility timeout; look before then, so a pass shows the redrive.
	wait := 45 * time.Second
	if visibility > 0 {
		if left := time.Until(placedAt.Add(time.Duration(visibility)*time.Second)) - time.Second; left > 5*time.Second && left < wait {
			wait = left
		}
	}
	actx, cancel := within(ctx, wait, 0)
	st, err = a.waitStatuses(actx, id, []string{accountingStatus}, true)
	cancel()
	if err != nil && !timedOut(err) {
		return undecided("follow order "+id, err)
	}
	parts = append(parts, grader.Part{Name: "accounting completes after recovery and a redrive", Passed: st[accountingStatus] == statusDone,
		Detail: fmt.Sprintf("order %s: %s within %s of redriving %s to %s: is accounting-worker's mapping enabled, and does it apply a redelivered order?", id, statusText(st), wait.Round(time.Second), dn, sources.QueueUrls[0])})
	return partsOutcome(parts, "the order flow does not survive a failing accounting service",
		fmt.Sprintf("order %s: inventory completed while accounting failed; after recovery, a redrive of %s completed accounting", id, dn))
}

var moveTaskBusy = map[string]bool{"InvalidParameterValue": true, "UnsupportedOperation": true,
	"AWS.SimpleQueueService.UnsupportedOperation": true, "InvalidParameterValueException": true}

// retryMoveTask retries starting a message move task while an earlier one
// on the same queue is still running.
func retryMoveTask(ctx context.Context, env *grader.Env, f func() error) error {
	var last error
	mctx, cancel := within(ctx, 20*time.Second, 0)
	defer cancel()
	err := poll(mctx, env, func() (bool, error) {
		last = f()
		// SQS refuses a second task on the same source queue with one of
		// these codes while an earlier task runs; retry for a while, then
		// report the error itself.
		var ae smithy.APIError
		if errors.As(last, &ae) && moveTaskBusy[ae.ErrorCode()] {
			return false, nil
		}
		return true, last
	})
	if timedOut(err) && last != nil {
		return last
	}
	return err
}

// retryConflict retries f while the function is busy with an earlier update.
func retryConflict(ctx context.Context, env *grader.Env, f func() error) error {
	var last error
	err := poll(ctx, env, func() (bool, error) {
		last = f()
		var rc *lambdatypes.ResourceConflictException
		if asType(last, &rc) {
			return false, nil
		}
		return true, last
	})
	if err == nil {
		return nil
	}
	if timedOut(err) && last != nil {
		return last
	}
	return err
}

func runSpike(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	n, conc := max(p.Int("orders", 20), 1), max(p.Int("concurrency", 8), 1)
	customer := a.customer("spike")
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
	defer func() { a.removeSettled(ctx, accepted...) }()
	if len(accepted) == 0 {
		return grader.Failf("none of %d orders was accepted; the first answer was %s", n, firstRefusal)
	}
	// Every accepted order completes.
	pending := map[string]bool{}
	for _, id := range accepted {
		pending[id] = true
	}
	err := poll(ctx, env, func() (bool, error) {
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
		{Name: "completed", Passed: len(pending) == 0, Detail: fmt.Sprintf("%d accepted orders did not reach both statuses DONE in time", len(pending))},
		{Name: "none lost", Passed: len(lost) == 0, Detail: "no downstream record for " + show(lost)},
		{Name: "none duplicated", Passed: len(duplicated) == 0 && len(stored) == len(accepted),
			Detail: fmt.Sprintf("duplicated downstream records: %s; %d orders stored for %d accepted. A worker must apply an order once even when its message arrives twice (use the orderId as the service's Idempotency-Key)", show(duplicated), len(stored), len(accepted))},
	}
	return partsOutcome(parts, "the spike was not handled cleanly",
		fmt.Sprintf("%d orders accepted, all completed, 0 lost, 0 duplicated", len(accepted)))
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
