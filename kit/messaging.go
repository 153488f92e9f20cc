package kit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queue is a queue's URL and ARN.
type queue struct{ url, arn string }

// ensureQueue creates the queue or sets its attributes to attrs (the
// attributes the reference sets; others are left alone).
func (k *Kit) ensureQueue(ctx context.Context, name string, attrs map[string]string) (queue, error) {
	c := k.cl().sqs
	var url string
	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch {
	case isNotFound(err):
		k.logf("  create queue %s", name)
		// AWS refuses to re-create a queue for 60 s after its deletion.
		err := retry(ctx, 70*time.Second, func(err error) bool {
			return errCode(err) == "AWS.SimpleQueueService.QueueDeletedRecently" || errCode(err) == "QueueDeletedRecently"
		}, func() error {
			out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs, Tags: map[string]string{"course": "week1"}})
			if err == nil {
				url = aws.ToString(out.QueueUrl)
			}
			return err
		})
		if err != nil {
			return queue{}, fmt.Errorf("create queue %s: %w", name, err)
		}
	case err != nil:
		return queue{}, fmt.Errorf("get queue %s: %w", name, err)
	default:
		url = aws.ToString(got.QueueUrl)
		cur, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			return queue{}, fmt.Errorf("get attributes of %s: %w", name, err)
		}
		var diff []string
		for a, v := range attrs {
			cv := cur.Attributes[a]
			if cv != v && !(strings.HasPrefix(v, "{") && sameJSON(cv, v)) {
				diff = append(diff, a)
			}
		}
		if len(diff) > 0 {
			k.logf("  queue %s: %s -> reference", name, strings.Join(diff, ", "))
			if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: attrs}); err != nil {
				return queue{}, fmt.Errorf("set attributes of %s: %w", name, err)
			}
		}
	}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return queue{}, fmt.Errorf("get ARN of %s: %w", name, err)
	}
	return queue{url: url, arn: out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}, nil
}

// queueURL returns the queue's URL, or "" when it does not exist.
func (k *Kit) queueURL(ctx context.Context, name string) (string, error) {
	got, err := k.cl().sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get queue %s: %w", name, err)
	}
	return aws.ToString(got.QueueUrl), nil
}

// deleteQueue deletes the queue; a missing one is not an error.
func (k *Kit) deleteQueue(ctx context.Context, name string) (bool, error) {
	url, err := k.queueURL(ctx, name)
	if err != nil || url == "" {
		return false, err
	}
	if _, err := k.cl().sqs.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil && !isNotFound(err) {
		return false, fmt.Errorf("delete queue %s: %w", name, err)
	}
	return true, nil
}

// ensureTopic creates the topic (CreateTopic is idempotent) and returns its ARN.
func (k *Kit) ensureTopic(ctx context.Context, name string) (string, error) {
	out, err := k.cl().sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Tags: []snstypes.Tag{{Key: aws.String("course"), Value: aws.String("week1")}}})
	if err != nil {
		return "", fmt.Errorf("create topic %s: %w", name, err)
	}
	return aws.ToString(out.TopicArn), nil
}

// findTopic returns the ARN of the topic named name, or "".
func (k *Kit) findTopic(ctx context.Context, name string) (string, error) {
	p := sns.NewListTopicsPaginator(k.cl().sns, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list topics: %w", err)
		}
		for _, t := range out.Topics {
			if lastPart(aws.ToString(t.TopicArn)) == name {
				return aws.ToString(t.TopicArn), nil
			}
		}
	}
	return "", nil
}

// topicSubscriptions lists the topic's subscriptions.
func (k *Kit) topicSubscriptions(ctx context.Context, topicARN string) ([]snstypes.Subscription, error) {
	var subs []snstypes.Subscription
	p := sns.NewListSubscriptionsByTopicPaginator(k.cl().sns, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list subscriptions of %s: %w", topicARN, err)
		}
		subs = append(subs, out.Subscriptions...)
	}
	return subs, nil
}

// ensureSubscription subscribes the queue to the topic with raw message
// delivery, and removes duplicate subscriptions of the same queue.
func (k *Kit) ensureSubscription(ctx context.Context, topicARN string, q queue) error {
	c := k.cl().sns
	subs, err := k.topicSubscriptions(ctx, topicARN)
	if err != nil {
		return err
	}
	var mine []string
	for _, s := range subs {
		if aws.ToString(s.Protocol) == "sqs" && aws.ToString(s.Endpoint) == q.arn && strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:") {
			mine = append(mine, aws.ToString(s.SubscriptionArn))
		}
	}
	if len(mine) == 0 {
		k.logf("  subscribe %s to %s (raw delivery)", lastPart(q.arn), lastPart(topicARN))
		_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"), Endpoint: aws.String(q.arn),
			Attributes: map[string]string{"RawMessageDelivery": "true"}, ReturnSubscriptionArn: true})
		if err != nil {
			return fmt.Errorf("subscribe %s to %s: %w", lastPart(q.arn), topicARN, err)
		}
		return nil
	}
	for _, extra := range mine[1:] {
		k.logf("  unsubscribe duplicate %s", extra)
		if _, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(extra)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("unsubscribe %s: %w", extra, err)
		}
	}
	attrs, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(mine[0])})
	if err != nil {
		return fmt.Errorf("get subscription %s: %w", mine[0], err)
	}
	if attrs.Attributes["RawMessageDelivery"] != "true" {
		k.logf("  subscription of %s: raw message delivery on", lastPart(q.arn))
		if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(mine[0]),
			AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}); err != nil {
			return fmt.Errorf("set raw delivery on %s: %w", mine[0], err)
		}
	}
	if fp := attrs.Attributes["FilterPolicy"]; fp != "" {
		k.logf("  subscription of %s: remove filter policy", lastPart(q.arn))
		if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(mine[0]),
			AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String("")}); err != nil {
			return fmt.Errorf("remove filter policy of %s: %w", mine[0], err)
		}
	}
	return nil
}
