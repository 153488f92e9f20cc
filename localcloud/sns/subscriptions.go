package sns

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// subscription is a topic's subscriber. Its fields are guarded by
// Service.mu; filter is immutable once set (replaced, never changed).
type subscription struct {
	arn, topicARN, owner string
	protocol, endpoint   string
	attrs                map[string]string
	pending              bool
	token                string
	authenticated        bool // the confirmation was a signed request
	authUnsubscribe      bool // AuthenticateOnUnsubscribe: no unsigned Unsubscribe
	created              time.Time
	filter               *FilterPolicy
}

func (sub *subscription) raw() bool { return sub.attrs["RawMessageDelivery"] == "true" }

func (sub *subscription) bodyScope() bool { return sub.attrs["FilterPolicyScope"] == "MessageBody" }

// deadLetterARN is the SQS queue of the subscription's RedrivePolicy, or "".
func (sub *subscription) deadLetterARN() string {
	rp := sub.attrs["RedrivePolicy"]
	if rp == "" {
		return ""
	}
	var p struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	json.Unmarshal([]byte(rp), &p)
	return p.DeadLetterTargetArn
}

// subscriptionAttributes are the attributes Subscribe and
// SetSubscriptionAttributes accept.
var subscriptionAttributes = map[string]bool{
	"DeliveryPolicy":      true,
	"FilterPolicy":        true,
	"FilterPolicyScope":   true,
	"RawMessageDelivery":  true,
	"RedrivePolicy":       true,
	"SubscriptionRoleArn": true,
	"ReplayPolicy":        true,
}

// validateSubscriptionAttributes checks attrs as they would be after a
// change and returns the compiled filter policy.
func validateSubscriptionAttributes(proto string, attrs map[string]string) (*FilterPolicy, error) {
	for k, v := range attrs {
		if !subscriptionAttributes[k] {
			return nil, invalidParameter("AttributeName")
		}
		switch k {
		case "RawMessageDelivery":
			if v != "true" && v != "false" {
				return nil, invalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
			}
			if v == "true" && proto != "sqs" && proto != "http" && proto != "https" && proto != "firehose" {
				return nil, invalidParameter("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", proto)
			}
		case "FilterPolicyScope":
			if v != "MessageAttributes" && v != "MessageBody" {
				return nil, invalidParameter("Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", v)
			}
		case "DeliveryPolicy":
			if v != "" && !json.Valid([]byte(v)) {
				return nil, invalidParameter("DeliveryPolicy: failed to parse JSON")
			}
		case "RedrivePolicy":
			if v == "" {
				continue
			}
			var p map[string]any
			if err := json.Unmarshal([]byte(v), &p); err != nil {
				return nil, invalidParameter("RedrivePolicy: failed to parse JSON")
			}
			dlq, _ := p["deadLetterTargetArn"].(string)
			if dlq == "" {
				return nil, invalidParameter("RedrivePolicy: deadLetterTargetArn is missing")
			}
			if a, ok := protocol.ParseARN(dlq); !ok || a.Service != "sqs" || a.Resource == "" {
				return nil, invalidParameter("RedrivePolicy: Invalid deadLetterTargetArn (must be an Amazon SQS queue ARN)")
			}
		}
	}
	fp := attrs["FilterPolicy"]
	if fp == "" {
		return nil, nil
	}
	p, err := CompileFilterPolicy(fp)
	if err != nil {
		return nil, invalidParameter("FilterPolicy: %v", err)
	}
	if p.Nested() && attrs["FilterPolicyScope"] != "MessageBody" {
		return nil, invalidParameter("Filter policy scope MessageAttributes does not support nested filter policy")
	}
	return p, nil
}

// validateEndpoint checks a subscription endpoint for its protocol.
func validateEndpoint(t *topic, proto, endpoint string) error {
	switch proto {
	case "sqs":
		a, ok := protocol.ParseARN(endpoint)
		if !ok || a.Service != "sqs" || a.Resource == "" || strings.Contains(a.Resource, ":") {
			return invalidParameter("SQS endpoint ARN")
		}
		if strings.HasSuffix(a.Resource, ".fifo") && !t.fifo() {
			return invalidParameter("Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
		}
	case "lambda":
		a, ok := protocol.ParseARN(endpoint)
		if !ok || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "function:") {
			return invalidParameter("Lambda endpoint ARN")
		}
		if t.fifo() {
			return invalidParameter("Invalid protocol type: lambda (FIFO topics deliver only to SQS queues)")
		}
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != proto || u.Host == "" {
			return invalidParameter("Endpoint must match the specified protocol")
		}
		if t.fifo() {
			return invalidParameter("Invalid protocol type: %s (FIFO topics deliver only to SQS queues)", proto)
		}
	case "email", "email-json":
		if !strings.Contains(endpoint, "@") {
			return invalidParameter("Email address")
		}
		if t.fifo() {
			return invalidParameter("Invalid protocol type: %s (FIFO topics deliver only to SQS queues)", proto)
		}
	case "application":
		if !isEndpointARN(endpoint) {
			return invalidParameter("Endpoint Reason: An application endpoint ARN must be specified")
		}
		if t.fifo() {
			return invalidParameter("Invalid protocol type: %s (FIFO topics deliver only to SQS queues)", proto)
		}
	case "sms":
		if _, err := smsEndpoint(endpoint); err != nil {
			return err
		}
		if t.fifo() {
			return invalidParameter("Invalid protocol type: %s (FIFO topics deliver only to SQS queues)", proto)
		}
	case "":
		return invalidParameter("Protocol")
	case "firehose":
		return invalidParameter("Protocol Reason: the local cloud has no Amazon Data Firehose to deliver to")
	default:
		return invalidParameter("Amazon SNS does not support this protocol string: %s", proto)
	}
	return nil
}

// smsEndpoint reads the phone number of an sms subscription: E.164, which
// SNS also takes written with single '-', '.' or '/' between digits
// (+1-555-123-4567) and stores without them. Anything else is SNS's
// "Invalid SMS endpoint".
func smsEndpoint(endpoint string) (string, error) {
	bad := func() error { return protocol.Errorf("InvalidParameter", "Invalid SMS endpoint: %s", endpoint) }
	if strings.IndexAny(endpoint[:1], "-./") == 0 || strings.IndexAny(endpoint[len(endpoint)-1:], "-./") == 0 {
		return "", bad()
	}
	var b strings.Builder
	sep := false
	for _, r := range endpoint {
		if r == '-' || r == '.' || r == '/' {
			if sep {
				return "", bad()
			}
			sep = true
			continue
		}
		sep = false
		b.WriteRune(r)
	}
	if !e164RE.MatchString(b.String()) {
		return "", bad()
	}
	return b.String(), nil
}

func newToken() string {
	var b [64]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type subscribeResult struct {
	SubscriptionArn string
}

const pendingARN = "pending confirmation"

func (s *Service) subscribe(ctx context.Context, form url.Values) (any, error) {
	proto, endpoint := strings.ToLower(form.Get("Protocol")), form.Get("Endpoint")
	attrs := attributeEntries(form, "Attributes")
	returnARN := form.Get("ReturnSubscriptionArn") == "true"
	id := protocol.IdentityFrom(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic(ctx, form.Get("TopicArn"), "TopicArn", "Subscribe")
	if err != nil {
		return nil, err
	}
	if endpoint == "" {
		return nil, invalidParameter("Endpoint")
	}
	if err := validateEndpoint(t, proto, endpoint); err != nil {
		return nil, err
	}
	if proto == "sms" {
		endpoint, _ = smsEndpoint(endpoint)
	}
	if proto == "application" && s.endpoint(ctx, endpoint) == nil {
		return nil, invalidParameter("Endpoint Reason: Endpoint does not exist for endpoint arn%s", endpoint)
	}
	filter, err := validateSubscriptionAttributes(proto, attrs)
	if err != nil {
		return nil, err
	}
	for _, sub := range t.subs {
		if sub.protocol != proto || sub.endpoint != endpoint {
			continue
		}
		for k, v := range attrs {
			if sub.attrs[k] != v {
				return nil, invalidParameter("Attributes Reason: Subscription already exists with different attributes")
			}
		}
		if sub.pending && (proto == "http" || proto == "https") {
			// Subscribing again resends the confirmation, as on AWS.
			confirm := s.confirmationJob(t, sub)
			if err := s.write(ctx, func(tx *sql.Tx) error { return s.box.insert(ctx, tx, confirm) }); err != nil {
				return nil, err
			}
			s.box.enqueue(confirm)
		}
		if sub.pending && !returnARN {
			return subscribeResult{SubscriptionArn: pendingARN}, nil
		}
		return subscribeResult{SubscriptionArn: sub.arn}, nil
	}
	sub := &subscription{
		arn:      t.arn + ":" + uuid.NewString(),
		topicARN: t.arn,
		owner:    id.AccountID,
		protocol: proto,
		endpoint: endpoint,
		attrs:    attrs,
		created:  time.Now(),
		filter:   filter,
	}
	var confirm *job
	switch proto {
	case "sqs", "lambda", "application", "sms":
		// Confirmed at once, as SNS does. Nothing reaches a phone (the
		// account is in the SMS sandbox with no verified number) or a
		// device (no push service is reachable).
		sub.authenticated = true
	default:
		sub.pending = true
		sub.token = newToken()
		if proto == "http" || proto == "https" {
			confirm = s.confirmationJob(t, sub)
		}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := saveSubscription(ctx, tx, sub); err != nil {
			return err
		}
		if confirm != nil {
			return s.box.insert(ctx, tx, confirm)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.subs[sub.arn] = sub
	s.subs[sub.arn] = sub
	if confirm != nil {
		s.box.enqueue(confirm)
	}
	if proto == "email" || proto == "email-json" {
		s.log.InfoContext(ctx, "sns email subscription pending: the local cloud sends no email; confirm it by opening the SubscribeURL",
			"subscription", sub.arn, "endpoint", endpoint, "subscribeURL", s.subscribeURL(t.arn, sub.token))
	}
	if sub.pending && !returnARN {
		return subscribeResult{SubscriptionArn: pendingARN}, nil
	}
	return subscribeResult{SubscriptionArn: sub.arn}, nil
}

// subscribeURL is where an endpoint confirms a subscription.
func (s *Service) subscribeURL(topicARN, token string) string {
	q := url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {topicARN}, "Token": {token}, "Version": {APIVersion}}
	return s.cfg.Endpoint + "/?" + q.Encode()
}

// unsubscribeURL is where a subscriber can unsubscribe without credentials.
func (s *Service) unsubscribeURL(subARN string) string {
	q := url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {subARN}, "Version": {APIVersion}}
	return s.cfg.Endpoint + "/?" + q.Encode()
}

type confirmSubscriptionResult struct {
	SubscriptionArn string
}

// confirmSubscription confirms a pending subscription by its token. Like
// AWS, it needs no credentials: the token proves the caller got the
// confirmation message, so the topic is found by its ARN in any account.
func (s *Service) confirmSubscription(ctx context.Context, form url.Values) (any, error) {
	arn, token := form.Get("TopicArn"), form.Get("Token")
	if token == "" {
		return nil, invalidParameter("Token")
	}
	if _, ok := protocol.ParseARN(arn); !ok {
		return nil, invalidParameter("TopicArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[arn]
	if t == nil {
		return nil, notFound("Topic does not exist")
	}
	for _, sub := range t.subs {
		if sub.token != token {
			continue
		}
		if !sub.pending {
			return confirmSubscriptionResult{SubscriptionArn: sub.arn}, nil
		}
		id := protocol.IdentityFrom(ctx)
		sub.pending = false
		sub.authenticated = id.AccessKeyID != ""
		sub.authUnsubscribe = sub.authenticated && strings.EqualFold(form.Get("AuthenticateOnUnsubscribe"), "true")
		if err := s.write(ctx, func(tx *sql.Tx) error { return saveSubscription(ctx, tx, sub) }); err != nil {
			sub.pending, sub.authenticated, sub.authUnsubscribe = true, false, false
			return nil, err
		}
		return confirmSubscriptionResult{SubscriptionArn: sub.arn}, nil
	}
	return nil, invalidParameter("Token")
}

// lookupSubscription finds a subscription by ARN for the caller. When
// unsignedOK, an unsigned request (an UnsubscribeURL followed by the
// endpoint) may reach any subscription not confirmed with AuthenticateOnUnsubscribe.
func (s *Service) lookupSubscription(ctx context.Context, arn string, unsignedOK bool) (*subscription, error) {
	if arn == "" {
		return nil, invalidParameter("SubscriptionArn")
	}
	p, ok := protocol.ParseARN(arn)
	if !ok || p.Service != "sns" || strings.Count(p.Resource, ":") != 1 {
		return nil, invalidParameter("SubscriptionArn")
	}
	id := protocol.IdentityFrom(ctx)
	sub := s.subs[arn]
	if unsignedOK && id.AccessKeyID == "" && sub != nil && !sub.authUnsubscribe {
		return sub, nil
	}
	if p.Region != id.Region {
		return nil, invalidParameter("SubscriptionArn")
	}
	if p.Account != id.AccountID {
		if sub != nil && sub.owner == id.AccountID {
			return sub, nil // a subscription the caller made to another account's topic
		}
		return nil, authorizationError("User: %s is not authorized to perform this action on resource: %s", protocol.RootARN(id.Region, id.AccountID), arn)
	}
	if sub == nil {
		return nil, notFound("Subscription does not exist")
	}
	return sub, nil
}

func (s *Service) unsubscribe(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.lookupSubscription(ctx, form.Get("SubscriptionArn"), true)
	if e, ok := err.(*protocol.Error); ok && e.Code == "NotFound" {
		return struct{}{}, nil // Unsubscribe is idempotent: a subscription already gone is no error
	}
	if err != nil {
		return nil, err
	}
	t := s.topics[sub.topicARN]
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE arn = ?`, sub.arn); err != nil {
			return err
		}
		if t != nil {
			t.deletedSubs++
			if err := saveTopic(ctx, tx, t); err != nil {
				t.deletedSubs--
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	delete(s.subs, sub.arn)
	if t != nil {
		delete(t.subs, sub.arn)
	}
	return nil, nil
}

type subscriptionXML struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

type listSubscriptionsResult struct {
	Subscriptions members[subscriptionXML]
	NextToken     string `xml:",omitempty"`
}

func (sub *subscription) listed() subscriptionXML {
	arn := sub.arn
	if sub.pending {
		arn = "PendingConfirmation"
	}
	return subscriptionXML{SubscriptionArn: arn, Owner: sub.owner, Protocol: sub.protocol, Endpoint: sub.endpoint, TopicArn: sub.topicARN}
}

func (s *Service) listSubscriptions(ctx context.Context, form url.Values) (any, error) {
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	// The caller's topics' subscriptions, and the caller's subscriptions to
	// other accounts' topics.
	var arns []string
	for a, sub := range s.subs {
		t := s.topics[sub.topicARN]
		if t == nil || t.region != id.Region {
			continue
		}
		if t.account == id.AccountID || sub.owner == id.AccountID {
			arns = append(arns, a)
		}
	}
	return s.subscriptionPage(arns, form.Get("NextToken"))
}

func (s *Service) subscriptionPage(arns []string, token string) (any, error) {
	arns, next, err := page(arns, token)
	if err != nil {
		return nil, err
	}
	out := listSubscriptionsResult{NextToken: next, Subscriptions: members[subscriptionXML]{Member: []subscriptionXML{}}}
	for _, a := range arns {
		out.Subscriptions.Member = append(out.Subscriptions.Member, s.subs[a].listed())
	}
	return out, nil
}

func (s *Service) listSubscriptionsByTopic(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.lookupTopic(ctx, form.Get("TopicArn"), "TopicArn", "ListSubscriptionsByTopic")
	if err != nil {
		return nil, err
	}
	arns := make([]string, 0, len(t.subs))
	for a := range t.subs {
		arns = append(arns, a)
	}
	return s.subscriptionPage(arns, form.Get("NextToken"))
}

func (s *Service) getSubscriptionAttributes(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, err := s.lookupSubscription(ctx, form.Get("SubscriptionArn"), false)
	if err != nil {
		return nil, err
	}
	m := map[string]string{
		"SubscriptionArn":              sub.arn,
		"TopicArn":                     sub.topicARN,
		"Owner":                        sub.owner,
		"Protocol":                     sub.protocol,
		"Endpoint":                     sub.endpoint,
		"RawMessageDelivery":           "false",
		"PendingConfirmation":          boolString(sub.pending),
		"ConfirmationWasAuthenticated": boolString(sub.authenticated),
	}
	if sub.protocol == "http" || sub.protocol == "https" {
		m["EffectiveDeliveryPolicy"] = defaultDeliveryPolicy
		if t := s.topics[sub.topicARN]; t != nil && t.attrs["DeliveryPolicy"] != "" {
			m["EffectiveDeliveryPolicy"] = t.attrs["DeliveryPolicy"]
		}
	}
	if sub.protocol == "sqs" {
		m["SubscriptionPrincipal"] = protocol.RootARN(protocol.IdentityFrom(ctx).Region, sub.owner)
	}
	for k, v := range sub.attrs {
		m[k] = v
	}
	if m["FilterPolicy"] != "" && m["FilterPolicyScope"] == "" {
		m["FilterPolicyScope"] = "MessageAttributes"
	}
	if dp := sub.attrs["DeliveryPolicy"]; dp != "" {
		m["EffectiveDeliveryPolicy"] = dp
	}
	return attributesOf(m), nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (s *Service) setSubscriptionAttributes(ctx context.Context, form url.Values) (any, error) {
	name, value := form.Get("AttributeName"), form.Get("AttributeValue")
	if name == "" {
		return nil, invalidParameter("AttributeName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, err := s.lookupSubscription(ctx, form.Get("SubscriptionArn"), false)
	if err != nil {
		return nil, err
	}
	attrs := make(map[string]string, len(sub.attrs)+1)
	for k, v := range sub.attrs {
		attrs[k] = v
	}
	if value == "" && name != "RawMessageDelivery" && name != "FilterPolicyScope" {
		delete(attrs, name)
	} else {
		attrs[name] = value
	}
	if !subscriptionAttributes[name] {
		return nil, invalidParameter("AttributeName")
	}
	filter, err := validateSubscriptionAttributes(sub.protocol, attrs)
	if err != nil {
		return nil, err
	}
	old, oldFilter := sub.attrs, sub.filter
	sub.attrs, sub.filter = attrs, filter
	if err := s.write(ctx, func(tx *sql.Tx) error { return saveSubscription(ctx, tx, sub) }); err != nil {
		sub.attrs, sub.filter = old, oldFilter
		return nil, err
	}
	return nil, nil
}
