package sqs

import (
	"context"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// ReceivedMessage is a message received on behalf of another service of the
// local cloud (a Lambda event source mapping): what an SQS event record
// carries.
type ReceivedMessage struct {
	MessageID     string
	ReceiptHandle string
	Body          string
	MD5OfBody     string
	// Attributes are all system attributes: ApproximateReceiveCount,
	// SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp and, for
	// FIFO queues, MessageGroupId, MessageDeduplicationId, SequenceNumber.
	Attributes             map[string]string
	MessageAttributes      map[string]protocol.MessageAttributeValue
	MD5OfMessageAttributes string
}

// serviceContext acts in the account and region of a queue ARN.
func serviceContext(ctx context.Context, queueARN string) (context.Context, error) {
	a, ok := protocol.ParseARN(queueARN)
	if !ok || a.Service != "sqs" {
		return nil, nonExistent()
	}
	return protocol.WithIdentity(ctx, protocol.Identity{AccountID: a.Account, Region: a.Region}), nil
}

// ReceiveFromService receives up to max (1 to 10) messages of the queue
// queueARN as a consumer would with ReceiveMessage: receive counts,
// visibility timeouts and dead-letter redrive apply. It long polls up to
// wait (at most 20 seconds) and returns early when ctx ends.
func (s *Service) ReceiveFromService(ctx context.Context, queueARN string, max int, wait time.Duration) ([]ReceivedMessage, error) {
	sctx, err := serviceContext(ctx, queueARN)
	if err != nil {
		return nil, err
	}
	n, w := int32(max), int32(min(wait, 20*time.Second)/time.Second)
	out, err := s.receiveMessage(sctx, &receiveMessageInput{QueueUrl: queueARN, MaxNumberOfMessages: &n, WaitTimeSeconds: &w,
		MessageSystemAttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil {
		return nil, err
	}
	msgs := make([]ReceivedMessage, 0, len(out.Messages))
	for _, m := range out.Messages {
		r := ReceivedMessage{MessageID: m.MessageId, ReceiptHandle: m.ReceiptHandle, Body: m.Body, MD5OfBody: m.MD5OfBody, MD5OfMessageAttributes: m.MD5OfMessageAttributes, Attributes: map[string]string{}}
		if m.Attributes != nil {
			for k, v := range m.Attributes.m {
				r.Attributes[k] = v
			}
		}
		if len(m.MessageAttributes) > 0 {
			r.MessageAttributes = map[string]protocol.MessageAttributeValue{}
			for k, v := range m.MessageAttributes {
				mv := protocol.MessageAttributeValue{DataType: v.DataType, BinaryValue: v.BinaryValue}
				if v.StringValue != nil {
					mv.StringValue = *v.StringValue
				}
				r.MessageAttributes[k] = mv
			}
		}
		msgs = append(msgs, r)
	}
	return msgs, nil
}

// DeleteFromService deletes received messages of the queue queueARN by
// their receipt handles, committed before it returns.
func (s *Service) DeleteFromService(ctx context.Context, queueARN string, receiptHandles ...string) error {
	sctx, err := serviceContext(ctx, queueARN)
	if err != nil {
		return err
	}
	for _, h := range receiptHandles {
		if _, err := s.deleteMessage(sctx, &deleteMessageInput{QueueUrl: queueARN, ReceiptHandle: h}); err != nil {
			return err
		}
	}
	return nil
}

// QueueAttributesFromService returns every attribute of the queue queueARN
// (VisibilityTimeout, RedrivePolicy, FifoQueue ...), as GetQueueAttributes
// with "All" does; QueueDoesNotExist when there is no such queue.
func (s *Service) QueueAttributesFromService(ctx context.Context, queueARN string) (map[string]string, error) {
	sctx, err := serviceContext(ctx, queueARN)
	if err != nil {
		return nil, err
	}
	out, err := s.getQueueAttributes(sctx, &getQueueAttributesInput{QueueUrl: queueARN, AttributeNames: []string{"All"}})
	if err != nil {
		return nil, err
	}
	if out.Attributes == nil {
		return map[string]string{}, nil
	}
	return out.Attributes.m, nil
}

// OldestMessageAgeFromService returns how long the queue's oldest message
// that is not deleted has been in it (CloudWatch's
// ApproximateAgeOfOldestMessage), and false when the queue holds none.
func (s *Service) OldestMessageAgeFromService(ctx context.Context, queueARN string) (time.Duration, bool, error) {
	sctx, err := serviceContext(ctx, queueARN)
	if err != nil {
		return 0, false, err
	}
	q, err := s.resolve(sctx, queueARN)
	if err != nil {
		return 0, false, err
	}
	var sent int64
	found := false
	q.locked(func() {
		for _, m := range q.msgs {
			if !m.deleted {
				sent, found = m.sent, true
				return
			}
		}
	})
	if !found {
		return 0, false, nil
	}
	return max(0, time.Since(time.UnixMilli(sent))), true, nil
}
