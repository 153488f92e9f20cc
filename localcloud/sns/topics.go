package sns

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// topic is an SNS topic. Its fields are guarded by Service.mu, except the
// FIFO bookkeeping, guarded by fifoMu.
type topic struct {
	arn, account, region, name string
	attrs                      map[string]string // as set by the caller
	tags                       map[string]string
	deletedSubs                int
	created                    time.Time
	subs                       map[string]*subscription

	fifoMu  sync.Mutex
	lastSeq uint64
	dedup   map[string]dedupEntry
}

type dedupEntry struct {
	messageID, seq string
	expires        time.Time
}

func (t *topic) fifo() bool { return t.attrs["FifoTopic"] == "true" }

// pageSize is how many items a List call answers with.
const pageSize = 100

// topicAttributes are the attributes SetTopicAttributes accepts (besides
// delivery feedback attributes).
var topicAttributes = map[string]bool{
	"DeliveryPolicy":            true,
	"DisplayName":               true,
	"Policy":                    true,
	"KmsMasterKeyId":            true,
	"SignatureVersion":          true,
	"TracingConfig":             true,
	"ContentBasedDeduplication": true,
	"FifoThroughputScope":       true,
	"ArchivePolicy":             true,
	"DataProtectionPolicy":      true,
}

func isFeedbackAttribute(name string) bool {
	for _, p := range []string{"Application", "Firehose", "HTTP", "Lambda", "SQS"} {
		for _, s := range []string{"SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn"} {
			if name == p+s {
				return true
			}
		}
	}
	return false
}

// validateTopicAttribute checks one attribute for a topic (fifo tells its kind).
func validateTopicAttribute(name, value string, fifo, creating bool) error {
	switch {
	case name == "FifoTopic":
		if !creating {
			return invalidParameter("AttributeName")
		}
		if value != "true" && value != "false" {
			return invalidParameter("Attributes Reason: FifoTopic must be true or false")
		}
		return nil
	case !topicAttributes[name] && !isFeedbackAttribute(name):
		return invalidParameter("AttributeName")
	}
	switch name {
	case "Policy", "DeliveryPolicy", "ArchivePolicy", "DataProtectionPolicy":
		if value != "" && !json.Valid([]byte(value)) {
			return invalidParameter("%s Error: the policy is not valid JSON", name)
		}
		if name == "Policy" && value != "" {
			var p struct {
				Statement json.RawMessage
			}
			if json.Unmarshal([]byte(value), &p) != nil || len(p.Statement) == 0 {
				return invalidParameter("Policy Error: the policy must be a JSON object with a Statement")
			}
		}
	case "DisplayName":
		if len(value) > 100 {
			return invalidParameter("DisplayName: at most 100 characters")
		}
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalidParameter("SignatureVersion: must be 1 or 2")
		}
	case "TracingConfig":
		if value != "PassThrough" && value != "Active" {
			return invalidParameter("TracingConfig: must be PassThrough or Active")
		}
	case "ContentBasedDeduplication":
		if !fifo {
			return invalidParameter("ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics")
		}
		if value != "true" && value != "false" {
			return invalidParameter("ContentBasedDeduplication Reason: must be true or false")
		}
	case "FifoThroughputScope":
		if !fifo {
			return invalidParameter("FifoThroughputScope Reason: only FIFO topics have a throughput scope")
		}
		if value != "Topic" && value != "MessageGroup" {
			return invalidParameter("FifoThroughputScope Reason: must be Topic or MessageGroup")
		}
	}
	return nil
}

func validTopicName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if len(name) > 256 || base == "" {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// attributeEntries reads an Attributes.entry.N.key/value map.
func attributeEntries(form url.Values, prefix string) map[string]string {
	out := map[string]string{}
	for _, m := range protocol.Members(form, prefix+".entry") {
		if k := m["key"]; k != "" {
			out[k] = m["value"]
		}
	}
	return out
}

// tagMembers reads Tags.member.N.Key/Value.
func tagMembers(form url.Values) (map[string]string, error) {
	tags := map[string]string{}
	for _, m := range protocol.Members(form, "Tags.member") {
		k, v := m["Key"], m["Value"]
		if k == "" || len(k) > 128 {
			return nil, invalidParameter("Tags Reason: a tag key must be 1 to 128 characters long")
		}
		if len(v) > 256 {
			return nil, invalidParameter("Tags Reason: a tag value must be at most 256 characters long")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, invalidParameter("Tags Reason: tag keys must not start with aws:")
		}
		if _, dup := tags[k]; dup {
			return nil, invalidParameter("Duplicated keys are not allowed.")
		}
		tags[k] = v
	}
	return tags, nil
}

const maxTags = 50

func tagLimitExceeded() *protocol.Error {
	return protocol.Errorf("TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
}

// lookupTopic finds a topic by ARN for the caller. A topic in another
// account is reachable when its policy allows action to the caller's
// account (action "" never allows). Caller holds s.mu.
func (s *Service) lookupTopic(ctx context.Context, arn, param, action string) (*topic, error) {
	if arn == "" {
		return nil, invalidParameter("%s", param)
	}
	p, ok := protocol.ParseARN(arn)
	if !ok || p.Service != "sns" || p.Resource == "" || strings.Contains(p.Resource, ":") {
		return nil, invalidParameter("%s", param)
	}
	id := protocol.IdentityFrom(ctx)
	if p.Region != id.Region {
		return nil, invalidParameter("%s", param) // SNS names no region
	}
	t := s.topics[arn]
	if p.Account != id.AccountID {
		if t == nil || action == "" || !policyAllows(t.policyText(), t.arn, id.AccountID, action) {
			return nil, authorizationError("User: %s is not authorized to perform: SNS:%s on resource: %s", protocol.RootARN(id.Region, id.AccountID), actionName(action), arn)
		}
		return t, nil
	}
	if t == nil {
		return nil, notFound("Topic does not exist")
	}
	return t, nil
}

func actionName(a string) string {
	if a == "" {
		return "TagResource"
	}
	return a
}

// policyText is the topic's access policy, the default one if none was set.
func (t *topic) policyText() string {
	if p := t.attrs["Policy"]; p != "" {
		return p
	}
	return defaultPolicy(t.arn, t.account)
}

type createTopicResult struct {
	TopicArn string
}

func (s *Service) createTopic(ctx context.Context, form url.Values) (any, error) {
	id := protocol.IdentityFrom(ctx)
	name := form.Get("Name")
	attrs := attributeEntries(form, "Attributes")
	if v, ok := attrs["FifoTopic"]; ok {
		attrs["FifoTopic"] = strings.ToLower(v) // SNS reads it as a boolean: "True" makes a FIFO topic
	}
	tags, err := tagMembers(form)
	if err != nil {
		return nil, err
	}
	if len(tags) > maxTags {
		return nil, tagLimitExceeded()
	}
	fifo := attrs["FifoTopic"] == "true"
	if !validTopicName(name) || fifo != strings.HasSuffix(name, ".fifo") {
		if fifo {
			return nil, invalidParameter("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
		}
		return nil, invalidParameter("Topic Name")
	}
	for k, v := range attrs {
		if err := validateTopicAttribute(k, v, fifo, true); err != nil {
			return nil, err
		}
	}
	if attrs["FifoTopic"] == "false" {
		delete(attrs, "FifoTopic")
	}
	if dp := form.Get("DataProtectionPolicy"); dp != "" {
		if !json.Valid([]byte(dp)) {
			return nil, invalidParameter("DataProtectionPolicy Error: the policy is not valid JSON")
		}
		attrs["DataProtectionPolicy"] = dp
	}
	arn := protocol.ARN("sns", id.Region, id.AccountID, name)

	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.topics[arn]; t != nil {
		for k, v := range attrs {
			if t.attrs[k] != v {
				return nil, invalidParameter("Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range tags {
			if old, ok := t.tags[k]; !ok || old != v {
				return nil, invalidParameter("Tags Reason: Topic already exists with different tags")
			}
		}
		return createTopicResult{TopicArn: arn}, nil
	}
	t := &topic{arn: arn, account: id.AccountID, region: id.Region, name: name, attrs: attrs, tags: tags, created: time.Now(), subs: map[string]*subscription{}}
	if err := s.write(ctx, func(tx *sql.Tx) error { return saveTopic(ctx, tx, t) }); err != nil {
		return nil, err
	}
	s.topics[arn] = t
	return createTopicResult{TopicArn: arn}, nil
}

func (s *Service) deleteTopic(ctx context.Context, form url.Values) (any, error) {
	arn := form.Get("TopicArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic(ctx, arn, "TopicArn", "DeleteTopic")
	if err != nil {
		if e, ok := err.(*protocol.Error); ok && e.Code == "NotFound" {
			return nil, nil // deleting a missing topic succeeds, as on AWS
		}
		return nil, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE topic_arn = ?`, arn); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM topics WHERE arn = ?`, arn)
		return err
	})
	if err != nil {
		return nil, err
	}
	for a := range t.subs {
		delete(s.subs, a)
	}
	delete(s.topics, arn)
	return nil, nil
}

type topicMember struct {
	TopicArn string
}

type listTopicsResult struct {
	Topics    members[topicMember]
	NextToken string `xml:",omitempty"`
}

// members is a list in the query protocol's XML: <Name><member>..</member></Name>.
// It always writes its element, empty or not.
type members[T any] struct {
	Member []T `xml:"member"`
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidParameter("NextToken")
	}
	return string(b), nil
}

// page returns the keys after token (sorted), at most pageSize, and the next token.
func page(keys []string, token string) ([]string, string, error) {
	sort.Strings(keys)
	if token != "" {
		after, err := decodeToken(token)
		if err != nil {
			return nil, "", err
		}
		i := sort.SearchStrings(keys, after)
		for i < len(keys) && keys[i] <= after {
			i++
		}
		keys = keys[i:]
	}
	next := ""
	if len(keys) > pageSize {
		keys = keys[:pageSize]
		next = encodeToken(keys[len(keys)-1])
	}
	return keys, next, nil
}

func (s *Service) listTopics(ctx context.Context, form url.Values) (any, error) {
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	var arns []string
	for _, t := range s.topics {
		if t.account == id.AccountID && t.region == id.Region {
			arns = append(arns, t.arn)
		}
	}
	s.mu.RUnlock()
	arns, next, err := page(arns, form.Get("NextToken"))
	if err != nil {
		return nil, err
	}
	out := listTopicsResult{NextToken: next, Topics: members[topicMember]{Member: []topicMember{}}}
	for _, a := range arns {
		out.Topics.Member = append(out.Topics.Member, topicMember{TopicArn: a})
	}
	return out, nil
}

type attributeEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type attributesResult struct {
	Attributes struct {
		Entry []attributeEntry `xml:"entry"`
	}
}

func attributesOf(m map[string]string) attributesResult {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out attributesResult
	out.Attributes.Entry = []attributeEntry{}
	for _, k := range keys {
		out.Attributes.Entry = append(out.Attributes.Entry, attributeEntry{Key: k, Value: m[k]})
	}
	return out
}

// defaultPolicy is the access policy AWS gives a new topic, its nine
// actions in AWS's order (SNS:Receive last, as GetTopicAttributes shows it).
func defaultPolicy(arn, account string) string {
	p := map[string]any{
		"Version": "2008-10-17",
		"Id":      "__default_policy_ID",
		"Statement": []any{map[string]any{
			"Sid":       "__default_statement_ID",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action": []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
				"SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish", "SNS:Receive"},
			"Resource":  arn,
			"Condition": map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": account}},
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// defaultDeliveryPolicy is the EffectiveDeliveryPolicy of a topic without one.
const defaultDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Service) getTopicAttributes(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTopic(ctx, form.Get("TopicArn"), "TopicArn", "GetTopicAttributes")
	if err != nil {
		return nil, err
	}
	m := map[string]string{
		"TopicArn":                t.arn,
		"Owner":                   t.account,
		"Policy":                  defaultPolicy(t.arn, t.account),
		"DisplayName":             "",
		"SubscriptionsConfirmed":  "0",
		"SubscriptionsPending":    "0",
		"SubscriptionsDeleted":    strconv.Itoa(t.deletedSubs),
		"EffectiveDeliveryPolicy": defaultDeliveryPolicy,
	}
	if t.fifo() {
		m["FifoTopic"] = "true"
		m["ContentBasedDeduplication"] = "false"
	}
	for k, v := range t.attrs {
		m[k] = v
	}
	if dp := t.attrs["DeliveryPolicy"]; dp != "" {
		m["EffectiveDeliveryPolicy"] = dp
	}
	if m["Policy"] == "" {
		m["Policy"] = defaultPolicy(t.arn, t.account)
	}
	confirmed, pending := 0, 0
	for _, sub := range t.subs {
		if sub.pending {
			pending++
		} else {
			confirmed++
		}
	}
	m["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	m["SubscriptionsPending"] = strconv.Itoa(pending)
	return attributesOf(m), nil
}

func (s *Service) setTopicAttributes(ctx context.Context, form url.Values) (any, error) {
	return nil, s.setTopicAttribute(ctx, form.Get("TopicArn"), "TopicArn", form.Get("AttributeName"), form.Get("AttributeValue"))
}

// PutDataProtectionPolicy sets the topic's DataProtectionPolicy attribute
// (the local cloud keeps it; it does not inspect messages).
func (s *Service) putDataProtectionPolicy(ctx context.Context, form url.Values) (any, error) {
	if form.Get("DataProtectionPolicy") == "" {
		return nil, invalidParameter("DataProtectionPolicy")
	}
	return nil, s.setTopicAttribute(ctx, form.Get("ResourceArn"), "ResourceArn", "DataProtectionPolicy", form.Get("DataProtectionPolicy"))
}

func (s *Service) getDataProtectionPolicy(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTopic(ctx, form.Get("ResourceArn"), "ResourceArn", "GetDataProtectionPolicy")
	if err != nil {
		return nil, err
	}
	return struct{ DataProtectionPolicy string }{t.attrs["DataProtectionPolicy"]}, nil
}

// setTopicAttribute checks and stores one attribute of the topic arn
// (named by the request's parameter param).
func (s *Service) setTopicAttribute(ctx context.Context, arn, param, name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic(ctx, arn, param, "SetTopicAttributes")
	if err != nil {
		return err
	}
	if name == "" {
		return invalidParameter("AttributeName")
	}
	if err := validateTopicAttribute(name, value, t.fifo(), false); err != nil {
		return err
	}
	old, had := t.attrs[name]
	if value == "" && name != "DisplayName" {
		delete(t.attrs, name)
	} else {
		t.attrs[name] = value
	}
	if err := s.write(ctx, func(tx *sql.Tx) error { return saveTopic(ctx, tx, t) }); err != nil {
		if had {
			t.attrs[name] = old
		} else {
			delete(t.attrs, name)
		}
		return err
	}
	return nil
}

// Tags.

// lookupTaggable finds a topic for the tagging operations, which answer
// ResourceNotFound rather than NotFound.
func (s *Service) lookupTaggable(ctx context.Context, arn string) (*topic, error) {
	t, err := s.lookupTopic(ctx, arn, "ResourceArn", "")
	if e, ok := err.(*protocol.Error); ok && e.Code == "NotFound" {
		return nil, protocol.StatusErrorf(404, "ResourceNotFound", "Resource does not exist")
	}
	return t, err
}

func (s *Service) tagResource(ctx context.Context, form url.Values) (any, error) {
	tags, err := tagMembers(form)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		return nil, invalidParameter("Tags Reason: the request must contain at least one tag")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTaggable(ctx, form.Get("ResourceArn"))
	if err != nil {
		return nil, err
	}
	merged := make(map[string]string, len(t.tags)+len(tags))
	for k, v := range t.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	if len(merged) > maxTags {
		return nil, tagLimitExceeded()
	}
	old := t.tags
	t.tags = merged
	if err := s.write(ctx, func(tx *sql.Tx) error { return saveTopic(ctx, tx, t) }); err != nil {
		t.tags = old
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, form url.Values) (any, error) {
	var keys []string
	for _, m := range protocol.Members(form, "TagKeys.member") {
		keys = append(keys, m[""])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTaggable(ctx, form.Get("ResourceArn"))
	if err != nil {
		return nil, err
	}
	kept := make(map[string]string, len(t.tags))
	for k, v := range t.tags {
		kept[k] = v
	}
	for _, k := range keys {
		delete(kept, k)
	}
	old := t.tags
	t.tags = kept
	if err := s.write(ctx, func(tx *sql.Tx) error { return saveTopic(ctx, tx, t) }); err != nil {
		t.tags = old
		return nil, err
	}
	return struct{}{}, nil
}

type tagXML struct {
	Key   string
	Value string
}

type listTagsResult struct {
	Tags members[tagXML]
}

func (s *Service) listTagsForResource(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTaggable(ctx, form.Get("ResourceArn"))
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(t.tags))
	for k := range t.tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := listTagsResult{Tags: members[tagXML]{Member: []tagXML{}}}
	for _, k := range keys {
		out.Tags.Member = append(out.Tags.Member, tagXML{Key: k, Value: t.tags[k]})
	}
	return out, nil
}
