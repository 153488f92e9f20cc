package sqs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestRetentionExpiry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	c, _ := newClient(t, svc, cloudtest.Account)
	url := createQueue(t, c, "short", map[string]string{"MessageRetentionPeriod": "60"})
	send(t, c, url, "old")
	send(t, c, url, "new")
	q := svc.lookup(queueKey{cloudtest.Account, "us-east-1", "short"})
	q.mu.Lock()
	for _, m := range q.msgs {
		if m.body == "old" {
			m.sent -= 61 * 1000 // as if sent 61 seconds ago
		}
	}
	q.mu.Unlock()
	svc.expire()
	if got := queueAttrs(t, c, url)["ApproximateNumberOfMessages"]; got != "1" {
		t.Fatalf("after expiry: %s messages, want 1", got)
	}
	svc.Close()
	c2, _ := newClient(t, newService(t, dir), cloudtest.Account)
	msgs := receive(t, c2, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "new" {
		t.Fatalf("after reopen got %+v, want only the new message", msgs)
	}
}

func TestMoveTaskToDestinationAndCancel(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	dlqURL := createQueue(t, c, "mv-dlq", nil)
	dlqArn := queueArn(t, c, dlqURL)
	createQueue(t, c, "mv-src", map[string]string{"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":1}`, dlqArn)})
	dstURL := createQueue(t, c, "mv-dst", nil)
	dstArn := queueArn(t, c, dstURL)
	for i := 0; i < 5; i++ {
		send(t, c, dlqURL, fmt.Sprintf("m%d", i))
	}
	var apiErr smithy.APIError
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dstArn)}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("move from a queue that is no DLQ: got %v, want InvalidParameterValue", err)
	}
	var notFound *types.ResourceNotFoundException
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn + "-nope")}); !errors.As(err, &notFound) {
		t.Errorf("move from a missing queue: got %v, want ResourceNotFoundException", err)
	}
	// One message per second: the task is still running when cancelled.
	task, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), DestinationArn: aws.String(dstArn), MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatalf("StartMessageMoveTask: %v", err)
	}
	if _, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn)}); !errors.As(err, &apiErr) {
		t.Errorf("second task on the same source: got %v, want an error", err)
	}
	// Cancel once the task has moved a message (polled, not slept for):
	// at one per second it has four left.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqArn)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Results) == 1 && out.Results[0].ApproximateNumberOfMessagesMoved >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task moved nothing: %+v", out.Results)
		}
	}
	if _, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle}); err != nil {
		t.Fatalf("CancelMessageMoveTask: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqArn)})
		if err != nil {
			t.Fatal(err)
		}
		if s := aws.ToString(out.Results[0].Status); s == "CANCELLED" {
			if moved := out.Results[0].ApproximateNumberOfMessagesMoved; moved >= 5 {
				t.Errorf("cancelled task moved %d of 5", moved)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not cancelled: %+v", out.Results[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := queueAttrs(t, c, dstURL)["ApproximateNumberOfMessages"]; got == "0" {
		t.Errorf("destination got no message before the cancel")
	}
}

func TestFIFODedupSurvivesReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	c, _ := newClient(t, svc, cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "dd.fifo", map[string]string{"FifoQueue": "true"})
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")}
	first, err := c.SendMessage(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	c2, _ := newClient(t, newService(t, dir), cloudtest.Account)
	again, err := c2.SendMessage(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.MessageId) != aws.ToString(first.MessageId) {
		t.Errorf("resend within 5 minutes got a new id %s, want %s", aws.ToString(again.MessageId), aws.ToString(first.MessageId))
	}
	if got := receive(t, c2, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)}); len(got) != 0 {
		t.Errorf("deduplicated resend was delivered")
	}
	next, err := c2.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("y"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d2")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(next.SequenceNumber) <= aws.ToString(first.SequenceNumber) {
		t.Errorf("sequence number went backwards: %s after %s", aws.ToString(next.SequenceNumber), aws.ToString(first.SequenceNumber))
	}
}

func TestStaleReceiptHandles(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "stale", nil)
	send(t, c, url, "m")
	first := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if len(first) != 1 {
		t.Fatalf("got %d messages, want 1", len(first))
	}
	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("ok"), ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 0},
	}})
	if err != nil {
		t.Fatalf("ChangeMessageVisibilityBatch: %v", err)
	}
	if len(out.Successful) != 1 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("ChangeMessageVisibilityBatch: got %+v / %+v", out.Successful, out.Failed)
	}
	second := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if len(second) != 1 || aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Fatalf("second receive: got %+v, want the message with a new handle", second)
	}
	// On a standard queue an older handle still deletes the message.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with the first handle: %v", err)
	}
	if got := queueAttrs(t, c, url)["ApproximateNumberOfMessagesNotVisible"]; got != "0" {
		t.Errorf("after delete with a stale handle: %s in flight, want 0", got)
	}
	// Deleting again succeeds.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: second[0].ReceiptHandle}); err != nil {
		t.Fatalf("second DeleteMessage: %v", err)
	}
	// A handle from another queue is invalid here.
	other := createQueue(t, c, "stale-other", nil)
	var invalid *types.ReceiptHandleIsInvalid
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(other), ReceiptHandle: second[0].ReceiptHandle}); !errors.As(err, &invalid) {
		t.Errorf("handle of another queue: got %v, want ReceiptHandleIsInvalid", err)
	}
}

func TestRequestsAfterCloseAreUnavailable(t *testing.T) {
	t.Parallel()
	svc := newService(t, "")
	c, _ := newClient(t, svc, cloudtest.Account)
	url := createQueue(t, c, "closing", nil)
	svc.Close()
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("late")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ServiceUnavailable" {
		t.Fatalf("send after Close: got %v, want ServiceUnavailable", err)
	}
}

func TestFIFOLongPollWakesWhenGroupUnblocks(t *testing.T) {
	t.Parallel()
	svc := newService(t, "")
	c, _ := newClient(t, svc, cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "wake.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, b := range []string{"1", "2"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b), MessageGroupId: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
	}
	first := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
	if len(first) != 1 || aws.ToString(first[0].Body) != "1" {
		t.Fatalf("got %+v, want message 1", first)
	}
	got := longPoll(t, c, url)
	waitPolling(t, svc.lookup(queueKey{cloudtest.Account, "us-east-1", "wake.fifo"}))
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	select {
	case msgs := <-got:
		if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "2" {
			t.Fatalf("got %+v, want message 2", msgs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not wake when the group's first message was deleted")
	}
}

func TestFIFOReceiveRequestAttemptID(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, newService(t, ""), cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "attempt.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for _, b := range []string{"1", "2"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b), MessageGroupId: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), ReceiveRequestAttemptId: aws.String("try-1")}
	first := receive(t, c, in)
	again := receive(t, c, in)
	if len(first) != 1 || len(again) != 1 || aws.ToString(again[0].ReceiptHandle) != aws.ToString(first[0].ReceiptHandle) {
		t.Fatalf("retry with the same attempt id: got %+v, want %+v", again, first)
	}
	other := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), ReceiveRequestAttemptId: aws.String("try-2")})
	if len(other) != 1 || aws.ToString(other[0].Body) == aws.ToString(first[0].Body) {
		t.Fatalf("another attempt id: got %+v, want the other group's message", other)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, c, in); len(got) != 0 {
		t.Fatalf("retry after delete: got %+v, want nothing", got)
	}
}
