package checks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

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
		if err != nil && !isNotFound(err) && !(!del && notInflight(err)) {
			return found, fmt.Errorf("put back a peeked message of %s: %w", q.name, err)
		}
	}
	return found, nil
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
