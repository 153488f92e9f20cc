package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// sendEntry is one message to send: the SendMessage input and one entry of
// SendMessageBatch.
type sendEntry struct {
	Id                      string                           `json:"Id,omitempty"`
	MessageBody             *string                          `json:"MessageBody"`
	DelaySeconds            *int32                           `json:"DelaySeconds"`
	MessageAttributes       map[string]MessageAttributeValue `json:"MessageAttributes"`
	MessageSystemAttributes map[string]MessageAttributeValue `json:"MessageSystemAttributes"`
	MessageDeduplicationId  string                           `json:"MessageDeduplicationId"`
	MessageGroupId          string                           `json:"MessageGroupId"`
}

type sendMessageInput struct {
	QueueUrl string `json:"QueueUrl"`
	sendEntry
}

type sendMessageOutput struct {
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty" xml:",omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty" xml:",omitempty"`
	MessageId                    string `json:"MessageId"`
	SequenceNumber               string `json:"SequenceNumber,omitempty" xml:",omitempty"`
}

type sendMessageBatchInput struct {
	QueueUrl string      `json:"QueueUrl"`
	Entries  []sendEntry `json:"Entries"`
}

type sendBatchResultEntry struct {
	Id string `json:"Id"`
	sendMessageOutput
}

type batchResultError struct {
	Id          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty" xml:",omitempty"`
}

type sendMessageBatchOutput struct {
	Successful []sendBatchResultEntry `json:"Successful" xml:"SendMessageBatchResultEntry"`
	Failed     []batchResultError     `json:"Failed" xml:"BatchResultErrorEntry"`
}

// prepare validates e for q and builds the message to store (without its
// sequence number). Callers hold q.mu.
func (q *queue) prepare(e *sendEntry, senderID string, now time.Time) (*message, error) {
	if e.MessageBody == nil || *e.MessageBody == "" {
		return nil, missingParam("MessageBody")
	}
	body := *e.MessageBody
	if !validChars(body) {
		return nil, &protocol.Error{Code: "InvalidMessageContents", QueryCode: "InvalidMessageContents", Message: "Invalid binary character in message body. Allowed characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF."}
	}
	if err := validateAttributes(e.MessageAttributes, false); err != nil {
		return nil, err
	}
	if err := validateAttributes(e.MessageSystemAttributes, true); err != nil {
		return nil, err
	}
	if n := messageSize(body, e.MessageAttributes); n > q.maxSize {
		return nil, invalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.maxSize)
	}
	delay := q.delay
	if e.DelaySeconds != nil {
		d := int(*e.DelaySeconds)
		if d < 0 || d > 900 {
			return nil, invalidParam("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", d)
		}
		if q.fifo && d != 0 {
			return nil, invalidParam("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", d)
		}
		if !q.fifo {
			delay = d
		}
	}
	m := &message{
		id: uuid.NewString(), body: body, md5Body: md5Hex([]byte(body)),
		attrs: e.MessageAttributes, sysAttrs: e.MessageSystemAttributes, senderID: senderID,
		sent: now.UnixMilli(), visibleAt: now.UnixMilli() + int64(delay)*1000,
	}
	if len(m.attrs) == 0 {
		m.attrs = nil
	}
	if len(m.sysAttrs) == 0 {
		m.sysAttrs = nil
	}
	if q.fifo {
		if e.MessageGroupId == "" {
			return nil, missingParam("MessageGroupId")
		}
		if !validDedupToken(e.MessageGroupId) {
			return nil, invalidParam("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", e.MessageGroupId)
		}
		m.groupID = e.MessageGroupId
		m.dedupID = e.MessageDeduplicationId
		if m.dedupID == "" {
			if q.attrs["ContentBasedDeduplication"] != "true" {
				return nil, errNoDedupID()
			}
			sum := sha256.Sum256([]byte(body))
			m.dedupID = hex.EncodeToString(sum[:])
		} else if !validDedupToken(m.dedupID) {
			return nil, invalidParam("Value %s for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.", m.dedupID)
		}
	} else {
		if e.MessageDeduplicationId != "" {
			return nil, invalidParam("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.", e.MessageDeduplicationId)
		}
		if e.MessageGroupId != "" {
			if !validDedupToken(e.MessageGroupId) {
				return nil, invalidParam("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", e.MessageGroupId)
			}
			m.groupID = e.MessageGroupId
		}
	}
	return m, nil
}

// checkFIFOBatch refuses a whole SendMessageBatch to a FIFO queue when an
// entry lacks the MessageGroupId, or a MessageDeduplicationId the queue
// cannot derive from the body: SQS answers the request with the error
// SendMessage would give instead of failing the entry alone. Callers hold q.mu.
func (q *queue) checkFIFOBatch(entries []sendEntry) error {
	if !q.fifo {
		return nil
	}
	for _, e := range entries {
		if e.MessageGroupId == "" {
			return missingParam("MessageGroupId")
		}
	}
	if q.attrs["ContentBasedDeduplication"] == "true" {
		return nil
	}
	for _, e := range entries {
		if e.MessageDeduplicationId == "" {
			return errNoDedupID()
		}
	}
	return nil
}

func errNoDedupID() *protocol.Error {
	return invalidParam("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
}

func validDedupToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func (q *queue) dedupKey(m *message) string {
	if q.attrs["DeduplicationScope"] == "messageGroup" {
		return m.groupID + "\x00" + m.dedupID
	}
	return m.dedupID
}

// maxBatchSize bounds the sum of a batch's message sizes.
const maxBatchSize = 1048576

func seqNumber(seq int64) string { return fmt.Sprintf("%020d", seq) }

// enqueueLocked stores prepared messages in q: it assigns sequence numbers,
// applies FIFO deduplication, makes them receivable and queues their
// commit. It returns the outputs in the order of ms and the pending commit.
// Callers hold q.mu.
func (s *Service) enqueueLocked(q *queue, ms []*message, now time.Time) ([]sendMessageOutput, <-chan error) {
	outs := make([]sendMessageOutput, len(ms))
	var ops []writeOp
	wake := false
	for i, m := range ms {
		out := sendMessageOutput{MessageId: m.id, MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: md5OfAttributes(m.attrs), MD5OfMessageSystemAttributes: md5OfAttributes(m.sysAttrs)}
		if q.fifo {
			key := q.dedupKey(m)
			if d, ok := q.dedup[key]; ok && d.expires > now.UnixMilli() {
				out.MessageId, out.SequenceNumber = d.messageID, seqNumber(d.seq)
				outs[i] = out
				continue
			}
		}
		m.seq = q.nextSeq
		q.add(m)
		ops = append(ops, insertMessage(q.id, m))
		if q.fifo {
			out.SequenceNumber = seqNumber(m.seq)
			e := dedupEntry{messageID: m.id, seq: m.seq, expires: now.Add(dedupWindow).UnixMilli()}
			q.dedup[q.dedupKey(m)] = e
			qid, key, seq := q.id, q.dedupKey(m), m.seq
			ops = append(ops, func(tx *wtx) error {
				if _, err := tx.Exec(`INSERT OR REPLACE INTO dedup(queue_id, key, message_id, seq, expires) VALUES(?,?,?,?,?)`, qid, key, e.messageID, e.seq, e.expires); err != nil {
					return err
				}
				_, err := tx.Exec(`UPDATE queues SET next_seq=max(next_seq, ?) WHERE id=?`, seq+1, qid)
				return err
			})
		}
		if m.visibleAt <= now.UnixMilli() {
			wake = true
		}
		outs[i] = out
	}
	if wake {
		q.wake()
	}
	if len(ops) == 0 {
		done := make(chan error, 1)
		done <- nil
		return outs, done
	}
	return outs, s.w.enqueue(chain(ops...))
}

func senderID(ctx context.Context) string {
	id := protocol.IdentityFrom(ctx)
	if id.AccessKeyID != "" {
		return id.AccessKeyID
	}
	return id.AccountID
}

// sendMessage implements SendMessage: delivers one message to a queue.
func (s *Service) sendMessage(ctx context.Context, in *sendMessageInput) (*sendMessageOutput, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var (
		outs []sendMessageOutput
		done <-chan error
	)
	err = q.lockedLive(func() error {
		m, err := q.prepare(&in.sendEntry, senderID(ctx), now)
		if err == nil {
			outs, done = s.enqueueLocked(q, []*message{m}, now)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, done); err != nil {
		return nil, err
	}
	s.publishDepth(q, false)
	s.publishCount(q, "NumberOfMessagesSent", 1)
	return &outs[0], nil
}

// SQS's request limits: 10 entries a batch and 1 MiB of messages a call,
// which a JSON body can carry in up to 6 MiB (\u0000 escapes) and a form
// body in up to 3 MiB (%XX escapes). Bodies are capped a little above.
const (
	maxBatchEntries = 10
	maxJSONBody     = 7 << 20
	maxQueryBody    = 4 << 20
)

// errTooManyEntries is SQS's answer to a batch of sent entries, more than 10.
func errTooManyEntries(sent int) *protocol.Error {
	return &protocol.Error{Code: "TooManyEntriesInBatchRequest", QueryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", Message: "Maximum number of entries per request are 10. You have sent " + strconv.Itoa(sent) + "."}
}

// validateBatch checks the entry ids of a batch request: 1 to 10 entries,
// distinct, of letters, digits, hyphens and underscores. entryType names
// the request's entries in SQS's messages (SendMessageBatchRequestEntry).
func validateBatch(entryType string, ids []string) error {
	if len(ids) == 0 {
		return &protocol.Error{Code: "EmptyBatchRequest", QueryCode: "AWS.SimpleQueueService.EmptyBatchRequest", Message: "There should be at least one " + entryType + " in the request."}
	}
	if len(ids) > maxBatchEntries {
		return errTooManyEntries(len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || len(id) > 80 {
			return &protocol.Error{Code: "InvalidBatchEntryId", QueryCode: "AWS.SimpleQueueService.InvalidBatchEntryId", Message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
		}
		for _, r := range id {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return &protocol.Error{Code: "InvalidBatchEntryId", QueryCode: "AWS.SimpleQueueService.InvalidBatchEntryId", Message: "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
			}
		}
		if seen[id] {
			return &protocol.Error{Code: "BatchEntryIdsNotDistinct", QueryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", Message: "Id " + id + " repeated."}
		}
		seen[id] = true
	}
	return nil
}

func entryError(id string, err error) batchResultError {
	e, _ := protocol.AsError(err)
	return batchResultError{Id: id, SenderFault: !e.Receiver, Code: e.Code, Message: e.Message}
}

// sendMessageBatch implements SendMessageBatch: delivers up to ten messages.
func (s *Service) sendMessageBatch(ctx context.Context, in *sendMessageBatchInput) (*sendMessageBatchOutput, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		if e.MessageBody != nil {
			total += messageSize(*e.MessageBody, e.MessageAttributes)
		}
	}
	if err := validateBatch("SendMessageBatchRequestEntry", ids); err != nil {
		return nil, err
	}
	out := &sendMessageBatchOutput{Successful: []sendBatchResultEntry{}, Failed: []batchResultError{}}
	now := time.Now()
	var (
		msIDs []string
		outs  []sendMessageOutput
		done  <-chan error
	)
	err = q.lockedLive(func() error {
		if total > maxBatchSize {
			return &protocol.Error{Code: "BatchRequestTooLong", QueryCode: "AWS.SimpleQueueService.BatchRequestTooLong", Message: fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchSize, total)}
		}
		if err := q.checkFIFOBatch(in.Entries); err != nil {
			return err
		}
		var ms []*message
		sender := senderID(ctx)
		for i := range in.Entries {
			m, err := q.prepare(&in.Entries[i], sender, now)
			if err != nil {
				out.Failed = append(out.Failed, entryError(in.Entries[i].Id, err))
				continue
			}
			ms = append(ms, m)
			msIDs = append(msIDs, in.Entries[i].Id)
		}
		outs, done = s.enqueueLocked(q, ms, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, done); err != nil {
		return nil, err
	}
	for i, o := range outs {
		out.Successful = append(out.Successful, sendBatchResultEntry{Id: msIDs[i], sendMessageOutput: o})
	}
	s.publishDepth(q, false)
	s.publishCount(q, "NumberOfMessagesSent", len(outs))
	return out, nil
}
