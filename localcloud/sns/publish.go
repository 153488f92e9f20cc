package sns

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// maxMessageSize is SNS's limit on a message and its attributes together.
const maxMessageSize = 256 * 1024

// message is one published message, ready to be delivered.
type message struct {
	id       string
	topicARN string
	owner    string
	subject  string
	body     string            // the default message
	byProto  map[string]string // MessageStructure=json: per-protocol messages
	attrs    map[string]protocol.MessageAttributeValue
	time     time.Time
	groupID  string
	dedupID  string
	seq      string
}

// bodyFor is the message a protocol's subscribers receive.
func (m *message) bodyFor(proto string) string {
	if b, ok := m.byProto[proto]; ok {
		return b
	}
	return m.body
}

// publishInput is a Publish request or one PublishBatch entry.
type publishInput struct {
	message, subject, structure string
	attrs                       map[string]protocol.MessageAttributeValue
	groupID, dedupID            string
}

var attributeNameRE = regexp.MustCompile(`^[A-Za-z0-9_\-.]{1,256}$`)

// readPublishInput reads the fields of a Publish request (prefix "") or a
// batch entry (prefix "PublishBatchRequestEntries.member.N.").
func readPublishInput(form url.Values, prefix string) (publishInput, error) {
	in := publishInput{
		message:   form.Get(prefix + "Message"),
		subject:   form.Get(prefix + "Subject"),
		structure: form.Get(prefix + "MessageStructure"),
		groupID:   form.Get(prefix + "MessageGroupId"),
		dedupID:   form.Get(prefix + "MessageDeduplicationId"),
	}
	attrs, err := readMessageAttributes(form, prefix+"MessageAttributes")
	if err != nil {
		return in, err
	}
	in.attrs = attrs
	return in, nil
}

// readMessageAttributes reads and validates MessageAttributes.entry.N.Name /
// Value.DataType / Value.StringValue / Value.BinaryValue.
func readMessageAttributes(form url.Values, prefix string) (map[string]protocol.MessageAttributeValue, error) {
	entries := protocol.Members(form, prefix+".entry")
	if len(entries) == 0 {
		return nil, nil
	}
	out := make(map[string]protocol.MessageAttributeValue, len(entries))
	for _, e := range entries {
		name := e["Name"]
		if name == "" {
			return nil, invalidParameter("MessageAttributes: a message attribute name must not be empty")
		}
		if !attributeNameRE.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return nil, invalidParameter("The message attribute name '%s' is invalid: use letters, digits, '-', '_' and '.', without leading, trailing or consecutive periods.", name)
		}
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
			return nil, invalidParameter("The message attribute name '%s' is reserved.", name)
		}
		if _, dup := out[name]; dup {
			return nil, invalidParameter("Message attribute name '%s' is duplicated.", name)
		}
		dt := e["Value.DataType"]
		v := protocol.MessageAttributeValue{DataType: dt, StringValue: e["Value.StringValue"]}
		base, custom, _ := strings.Cut(dt, ".")
		switch {
		case dt == "":
			return nil, invalidParameter("The message attribute '%s' must contain non-empty message attribute type.", name)
		case dt == "String.Array":
			if !validStringArray(v.StringValue) {
				return nil, invalidParameter("The message attribute '%s' with type 'String.Array' has an invalid value: it must be a JSON array of strings, numbers, true, false or null.", name)
			}
		case base == "String":
			if v.StringValue == "" {
				return nil, invalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
			}
		case base == "Number":
			if _, err := strconv.ParseFloat(v.StringValue, 64); err != nil {
				return nil, protocol.Errorf("ParameterValueInvalid", "Could not cast message attribute '%s' value to number.", name)
			}
		case base == "Binary":
			b, err := base64.StdEncoding.DecodeString(e["Value.BinaryValue"])
			if err != nil || len(b) == 0 {
				return nil, invalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
			v.BinaryValue, v.StringValue = b, ""
		default:
			return nil, protocol.Errorf("ParameterValueInvalid", "The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if custom != "" && dt != "String.Array" && len(custom) > 256 {
			return nil, invalidParameter("The message attribute '%s' has a data type that is too long.", name)
		}
		out[name] = v
	}
	return out, nil
}

func validStringArray(s string) bool {
	var arr []any
	if err := json.Unmarshal([]byte(s), &arr); err != nil {
		return false
	}
	for _, e := range arr {
		switch e.(type) {
		case string, float64, bool, nil:
		default:
			return false
		}
	}
	return true
}

func attributesSize(attrs map[string]protocol.MessageAttributeValue) int {
	n := 0
	for k, v := range attrs {
		n += len(k) + len(v.DataType) + len(v.StringValue) + len(v.BinaryValue)
	}
	return n
}

// publishTopic is a topic as Publish sees it, copied under Service.mu.
type publishTopic struct {
	t                  *topic // for the FIFO sequence only
	arn, owner         string
	fifo, contentDedup bool
	targets            []target
}

// validate checks a publish input against its topic and builds the message.
func (in publishInput) validate(t *publishTopic) (*message, error) {
	if in.message == "" {
		return nil, invalidParameter("Empty message")
	}
	if !utf8.ValidString(in.message) {
		return nil, invalidParameter("Message must be UTF-8 encoded")
	}
	if len(in.message)+attributesSize(in.attrs) > maxMessageSize {
		return nil, invalidParameter("Message too long")
	}
	if in.subject != "" {
		if len(in.subject) >= 100 {
			return nil, invalidParameter("Subject")
		}
		for _, r := range in.subject {
			if r < 0x20 || r > 0x7e {
				return nil, invalidParameter("Subject")
			}
		}
	}
	m := &message{id: uuid.NewString(), topicARN: t.arn, owner: t.owner, subject: in.subject, body: in.message, attrs: in.attrs, time: time.Now().UTC()}
	switch in.structure {
	case "":
	case "json":
		var per map[string]any
		if err := json.Unmarshal([]byte(in.message), &per); err != nil {
			return nil, invalidParameter("Message Structure - JSON message body failed to parse")
		}
		def, ok := per["default"].(string)
		if !ok {
			return nil, invalidParameter("Message Structure - No default entry in JSON message body")
		}
		m.body = def
		m.byProto = map[string]string{}
		for k, v := range per {
			s, ok := v.(string)
			if !ok {
				return nil, invalidParameter("Message Structure - the value of key %q must be a string", k)
			}
			m.byProto[k] = s
		}
	default:
		return nil, invalidParameter("MessageStructure")
	}
	if t.fifo {
		if in.groupID == "" {
			return nil, invalidParameter("The MessageGroupId parameter is required for FIFO topics")
		}
		if !validFIFOId(in.groupID) {
			return nil, invalidParameter("MessageGroupId")
		}
		m.groupID = in.groupID
		m.dedupID = in.dedupID
		if m.dedupID == "" {
			if !t.contentDedup {
				return nil, invalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(in.message))
			m.dedupID = hex.EncodeToString(sum[:])
		} else if !validFIFOId(m.dedupID) {
			return nil, invalidParameter("MessageDeduplicationId")
		}
	} else if in.dedupID != "" {
		return nil, invalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	} else if in.groupID != "" {
		if !validFIFOId(in.groupID) {
			return nil, invalidParameter("MessageGroupId")
		}
		m.groupID = in.groupID
	}
	return m, nil
}

func validFIFOId(s string) bool {
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

// fifoDedupWindow is how long a FIFO topic remembers deduplication ids.
const fifoDedupWindow = 5 * time.Minute

// sequence assigns a FIFO message its sequence number, or reports the
// earlier message it duplicates.
func (t *topic) sequence(m *message) (dup bool) {
	t.fifoMu.Lock()
	defer t.fifoMu.Unlock()
	now := time.Now()
	if t.dedup == nil {
		t.dedup = map[string]dedupEntry{}
	}
	if e, ok := t.dedup[m.dedupID]; ok && now.Before(e.expires) {
		m.id, m.seq = e.messageID, e.seq
		return true
	}
	if len(t.dedup) > 10000 {
		for k, e := range t.dedup {
			if now.After(e.expires) {
				delete(t.dedup, k)
			}
		}
	}
	seq := uint64(now.UnixNano())
	if seq <= t.lastSeq {
		seq = t.lastSeq + 1
	}
	t.lastSeq = seq
	m.seq = fmt.Sprintf("1%019d", seq)
	t.dedup[m.dedupID] = dedupEntry{messageID: m.id, seq: m.seq, expires: now.Add(fifoDedupWindow)}
	return false
}

// target is a subscription as Publish sees it, copied under the lock.
type target struct {
	arn, protocol, endpoint string
	raw                     bool
	bodyScope               bool
	filter                  *FilterPolicy
	dlq                     string
}

func (tg *target) matches(m *message) bool {
	if tg.filter == nil {
		return true
	}
	if tg.bodyScope {
		return tg.filter.MatchBody([]byte(m.bodyFor(tg.protocol)))
	}
	return tg.filter.MatchAttributes(m.attrs)
}

// resolvePublishTopic finds the topic a Publish addresses and copies its
// confirmed subscriptions.
func (s *Service) resolvePublishTopic(ctx context.Context, form url.Values) (*publishTopic, error) {
	arn := form.Get("TopicArn")
	param := "TopicArn"
	if arn == "" {
		arn, param = form.Get("TargetArn"), "TargetArn"
	}
	if arn == "" {
		if form.Get("PhoneNumber") != "" {
			return nil, invalidParameter("PhoneNumber Reason: the local cloud does not send SMS messages")
		}
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	if p, ok := protocol.ParseARN(arn); ok && p.Service == "sns" && strings.HasPrefix(p.Resource, "endpoint/") {
		return nil, invalidParameter("TargetArn Reason: the local cloud has no mobile push endpoints")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTopic(ctx, arn, param, "Publish")
	if err != nil {
		return nil, err
	}
	targets := make([]target, 0, len(t.subs))
	for _, sub := range t.subs {
		if sub.pending {
			continue
		}
		targets = append(targets, target{arn: sub.arn, protocol: sub.protocol, endpoint: sub.endpoint, raw: sub.raw(),
			bodyScope: sub.bodyScope(), filter: sub.filter, dlq: sub.deadLetterARN()})
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].arn < targets[j].arn })
	return &publishTopic{t: t, arn: t.arn, owner: t.account, fifo: t.fifo(), contentDedup: t.attrs["ContentBasedDeduplication"] == "true", targets: targets}, nil
}

type publishResult struct {
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

func (s *Service) publish(ctx context.Context, form url.Values) (any, error) {
	in, err := readPublishInput(form, "")
	if err != nil {
		return nil, err
	}
	t, err := s.resolvePublishTopic(ctx, form)
	if err != nil {
		return nil, err
	}
	m, err := in.validate(t)
	if err != nil {
		return nil, err
	}
	if err := s.deliver(ctx, t, []*message{m}); err != nil {
		return nil, err
	}
	return publishResult{MessageId: m.id, SequenceNumber: m.seq}, nil
}

type batchResultEntry struct {
	Id             string
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

type batchErrorEntry struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

type publishBatchResult struct {
	Successful members[batchResultEntry]
	Failed     members[batchErrorEntry]
}

var batchIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func (s *Service) publishBatch(ctx context.Context, form url.Values) (any, error) {
	entries := subForms(form, "PublishBatchRequestEntries.member")
	if len(entries) == 0 {
		return nil, protocol.Errorf("EmptyBatchRequest", "The batch request doesn't contain any entries")
	}
	if len(entries) > 10 {
		return nil, protocol.Errorf("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		id := e.Get("Id")
		if !batchIDRE.MatchString(id) {
			return nil, protocol.Errorf("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[id] {
			return nil, protocol.Errorf("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id")
		}
		seen[id] = true
		total += len(e.Get("Message"))
	}
	if total > maxMessageSize {
		return nil, protocol.Errorf("BatchRequestTooLong", "The length of all the messages put together is more than the limit")
	}
	t, err := s.resolvePublishTopic(ctx, form)
	if err != nil {
		return nil, err
	}
	out := publishBatchResult{Successful: members[batchResultEntry]{Member: []batchResultEntry{}}, Failed: members[batchErrorEntry]{Member: []batchErrorEntry{}}}
	var msgs []*message
	var ids []string
	for _, e := range entries {
		id := e.Get("Id")
		in, err := readPublishInput(e, "")
		var m *message
		if err == nil {
			m, err = in.validate(t)
		}
		if err != nil {
			pe, _ := protocol.AsError(err)
			out.Failed.Member = append(out.Failed.Member, batchErrorEntry{Id: id, Code: pe.Code, Message: pe.Message, SenderFault: !pe.Receiver})
			continue
		}
		msgs = append(msgs, m)
		ids = append(ids, id)
	}
	if err := s.deliver(ctx, t, msgs); err != nil {
		return nil, err
	}
	for i, m := range msgs {
		out.Successful.Member = append(out.Successful.Member, batchResultEntry{Id: ids[i], MessageId: m.id, SequenceNumber: m.seq})
	}
	return out, nil
}

// subForms splits prefix.N.rest keys into one form per N, in index order.
func subForms(form url.Values, prefix string) []url.Values {
	byIndex := map[int]url.Values{}
	p := prefix + "."
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		idx, key, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 1 {
			continue
		}
		f := byIndex[n]
		if f == nil {
			f = url.Values{}
			byIndex[n] = f
		}
		f[key] = v
	}
	idx := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]url.Values, 0, len(idx))
	for _, n := range idx {
		out = append(out, byIndex[n])
	}
	return out
}

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
