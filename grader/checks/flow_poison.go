package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/grader"
)

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
