package checks

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/solutions/downstream"
)

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
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})
	if err != nil {
		return undecided("read the queue that dead-letters to "+dn, err)
	}
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
	failing := downstream.FailureEnv(original, true, 1, 0)
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

	placed := time.Now()
	r, _, err := a.place(ctx, a.customer("accounting-down"), "")
	if err != nil {
		return undecided("POST /orders", err)
	}
	id := r.str("orderId")
	defer func() { a.remove(id) }()
	parts := []grader.Part{{Name: "intake accepts while accounting fails", Passed: r.status == http.StatusCreated && id != "", Detail: "got " + r.describe()}}
	if id == "" {
		return partsOutcome(parts, "the intake refused an order while accounting was failing", "")
	}
	// Long enough for one redelivery: on a loaded machine the inventory
	// worker's first try can fail too (its call timed out); the recovery
	// below keeps its own time.
	ictx, cancel := within(ctx, redeliveryWait(ctx, env), time.Duration(visibility)*time.Second+30*time.Second)
	st, err := a.waitStatuses(ictx, id, []string{inventoryStatus}, true)
	cancel()
	if err != nil && !timedOut(err) {
		return undecided("follow order "+id, err)
	}
	detail := fmt.Sprintf("order %s: %s", id, statusText(st))
	if st[inventoryStatus] != statusDone {
		detail += "." + lastWorkerLogs(ctx, env, id, placed, st, true)
	}
	parts = append(parts, grader.Part{Name: "inventory completes on its own", Passed: st[inventoryStatus] == statusDone, Detail: detail})
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
	restoredAt := time.Now()

	// Recovery: the worker reported the order's message as failed, so SQS
	// delivers it again once the queue's visibility timeout has passed
	// since its last receive; the worker, now answered by a working
	// service, completes accounting. (A message that failed maxReceiveCount
	// times would be in the dead-letter queue, and a redrive puts it back
	// the same way: lab 4 step 3 has the learner do that.) The grader sends
	// nothing to the learner's queues, and by the time the check ends the
	// message is done, so the order can be removed without a worker
	// failing on it.
	wait := time.Duration(visibility)*time.Second + 15*time.Second
	actx, cancel := within(ctx, wait, 0)
	st, err = a.waitStatuses(actx, id, []string{accountingStatus}, true)
	cancel()
	if err != nil && !timedOut(err) {
		return undecided("follow order "+id, err)
	}
	parts = append(parts, grader.Part{Name: "accounting completes once the service is back", Passed: st[accountingStatus] == statusDone,
		Detail: fmt.Sprintf("order %s: %s %s after the service came back; %s's visibility timeout is %d s, so SQS delivered the failed message again by then: does accounting-worker report a failed call in batchItemFailures, and apply a redelivered order?%s",
			id, statusText(st), time.Since(restoredAt).Round(time.Second), sources.QueueUrls[0], visibility, lastWorkerLogs(ctx, env, id, placed, st, true))})
	return partsOutcome(parts, "the order flow does not survive a failing accounting service",
		fmt.Sprintf("order %s: inventory completed while accounting failed; once the service was back, SQS delivered the failed message again and accounting completed (nothing was sent to %s or its dead-letter queue %s)", id, sources.QueueUrls[0], dn))
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
