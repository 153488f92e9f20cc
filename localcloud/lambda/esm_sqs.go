package lambda

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// kindBatch is the activity kind of one event source mapping batch: Name is
// the function, Route the event source ARN, Status the number of records,
// Duration the invocation's, and Outcome "ok", "partial", "error",
// "throttled", "filtered" (records dropped by FilterCriteria) or "discarded"
// (stream records given up on).
const kindBatch = activity.KindBatch

// runSQS runs an SQS mapping: MaximumConcurrency (default 5) pollers, each
// receiving, invoking and deleting one batch at a time.
func (s *Service) runSQS(r *esmRunner) {
	ctx, cancel := s.runnerContext(r)
	defer cancel()
	n := r.m.MaxConcurrency
	if n == 0 {
		n = esmDefaultSQSConc
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.sqsWorker(ctx, r, i)
		}()
	}
	wg.Wait()
}

// sleepCtx waits d or until ctx ends; it reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	return sleepOrWake(ctx, d, 0, nil) // a nil channel never wakes
}

// backoff is a growing retry delay.
type backoff struct{ d time.Duration }

func (b *backoff) next() time.Duration {
	if b.d == 0 {
		b.d = 50 * time.Millisecond
	} else if b.d < 2*time.Second {
		b.d *= 2
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }

// sqsWorker is one poller of an SQS mapping: worker i idles while the
// function is missing or its reserved concurrency is i or less.
func (s *Service) sqsWorker(ctx context.Context, r *esmRunner, i int) {
	m := r.m
	var url string
	var bo backoff
	for ctx.Err() == nil {
		// No receive while the function is missing (its messages would use
		// up their receive counts) or while its reserved concurrency leaves
		// this worker nothing to run.
		f := s.current(fnKey{m.Account, m.Region, m.Function})
		if f == nil {
			r.setResult("PROBLEM: Function not found")
		}
		if f == nil || (f.Reserved != nil && i >= *f.Reserved) {
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		c, err := s.clientsFor(m.Account, m.Region)
		if err == nil && url == "" {
			url, err = queueURL(ctx, c, m.Source)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			code, msg := sdkErrorText(err)
			r.setResult("PROBLEM: Error occurred while ReceiveMessage. SQS Error Code: " + code + ". SQS Error Message: " + msg)
			url = ""
			sleepCtx(ctx, bo.next())
			continue
		}
		msgs, err := receiveBatch(ctx, c, url, m)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			code, msg := sdkErrorText(err)
			r.setResult("PROBLEM: Error occurred while ReceiveMessage. SQS Error Code: " + code + ". SQS Error Message: " + msg)
			url = ""
			sleepCtx(ctx, bo.next())
			continue
		}
		bo.reset()
		if len(msgs) == 0 {
			continue
		}
		if !s.sqsBatch(ctx, r, c, url, msgs) {
			sleepCtx(ctx, time.Second) // throttled or no function: the messages come back later
		}
	}
}

// receiveBatch long-polls for up to BatchSize messages, gathering for up to
// MaximumBatchingWindowInSeconds after the first one arrives.
func receiveBatch(ctx context.Context, c *esmClients, url string, m *mapping) ([]sqstypes.Message, error) {
	var msgs []sqstypes.Message
	var deadline time.Time
	for len(msgs) < m.BatchSize {
		wait := int32(20)
		if len(msgs) > 0 {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			wait = int32(min(20, math.Ceil(left.Seconds())))
		}
		out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         int32(min(10, m.BatchSize-len(msgs))),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if len(msgs) > 0 && ctx.Err() == nil {
				return msgs, nil // deliver what was gathered; the error comes back on the next poll
			}
			return nil, err
		}
		if len(out.Messages) == 0 && len(msgs) == 0 {
			return nil, nil
		}
		if len(msgs) == 0 {
			deadline = time.Now().Add(time.Duration(m.Window) * time.Second)
		}
		msgs = append(msgs, out.Messages...)
		if m.Window == 0 {
			break
		}
	}
	return msgs, nil
}

// sqsRecord is a message in the shape Lambda's SQS events carry it.
func sqsRecord(msg sqstypes.Message, m *mapping) events.SQSMessage {
	rec := events.SQSMessage{
		MessageId:         aws.ToString(msg.MessageId),
		ReceiptHandle:     aws.ToString(msg.ReceiptHandle),
		Body:              aws.ToString(msg.Body),
		Md5OfBody:         aws.ToString(msg.MD5OfBody),
		Attributes:        map[string]string{},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSourceARN:    m.Source,
		EventSource:       "aws:sqs",
		AWSRegion:         m.Region,
	}
	if msg.MD5OfMessageAttributes != nil {
		rec.Md5OfMessageAttributes = *msg.MD5OfMessageAttributes
	}
	for k, v := range msg.Attributes {
		rec.Attributes[k] = v
	}
	for k, v := range msg.MessageAttributes {
		a := events.SQSMessageAttribute{
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: v.StringListValues,
			BinaryListValues: v.BinaryListValues,
			DataType:         aws.ToString(v.DataType),
		}
		if a.StringListValues == nil {
			a.StringListValues = []string{}
		}
		if a.BinaryListValues == nil {
			a.BinaryListValues = [][]byte{}
		}
		rec.MessageAttributes[k] = a
	}
	return rec
}

// sqsFilterView is what filter patterns see of an SQS record: the record's
// JSON with body parsed when it is JSON.
func sqsFilterView(rec *events.SQSMessage) map[string]any {
	b, _ := json.Marshal(rec)
	var v map[string]any
	json.Unmarshal(b, &v)
	var body any
	if err := json.Unmarshal([]byte(rec.Body), &body); err == nil {
		v["body"] = body
	}
	return v
}

// sqsBatch delivers one batch: filtered-out messages are deleted, the rest
// go to the function, and what it processed is deleted. It returns false
// when the invocation did not happen (throttled, no function).
func (s *Service) sqsBatch(ctx context.Context, r *esmRunner, c *esmClients, url string, msgs []sqstypes.Message) bool {
	m := r.m
	var drop []sqstypes.Message
	var keep []sqstypes.Message
	var recs []events.SQSMessage
	for _, msg := range msgs {
		rec := sqsRecord(msg, m)
		if len(r.filters) > 0 && !matchAny(r.filters, sqsFilterView(&rec)) {
			drop = append(drop, msg)
			continue
		}
		keep = append(keep, msg)
		recs = append(recs, rec)
	}
	if len(drop) > 0 {
		s.deleteMessages(ctx, c, url, drop)
		s.publishBatch(m, "filtered", len(drop), 0)
	}
	// Like AWS, a batch is cut to what fits in a synchronous invocation.
	ok := true
	for len(recs) > 0 {
		n := fitPayload(len(recs), func(i int) int { b, _ := json.Marshal(&recs[i]); return len(b) })
		if !s.sqsInvoke(ctx, r, c, url, keep[:n], recs[:n]) {
			ok = false
		}
		keep, recs = keep[n:], recs[n:]
	}
	return ok
}

// fitPayload returns how many of n records, the size of record i being
// size(i), fit in one invocation's payload (at least one).
func fitPayload(n int, size func(i int) int) int {
	total := 64 // {"Records":[...]} and some slack
	for i := range n {
		total += size(i) + 1
		if total > maxSyncPayload && i > 0 {
			return i
		}
	}
	return n
}

// sqsInvoke invokes the function with recs (the records of keep) and
// deletes what it processed.
func (s *Service) sqsInvoke(ctx context.Context, r *esmRunner, c *esmClients, url string, keep []sqstypes.Message, recs []events.SQSMessage) bool {
	m := r.m
	payload, _ := json.Marshal(events.SQSEvent{Records: recs})
	t0 := time.Now()
	res, err := s.Invoke(protocol.WithRequestID(ctx, protocol.NewRequestID()), m.Account, m.Region, m.FunctionArn, payload)
	took := time.Since(t0)
	if err != nil {
		pe, _ := protocol.AsError(err)
		if pe != nil && pe.Code == "TooManyRequestsException" {
			r.setResult("PROBLEM: Function call throttled")
			s.publishBatch(m, "throttled", len(recs), took)
		} else if pe != nil && pe.Code == "ResourceNotFoundException" {
			// Received just as the function went away: hand them back.
			r.setResult("PROBLEM: Function not found")
			s.publishBatch(m, "error", len(recs), took)
			s.releaseMessages(ctx, c, url, keep)
		} else {
			r.setResult("PROBLEM: " + err.Error())
			s.publishBatch(m, "error", len(recs), took)
		}
		return false
	}
	if res.FunctionError != "" || res.TimedOut {
		r.setResult(esmResultFuncFailed)
		s.publishBatch(m, "error", len(recs), took)
		return true // the whole batch comes back after the visibility timeout
	}
	done := keep
	if m.reportsItemFailures() {
		ids := map[string]bool{}
		for _, rec := range recs {
			ids[rec.MessageId] = true
		}
		failed, ok := itemFailures(res.Payload, ids)
		if !ok {
			r.setResult(esmResultFuncFailed)
			s.publishBatch(m, "error", len(recs), took)
			return true
		}
		if len(failed) > 0 {
			done = nil
			for _, msg := range keep {
				if !failed[aws.ToString(msg.MessageId)] {
					done = append(done, msg)
				}
			}
			s.publishBatch(m, "partial", len(recs), took)
		} else {
			s.publishBatch(m, "ok", len(recs), took)
		}
	} else {
		s.publishBatch(m, "ok", len(recs), took)
	}
	r.setResult(esmResultOK)
	s.deleteMessages(ctx, c, url, done)
	return true
}

// itemFailures reads a function's partial batch response: the identifiers it
// reports as failed, all of which must be in valid. ok is false when the
// response makes the whole batch fail (as AWS: not JSON, not an object, a
// missing, empty or unknown itemIdentifier).
func itemFailures(payload []byte, valid map[string]bool) (failed map[string]bool, ok bool) {
	failed = map[string]bool{}
	if len(payload) == 0 {
		return failed, true
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return nil, false
	}
	if v == nil {
		return failed, true
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil, false
	}
	list, present := obj["batchItemFailures"]
	if !present || list == nil {
		return failed, true
	}
	items, isList := list.([]any)
	if !isList {
		return nil, false
	}
	for _, it := range items {
		o, isObj := it.(map[string]any)
		if !isObj {
			return nil, false
		}
		id, isStr := o["itemIdentifier"].(string)
		if !isStr || id == "" || !valid[id] {
			return nil, false
		}
		failed[id] = true
	}
	return failed, true
}

// deleteMessages deletes messages in batches of ten; errors are logged (the
// messages then come back, which at-least-once delivery allows).
func (s *Service) deleteMessages(ctx context.Context, c *esmClients, url string, msgs []sqstypes.Message) {
	ctx = context.WithoutCancel(ctx)
	for len(msgs) > 0 {
		n := min(10, len(msgs))
		var entries []sqstypes.DeleteMessageBatchRequestEntry
		for i, msg := range msgs[:n] {
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle})
		}
		out, err := c.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			s.log.Warn("event source mapping: delete messages", "queue", url, "err", err)
		} else if len(out.Failed) > 0 {
			s.log.Warn("event source mapping: delete messages", "queue", url, "failed", len(out.Failed), "first", aws.ToString(out.Failed[0].Message))
		}
		msgs = msgs[n:]
	}
}

// releaseMessages makes messages visible again at once.
func (s *Service) releaseMessages(ctx context.Context, c *esmClients, url string, msgs []sqstypes.Message) {
	ctx = context.WithoutCancel(ctx)
	for len(msgs) > 0 {
		n := min(10, len(msgs))
		var entries []sqstypes.ChangeMessageVisibilityBatchRequestEntry
		for i, msg := range msgs[:n] {
			entries = append(entries, sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0})
		}
		if _, err := c.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
			s.log.Warn("event source mapping: release messages", "queue", url, "err", err)
		}
		msgs = msgs[n:]
	}
}

// publishBatch reports a batch on the activity bus: n records, the
// invocation taking d.
func (s *Service) publishBatch(m *mapping, outcome string, n int, d time.Duration) {
	if s.cfg.Bus.Active() {
		s.cfg.Bus.Publish(activity.Event{Kind: kindBatch, Service: "lambda", Name: m.Function, Account: m.Account, Region: m.Region, Route: m.Source, Outcome: outcome, Status: n, Duration: d})
	}
}
