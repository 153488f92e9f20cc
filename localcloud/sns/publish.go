package sns

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

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
		if err := checkAttributeName(name); err != nil {
			return nil, err
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
		if base != "String" && base != "Number" && base != "Binary" {
			return nil, invalidValue("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		field := "String"
		if base == "Binary" {
			field = "Binary"
		}
		if _, ok := e["Value."+field+"Value"]; !ok {
			return nil, invalidValue("The message attribute '%s' with type '%s' must use field '%s'.", name, dt, field)
		}
		if e["Value."+field+"Value"] == "" {
			return nil, invalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
		}
		switch {
		case dt == "String.Array":
			if !validStringArray(v.StringValue) {
				return nil, invalidParameter("The message attribute '%s' with type 'String.Array' has an invalid value: it must be a JSON array of strings, numbers, true, false or null.", name)
			}
		case base == "Number":
			if _, err := strconv.ParseFloat(v.StringValue, 64); err != nil {
				return nil, protocol.Errorf("ParameterValueInvalid", "Could not cast message attribute '%s' value to number.", name)
			}
		case base == "Binary":
			b, err := base64.StdEncoding.DecodeString(e["Value.BinaryValue"])
			if err != nil || len(b) == 0 {
				return nil, invalidValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dt)
			}
			v.BinaryValue, v.StringValue = b, ""
		}
		if custom != "" && dt != "String.Array" && len(custom) > 256 {
			return nil, invalidParameter("The message attribute '%s' has a data type that is too long.", name)
		}
		out[name] = v
	}
	return out, nil
}

// checkAttributeName applies SNS's rules for message attribute names: at most
// 256 bytes of letters, digits, '-', '_' and '.', not starting or ending with
// a period nor holding two in a row.
func checkAttributeName(name string) error {
	if len(name) > 256 {
		return invalidValue("Length of message attribute name must be less than 256 bytes.")
	}
	if name[0] == '.' {
		return invalidValue("Invalid message attribute name starting with character '.' was found.")
	}
	if name[len(name)-1] == '.' {
		return invalidValue("Invalid message attribute name ending with character '.' was found.")
	}
	for i, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return invalidValue("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", r)
		}
		if r == '.' && name[i-1] == '.' {
			return invalidValue("Message attribute name can not have successive '.' character.")
		}
	}
	return nil
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
			if s, ok := v.(string); ok { // "Non-string values will cause the key to be ignored."
				m.byProto[k] = s
			}
		}
	default:
		return nil, invalidParameter("MessageStructure")
	}
	if t.fifo {
		if in.groupID == "" {
			return nil, invalidParameter(errFIFONeedsGroup)
		}
		if !validFIFOId(in.groupID) {
			return nil, invalidParameter("MessageGroupId")
		}
		m.groupID = in.groupID
		m.dedupID = in.dedupID
		if m.dedupID == "" {
			if !t.contentDedup {
				return nil, invalidParameter(errFIFONeedsDedup)
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

const (
	errFIFONeedsGroup = "The MessageGroupId parameter is required for FIFO topics"
	errFIFONeedsDedup = "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
)

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
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
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
	if target := form.Get("TargetArn"); form.Get("TopicArn") == "" && isEndpointARN(target) {
		return s.publishToEndpoint(ctx, target, in)
	}
	if form.Get("TopicArn") == "" && form.Get("TargetArn") == "" && form.Get("PhoneNumber") != "" {
		return publishToPhone(form.Get("PhoneNumber"), in.message)
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

// maxSMSChars is the SNS API reference's "total size limit for a single
// SMS Publish action is 1,600 characters".
const maxSMSChars = 1600

// publishToPhone is Publish with PhoneNumber: SNS takes a message of up to
// 1,600 characters for an E.164 number and answers its MessageId; the local
// cloud sends no text message (as for sms subscriptions), so nothing is
// delivered.
func publishToPhone(number, text string) (any, error) {
	if !e164RE.MatchString(number) || !strings.HasPrefix(number, "+") {
		return nil, invalidParameter("PhoneNumber Reason: %s is not valid to publish to", number)
	}
	if utf8.RuneCountInString(text) > maxSMSChars {
		return nil, invalidParameter("Message too long")
	}
	return publishResult{MessageId: uuid.NewString()}, nil
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
		return nil, protocol.Errorf("EmptyBatchRequest", "The batch request doesn't contain any entries.")
	}
	if len(entries) > 10 {
		return nil, protocol.Errorf("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		id := e.Get("Id")
		if !batchIDRE.MatchString(id) {
			return nil, protocol.Errorf("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification.")
		}
		if seen[id] {
			return nil, protocol.Errorf("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
		total += len(e.Get("Message"))
	}
	if total > maxMessageSize {
		return nil, protocol.Errorf("BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
	}
	t, err := s.resolvePublishTopic(ctx, form)
	if err != nil {
		return nil, err
	}
	if err := checkFIFOBatch(t, entries); err != nil {
		return nil, err
	}
	out := publishBatchResult{Successful: members[batchResultEntry]{Member: []batchResultEntry{}}, Failed: members[batchErrorEntry]{Member: []batchErrorEntry{}}}
	var msgs []*message
	var ids []string
	for _, e := range entries {
		id := e.Get("Id")
		in, err := readPublishInput(e, "")
		if err != nil {
			// SNS fails the whole batch at the first entry whose message
			// attributes it cannot take (as LocalStack's AWS-validated tests found).
			return nil, err
		}
		m, err := in.validate(t)
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

// checkFIFOBatch refuses a whole PublishBatch to a FIFO topic when an entry
// lacks the MessageGroupId, or a MessageDeduplicationId the topic cannot
// derive from the body ("If you don't provide a MessageGroupId, the action
// fails"), with the error Publish gives; other entry errors fail the entry.
func checkFIFOBatch(t *publishTopic, entries []url.Values) error {
	if !t.fifo {
		return nil
	}
	for _, e := range entries {
		if e.Get("MessageGroupId") == "" {
			return invalidParameter(errFIFONeedsGroup)
		}
	}
	for _, e := range entries {
		if !t.contentDedup && e.Get("MessageDeduplicationId") == "" {
			return invalidParameter(errFIFONeedsDedup)
		}
	}
	return nil
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
