package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
	placed := time.Now()
	id, bad := a.placeOrFail(ctx, a.customer("beside-poison"))
	if bad != nil {
		return *bad
	}
	defer func() { a.remove(id) }()
	wctx, cancel := within(ctx, redeliveryWait(ctx, env), 10*time.Second)
	st, err := a.waitStatuses(wctx, id, []string{status}, true)
	cancel()
	if err != nil && !timedOut(err) {
		return undecided("follow order "+id, err)
	}
	if st[status] != statusDone {
		return grader.Failf("order %s never got "+status+" DONE, even before any poison message: %s. %s.%s", id, statusText(st), todoWorkers, lastWorkerLogs(ctx, env, id, placed, st, true))
	}
	it, err := a.item(ctx, id)
	if err != nil {
		return undecided("read order "+id, err)
	}
	order, err := orderMessage(it)
	if err != nil {
		return undecided("build order "+id+"'s message", err)
	}
	worker, err := queueConsumer(ctx, env, q)
	if err != nil {
		return lookupOutcome("find the function that consumes "+qn, err)
	}
	if worker == "" {
		return grader.Failf("no enabled event source mapping consumes %s, so no worker would ever see a poison message: create the worker's mapping", qn)
	}
	// The batch Lambda's poller would hand the worker: a poison message and
	// three copies of the valid order's message. The grader invokes the
	// worker with it directly instead of sending it to the queue: the
	// worker's answer says which messages it would have SQS retry, and no
	// grader message is left on the learner's queue to reach the
	// dead-letter queue minutes later. (SQS's part, moving a message to the
	// dead-letter queue after maxReceiveCount receives, is the redrive
	// policy read below; the mapping's ReportBatchItemFailures is checked by
	// the mapping check.)
	poison := "grader-" + env.RunID + "-poison"
	batch := []sqsRecord{{ID: poison, Body: poison + ": this message is not an order, and no worker can process it"}}
	for i := 1; i <= 3; i++ {
		batch = append(batch, sqsRecord{ID: fmt.Sprintf("grader-%s-valid-%d", env.RunID, i), Body: order})
	}
	failed, fnErr, err := invokeWithBatch(ctx, env, worker, q, batch)
	if err != nil {
		return undecided("invoke "+worker+" with a batch of messages", err)
	}
	var validFailed int
	for _, r := range batch[1:] {
		if slices.Contains(failed, r.ID) {
			validFailed++
		}
	}
	whole := fnErr != ""
	redrive := q.attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)]
	toDLQ := strings.Contains(redrive, d.arn())
	parts := []grader.Part{
		{Name: "the valid messages beside the poison are processed", Passed: !whole && validFailed == 0,
			Detail: fmt.Sprintf("the worker failed the valid messages too (%s): SQS would retry the whole batch; report only the bad message in batchItemFailures (ReportBatchItemFailures)", batchFailure(fnErr, validFailed))},
		{Name: "the poison message is kept for a retry, not swallowed", Passed: whole || slices.Contains(failed, poison),
			Detail: "the worker answered as if it had processed the poison message, so SQS would delete it: the worker deleted the poison message instead of reporting it in batchItemFailures so SQS retries it"},
		{Name: "after its retries it goes to the dead-letter queue", Passed: toDLQ,
			Detail: fmt.Sprintf("%s's redrive policy does not send messages to %s", qn, dn)},
	}
	return partsOutcome(parts, "a message the worker cannot process is not handled as the lab asks",
		fmt.Sprintf("given a batch of a poison message and three valid ones (invoked directly, nothing sent to %s), the worker processed the valid ones and reported only the poison message for a retry; %s moves it to %s after maxReceiveCount receives (%s)", qn, qn, dn, redrive))
}

func batchFailure(fnErr string, validFailed int) string {
	if fnErr != "" {
		return "the function returned an error: " + clip(fnErr, 160)
	}
	return fmt.Sprintf("%d of the 3 valid messages are in batchItemFailures", validFailed)
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
