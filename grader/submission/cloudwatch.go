package submission

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func exportAlarms(ctx context.Context, c *clients, a *Archive) error {
	p := cloudwatch.NewDescribeAlarmsPaginator(c.cw, &cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, m := range page.MetricAlarms {
			al := Alarm{Name: aws.ToString(m.AlarmName), Description: aws.ToString(m.AlarmDescription), Namespace: aws.ToString(m.Namespace),
				Metric: aws.ToString(m.MetricName), Statistic: string(m.Statistic), ExtendedStatistic: aws.ToString(m.ExtendedStatistic),
				Unit: string(m.Unit), Period: aws.ToInt32(m.Period), EvaluationPeriods: aws.ToInt32(m.EvaluationPeriods),
				DatapointsToAlarm: aws.ToInt32(m.DatapointsToAlarm), Threshold: aws.ToFloat64(m.Threshold), Comparison: string(m.ComparisonOperator),
				TreatMissingData: aws.ToString(m.TreatMissingData), ActionsEnabled: aws.ToBool(m.ActionsEnabled),
				AlarmActions: m.AlarmActions, OKActions: m.OKActions, InsufficientActions: m.InsufficientDataActions}
			for _, d := range m.Dimensions {
				if al.Dimensions == nil {
					al.Dimensions = map[string]string{}
				}
				al.Dimensions[aws.ToString(d.Name)] = aws.ToString(d.Value)
			}
			a.Account.Alarms = append(a.Account.Alarms, al)
		}
	}
	return nil
}

func exportDashboards(ctx context.Context, c *clients, a *Archive) error {
	p := cloudwatch.NewListDashboardsPaginator(c.cw, &cloudwatch.ListDashboardsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, d := range page.DashboardEntries {
			got, err := c.cw.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: d.DashboardName})
			if err != nil {
				return fmt.Errorf("dashboard %s: %w", aws.ToString(d.DashboardName), err)
			}
			a.Account.Dashboards = append(a.Account.Dashboards, Dashboard{Name: aws.ToString(d.DashboardName), Body: aws.ToString(got.DashboardBody)})
		}
	}
	return nil
}

func (im *importer) alarms(ctx context.Context) error {
	for _, al := range im.acc.Alarms {
		in := &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(al.Name), AlarmDescription: nonEmpty(al.Description), Namespace: aws.String(al.Namespace),
			MetricName: aws.String(al.Metric), ExtendedStatistic: nonEmpty(al.ExtendedStatistic), Period: aws.Int32(al.Period),
			EvaluationPeriods: aws.Int32(al.EvaluationPeriods), DatapointsToAlarm: nonZero(al.DatapointsToAlarm), Threshold: aws.Float64(al.Threshold),
			ComparisonOperator: cwtypes.ComparisonOperator(al.Comparison), TreatMissingData: nonEmpty(al.TreatMissingData),
			ActionsEnabled: aws.Bool(al.ActionsEnabled), AlarmActions: al.AlarmActions, OKActions: al.OKActions, InsufficientDataActions: al.InsufficientActions}
		if al.Statistic != "" {
			in.Statistic = cwtypes.Statistic(al.Statistic)
		}
		if al.Unit != "" {
			in.Unit = cwtypes.StandardUnit(al.Unit)
		}
		for k, v := range al.Dimensions {
			in.Dimensions = append(in.Dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
		}
		if _, err := im.c.cw.PutMetricAlarm(ctx, in); err != nil {
			return fmt.Errorf("alarm %s: %w", al.Name, err)
		}
	}
	for _, d := range im.acc.Dashboards {
		if _, err := im.c.cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: aws.String(d.Name), DashboardBody: aws.String(d.Body)}); err != nil {
			return fmt.Errorf("dashboard %s: %w", d.Name, err)
		}
	}
	return nil
}

var (
	alarmName     = regexp.MustCompile(`^[^\x00-\x1f]{1,255}$`)
	dashboardName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
)

// validateCloudWatch refuses alarms whose actions are anything but SNS
// topics (no EC2 or Auto Scaling actions) and names CloudWatch would refuse.
func validateCloudWatch(a *Account) error {
	for _, al := range a.Alarms {
		if !alarmName.MatchString(al.Name) {
			return invalidf("alarm name %q", al.Name)
		}
		for _, act := range append(append(append([]string{}, al.AlarmActions...), al.OKActions...), al.InsufficientActions...) {
			if a, err := arn.Parse(act); err != nil || a.Service != "sns" || !strings.HasPrefix(a.Partition, "aws") {
				return invalidf("alarm %s: action %q: a submission's alarms may only notify SNS topics", al.Name, act)
			}
		}
	}
	for _, d := range a.Dashboards {
		if !dashboardName.MatchString(d.Name) {
			return invalidf("dashboard name %q", d.Name)
		}
	}
	return nil
}
