package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
			Calls: []string{"cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarms", "sns:ListTopics", "sns:ListSubscriptionsByTopic"},
			Run:   runAlarms,
		},
		{
			Name:   "cloudwatch.dashboard",
			Doc:    "a dashboard shows the dead-letter queues' depth and the functions' errors",
			Params: []grader.Param{{Name: "name", Required: true, Doc: "the dashboard's name"}},
			Calls:  []string{"cloudwatch:GetDashboard"},
			Run:    runDashboard,
		},
		alarmFiresKind(),
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

// metricRef is one metric with one dimension, as a check names it.
type metricRef struct{ ns, metric, dim, value string }

func (m metricRef) String() string { return fmt.Sprintf("%s %s %s=%s", m.ns, m.metric, m.dim, m.value) }

// readBy reports whether a metric-math query reads the metric.
func (m metricRef) readBy(q cwtypes.MetricDataQuery) bool {
	if q.MetricStat == nil || q.MetricStat.Metric == nil {
		return false
	}
	mm := q.MetricStat.Metric
	if aws.ToString(mm.Namespace) != m.ns || aws.ToString(mm.MetricName) != m.metric {
		return false
	}
	for _, d := range mm.Dimensions {
		if aws.ToString(d.Name) == m.dim && aws.ToString(d.Value) == m.value {
			return true
		}
	}
	return false
}

// alarmStat is the statistic an alarm applies to its metric, and the
// expression it alarms on when it is a metric-math alarm whose returned
// query is an expression ("" otherwise).
func alarmStat(a cwtypes.MetricAlarm) (stat, expression string) {
	if len(a.Metrics) == 0 {
		if a.Statistic != "" {
			return string(a.Statistic), ""
		}
		return aws.ToString(a.ExtendedStatistic), ""
	}
	for _, q := range a.Metrics {
		if q.ReturnData != nil && !*q.ReturnData {
			continue
		}
		if q.MetricStat != nil {
			return aws.ToString(q.MetricStat.Stat), ""
		}
		return "", aws.ToString(q.Expression)
	}
	return "", ""
}

// isPercentile reports whether a statistic is a percentile or another
// extended statistic (p99, tm90, ...), not one of the five basic ones.
func isPercentile(stat string) bool {
	switch cwtypes.Statistic(stat) {
	case cwtypes.StatisticAverage, cwtypes.StatisticSum, cwtypes.StatisticMaximum, cwtypes.StatisticMinimum, cwtypes.StatisticSampleCount, "":
		return false
	}
	return true
}

// alarmProblem says what is wrong with an alarm meant to notify topic when
// its metric reaches 1, or "" when nothing is. A metric-math alarm that
// alarms on an expression is judged on its actions only: what the
// expression makes of one message is for the alarm-fires check to see.
func alarmProblem(a cwtypes.MetricAlarm, topic string) string {
	stat, expr := alarmStat(a)
	switch {
	case stat == string(cwtypes.StatisticSampleCount):
		return "uses SampleCount, which counts datapoints, not messages or errors"
	case isPercentile(stat):
		return "uses a percentile; use Maximum or Sum"
	case expr == "" && !firesOnOne(a):
		return fmt.Sprintf("fires when the value is %s %v, not on the first one", a.ComparisonOperator, aws.ToFloat64(a.Threshold))
	case !aws.ToBool(a.ActionsEnabled):
		return "has its actions disabled"
	case !slices.Contains(a.AlarmActions, topic):
		return "does not notify " + topic + " when it fires"
	}
	return ""
}

// metricAlarms lists the account's metric alarms once per run.
func metricAlarms(ctx context.Context, env *grader.Env) ([]cwtypes.MetricAlarm, error) {
	return grader.Fact(env, "cloudwatch.metric-alarms", func() ([]cwtypes.MetricAlarm, error) {
		c := cloudwatch.NewFromConfig(env.AWS)
		var out []cwtypes.MetricAlarm
		p := cloudwatch.NewDescribeAlarmsPaginator(c, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			out = append(out, page.MetricAlarms...)
		}
		return out, nil
	})
}

// alarmsOn returns the alarms that watch a metric: the standard alarms
// DescribeAlarmsForMetric returns, and the metric-math alarms that read it,
// which DescribeAlarmsForMetric leaves out on AWS (it "does not return
// alarms based on math expressions that use the specified metric").
func alarmsOn(ctx context.Context, env *grader.Env, m metricRef) ([]cwtypes.MetricAlarm, error) {
	out, err := cloudwatch.NewFromConfig(env.AWS).DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String(m.ns),
		MetricName: aws.String(m.metric), Dimensions: []cwtypes.Dimension{{Name: aws.String(m.dim), Value: aws.String(m.value)}}})
	if err != nil {
		return nil, err
	}
	found := out.MetricAlarms
	all, err := metricAlarms(ctx, env)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if slices.ContainsFunc(a.Metrics, m.readBy) && !slices.ContainsFunc(found, func(f cwtypes.MetricAlarm) bool {
			return aws.ToString(f.AlarmName) == aws.ToString(a.AlarmName)
		}) {
			found = append(found, a)
		}
	}
	return found, nil
}

// describeAlarm says what an alarm compares, for evidence.
func describeAlarm(a cwtypes.MetricAlarm) string {
	stat, expr := alarmStat(a)
	if expr != "" {
		stat = "metric math " + strconv.Quote(expr)
	}
	period := aws.ToInt32(a.Period)
	for _, q := range a.Metrics {
		if q.MetricStat != nil {
			period = aws.ToInt32(q.MetricStat.Period)
		}
	}
	return fmt.Sprintf("alarm %s (%s %s %v over %ds)", aws.ToString(a.AlarmName), stat, a.ComparisonOperator, aws.ToFloat64(a.Threshold), period)
}

// checkAlarmsFor finds the alarms on one metric and judges the best one.
func checkAlarmsFor(ctx context.Context, env *grader.Env, m metricRef, topic string) (grader.Part, error) {
	alarms, err := alarmsOn(ctx, env, m)
	if err != nil {
		return grader.Part{}, err
	}
	name := m.String()
	if len(alarms) == 0 {
		return grader.Part{Name: name, Detail: "no alarm watches this metric"}, nil
	}
	var why []string
	for _, a := range alarms {
		p := alarmProblem(a, topic)
		if p == "" {
			return grader.Part{Name: name, Passed: true, Detail: describeAlarm(a)}, nil
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
	var parts []grader.Part
	for _, q := range p.Strings("dlqs") {
		part, err := checkAlarmsFor(ctx, env, dlqDepth(q), topic)
		if err != nil {
			return undecided("describe alarms for queue "+q, err)
		}
		parts = append(parts, part)
	}
	for _, fn := range p.Strings("functions") {
		part, err := checkAlarmsFor(ctx, env, metricRef{"AWS/Lambda", "Errors", "FunctionName", fn}, topic)
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

// dlqDepth is the metric a dead-letter queue's alarm watches.
func dlqDepth(queue string) metricRef {
	return metricRef{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue}
}
