package sqs

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type receiveMessageInput struct {
	QueueUrl                    string   `json:"QueueUrl"`
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int32   `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int32   `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int32   `json:"WaitTimeSeconds"`
	ReceiveRequestAttemptId     string   `json:"ReceiveRequestAttemptId"`
}

type messageOut struct {
	MessageId              string     `json:"MessageId"`
	ReceiptHandle          string     `json:"ReceiptHandle"`
	MD5OfBody              string     `json:"MD5OfBody"`
	Body                   string     `json:"Body"`
	Attributes             *pairMap   `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string     `json:"MD5OfMessageAttributes,omitempty" xml:",omitempty"`
	MessageAttributes      msgAttrMap `json:"MessageAttributes,omitempty" xml:"MessageAttribute,omitempty"`
}

type receiveMessageOutput struct {
	Messages []messageOut `json:"Messages,omitempty" xml:"Message"`
}

// handle identifies one receive of one message.
type handle struct {
	queueID, seq int64
	count        int
	messageID    string
	// received is when the receive that made the handle happened (unix
	// ms); 0 in handles made before it was recorded.
	received int64
}

func (h handle) String() string {
	var r [6]byte
	rand.Read(r[:])
	raw := strconv.FormatInt(h.queueID, 36) + ":" + strconv.FormatInt(h.seq, 36) + ":" + strconv.Itoa(h.count) + ":" + h.messageID + ":" + strconv.FormatInt(h.received, 36) + "-" + hex.EncodeToString(r[:])
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseHandle(s string) (handle, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return handle{}, false
	}
	p := strings.Split(string(b), ":")
	if len(p) != 5 {
		return handle{}, false
	}
	var h handle
	var err1, err2, err3 error
	h.queueID, err1 = strconv.ParseInt(p[0], 36, 64)
	h.seq, err2 = strconv.ParseInt(p[1], 36, 64)
	h.count, err3 = strconv.Atoi(p[2])
	h.messageID = p[3]
	if t, _, ok := strings.Cut(p[4], "-"); ok {
		h.received, _ = strconv.ParseInt(t, 36, 64)
	}
	return h, err1 == nil && err2 == nil && err3 == nil
}

func invalidHandle(h string) *protocol.Error {
	return &protocol.Error{Code: "ReceiptHandleIsInvalid", QueryCode: "ReceiptHandleIsInvalid", Message: "The input receipt handle \"" + h + "\" is not a valid receipt handle.", Status: 404}
}

// receiveMessage implements ReceiveMessage: returns up to MaxNumberOfMessages receivable messages,
// long polling up to WaitTimeSeconds for the first one.
func (s *Service) receiveMessage(ctx context.Context, in *receiveMessageInput) (res *receiveMessageOutput, err error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	defer func() {
		switch {
		case res == nil:
		case len(res.Messages) == 0:
			s.publishCount(q, "NumberOfEmptyReceives", 1)
		default:
			s.publishCount(q, "NumberOfMessagesReceived", len(res.Messages))
		}
	}()
	max := 1
	if in.MaxNumberOfMessages != nil {
		max = int(*in.MaxNumberOfMessages)
		if max < 1 || max > 10 {
			return nil, invalidParam("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
		}
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, invalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, invalidParam("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	var waitSec int
	q.locked(func() { waitSec = q.wait })
	if in.WaitTimeSeconds != nil {
		waitSec = int(*in.WaitTimeSeconds)
	}
	deadline := time.Now().Add(time.Duration(waitSec) * time.Second)
	sysNames := append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...)
	for {
		out, notify, next, err := s.tryReceive(ctx, q, max, in.VisibilityTimeout, sysNames, in.MessageAttributeNames, in.ReceiveRequestAttemptId)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		if len(out.Messages) > 0 || !now.Before(deadline) {
			return out, nil
		}
		until := deadline
		if next > 0 && time.UnixMilli(next).Before(until) {
			until = time.UnixMilli(next)
		}
		if !s.waitForMessage(ctx, q, notify, until) {
			return out, nil
		}
	}
}

// waitForMessage waits until notify fires or until passes (true), or the
// request or the service ends (false).
func (s *Service) waitForMessage(ctx context.Context, q *queue, notify <-chan struct{}, until time.Time) bool {
	q.pollers.Add(1)
	defer q.pollers.Add(-1)
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-notify:
	case <-t.C:
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
	return true
}

// tryReceive takes receivable messages without waiting. When none is
// receivable it returns the channel that signals new ones and the time the
// next delayed or in-flight message becomes receivable.
func (s *Service) tryReceive(ctx context.Context, q *queue, max int, vis *int32, sysNames, attrNames []string, attemptID string) (*receiveMessageOutput, <-chan struct{}, int64, error) {
	var (
		t   taken
		err error
	)
	q.locked(func() { t, err = s.takeLocked(q, max, vis, sysNames, attrNames, attemptID) })
	if err != nil {
		return nil, nil, 0, err
	}
	var moved <-chan error
	if len(t.toDLQ) > 0 {
		// Removed from q's memory under its lock, so nothing else touches
		// these rows: their deletion here commits together with their
		// insertion there.
		seqs := make([]int64, len(t.toDLQ))
		for i, m := range t.toDLQ {
			seqs[i] = m.seq
		}
		moved = s.moveTo(t.dlq, t.toDLQ, q.arn, false, deleteMessages(q.id, seqs))
	}
	if t.done != nil {
		if err := wait(ctx, t.done); err != nil {
			return nil, nil, 0, err
		}
	}
	if moved != nil {
		if err := wait(ctx, moved); err != nil {
			return nil, nil, 0, err
		}
		s.publishDepth(t.dlq, false)
	}
	if len(t.out.Messages) > 0 {
		s.publishDepth(q, false)
	}
	return t.out, t.notify, t.next, nil
}

// taken is what one pass over a queue's messages took, and what it left for
// the caller to do once the queue's lock is released.
type taken struct {
	out    *receiveMessageOutput
	notify <-chan struct{} // when nothing was taken: signals new messages
	next   int64           // when nothing was taken: the next message's visibility, unix ms
	done   <-chan error    // the pass's writes, committed
	dlq    *queue
	toDLQ  []*message // taken from q for dlq
}

// takeLocked is tryReceive's pass over q's messages. Messages are only
// marked deleted while the pass ranges over them; the slice is compacted
// after it. Callers hold q.mu.
func (s *Service) takeLocked(q *queue, max int, vis *int32, sysNames, attrNames []string, attemptID string) (taken, error) {
	t := taken{out: &receiveMessageOutput{}}
	if q.deleted {
		return t, nonExistent()
	}
	maxReceives := 0
	if q.redrive != nil {
		if d := s.queueByARN(q.redrive.DeadLetterTargetArn); d != nil && d != q {
			t.dlq, maxReceives = d, q.redrive.MaxReceiveCount
		}
	}
	timeout := q.visibility
	if vis != nil {
		timeout = int(*vis)
	}
	now := time.Now().UnixMilli()
	if q.fifo && attemptID != "" {
		// A retried FIFO receive gets the same messages and receipt handles
		// while none of them changed, with a fresh visibility timeout.
		if a := q.attempts[attemptID]; a != nil && a.expires > now && a.unchanged() {
			for i, m := range a.msgs {
				m.visibleAt = now + int64(timeout)*1000
				a.visible[i] = m.visibleAt
			}
			t.done = s.w.enqueue(updateReceive(q.id, a.msgs))
			t.out.Messages = a.outs
			return t, nil
		}
		delete(q.attempts, attemptID)
	}
	var (
		got     []*message
		expired []int64
		blocked map[string]bool // FIFO groups with a message in flight or ahead
	)
	if q.fifo {
		blocked = map[string]bool{}
	}
	for _, m := range q.msgs {
		if len(got) >= max {
			break
		}
		if m.deleted {
			continue
		}
		if now-m.sent > int64(q.retention)*1000 {
			expired = append(expired, m.seq)
			q.remove(m)
			continue
		}
		if q.fifo && blocked[m.groupID] {
			continue
		}
		if m.visibleAt > now {
			if q.fifo {
				blocked[m.groupID] = true
			}
			continue
		}
		if t.dlq != nil && m.receiveCount >= maxReceives {
			q.remove(m)
			t.toDLQ = append(t.toDLQ, m)
			continue
		}
		m.receiveCount++
		if m.firstReceive == 0 {
			m.firstReceive = now
		}
		m.visibleAt = now + int64(timeout)*1000
		got = append(got, m)
		t.out.Messages = append(t.out.Messages, q.messageOut(m, now, sysNames, attrNames))
	}
	q.compact()
	if q.fifo && attemptID != "" && len(got) > 0 {
		a := &attempt{expires: now + dedupWindow.Milliseconds(), msgs: got, outs: t.out.Messages}
		for _, m := range got {
			a.counts = append(a.counts, m.receiveCount)
			a.visible = append(a.visible, m.visibleAt)
		}
		q.attempts[attemptID] = a
	}
	if len(got) == 0 {
		t.notify, t.next = q.notify, q.nextWake(now)
	}
	if len(got) > 0 || len(expired) > 0 {
		t.done = s.w.enqueue(chain(updateReceive(q.id, got), deleteMessages(q.id, expired)))
	}
	return t, nil
}

// attempt is what a FIFO receive with a ReceiveRequestAttemptId returned.
type attempt struct {
	expires int64
	msgs    []*message
	counts  []int   // receive counts as returned
	visible []int64 // visibility deadlines as set
	outs    []messageOut
}

// unchanged reports whether no message of a was deleted, received again or
// had its visibility changed since. Callers hold the queue's lock.
func (a *attempt) unchanged() bool {
	for i, m := range a.msgs {
		if m.deleted || m.receiveCount != a.counts[i] || m.visibleAt != a.visible[i] {
			return false
		}
	}
	return true
}

// moveTo adds messages taken from another queue to dst, keeping their ids,
// bodies, attributes and sent timestamps. For a dead-letter move (source
// set) the receive count is kept and the source ARN recorded; a redrive back
// (reset) starts them afresh.
func (s *Service) moveTo(dst *queue, ms []*message, source string, reset bool, srcDelete writeOp) <-chan error {
	now := time.Now().UnixMilli()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	ops := []writeOp{srcDelete}
	for _, old := range ms {
		m := *old
		m.deleted = false
		m.seq = dst.nextSeq
		if reset {
			m.receiveCount, m.firstReceive, m.dlqSource = 0, 0, ""
		} else if source != "" {
			m.dlqSource = source
		}
		m.visibleAt = now
		if dst.fifo && m.groupID == "" {
			m.groupID = "default"
		}
		dst.add(&m)
		ops = append(ops, insertMessage(dst.id, &m))
	}
	dst.wake()
	return s.w.enqueue(chain(ops...))
}

// messageOut builds what a receiver sees of m, received at now (unix ms).
// Callers hold q.mu.
func (q *queue) messageOut(m *message, now int64, sysNames, attrNames []string) messageOut {
	o := messageOut{
		MessageId:     m.id,
		ReceiptHandle: handle{queueID: q.id, seq: m.seq, count: m.receiveCount, messageID: m.id, received: now}.String(),
		MD5OfBody:     m.md5Body,
		Body:          m.body,
	}
	if len(sysNames) > 0 {
		all := map[string]string{
			"SenderId":                         m.senderID,
			"SentTimestamp":                    strconv.FormatInt(m.sent, 10),
			"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstReceive, 10),
		}
		if t, ok := m.sysAttrs["AWSTraceHeader"]; ok && t.StringValue != nil {
			all["AWSTraceHeader"] = *t.StringValue
		}
		if m.dlqSource != "" {
			all["DeadLetterQueueSourceArn"] = m.dlqSource
		}
		if m.groupID != "" {
			all["MessageGroupId"] = m.groupID
		}
		if q.fifo {
			all["MessageDeduplicationId"] = m.dedupID
			all["SequenceNumber"] = seqNumber(m.seq)
		}
		sel := map[string]string{}
		for _, n := range sysNames {
			if n == "All" {
				sel = all
				break
			}
			if v, ok := all[n]; ok {
				sel[n] = v
			}
		}
		o.Attributes = nameValues(sel)
	}
	if attrs := selectAttributes(m.attrs, attrNames); attrs != nil {
		o.MessageAttributes = attrs
		o.MD5OfMessageAttributes = md5OfAttributes(attrs)
	}
	return o
}
