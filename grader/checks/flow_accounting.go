package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

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
