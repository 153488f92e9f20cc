package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

func cloudwatchKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "cloudwatch.alarms",
			Doc: "each dead-letter queue has an alarm that fires when one message is visible (AWS/SQS ApproximateNumberOfMessagesVisible), " +
				"each function an alarm that fires on one error (AWS/Lambda Errors), each notifying the topic, which has a subscriber",
			Params: []grader.Param{{Name: "dlqs", Required: true, Doc: "the dead-letter queues' names"},
				{Name: "functions", Required: true, Doc: "the functions whose errors must raise an alarm"},
				{Name: "topic", Required: true, Doc: "the topic alarms notify"}},
			Calls: []string{"cloudwatch:DescribeAlarmsForMetric", "sns:ListTopics", "sns:ListSubscriptionsByTopic"},
			Run:   runAlarms,
		},
		{
			Name:   "cloudwatch.dashboard",
			Doc:    "a dashboard shows the dead-letter queues' depth and the functions' errors",
			Params: []grader.Param{{Name: "name", Required: true, Doc: "the dashboard's name"}},
			Calls:  []string{"cloudwatch:GetDashboard"},
			Run:    runDashboard,
		},
	}
}

// firesOnOne reports whether an alarm's comparison fires at a value of 1
// and stays quiet at 0: "at least one message" or "at least one error".
func firesOnOne(a cwtypes.MetricAlarm) bool {
	if a.Threshold == nil {
		return false
	}
	t := *a.Threshold
	switch a.ComparisonOperator {
	case cwtypes.ComparisonOperatorGreaterThanThreshold:
		return t >= 0 && t < 1
	case cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold:
		return t > 0 && t <= 1
	}
	return false
}

// alarmProblem says what is wrong with an alarm meant to notify topic when
// its metric reaches 1, or "" when nothing is.
func alarmProblem(a cwtypes.MetricAlarm, topic string) string {
	switch {
	case a.Statistic == cwtypes.StatisticSampleCount:
		return "uses SampleCount, which counts datapoints, not messages or errors"
	case a.Statistic == "" && aws.ToString(a.ExtendedStatistic) != "":
		return "uses a percentile; use Maximum or Sum"
	case !firesOnOne(a):
		return fmt.Sprintf("fires when the value is %s %v, not on the first one", a.ComparisonOperator, aws.ToFloat64(a.Threshold))
	case !aws.ToBool(a.ActionsEnabled):
		return "has its actions disabled"
	case !slices.Contains(a.AlarmActions, topic):
		return "does not notify " + topic + " when it fires"
	}
	return ""
}

// checkAlarmsFor finds the alarms on one metric and judges the best one.
func checkAlarmsFor(ctx context.Context, c *cloudwatch.Client, ns, metric, dim, value, topic string) (grader.Part, error) {
	out, err := c.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String(ns), MetricName: aws.String(metric),
		Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(value)}}})
	if err != nil {
		return grader.Part{}, err
	}
	name := fmt.Sprintf("%s %s %s=%s", ns, metric, dim, value)
	if len(out.MetricAlarms) == 0 {
		return grader.Part{Name: name, Detail: "no alarm watches this metric"}, nil
	}
	var why []string
	for _, a := range out.MetricAlarms {
		p := alarmProblem(a, topic)
		if p == "" {
			return grader.Part{Name: name, Passed: true, Detail: fmt.Sprintf("alarm %s (%s %s %v over %ds)", aws.ToString(a.AlarmName),
				a.Statistic, a.ComparisonOperator, aws.ToFloat64(a.Threshold), aws.ToInt32(a.Period))}, nil
		}
		why = append(why, "alarm "+aws.ToString(a.AlarmName)+" "+p)
	}
	return grader.Part{Name: name, Detail: strings.Join(why, "; ")}, nil
}

func runAlarms(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	tn := p.String("topic", "")
	topic, err := findTopic(ctx, env, tn)
	if err != nil {
		return lookupOutcome("find topic "+tn, err)
	}
	c := cloudwatch.NewFromConfig(env.AWS)
	var parts []grader.Part
	for _, q := range p.Strings("dlqs") {
		part, err := checkAlarmsFor(ctx, c, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, topic)
		if err != nil {
			return undecided("describe alarms for queue "+q, err)
		}
		parts = append(parts, part)
	}
	for _, fn := range p.Strings("functions") {
		part, err := checkAlarmsFor(ctx, c, "AWS/Lambda", "Errors", "FunctionName", fn, topic)
		if err != nil {
			return undecided("describe alarms for function "+fn, err)
		}
		parts = append(parts, part)
	}
	subs, err := sns.NewFromConfig(env.AWS).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err != nil {
		return undecided("list subscriptions of "+tn, err)
	}
	sub := grader.Part{Name: "topic " + tn, Detail: "has no confirmed email or queue subscriber: nobody hears the alarms"}
	for _, s := range subs.Subscriptions {
		arn := aws.ToString(s.SubscriptionArn)
		if (aws.ToString(s.Protocol) == "email" || aws.ToString(s.Protocol) == "sqs") && strings.HasPrefix(arn, "arn:") {
			sub = grader.Part{Name: "topic " + tn, Passed: true, Detail: aws.ToString(s.Protocol) + " subscriber " + aws.ToString(s.Endpoint)}
			break
		}
	}
	parts = append(parts, sub)
	return partsOutcome(parts, "not every dead-letter queue and function has an alarm that notifies "+tn, "every dead-letter queue and function has an alarm notifying "+tn)
}

func runDashboard(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	name := p.String("name", "")
	out, err := cloudwatch.NewFromConfig(env.AWS).GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String(name)})
	var nf *cwtypes.DashboardNotFoundError
	if errors.As(err, &nf) {
		return grader.Failf("there is no dashboard named %s", name)
	}
	if err != nil {
		return undecided("get dashboard "+name, err)
	}
	body := aws.ToString(out.DashboardBody)
	var doc struct {
		Widgets []struct {
			Type       string          `json:"type"`
			Properties json.RawMessage `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return grader.Failf("the dashboard's body is not JSON: %v", err)
	}
	var missing []string
	for _, m := range []string{"ApproximateNumberOfMessagesVisible", "Errors"} {
		found := false
		for _, w := range doc.Widgets {
			if w.Type == "metric" && strings.Contains(string(w.Properties), `"`+m+`"`) {
				found = true
			}
		}
		if !found {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		return grader.Failf("dashboard %s has no metric widget showing %s", name, strings.Join(missing, " or "))
	}
	return grader.Passf("dashboard %s shows the dead-letter queues' depth and the functions' errors in %s", name, plural.Count(len(doc.Widgets), "widget", "widgets"))
}
