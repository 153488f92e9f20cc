package checks

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/grader"
)

// What grading leaves in the learner's account: nothing of the grader's.
// The checks that place orders hand them to the run's ledger instead of
// deleting them themselves, and the ledger cleans up once, after the last
// check (grader.Env.Finally):
//
//   - When workers consume the queues (lab 4 on), the grader never
//     receives from them. It waits until every one of its orders is settled
//     (both statuses DONE) and each worker queue holds no more messages
//     than before the run's first order (so no worker still holds one of
//     the grader's messages and would find its order gone), then deletes
//     the downstream services' records of its orders and the orders.
//   - When nothing consumes them (lab 3), the grader's orders' messages
//     would stay in the learner's queues. SQS has no way to remove one
//     message without receiving it, and a receive cannot pick messages, so
//     this is the one place the grader receives from the learner's queues:
//     one sweep per queue and run. The sweep receives every visible message
//     once, with a visibility timeout longer than the sweep, deletes the
//     grader's own (an order of a grader customer, "grader-<run>-..."), and
//     makes the learner's visible again at once (ChangeMessageVisibility
//     0). Each of the learner's messages is thus received once per run, and
//     a learner who grades lab 3 more often than the queue's maxReceiveCount
//     before the workers exist would see their own test orders move to the
//     dead-letter queue; the lab text says so.
const (
	settleWait = 30 * time.Second // how long the clean-up waits for workers to finish the grader's orders
	sweepWait  = 20 * time.Second // how long a sweep waits for the grader's messages to arrive
)

// ledger holds the orders of one run on one orders table.
type ledger struct {
	env   *grader.Env
	table string
	ddb   *dynamodb.Client

	mu  sync.Mutex
	ids []string
	// before is each worker queue's message count (visible, in flight and
	// delayed) before the run placed its first order; a queue that does
	// not exist is absent.
	before map[string]int
}

// ordersOf returns the run's ledger for table; the first call reads the
// worker queues' counts (before any order of the run exists) and
// registers the clean-up.
func ordersOf(ctx context.Context, env *grader.Env, table string) *ledger {
	l, _ := grader.Fact(env, "cleanup/orders/"+table, func() (*ledger, error) {
		l := &ledger{env: env, table: table, ddb: dynamodb.NewFromConfig(env.AWS), before: map[string]int{}}
		c := sqs.NewFromConfig(env.AWS)
		for _, qn := range workerQueues(env) {
			if q, err := findQueue(ctx, env, qn); err == nil {
				if n, err := queueTotal(ctx, c, q); err == nil {
					l.before[qn] = n
				}
			}
		}
		env.Finally("cleanup/orders/"+table, l.finish)
		return l, nil
	})
	return l
}

// add hands orders to the ledger, to be removed after the run.
func (l *ledger) add(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if id != "" && !slices.Contains(l.ids, id) {
			l.ids = append(l.ids, id)
		}
	}
}

func (l *ledger) warn(ctx context.Context, msg string, args ...any) {
	if l.env.Log != nil {
		l.env.Log.WarnContext(ctx, msg, args...)
	}
}

// finish removes the run's orders, and what they caused, from the account.
func (l *ledger) finish(ctx context.Context) {
	l.mu.Lock()
	ids := slices.Clone(l.ids)
	l.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	var queues []queueInfo
	var names []string
	for _, qn := range workerQueues(l.env) {
		if q, err := findQueue(ctx, l.env, qn); err == nil {
			queues, names = append(queues, q), append(names, qn)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, settleWait+sweepWait+30*time.Second)
	defer cancel()
	if !consumed(cctx, l.env, names) {
		l.deleteOrders(cctx, ids)
		for _, q := range queues {
			l.sweep(cctx, q, ids)
		}
		return
	}
	settled := l.settle(cctx, queues, ids)
	for _, key := range []string{"inventoryTable", "accountingTable"} {
		if t, ok := l.env.Names[key]; ok {
			l.deleteRecords(cctx, t, settled)
		}
	}
	l.deleteOrders(cctx, settled)
}

// settle waits (at most settleWait) until the workers are done with the
// orders and the worker queues are back to their counts before the run,
// and returns the orders it may delete: those settled (both statuses
// DONE, or gone). An order a broken worker never finishes stays, rather
// than make the worker fail on a missing order.
func (l *ledger) settle(ctx context.Context, queues []queueInfo, ids []string) []string {
	c := sqs.NewFromConfig(l.env.AWS)
	done := map[string]bool{}
	wctx, cancel := context.WithTimeout(ctx, settleWait)
	defer cancel()
	err := poll(wctx, l.env, func() (bool, error) {
		for _, id := range ids {
			if done[id] {
				continue
			}
			it, err := l.ddb.GetItem(wctx, &dynamodb.GetItemInput{TableName: &l.table, ConsistentRead: aws.Bool(true),
				Key: map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: id}}})
			if err != nil {
				return false, err
			}
			done[id] = it.Item == nil || (attrS(it.Item, inventoryStatus) == statusDone && attrS(it.Item, accountingStatus) == statusDone)
		}
		for _, q := range queues {
			n, err := queueTotal(wctx, c, q)
			if err != nil {
				return false, err
			}
			if n > l.before[q.name] {
				return false, nil
			}
		}
		return len(done) == len(ids) && !slices.Contains(mapValues(done), false), nil
	})
	if err != nil {
		l.warn(ctx, "wait for the workers to finish the grader's orders", "error", err)
	}
	var out []string
	for _, id := range ids {
		if done[id] {
			out = append(out, id)
		} else {
			l.warn(ctx, "a grader order was not finished by the workers; left in place so no worker fails on it", "orderId", id)
		}
	}
	return out
}

func (l *ledger) deleteOrders(ctx context.Context, ids []string) {
	for _, id := range ids {
		_, err := l.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &l.table,
			Key: map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: id}}})
		if err != nil {
			l.warn(ctx, "clean up a grader order", "orderId", id, "error", err)
		}
	}
}

// deleteRecords deletes the downstream service's records of the orders
// (partition key idempotencyKey, as the kit's services store them).
func (l *ledger) deleteRecords(ctx context.Context, table string, ids []string) {
	if len(ids) == 0 {
		return
	}
	pg := dynamodb.NewScanPaginator(l.ddb, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("idempotencyKey, orderId")})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			if !isNotFound(err) {
				l.warn(ctx, "read the records of the grader's orders", "table", table, "error", err)
			}
			return
		}
		for _, it := range page.Items {
			if !slices.Contains(ids, attrS(it, "orderId")) {
				continue
			}
			_, err := l.ddb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table,
				Key: map[string]ddbtypes.AttributeValue{"idempotencyKey": it["idempotencyKey"]}})
			if err != nil {
				l.warn(ctx, "delete a record of a grader order", "table", table, "error", err)
			}
		}
	}
}

// graderMessage reports whether a message body is the grader's: it names
// one of this run's orders, or is an order of a grader customer (an earlier
// run's), or a grader marker.
func graderMessage(body string, ids []string) bool {
	if strings.HasPrefix(body, "grader-") {
		return true
	}
	for _, id := range ids {
		if strings.Contains(body, id) {
			return true
		}
	}
	var o struct {
		CustomerID string `json:"customerId"`
	}
	return json.Unmarshal([]byte(body), &o) == nil && strings.HasPrefix(o.CustomerID, "grader-")
}

// sweep removes the grader's messages from a queue nothing consumes (see
// the comment at the top of this file). It receives in rounds until every
// order of ids was found or three rounds in a row found nothing new (the
// orders' messages may still be on their way), at most sweepWait; each
// message it keeps stays invisible to the sweep's later rounds, so it is
// received once.
func (l *ledger) sweep(ctx context.Context, q queueInfo, ids []string) {
	c := sqs.NewFromConfig(l.env.AWS)
	hold := int32(sweepWait/time.Second) + 30
	var learners []*string
	found := map[string]bool{}
	defer func() {
		// The learner's messages are visible again at once, as before.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		for _, h := range learners {
			_, err := c.ChangeMessageVisibility(pctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url, ReceiptHandle: h, VisibilityTimeout: 0})
			if err != nil && !notInflight(err) {
				l.warn(pctx, "make a learner's message visible again", "queue", q.name, "error", err)
			}
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, sweepWait)
	defer cancel()
	for quiet := 0; quiet < 3 && len(found) < len(ids) && sctx.Err() == nil; {
		out, err := c.ReceiveMessage(sctx, &sqs.ReceiveMessageInput{QueueUrl: &q.url, MaxNumberOfMessages: 10, VisibilityTimeout: hold, WaitTimeSeconds: 1})
		if err != nil {
			if sctx.Err() == nil {
				l.warn(ctx, "sweep the grader's messages", "queue", q.name, "error", err)
			}
			return
		}
		if len(out.Messages) == 0 {
			quiet++
			continue
		}
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			if !graderMessage(body, ids) {
				learners = append(learners, m.ReceiptHandle)
				continue
			}
			for _, id := range ids {
				if strings.Contains(body, id) {
					found[id], quiet = true, 0
				}
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				l.warn(ctx, "delete a grader message", "queue", q.name, "error", err)
			}
		}
	}
}

// queueTotal reads how many messages a queue holds: visible, in flight and
// delayed.
func queueTotal(ctx context.Context, c *sqs.Client, q queueInfo) (int, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &q.url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range out.Attributes {
		k, _ := strconv.Atoi(v)
		n += k
	}
	return n, nil
}
