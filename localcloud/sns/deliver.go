package sns

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// deliver fans messages out to the matching subscriptions: SQS queues at
// once (the message is in every queue when this returns), Lambda and HTTP/S
// through the durable outbox, committed before this returns.
func (s *Service) deliver(ctx context.Context, t *publishTopic, msgs []*message) error {
	targets := t.targets
	var jobs []*job
	type sqsDelivery struct {
		tg  *target
		msg *message
	}
	var sqs []sqsDelivery
	filtered := 0
	s.publishCount(t.arn, "NumberOfMessagesPublished", len(msgs))
	defer func() { s.publishCount(t.arn, "NumberOfNotificationsFilteredOut", filtered) }()
	for _, m := range msgs {
		if t.fifo && t.t.sequence(m) {
			continue // a duplicate within the deduplication window: answered, not delivered
		}
		for i := range targets {
			tg := &targets[i]
			if !tg.matches(m) {
				filtered++
				continue
			}
			switch tg.protocol {
			case "sqs":
				sqs = append(sqs, sqsDelivery{tg, m})
			case "lambda":
				jobs = append(jobs, s.lambdaJob(tg, m))
			case "http", "https":
				jobs = append(jobs, s.httpJob(tg, m))
			}
		}
	}
	if len(jobs) > 0 {
		err := s.write(ctx, func(tx *sql.Tx) error {
			for _, j := range jobs {
				if err := s.box.insert(ctx, tx, j); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("record deliveries: %w", err)
		}
	}
	// Queues are filled in parallel; each queue gets its messages in order.
	dctx := context.WithoutCancel(ctx)
	byQueue := map[*target][]*message{}
	var order []*target
	for _, d := range sqs {
		if _, ok := byQueue[d.tg]; !ok {
			order = append(order, d.tg)
		}
		byQueue[d.tg] = append(byQueue[d.tg], d.msg)
	}
	send := func(tg *target) {
		for _, m := range byQueue[tg] {
			s.deliverSQS(dctx, tg, m)
		}
	}
	switch len(order) {
	case 0:
	case 1:
		send(order[0])
	default:
		var wg sync.WaitGroup
		for _, tg := range order[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				send(tg)
			}()
		}
		send(order[0])
		wg.Wait()
	}
	for _, j := range jobs {
		s.box.enqueue(j)
	}
	return nil
}

// deliverSQS sends m to a subscribed queue, or to the subscription's
// dead-letter queue when the queue refuses it.
func (s *Service) deliverSQS(ctx context.Context, tg *target, m *message) {
	d := protocol.ServiceDelivery{
		QueueARN:        tg.endpoint,
		SourcePrincipal: "sns.amazonaws.com",
		SourceARN:       m.topicARN,
		SourceAccount:   m.owner,
	}
	fifoFields(&d, m.groupID, m.dedupID)
	if tg.raw {
		d.Body = m.bodyFor("sqs")
		d.Attributes = rawAttributes(m.attrs)
	} else {
		d.Body = string(s.envelope(m, tg.arn, "sqs"))
	}
	err := s.sendToQueue(ctx, d)
	if err == nil {
		s.publishCount(m.topicARN, "NumberOfNotificationsDelivered", 1)
		return
	}
	s.publishCount(m.topicARN, "NumberOfNotificationsFailed", 1)
	s.log.WarnContext(ctx, "sns delivery to sqs failed", "subscription", tg.arn, "queue", tg.endpoint, "messageId", m.id, "err", err)
	s.deadLetter(ctx, tg.arn, tg.dlq, m.topicARN, m.owner, d.Body, d.Attributes, m.groupID, m.dedupID)
}

// publishCount tells the bus that n of a topic's metric happened
// (NumberOfMessagesPublished, NumberOfNotificationsDelivered, ...Failed,
// ...FilteredOut): CloudWatch counts them under AWS/SNS by TopicName.
func (s *Service) publishCount(topicARN, metric string, n int) {
	if n <= 0 || !s.cfg.Bus.Active() {
		return
	}
	if p, ok := protocol.ParseARN(topicARN); ok {
		s.cfg.Bus.Publish(activity.Event{Kind: activity.KindCount, Service: "sns", Name: p.Resource, Account: p.Account, Region: p.Region, Route: metric, Status: n})
	}
}

func (s *Service) sendToQueue(ctx context.Context, d protocol.ServiceDelivery) error {
	if s.cfg.Queues == nil {
		return errors.New("no SQS service is wired to SNS")
	}
	return s.cfg.Queues.DeliverFromService(ctx, d)
}

// deadLetter sends a message that could not be delivered to the
// subscription's dead-letter queue, if it has one.
func (s *Service) deadLetter(ctx context.Context, subARN, dlq, topicARN, owner, body string, attrs map[string]protocol.MessageAttributeValue, groupID, dedupID string) {
	if dlq == "" {
		return
	}
	d := protocol.ServiceDelivery{QueueARN: dlq, SourcePrincipal: "sns.amazonaws.com", SourceARN: topicARN, SourceAccount: owner, Body: body, Attributes: attrs}
	fifoFields(&d, groupID, dedupID)
	if err := s.sendToQueue(ctx, d); err != nil {
		s.log.WarnContext(ctx, "sns delivery to dead-letter queue failed; message dropped", "subscription", subARN, "queue", dlq, "err", err)
	}
}

// rawAttributes converts SNS message attributes to SQS ones for raw
// delivery; String.Array becomes a String holding the JSON array.
func rawAttributes(attrs map[string]protocol.MessageAttributeValue) map[string]protocol.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]protocol.MessageAttributeValue, len(attrs))
	for k, v := range attrs {
		if v.DataType == "String.Array" {
			v.DataType = "String"
		}
		out[k] = v
	}
	return out
}

// envelopeAttribute is a message attribute in a JSON notification.
type envelopeAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

func envelopeAttributes(attrs map[string]protocol.MessageAttributeValue) map[string]envelopeAttribute {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]envelopeAttribute, len(attrs))
	for k, v := range attrs {
		val := v.StringValue
		if strings.HasPrefix(v.DataType, "Binary") {
			val = base64.StdEncoding.EncodeToString(v.BinaryValue)
		}
		out[k] = envelopeAttribute{Type: v.DataType, Value: val}
	}
	return out
}

// notification is the JSON document SNS delivers to SQS and HTTP/S
// subscribers (and as a subscription confirmation), in AWS's field order.
type notification struct {
	Type              string                       `json:"Type"`
	MessageID         string                       `json:"MessageId"`
	Token             string                       `json:"Token,omitempty"`
	SequenceNumber    string                       `json:"SequenceNumber,omitempty"`
	TopicArn          string                       `json:"TopicArn"`
	Subject           string                       `json:"Subject,omitempty"`
	Message           string                       `json:"Message"`
	SubscribeURL      string                       `json:"SubscribeURL,omitempty"`
	Timestamp         string                       `json:"Timestamp"`
	SignatureVersion  string                       `json:"SignatureVersion"`
	Signature         string                       `json:"Signature"`
	SigningCertURL    string                       `json:"SigningCertURL"`
	UnsubscribeURL    string                       `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes,omitempty"`
}

// timestampFormat is how SNS writes times: RFC 3339, milliseconds, UTC.
const timestampFormat = "2006-01-02T15:04:05.000Z"

func signingCertURL(topicARN string) string {
	region := "us-east-1"
	if p, ok := protocol.ParseARN(topicARN); ok && p.Region != "" {
		region = p.Region
	}
	return "https://sns." + region + ".amazonaws.com/SimpleNotificationService-localcloud.pem"
}

// signature returns a stand-in signature: base64 like AWS's, but not
// verifiable (the local cloud has no signing certificate).
func signature() string {
	var b [256]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// envelope is the JSON notification of m for one subscription.
func (s *Service) envelope(m *message, subARN, proto string) []byte {
	n := notification{
		Type:              "Notification",
		MessageID:         m.id,
		SequenceNumber:    m.seq,
		TopicArn:          m.topicARN,
		Subject:           m.subject,
		Message:           m.bodyFor(proto),
		Timestamp:         m.time.Format(timestampFormat),
		SignatureVersion:  "1",
		Signature:         signature(),
		SigningCertURL:    signingCertURL(m.topicARN),
		UnsubscribeURL:    s.unsubscribeURL(subARN),
		MessageAttributes: envelopeAttributes(m.attrs),
	}
	return marshalJSON(n)
}

// marshalJSON encodes v as AWS does, without escaping <, > and &.
func marshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// PublishFromService publishes a message to a topic on another service's
// behalf (CloudWatch alarm actions), acting in the topic's own account and
// region as AWS's service principals do under the default topic policy.
func (s *Service) PublishFromService(ctx context.Context, topicARN, subject, message string) error {
	p, ok := protocol.ParseARN(topicARN)
	if !ok || p.Service != "sns" {
		return invalidParameter("TopicArn")
	}
	ctx = protocol.WithIdentity(ctx, protocol.Identity{AccountID: p.Account, Region: p.Region})
	form := url.Values{"TopicArn": {topicARN}, "Message": {message}}
	if subject != "" {
		form.Set("Subject", subject)
	}
	_, err := s.publish(ctx, form)
	return err
}

// fifoFields gives a delivery to a FIFO queue the message's group and
// deduplication ids. A standard queue gets neither: SQS refuses a
// MessageDeduplicationId there, and SNS FIFO topics may fan out to
// standard queues.
func fifoFields(d *protocol.ServiceDelivery, groupID, dedupID string) {
	if strings.HasSuffix(d.QueueARN, ".fifo") {
		d.MessageGroupID, d.DeduplicationID = groupID, dedupID
	}
}
