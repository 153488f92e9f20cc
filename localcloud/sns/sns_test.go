package sns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// lazyHandler lets a test start the listener before the service exists, so
// the service can be told the listener's URL.
type lazyHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lazyHandler) set(h http.Handler) { l.h.Store(&h) }

func (l *lazyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// fakeQueues records deliveries; queues in deny refuse them.
type fakeQueues struct {
	mu   sync.Mutex
	got  []protocol.ServiceDelivery
	deny map[string]bool
}

func (f *fakeQueues) DeliverFromService(ctx context.Context, d protocol.ServiceDelivery) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny[d.QueueARN] {
		return protocol.Errorf("AccessDenied", "the queue policy does not allow %s", d.SourceARN)
	}
	f.got = append(f.got, d)
	return nil
}

func (f *fakeQueues) deliveries(queue string) []protocol.ServiceDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []protocol.ServiceDelivery
	for _, d := range f.got {
		if d.QueueARN == queue {
			out = append(out, d)
		}
	}
	return out
}

type testEnv struct {
	svc *Service
	url string
	cfg Config
}

// newEnv starts an SNS service behind a real listener.
func newEnv(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	lazy := &lazyHandler{}
	url := cloudtest.Serve(t, protocol.Route{Service: "sns", QueryVersions: []string{APIVersion}, Handler: lazy, Unsigned: unsignedLink})
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Endpoint = url
	cfg.Logger = cloudtest.Logger(t)
	svc, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	lazy.set(svc.Route().Handler)
	return &testEnv{svc: svc, url: url, cfg: cfg}
}

func (e *testEnv) client(account string) *awssns.Client {
	return awssns.NewFromConfig(cloudtest.Config(e.url, account, "us-east-1"))
}

func createTopic(t testing.TB, c *awssns.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic(%s): %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

func subscribe(t testing.TB, c *awssns.Client, topic, proto, endpoint string, attrs map[string]string) string {
	t.Helper()
	out, err := c.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String(proto),
		Endpoint: aws.String(endpoint), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatalf("Subscribe(%s %s): %v", proto, endpoint, err)
	}
	return aws.ToString(out.SubscriptionArn)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestTopicLifecycle(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()

	arn := createTopic(t, c, "orders", map[string]string{"DisplayName": "Orders"})
	if want := "arn:aws:sns:us-east-1:" + cloudtest.Account + ":orders"; arn != want {
		t.Fatalf("TopicArn = %s, want %s", arn, want)
	}
	if again := createTopic(t, c, "orders", nil); again != arn {
		t.Errorf("CreateTopic again = %s, want %s (idempotent)", again, arn)
	}
	_, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"DisplayName": "Other"}})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("CreateTopic with different attributes: got %v, want InvalidParameterException", err)
	}

	attrs, err := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetTopicAttributes: %v", err)
	}
	for k, want := range map[string]string{"TopicArn": arn, "Owner": cloudtest.Account, "DisplayName": "Orders",
		"SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0"} {
		if got := attrs.Attributes[k]; got != want {
			t.Errorf("attribute %s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(attrs.Attributes["Policy"], `"AWS:SourceOwner":"`+cloudtest.Account+`"`) {
		t.Errorf("default Policy = %s, want the owner condition", attrs.Attributes["Policy"])
	}
	if !strings.Contains(attrs.Attributes["EffectiveDeliveryPolicy"], "defaultHealthyRetryPolicy") {
		t.Errorf("EffectiveDeliveryPolicy = %s", attrs.Attributes["EffectiveDeliveryPolicy"])
	}

	if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("New")}); err != nil {
		t.Fatalf("SetTopicAttributes: %v", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"` + arn + `"}]}`
	if _, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("Policy"), AttributeValue: aws.String(policy)}); err != nil {
		t.Fatalf("SetTopicAttributes Policy: %v", err)
	}
	attrs, _ = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if attrs.Attributes["DisplayName"] != "New" || attrs.Attributes["Policy"] != policy {
		t.Errorf("after set: DisplayName %q Policy %q", attrs.Attributes["DisplayName"], attrs.Attributes["Policy"])
	}
	for _, bad := range []struct{ name, value string }{{"Policy", "{not json"}, {"Bogus", "x"}, {"FifoTopic", "true"}, {"ContentBasedDeduplication", "true"}} {
		_, err := c.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(bad.name), AttributeValue: aws.String(bad.value)})
		if !errors.As(err, &ipe) {
			t.Errorf("SetTopicAttributes(%s=%s): got %v, want InvalidParameterException", bad.name, bad.value, err)
		}
	}

	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	_, err = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	var nfe *types.NotFoundException
	if !errors.As(err, &nfe) {
		t.Errorf("GetTopicAttributes after delete: got %v, want NotFoundException", err)
	}
}

func TestCreateTopicValidation(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	tests := []struct {
		name  string
		attrs map[string]string
	}{
		{"", nil},
		{"has space", nil},
		{strings.Repeat("a", 257), nil},
		{"std.fifo", nil},
		{"nofifo", map[string]string{"FifoTopic": "true"}},
		{"bad-attr", map[string]string{"Nope": "1"}},
		{"bad-policy", map[string]string{"Policy": "[1"}},
		{"cbd-standard", map[string]string{"ContentBasedDeduplication": "true"}},
	}
	for _, tt := range tests {
		_, err := c.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String(tt.name), Attributes: tt.attrs})
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) {
			t.Errorf("CreateTopic(%q, %v): got %v, want InvalidParameterException", tt.name, tt.attrs, err)
		}
	}
	arn := createTopic(t, c, "events.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	out, err := c.GetTopicAttributes(context.Background(), &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["FifoTopic"] != "true" || out.Attributes["ContentBasedDeduplication"] != "true" {
		t.Errorf("fifo attributes = %v", out.Attributes)
	}
}

func TestListTopicsPaginates(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	want := map[string]bool{}
	for i := 0; i < 130; i++ {
		want[createTopic(t, c, fmt.Sprintf("t%03d", i), nil)] = true
	}
	p := awssns.NewListTopicsPaginator(c, &awssns.ListTopicsInput{})
	pages, got := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListTopics: %v", err)
		}
		pages++
		for _, tp := range out.Topics {
			if !want[aws.ToString(tp.TopicArn)] {
				t.Errorf("unexpected or repeated topic %s", aws.ToString(tp.TopicArn))
			}
			delete(want, aws.ToString(tp.TopicArn))
			got++
		}
	}
	if pages != 2 || got != 130 {
		t.Errorf("got %d topics in %d pages, want 130 in 2", got, pages)
	}
	_, err := c.ListTopics(context.Background(), &awssns.ListTopicsInput{NextToken: aws.String("!!!")})
	if errorCode(err) != "InvalidParameter" {
		t.Errorf("ListTopics bad token: got %v, want InvalidParameter", err)
	}
}

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{Queues: &fakeQueues{}})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "subs", nil)
	queue := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":q1"

	subARN := subscribe(t, c, topic, "sqs", queue, map[string]string{"RawMessageDelivery": "true"})
	if !strings.HasPrefix(subARN, topic+":") {
		t.Fatalf("SubscriptionArn = %s, want prefix %s:", subARN, topic)
	}
	if again := subscribe(t, c, topic, "sqs", queue, nil); again != subARN {
		t.Errorf("Subscribe again = %s, want %s", again, subARN)
	}
	_, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("sqs"), Endpoint: aws.String(queue),
		Attributes: map[string]string{"RawMessageDelivery": "false"}})
	if errorCode(err) != "InvalidParameter" {
		t.Errorf("Subscribe with different attributes: got %v, want InvalidParameter", err)
	}

	attrs, err := c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if err != nil {
		t.Fatalf("GetSubscriptionAttributes: %v", err)
	}
	for k, want := range map[string]string{"SubscriptionArn": subARN, "TopicArn": topic, "Owner": cloudtest.Account, "Protocol": "sqs",
		"Endpoint": queue, "RawMessageDelivery": "true", "PendingConfirmation": "false", "ConfirmationWasAuthenticated": "true"} {
		if got := attrs.Attributes[k]; got != want {
			t.Errorf("subscription attribute %s = %q, want %q", k, got, want)
		}
	}

	set := func(name, value string) error {
		_, err := c.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN),
			AttributeName: aws.String(name), AttributeValue: aws.String(value)})
		return err
	}
	if err := set("FilterPolicy", `{"kind":["a"]}`); err != nil {
		t.Fatalf("set FilterPolicy: %v", err)
	}
	attrs, _ = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	if attrs.Attributes["FilterPolicy"] != `{"kind":["a"]}` || attrs.Attributes["FilterPolicyScope"] != "MessageAttributes" {
		t.Errorf("FilterPolicy %q scope %q", attrs.Attributes["FilterPolicy"], attrs.Attributes["FilterPolicyScope"])
	}
	bad := []struct{ name, value string }{
		{"FilterPolicy", `{"kind":`},
		{"FilterPolicy", `{"kind":[{"numeric":["<"]}]}`},
		{"FilterPolicy", `{"order":{"kind":["a"]}}`}, // nested needs MessageBody scope
		{"FilterPolicyScope", "Body"},
		{"RawMessageDelivery", "yes"},
		{"RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sns:us-east-1:123456789012:x"}`},
		{"RedrivePolicy", `{}`},
		{"Unknown", "1"},
	}
	for _, b := range bad {
		if err := set(b.name, b.value); errorCode(err) != "InvalidParameter" {
			t.Errorf("SetSubscriptionAttributes(%s=%s): got %v, want InvalidParameter", b.name, b.value, err)
		}
	}
	if err := set("FilterPolicyScope", "MessageBody"); err != nil {
		t.Fatalf("set scope: %v", err)
	}
	if err := set("FilterPolicy", `{"order":{"kind":["a"]}}`); err != nil {
		t.Errorf("nested policy with body scope: %v", err)
	}

	lam := subscribe(t, c, topic, "lambda", "arn:aws:lambda:us-east-1:"+cloudtest.Account+":function:f", nil)
	_, err = c.SetSubscriptionAttributes(ctx, &awssns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(lam), AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")})
	if errorCode(err) != "InvalidParameter" {
		t.Errorf("raw delivery on lambda: got %v, want InvalidParameter", err)
	}

	email, err := c.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("email"), Endpoint: aws.String("a@example.com")})
	if err != nil || aws.ToString(email.SubscriptionArn) != "pending confirmation" {
		t.Errorf("email Subscribe = %v, %v; want pending confirmation", aws.ToString(email.SubscriptionArn), err)
	}

	list, err := c.ListSubscriptionsByTopic(ctx, &awssns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err != nil {
		t.Fatalf("ListSubscriptionsByTopic: %v", err)
	}
	if len(list.Subscriptions) != 3 {
		t.Fatalf("ListSubscriptionsByTopic = %d subscriptions, want 3", len(list.Subscriptions))
	}
	pending := 0
	for _, s := range list.Subscriptions {
		if aws.ToString(s.SubscriptionArn) == "PendingConfirmation" {
			pending++
		}
	}
	if pending != 1 {
		t.Errorf("pending in list = %d, want 1", pending)
	}
	all, err := c.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(all.Subscriptions) != 3 {
		t.Errorf("ListSubscriptions = %d, %v; want 3", len(all.Subscriptions), err)
	}
	tattrs, _ := c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	if tattrs.Attributes["SubscriptionsConfirmed"] != "2" || tattrs.Attributes["SubscriptionsPending"] != "1" {
		t.Errorf("confirmed %s pending %s, want 2 and 1", tattrs.Attributes["SubscriptionsConfirmed"], tattrs.Attributes["SubscriptionsPending"])
	}

	if _, err := c.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(subARN)}); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	_, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subARN)})
	var nfe *types.NotFoundException
	if !errors.As(err, &nfe) {
		t.Errorf("GetSubscriptionAttributes after unsubscribe: got %v, want NotFoundException", err)
	}
	tattrs, _ = c.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	if tattrs.Attributes["SubscriptionsDeleted"] != "1" {
		t.Errorf("SubscriptionsDeleted = %s, want 1", tattrs.Attributes["SubscriptionsDeleted"])
	}

	if _, err := c.DeleteTopic(ctx, &awssns.DeleteTopicInput{TopicArn: aws.String(topic)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(lam)})
	if !errors.As(err, &nfe) {
		t.Errorf("subscription after DeleteTopic: got %v, want NotFoundException", err)
	}
}

func TestSubscribeValidation(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "v", nil)
	fifo := createTopic(t, c, "v.fifo", map[string]string{"FifoTopic": "true"})
	tests := []struct {
		topic, proto, endpoint string
		attrs                  map[string]string
	}{
		{topic, "sqs", "not-an-arn", nil},
		{topic, "sqs", "arn:aws:sqs:us-east-1:123456789012:q.fifo", nil},
		{topic, "lambda", "arn:aws:sqs:us-east-1:123456789012:q", nil},
		{topic, "http", "https://example.com", nil},
		{topic, "https", "ftp://x", nil},
		{topic, "carrier-pigeon", "x", nil},
		{topic, "", "x", nil},
		{topic, "sqs", "", nil},
		{topic, "sqs", "arn:aws:sqs:us-east-1:123456789012:q", map[string]string{"FilterPolicy": "[]"}},
		{topic, "lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", map[string]string{"RawMessageDelivery": "true"}},
		{fifo, "lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", nil},
	}
	for _, tt := range tests {
		_, err := c.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: aws.String(tt.topic), Protocol: aws.String(tt.proto),
			Endpoint: aws.String(tt.endpoint), Attributes: tt.attrs})
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) {
			t.Errorf("Subscribe(%s %s %v): got %v, want InvalidParameterException", tt.proto, tt.endpoint, tt.attrs, err)
		}
	}
	_, err := c.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: aws.String(topic + "-missing"), Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:q")})
	var nfe *types.NotFoundException
	if !errors.As(err, &nfe) {
		t.Errorf("Subscribe to missing topic: got %v, want NotFoundException", err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	out, err := c.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("tagged"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.TopicArn
	if _, err := c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("b")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(ctx, &awssns.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env", "missing"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatalf("ListTagsForResource: %v", err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "b" {
		t.Errorf("tags = %+v, want team=b", tags.Tags)
	}
	var many []types.Tag
	for i := 0; i < 51; i++ {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: arn, Tags: many})
	var tle *types.TagLimitExceededException
	if !errors.As(err, &tle) {
		t.Errorf("51 tags: got %v, want TagLimitExceededException", err)
	}
	_, err = c.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(aws.ToString(arn) + "x")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("tags of missing topic: got %v, want ResourceNotFoundException", err)
	}
}

func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	a, b := env.client(cloudtest.Account), env.client("210987654321")
	ctx := context.Background()
	arn := createTopic(t, a, "mine", nil)
	subscribe(t, a, arn, "sqs", "arn:aws:sqs:us-east-1:"+cloudtest.Account+":q", nil)

	list, err := b.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(list.Topics) != 0 {
		t.Errorf("other account ListTopics = %v, %v; want none", list.Topics, err)
	}
	subs, err := b.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(subs.Subscriptions) != 0 {
		t.Errorf("other account ListSubscriptions = %v, %v; want none", subs.Subscriptions, err)
	}
	_, err = b.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	var ae *types.AuthorizationErrorException
	if !errors.As(err, &ae) {
		t.Errorf("other account Publish: got %v, want AuthorizationErrorException", err)
	}
	_, err = b.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if !errors.As(err, &ae) {
		t.Errorf("other account GetTopicAttributes: got %v, want AuthorizationErrorException", err)
	}
	// The same name in the other account is another topic.
	if other := createTopic(t, b, "mine", nil); other == arn {
		t.Errorf("other account got the same ARN %s", other)
	}
	// Another region is another world too.
	west := awssns.NewFromConfig(cloudtest.Config(env.url, cloudtest.Account, "us-west-2"))
	wl, err := west.ListTopics(ctx, &awssns.ListTopicsInput{})
	if err != nil || len(wl.Topics) != 0 {
		t.Errorf("other region ListTopics = %v, %v; want none", wl.Topics, err)
	}
}

func TestPersistenceAcrossReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := newEnv(t, Config{DataDir: dir})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	arn := createTopic(t, c, "durable", map[string]string{"DisplayName": "D"})
	c.TagResource(ctx, &awssns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	sub := subscribe(t, c, arn, "sqs", "arn:aws:sqs:us-east-1:"+cloudtest.Account+":q", map[string]string{"FilterPolicy": `{"a":["b"]}`, "RawMessageDelivery": "true"})
	env.svc.Close()

	q := &fakeQueues{}
	env2 := newEnv(t, Config{DataDir: dir, Queues: q})
	c2 := env2.client(cloudtest.Account)
	attrs, err := c2.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil || attrs.Attributes["DisplayName"] != "D" || attrs.Attributes["SubscriptionsConfirmed"] != "1" {
		t.Fatalf("after reopen GetTopicAttributes = %v, %v", attrs, err)
	}
	tags, _ := c2.ListTagsForResource(ctx, &awssns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if len(tags.Tags) != 1 {
		t.Errorf("after reopen tags = %v", tags.Tags)
	}
	sattrs, err := c2.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(sub)})
	if err != nil || sattrs.Attributes["FilterPolicy"] != `{"a":["b"]}` {
		t.Fatalf("after reopen subscription = %v, %v", sattrs, err)
	}
	// The filter policy still works after reopening.
	for _, v := range []string{"b", "c"} {
		_, err := c2.Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(v),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String(v)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	got := q.deliveries("arn:aws:sqs:us-east-1:" + cloudtest.Account + ":q")
	if len(got) != 1 || got[0].Body != "b" {
		t.Errorf("deliveries after reopen = %+v, want one with body b", got)
	}
}

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{Queues: &fakeQueues{}})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "pv", nil)
	fifo := createTopic(t, c, "pv.fifo", map[string]string{"FifoTopic": "true"})
	str := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	tests := []struct {
		name     string
		in       awssns.PublishInput
		wantCode string
	}{
		{"empty message", awssns.PublishInput{TopicArn: &topic, Message: aws.String("")}, "InvalidParameter"},
		{"no target", awssns.PublishInput{Message: aws.String("x")}, "InvalidParameter"},
		{"bad arn", awssns.PublishInput{TopicArn: aws.String("nope"), Message: aws.String("x")}, "InvalidParameter"},
		{"missing topic", awssns.PublishInput{TopicArn: aws.String(topic + "x"), Message: aws.String("x")}, "NotFound"},
		{"too long", awssns.PublishInput{TopicArn: &topic, Message: aws.String(strings.Repeat("x", 256*1024+1))}, "InvalidParameter"},
		{"subject newline", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), Subject: aws.String("a\nb")}, "InvalidParameter"},
		{"json structure bad", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageStructure: aws.String("json")}, "InvalidParameter"},
		{"json structure no default", awssns.PublishInput{TopicArn: &topic, Message: aws.String(`{"sqs":"x"}`), MessageStructure: aws.String("json")}, "InvalidParameter"},
		{"attribute type", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"a": {DataType: aws.String("Integer"), StringValue: aws.String("1")}}}, "InvalidParameterValue"},
		{"attribute number", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"a": {DataType: aws.String("Number"), StringValue: aws.String("one")}}}, "ParameterValueInvalid"},
		{"attribute empty", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"a": {DataType: aws.String("String"), StringValue: aws.String("")}}}, "InvalidParameterValue"},
		{"attribute array", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
			"a": {DataType: aws.String("String.Array"), StringValue: aws.String(`["a",{"b":1}]`)}}}, "InvalidParameter"},
		{"attribute reserved name", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": str("1")}}, "InvalidParameter"},
		{"attribute bad name", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{"a b": str("1")}}, "InvalidParameterValue"},
		{"dedup on standard", awssns.PublishInput{TopicArn: &topic, Message: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameter"},
		{"fifo without group", awssns.PublishInput{TopicArn: &fifo, Message: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameter"},
		{"fifo without dedup", awssns.PublishInput{TopicArn: &fifo, Message: aws.String("x"), MessageGroupId: aws.String("g")}, "InvalidParameter"},
		{"sms to no number", awssns.PublishInput{PhoneNumber: aws.String("NAA+15555550100"), Message: aws.String("x")}, "InvalidParameter"},
	}
	for _, tt := range tests {
		_, err := c.Publish(ctx, &tt.in)
		if got := errorCode(err); got != tt.wantCode {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.wantCode)
		}
	}
	out, err := c.Publish(ctx, &awssns.PublishInput{TargetArn: &topic, Message: aws.String("via target")})
	if err != nil || aws.ToString(out.MessageId) == "" {
		t.Errorf("Publish with TargetArn = %v, %v", out, err)
	}
	// SNS takes a text message for an E.164 number (the local cloud sends none).
	out, err = c.Publish(ctx, &awssns.PublishInput{PhoneNumber: aws.String("+15555550100"), Message: aws.String("x")})
	if err != nil || aws.ToString(out.MessageId) == "" {
		t.Errorf("Publish with PhoneNumber = %v, %v", out, err)
	}
	_, err = c.Publish(ctx, &awssns.PublishInput{PhoneNumber: aws.String("NAA+15555550100"), Message: aws.String("x")})
	cloudtest.APIError(t, err, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: NAA+15555550100 is not valid to publish to")
}

func TestFIFOPublish(t *testing.T) {
	t.Parallel()
	q := &fakeQueues{}
	env := newEnv(t, Config{Queues: q})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "f.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	queue := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":q.fifo"
	subscribe(t, c, topic, "sqs", queue, nil)
	first, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("one"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(first.SequenceNumber) == "" {
		t.Fatalf("Publish = %+v, %v; want a sequence number", first, err)
	}
	dup, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("one"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(dup.MessageId) != aws.ToString(first.MessageId) {
		t.Errorf("duplicate Publish = %+v, %v; want the first message id", dup, err)
	}
	second, err := c.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("two"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(second.SequenceNumber) <= aws.ToString(first.SequenceNumber) {
		t.Errorf("second sequence %s, first %s: want increasing", aws.ToString(second.SequenceNumber), aws.ToString(first.SequenceNumber))
	}
	got := q.deliveries(queue)
	if len(got) != 2 || got[0].MessageGroupID != "g" || got[0].DeduplicationID == "" {
		t.Errorf("fifo deliveries = %+v, want 2 with group and dedup ids", got)
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	q := &fakeQueues{}
	env := newEnv(t, Config{Queues: q})
	c := env.client(cloudtest.Account)
	ctx := context.Background()
	topic := createTopic(t, c, "batch", nil)
	queue := "arn:aws:sqs:us-east-1:" + cloudtest.Account + ":bq"
	subscribe(t, c, topic, "sqs", queue, map[string]string{"RawMessageDelivery": "true"})
	out, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("a"), Message: aws.String("m1")},
		{Id: aws.String("b"), Message: aws.String("")},
		{Id: aws.String("c"), Message: aws.String("m3"), MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}},
	}})
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "b" || !out.Failed[0].SenderFault {
		t.Errorf("PublishBatch = %+v %+v, want a and c successful, b failed", out.Successful, out.Failed)
	}
	got := q.deliveries(queue)
	if len(got) != 2 || got[1].Attributes["k"].StringValue != "v" {
		t.Errorf("batch deliveries = %+v", got)
	}

	var eleven []types.PublishBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), Message: aws.String("x")})
	}
	tests := []struct {
		entries []types.PublishBatchRequestEntry
		check   func(error) bool
	}{
		{eleven, func(err error) bool { var e *types.TooManyEntriesInBatchRequestException; return errors.As(err, &e) }},
		{[]types.PublishBatchRequestEntry{{Id: aws.String("x"), Message: aws.String("1")}, {Id: aws.String("x"), Message: aws.String("2")}},
			func(err error) bool { var e *types.BatchEntryIdsNotDistinctException; return errors.As(err, &e) }},
		{[]types.PublishBatchRequestEntry{{Id: aws.String("bad id!"), Message: aws.String("1")}},
			func(err error) bool { var e *types.InvalidBatchEntryIdException; return errors.As(err, &e) }},
	}
	for i, tt := range tests {
		_, err := c.PublishBatch(ctx, &awssns.PublishBatchInput{TopicArn: &topic, PublishBatchRequestEntries: tt.entries})
		if !tt.check(err) {
			t.Errorf("case %d: got %v", i, err)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	tests := []struct {
		body       string
		wantStatus int
		wantCode   string
	}{
		{"Action=Nope&Version=2010-03-31", 400, "InvalidAction"},
		{"Action=CreateTopic&Version=2010-03-31&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=maybe&Name=x.fifo", 400, "InvalidParameter"},
		{"Action=Publish&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Message=x&MessageAttributes.entry.1.Value.DataType=String", 400, "InvalidParameter"},
		{"Action=Subscribe&Version=2010-03-31&TopicArn=%%%", 400, "MalformedQueryString"},
		{"Action=GetSubscriptionAttributes&Version=2010-03-31&SubscriptionArn=arn:aws:sns:us-east-1:000000000000:t", 400, "InvalidParameter"},
		{"Action=ListTopics&Version=2010-03-31&NextToken=@@", 400, "InvalidParameter"},
		{"Action=ConfirmSubscription&Version=2010-03-31&TopicArn=x", 400, "InvalidParameter"},
		{"Action=PublishBatch&Version=2010-03-31&TopicArn=arn:aws:sns:us-east-1:000000000000:t", 400, "EmptyBatchRequest"},
		{"Action=Publish&Version=2010-03-31", 400, "InvalidParameter"},
		{"Version=2010-03-31", 400, "MissingAction"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, env.url, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=000000000000/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != tt.wantStatus || !strings.Contains(body, "<Code>"+tt.wantCode+"</Code>") || !strings.Contains(body, "<ErrorResponse") {
			t.Errorf("POST %s: status %d body %s; want %d with code %s", tt.body, resp.StatusCode, body, tt.wantStatus, tt.wantCode)
		}
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	svc, err := New(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCrossAccountPermissions(t *testing.T) {
	t.Parallel()
	q := &fakeQueues{}
	env := newEnv(t, Config{Queues: q})
	owner, other := env.client(cloudtest.Account), env.client("210987654321")
	ctx := context.Background()
	topic := createTopic(t, owner, "shared", nil)
	publish := func() error {
		_, err := other.Publish(ctx, &awssns.PublishInput{TopicArn: &topic, Message: aws.String("from afar")})
		return err
	}
	var ae *types.AuthorizationErrorException
	if err := publish(); !errors.As(err, &ae) {
		t.Fatalf("Publish before AddPermission: got %v, want AuthorizationErrorException", err)
	}
	_, err := owner.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: &topic, Label: aws.String("partner"),
		AWSAccountId: []string{"210987654321"}, ActionName: []string{"Publish", "Subscribe"}})
	if err != nil {
		t.Fatalf("AddPermission: %v", err)
	}
	_, err = owner.AddPermission(ctx, &awssns.AddPermissionInput{TopicArn: &topic, Label: aws.String("partner"),
		AWSAccountId: []string{"210987654321"}, ActionName: []string{"Publish"}})
	if errorCode(err) != "InvalidParameter" {
		t.Errorf("AddPermission with a used label: got %v, want InvalidParameter", err)
	}
	if err := publish(); err != nil {
		t.Errorf("Publish after AddPermission: %v", err)
	}
	queue := "arn:aws:sqs:us-east-1:210987654321:theirs"
	sub := subscribe(t, other, topic, "sqs", queue, nil)
	attrs, err := other.GetSubscriptionAttributes(ctx, &awssns.GetSubscriptionAttributesInput{SubscriptionArn: &sub})
	if err != nil || attrs.Attributes["Owner"] != "210987654321" {
		t.Errorf("subscriber's GetSubscriptionAttributes = %v, %v", attrs, err)
	}
	mine, err := other.ListSubscriptions(ctx, &awssns.ListSubscriptionsInput{})
	if err != nil || len(mine.Subscriptions) != 1 {
		t.Errorf("subscriber's ListSubscriptions = %v, %v; want its one subscription", mine, err)
	}
	if err := publish(); err != nil {
		t.Fatal(err)
	}
	if got := q.deliveries(queue); len(got) != 1 || got[0].SourceAccount != cloudtest.Account {
		t.Errorf("deliveries to the subscriber's queue = %+v", got)
	}
	if _, err := other.GetTopicAttributes(ctx, &awssns.GetTopicAttributesInput{TopicArn: &topic}); !errors.As(err, &ae) {
		t.Errorf("GetTopicAttributes (not granted): got %v, want AuthorizationErrorException", err)
	}
	if _, err := owner.RemovePermission(ctx, &awssns.RemovePermissionInput{TopicArn: &topic, Label: aws.String("partner")}); err != nil {
		t.Fatalf("RemovePermission: %v", err)
	}
	if err := publish(); !errors.As(err, &ae) {
		t.Errorf("Publish after RemovePermission: got %v, want AuthorizationErrorException", err)
	}
	// A hand-written policy works the same way.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sns:Pub*","Resource":"` + topic + `"}]}`
	if _, err := owner.SetTopicAttributes(ctx, &awssns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("Policy"), AttributeValue: &policy}); err != nil {
		t.Fatal(err)
	}
	if err := publish(); err != nil {
		t.Errorf("Publish allowed by a set policy: %v", err)
	}
}

func TestUnsignedRequestsReachOnlyUnsubscribe(t *testing.T) {
	t.Parallel()
	env := newEnv(t, Config{})
	c := env.client(cloudtest.Account)
	topic := createTopic(t, c, "unsigned", nil)
	sub := subscribe(t, c, topic, "sqs", "arn:aws:sqs:us-east-1:"+cloudtest.Account+":q", nil)
	get := func(action string) (int, string) {
		t.Helper()
		resp, err := http.Get(env.url + "/?Version=2010-03-31&Action=" + action + "&SubscriptionArn=" + url.QueryEscape(sub))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The router's guard refuses it before SNS sees it.
	if status, body := get("GetSubscriptionAttributes"); status != http.StatusForbidden || !strings.Contains(body, "<Code>MissingAuthenticationToken</Code>") {
		t.Errorf("unsigned GetSubscriptionAttributes: %d %s, want 403 MissingAuthenticationToken", status, body)
	}
	if status, body := get("Unsubscribe"); status != http.StatusOK {
		t.Errorf("unsigned Unsubscribe: %d %s, want 200", status, body)
	}
	l, _ := c.ListSubscriptionsByTopic(context.Background(), &awssns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	if len(l.Subscriptions) != 0 {
		t.Errorf("subscriptions after unsigned Unsubscribe = %v", l.Subscriptions)
	}
}
