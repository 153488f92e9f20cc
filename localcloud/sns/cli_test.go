package sns

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestCLI(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	acct := cloudtest.Account

	var created struct{ TopicArn string }
	cloudtest.CLIJSON(t, c.url, acct, &created, "sns", "create-topic", "--name", "cli-topic", "--attributes", "DisplayName=CLI", "--tags", "Key=team,Value=labs")
	if created.TopicArn != "arn:aws:sns:us-east-1:"+acct+":cli-topic" {
		t.Fatalf("create-topic TopicArn = %q", created.TopicArn)
	}
	qURL, qARN := c.queue(t, "cli-queue", created.TopicArn)

	var sub struct{ SubscriptionArn string }
	cloudtest.CLIJSON(t, c.url, acct, &sub, "sns", "subscribe", "--topic-arn", created.TopicArn, "--protocol", "sqs", "--notification-endpoint", qARN,
		"--attributes", `{"RawMessageDelivery":"true"}`, "--return-subscription-arn")
	if !strings.HasPrefix(sub.SubscriptionArn, created.TopicArn+":") {
		t.Fatalf("subscribe SubscriptionArn = %q", sub.SubscriptionArn)
	}

	cloudtest.CLIJSON(t, c.url, acct, nil, "sns", "set-subscription-attributes", "--subscription-arn", sub.SubscriptionArn,
		"--attribute-name", "FilterPolicy", "--attribute-value", `{"color":["red"]}`)
	var attrs struct{ Attributes map[string]string }
	cloudtest.CLIJSON(t, c.url, acct, &attrs, "sns", "get-subscription-attributes", "--subscription-arn", sub.SubscriptionArn)
	if attrs.Attributes["FilterPolicy"] != `{"color":["red"]}` || attrs.Attributes["RawMessageDelivery"] != "true" || attrs.Attributes["Protocol"] != "sqs" {
		t.Errorf("get-subscription-attributes = %v", attrs.Attributes)
	}

	var list struct {
		Subscriptions []struct{ SubscriptionArn, Protocol, Endpoint, TopicArn, Owner string }
	}
	cloudtest.CLIJSON(t, c.url, acct, &list, "sns", "list-subscriptions-by-topic", "--topic-arn", created.TopicArn)
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].Endpoint != qARN || list.Subscriptions[0].Owner != acct {
		t.Errorf("list-subscriptions-by-topic = %+v", list.Subscriptions)
	}

	var pub struct{ MessageId string }
	cloudtest.CLIJSON(t, c.url, acct, &pub, "sns", "publish", "--topic-arn", created.TopicArn, "--message", "blue one",
		"--message-attributes", `{"color":{"DataType":"String","StringValue":"blue"}}`)
	cloudtest.CLIJSON(t, c.url, acct, &pub, "sns", "publish", "--topic-arn", created.TopicArn, "--message", "red one",
		"--message-attributes", `{"color":{"DataType":"String","StringValue":"red"},"size":{"DataType":"Number","StringValue":"3"}}`)
	if pub.MessageId == "" {
		t.Errorf("publish MessageId is empty")
	}
	msgs := c.receive(t, qURL)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "red one" || aws.ToString(msgs[0].MessageAttributes["size"].StringValue) != "3" {
		t.Errorf("queue after CLI publishes = %+v, want only the red one with its attributes", msgs)
	}

	var topics struct{ Topics []struct{ TopicArn string } }
	cloudtest.CLIJSON(t, c.url, acct, &topics, "sns", "list-topics")
	if len(topics.Topics) != 1 {
		t.Errorf("list-topics = %+v", topics.Topics)
	}
}
