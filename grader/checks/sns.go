package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/labkit-dev/labkit/grader"
)

var topicParam = grader.Param{Name: "topic", Required: true, Doc: "the topic's name, e.g. ${topic}"}

func snsKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "sns.topic", Doc: "the topic exists",
			Params: []grader.Param{topicParam},
			Calls:  []string{"sns:ListTopics"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name := p.String("topic", "")
				arn, err := findTopic(ctx, env, name)
				if err != nil {
					return lookupOutcome("find topic "+name, err)
				}
				return grader.Passf("topic %s is %s", name, arn)
			},
		},
		{
			Name: "sns.queue-subscriptions",
			Doc:  "each queue is subscribed to the topic (protocol sqs, confirmed) with raw message delivery",
			Params: []grader.Param{topicParam,
				{Name: "queues", Required: true, Doc: "the subscribed queues' names"}},
			Calls: []string{"sns:ListTopics", "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"},
			Run:   runSubscriptions,
		},
	}
}

func runSubscriptions(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	name := p.String("topic", "")
	topic, err := findTopic(ctx, env, name)
	if err != nil {
		return lookupOutcome("find topic "+name, err)
	}
	c := sns.NewFromConfig(env.AWS)
	byEndpoint := map[string][]string{} // queue ARN -> subscription ARNs
	pg := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: &topic})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return undecided("list the subscriptions of "+name, err)
		}
		for _, s := range out.Subscriptions {
			if aws.ToString(s.Protocol) == "sqs" {
				byEndpoint[aws.ToString(s.Endpoint)] = append(byEndpoint[aws.ToString(s.Endpoint)], aws.ToString(s.SubscriptionArn))
			}
		}
	}
	var parts []grader.Part
	for _, qn := range p.Strings("queues") {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			var me *missingError
			if !asType(err, &me) {
				return undecided("find queue "+qn, err)
			}
			parts = append(parts, grader.Part{Name: qn, Detail: "the queue does not exist"})
			continue
		}
		subs := byEndpoint[q.arn()]
		if len(subs) == 0 {
			parts = append(parts, grader.Part{Name: qn, Detail: "is not subscribed to " + name})
			continue
		}
		raw, confirmed := false, false
		for _, s := range subs {
			if !strings.HasPrefix(s, "arn:") {
				continue // PendingConfirmation
			}
			confirmed = true
			a, err := c.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(s)})
			if err != nil {
				return undecided("get the attributes of subscription "+s, err)
			}
			raw = raw || strings.EqualFold(a.Attributes["RawMessageDelivery"], "true")
		}
		switch {
		case !confirmed:
			parts = append(parts, grader.Part{Name: qn, Detail: "its subscription is still pending confirmation"})
		case !raw:
			parts = append(parts, grader.Part{Name: qn, Detail: "subscribed without raw message delivery, so the worker gets an SNS envelope instead of the order"})
		default:
			parts = append(parts, grader.Part{Name: qn, Passed: true, Detail: "subscribed, raw delivery"})
		}
	}
	return partsOutcome(parts, "not every queue receives the topic's messages raw",
		fmt.Sprintf("%s delivers raw to %s", name, strings.Join(p.Strings("queues"), " and ")))
}
