package sqs

// What happens to a message after it was received: DeleteMessage and its
// batch, ChangeMessageVisibility and its batch, each naming the message by
// the receipt handle the receive gave.

import (
	"context"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type deleteMessageInput struct {
	QueueUrl      string `json:"QueueUrl"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// deleteLocked deletes the message a receipt handle names. A handle of an
// already deleted message succeeds; so does an old handle of a message
// received again, which deletes it on standard queues but not on FIFO
// queues. Callers hold q.mu.
func (q *queue) deleteLocked(rh string) (int64, error) {
	if rh == "" {
		return 0, missingParam("ReceiptHandle")
	}
	h, ok := parseHandle(rh)
	if !ok || h.queueID != q.id {
		return 0, invalidHandle(rh)
	}
	m := q.bySeq[h.seq]
	if m == nil || m.id != h.messageID {
		return 0, nil
	}
	if h.count != m.receiveCount && q.fifo {
		return 0, nil
	}
	q.remove(m)
	if q.fifo {
		q.wake() // the message's group may now deliver its next message
	}
	return m.seq, nil
}

// deleteMessage implements DeleteMessage: deletes a received message.
func (s *Service) deleteMessage(ctx context.Context, in *deleteMessageInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var done <-chan error
	q.locked(func() {
		if q.deleted {
			err = nonExistent()
			return
		}
		var seq int64
		if seq, err = q.deleteLocked(in.ReceiptHandle); err == nil && seq != 0 {
			q.compact()
			done = s.w.enqueue(deleteMessages(q.id, []int64{seq}))
		}
	})
	if err != nil {
		return nil, err
	}
	if done != nil {
		if err := wait(ctx, done); err != nil {
			return nil, err
		}
		s.publishDepth(q, false)
		s.publishCount(q, "NumberOfMessagesDeleted", 1)
	}
	return nil, nil
}

type batchEntry struct {
	Id                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int32 `json:"VisibilityTimeout,omitempty"`
}

type batchInput struct {
	QueueUrl string       `json:"QueueUrl"`
	Entries  []batchEntry `json:"Entries"`
}

type idEntry struct {
	Id string `json:"Id"`
}

type deleteMessageBatchOutput struct {
	Successful []idEntry          `json:"Successful" xml:"DeleteMessageBatchResultEntry"`
	Failed     []batchResultError `json:"Failed" xml:"BatchResultErrorEntry"`
}

type changeVisibilityBatchOutput struct {
	Successful []idEntry          `json:"Successful" xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []batchResultError `json:"Failed" xml:"BatchResultErrorEntry"`
}

// deleteMessageBatch implements DeleteMessageBatch: deletes up to ten received messages.
func (s *Service) deleteMessageBatch(ctx context.Context, in *batchInput) (*deleteMessageBatchOutput, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := validateBatch("DeleteMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	out := &deleteMessageBatchOutput{Successful: []idEntry{}, Failed: []batchResultError{}}
	var done <-chan error
	q.locked(func() {
		if q.deleted {
			err = nonExistent()
			return
		}
		var seqs []int64
		for _, e := range in.Entries {
			seq, err := q.deleteLocked(e.ReceiptHandle)
			if err != nil {
				out.Failed = append(out.Failed, entryError(e.Id, err))
				continue
			}
			if seq != 0 {
				seqs = append(seqs, seq)
			}
			out.Successful = append(out.Successful, idEntry{e.Id})
		}
		q.compact()
		if len(seqs) > 0 {
			done = s.w.enqueue(deleteMessages(q.id, seqs))
		}
	})
	if err != nil {
		return nil, err
	}
	if done != nil {
		if err := wait(ctx, done); err != nil {
			return nil, err
		}
		s.publishDepth(q, false)
		s.publishCount(q, "NumberOfMessagesDeleted", len(out.Successful))
	}
	return out, nil
}

// maxVisibility is the longest a message stays hidden after one receive,
// in seconds: 12 hours.
const maxVisibility = 43200

type changeVisibilityInput struct {
	QueueUrl          string `json:"QueueUrl"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int32 `json:"VisibilityTimeout"`
}

// changeLocked changes the visibility timeout of the message a receipt
// handle names. Callers hold q.mu.
func (q *queue) changeLocked(rh string, timeout *int32, now int64) (*message, error) {
	if rh == "" {
		return nil, missingParam("ReceiptHandle")
	}
	if timeout == nil {
		return nil, missingParam("VisibilityTimeout")
	}
	if *timeout < 0 || *timeout > 43200 {
		return nil, invalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.", *timeout)
	}
	h, ok := parseHandle(rh)
	if !ok || h.queueID != q.id {
		return nil, invalidHandle(rh)
	}
	m := q.bySeq[h.seq]
	if m == nil || m.id != h.messageID || h.count != m.receiveCount {
		return nil, invalidParam("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", rh)
	}
	if !m.inFlight(now) {
		return nil, &protocol.Error{Code: "MessageNotInflight", QueryCode: "AWS.SimpleQueueService.MessageNotInflight", Message: "The message referred to isn't in flight."}
	}
	if h.received > 0 && now+int64(*timeout)*1000-h.received > maxVisibility*1000 {
		// The 12 hours count from the ReceiveMessage call; extending
		// does not reset them (SQS developer guide, "Visibility timeout").
		return nil, invalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]", *timeout)
	}
	m.visibleAt = now + int64(*timeout)*1000
	return m, nil
}

// changeMessageVisibility implements ChangeMessageVisibility: changes how long a received message stays hidden.
func (s *Service) changeMessageVisibility(ctx context.Context, in *changeVisibilityInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	var done <-chan error
	q.locked(func() {
		if q.deleted {
			err = nonExistent()
			return
		}
		var m *message
		if m, err = q.changeLocked(in.ReceiptHandle, in.VisibilityTimeout, now); err == nil {
			if m.visibleAt <= now {
				q.wake()
			}
			done = s.w.enqueue(updateReceive(q.id, []*message{m}))
		}
	})
	if err != nil {
		return nil, err
	}
	return nil, wait(ctx, done)
}

// changeMessageVisibilityBatch implements ChangeMessageVisibilityBatch: changes the visibility of up to ten messages.
func (s *Service) changeMessageVisibilityBatch(ctx context.Context, in *batchInput) (*changeVisibilityBatchOutput, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := validateBatch("ChangeMessageVisibilityBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	out := &changeVisibilityBatchOutput{Successful: []idEntry{}, Failed: []batchResultError{}}
	now := time.Now().UnixMilli()
	var done <-chan error
	q.locked(func() {
		if q.deleted {
			err = nonExistent()
			return
		}
		var changed []*message
		wake := false
		for _, e := range in.Entries {
			m, err := q.changeLocked(e.ReceiptHandle, e.VisibilityTimeout, now)
			if err != nil {
				out.Failed = append(out.Failed, entryError(e.Id, err))
				continue
			}
			wake = wake || m.visibleAt <= now
			changed = append(changed, m)
			out.Successful = append(out.Successful, idEntry{e.Id})
		}
		if wake {
			q.wake()
		}
		if len(changed) > 0 {
			done = s.w.enqueue(updateReceive(q.id, changed))
		}
	})
	if err != nil {
		return nil, err
	}
	if done != nil {
		if err := wait(ctx, done); err != nil {
			return nil, err
		}
	}
	return out, nil
}
