package kit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Lab 5's alarms: one per dead-letter queue on its depth, one per function
// on its errors, all notifying the alerts topic, which a queue subscribes
// to; and the pipeline's dashboard.

var alarmDLQs = []string{"inventoryDLQ", "accountingDLQ", "publisherDLQ"}

// alarmSpec is one reference alarm.
type alarmSpec struct {
	name, namespace, metric, dim, value string
	stat                                cwtypes.Statistic
	ok                                  bool // notify when it clears too
}

func (k *Kit) alarmSpecs() []alarmSpec {
	var out []alarmSpec
	for _, key := range alarmDLQs {
		q := k.name(key)
		out = append(out, alarmSpec{q + "-not-empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, cwtypes.StatisticMaximum, true})
	}
	for _, key := range labFunctions {
		fn := k.name(key)
		out = append(out, alarmSpec{fn + "-errors", "AWS/Lambda", "Errors", "FunctionName", fn, cwtypes.StatisticSum, false})
	}
	return out
}

// solveAlarms deploys the alerts topic and its inbox queue, the alarms and
// the dashboard. PutMetricAlarm and PutDashboard replace what exists, so
// running it again converges a changed alarm back to the reference.
func (k *Kit) solveAlarms(ctx context.Context) error {
	topic, err := k.ensureTopic(ctx, k.name("alertsTopic"))
	if err != nil {
		return err
	}
	inboxARN, err := k.arnOf(ctx, "sqs", k.name("alertsQueue"))
	if err != nil {
		return err
	}
	policy := policyDoc{Version: "2012-10-17", Statement: []statement{{Sid: "alerts-topic-only", Effect: "Allow",
		Principal: map[string]any{"Service": "sns.amazonaws.com"}, Action: []string{"sqs:SendMessage"}, Resource: inboxARN,
		Condition: map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": topic}}}}}
	inbox, err := k.ensureQueue(ctx, k.name("alertsQueue"), map[string]string{"Policy": policy.String()})
	if err != nil {
		return err
	}
	if err := k.ensureSubscription(ctx, topic, inbox); err != nil {
		return err
	}
	c := k.cl().cw
	for _, a := range k.alarmSpecs() {
		in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(a.name), Namespace: aws.String(a.namespace), MetricName: aws.String(a.metric),
			Dimensions: []cwtypes.Dimension{{Name: aws.String(a.dim), Value: aws.String(a.value)}}, Statistic: a.stat, Period: aws.Int32(60),
			EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(0), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
			TreatMissingData: aws.String("notBreaching"), AlarmActions: []string{topic}}
		if a.ok {
			in.OKActions = []string{topic}
		}
		k.logf("  alarm %s", a.name)
		if _, err := c.PutMetricAlarm(ctx, in); err != nil {
			return fmt.Errorf("put alarm %s: %w", a.name, err)
		}
	}
	body, err := k.dashboardBody()
	if err != nil {
		return err
	}
	k.logf("  dashboard %s", k.name("dashboard"))
	if _, err := c.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(k.name("dashboard")), DashboardBody: aws.String(body)}); err != nil {
		return fmt.Errorf("put dashboard %s: %w", k.name("dashboard"), err)
	}
	return nil
}

// dashboardBody is the reference dashboard: the dead-letter queues' depth
// and the functions' errors.
func (k *Kit) dashboardBody() (string, error) {
	region := k.AWS.Region
	var dlqs, errs [][]string
	for _, key := range alarmDLQs {
		dlqs = append(dlqs, []string{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", k.name(key)})
	}
	for _, key := range labFunctions {
		errs = append(errs, []string{"AWS/Lambda", "Errors", "FunctionName", k.name(key)})
	}
	widget := func(x int, title, stat string, metrics [][]string) map[string]any {
		return map[string]any{"type": "metric", "x": x, "y": 0, "width": 12, "height": 6,
			"properties": map[string]any{"title": title, "region": region, "stat": stat, "period": 60, "metrics": metrics}}
	}
	b, err := json.Marshal(map[string]any{"widgets": []any{widget(0, "Dead-letter queues", "Maximum", dlqs), widget(12, "Function errors", "Sum", errs)}})
	return string(b), err
}

// resetAlarms deletes lab 5's alarms, dashboard, alerts topic and inbox.
func (k *Kit) resetAlarms(ctx context.Context, note func(kind, name string)) error {
	c := k.cl().cw
	var names []string
	for _, a := range k.alarmSpecs() {
		names = append(names, a.name)
	}
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names})
	if err != nil {
		return fmt.Errorf("describe alarms: %w", err)
	}
	var found []string
	for _, a := range out.MetricAlarms {
		found = append(found, aws.ToString(a.AlarmName))
	}
	if len(found) > 0 {
		if _, err := c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: found}); err != nil {
			return fmt.Errorf("delete alarms: %w", err)
		}
		for _, n := range found {
			note("alarm", n)
		}
	}
	dash := k.name("dashboard")
	if _, err := c.DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{dash}}); err == nil {
		note("dashboard", dash)
	} else if !isNotFound(err) && errCode(err) != "ResourceNotFound" {
		return fmt.Errorf("delete dashboard %s: %w", dash, err)
	}
	topic, err := k.findTopic(ctx, k.name("alertsTopic"))
	if err != nil {
		return err
	}
	if topic != "" {
		subs, err := k.topicSubscriptions(ctx, topic)
		if err != nil {
			return err
		}
		for _, s := range subs {
			if arn := aws.ToString(s.SubscriptionArn); arn != "" && arn != "PendingConfirmation" {
				if _, err := k.cl().sns.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(arn)}); err != nil && !isNotFound(err) {
					return fmt.Errorf("unsubscribe %s: %w", arn, err)
				}
			}
		}
		if _, err := k.cl().sns.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(topic)}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete topic %s: %w", topic, err)
		}
		note("topic", k.name("alertsTopic"))
	}
	ok, err := k.deleteQueue(ctx, k.name("alertsQueue"))
	if err != nil {
		return err
	}
	if ok {
		note("queue", k.name("alertsQueue"))
	}
	return nil
}
