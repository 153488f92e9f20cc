package monitoring

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// alarm is a metric or composite alarm, in the shape DescribeAlarms returns
// (and stored as JSON).
type alarm struct {
	AlarmName                          string
	AlarmArn                           string
	AlarmDescription                   string `json:",omitempty"`
	AlarmConfigurationUpdatedTimestamp time.Time
	ActionsEnabled                     bool
	OKActions                          []string
	AlarmActions                       []string
	InsufficientDataActions            []string
	StateValue                         string
	StateReason                        string
	StateReasonData                    string `json:",omitempty"`
	StateUpdatedTimestamp              time.Time
	StateTransitionedTimestamp         time.Time
	MetricName                         string            `json:",omitempty"`
	Namespace                          string            `json:",omitempty"`
	Statistic                          string            `json:",omitempty"`
	ExtendedStatistic                  string            `json:",omitempty"`
	Dimensions                         []Dimension       `json:",omitempty"`
	Period                             *int              `json:",omitempty"`
	Unit                               string            `json:",omitempty"`
	EvaluationPeriods                  *int              `json:",omitempty"`
	DatapointsToAlarm                  *int              `json:",omitempty"`
	Threshold                          *float64          `json:",omitempty"`
	ComparisonOperator                 string            `json:",omitempty"`
	TreatMissingData                   string            `json:",omitempty"`
	EvaluateLowSampleCountPercentile   string            `json:",omitempty"`
	Metrics                            []metricDataQuery `json:",omitempty"`
	ThresholdMetricId                  string            `json:",omitempty"`
	AlarmRule                          string            `json:",omitempty"`
}

func (a *alarm) composite() bool { return a.AlarmRule != "" }

func (a *alarm) alarmType() string {
	if a.composite() {
		return "CompositeAlarm"
	}
	return "MetricAlarm"
}

type tag struct {
	Key   string
	Value string
}

type putMetricAlarmInput struct {
	alarm
	ActionsEnabled *bool
	Tags           []tag
}

var comparisonOps = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

var missingTreatments = map[string]bool{"breaching": true, "notBreaching": true, "ignore": true, "missing": true}

// validName checks an alarm or dashboard name.
func validName(name, param string, max int) error {
	if name == "" {
		return missingParam(param)
	}
	if len(name) > max {
		return invalidValue("The parameter %s must be a value between 1 and %d characters.", param, max)
	}
	return nil
}

func validActions(in *putMetricAlarmInput) error {
	for _, l := range []struct {
		name string
		arns []string
	}{{"AlarmActions", in.AlarmActions}, {"OKActions", in.OKActions}, {"InsufficientDataActions", in.InsufficientDataActions}} {
		if len(l.arns) > 5 {
			return invalidValue("The collection %s must not have a size greater than 5.", l.name)
		}
		for _, a := range l.arns {
			p, ok := protocol.ParseARN(a)
			if !ok || (p.Service != "sns" && p.Service != "automate" && p.Service != "lambda" && p.Service != "ssm" && p.Service != "swf") {
				return invalidValue("Invalid arn syntax: %s", a)
			}
		}
	}
	return nil
}

func (s *Service) putMetricAlarm(ctx context.Context, tree map[string]any) (any, error) {
	var in putMetricAlarmInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if err := validName(in.AlarmName, "AlarmName", 255); err != nil {
		return nil, err
	}
	if in.EvaluationPeriods == nil {
		return nil, missingParam("EvaluationPeriods")
	}
	if in.ComparisonOperator == "" {
		return nil, missingParam("ComparisonOperator")
	}
	if _, ok := comparisonOps[in.ComparisonOperator]; !ok {
		return nil, invalidValue("The value %s for parameter ComparisonOperator is not supported by the local cloud (anomaly detection bands are not offered).", in.ComparisonOperator)
	}
	if in.Threshold == nil {
		return nil, invalidValue("Comparison operator %s requires a Threshold.", in.ComparisonOperator)
	}
	if *in.EvaluationPeriods < 1 {
		return nil, invalidValue("The parameter EvaluationPeriods must be greater than or equal to 1.")
	}
	if in.DatapointsToAlarm != nil && (*in.DatapointsToAlarm < 1 || *in.DatapointsToAlarm > *in.EvaluationPeriods) {
		return nil, invalidValue("DatapointsToAlarm must be between 1 and EvaluationPeriods (%d).", *in.EvaluationPeriods)
	}
	if in.TreatMissingData != "" && !missingTreatments[in.TreatMissingData] {
		return nil, invalidValue("The value %s for parameter TreatMissingData is invalid. It must be one of breaching, notBreaching, ignore, missing.", in.TreatMissingData)
	}
	if err := validActions(&in); err != nil {
		return nil, err
	}
	if len(in.Metrics) > 0 {
		if in.MetricName != "" || in.Namespace != "" || in.Statistic != "" || in.ExtendedStatistic != "" || len(in.Dimensions) > 0 || in.Period != nil || in.Unit != "" {
			return nil, invalidCombination("The parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period and Unit must not be given with Metrics.")
		}
		if len(in.Metrics) > 20 {
			return nil, invalidValue("The collection Metrics must not have a size greater than 20.")
		}
		if err := validateQueries(in.Metrics, "Metrics"); err != nil {
			return nil, err
		}
		returned := 0
		for _, q := range in.Metrics {
			if q.returns() {
				returned++
				if q.MetricStat != nil {
					in.Period = q.MetricStat.Period
				} else if q.Period != nil {
					in.Period = q.Period
				}
			}
		}
		if returned != 1 {
			return nil, invalidValue("Exactly one element of the metrics list should return data.")
		}
		if in.Period == nil {
			for _, q := range in.Metrics {
				if q.MetricStat != nil {
					in.Period = q.MetricStat.Period
					break
				}
			}
		}
	} else {
		if in.MetricName == "" {
			return nil, missingParam("MetricName")
		}
		if in.Namespace == "" {
			return nil, missingParam("Namespace")
		}
		if in.Period == nil {
			return nil, missingParam("Period")
		}
		if (in.Statistic == "") == (in.ExtendedStatistic == "") {
			return nil, invalidCombination("Exactly one of the parameters Statistic and ExtendedStatistic must be given.")
		}
		if in.Statistic != "" && (!validStat(in.Statistic) || strings.HasPrefix(in.Statistic, "p")) {
			return nil, invalidValue("The parameter Statistic must be a value in the set [ SampleCount, Average, Sum, Minimum, Maximum ].")
		}
		if in.ExtendedStatistic != "" && !extendedStatRE.MatchString(in.ExtendedStatistic) {
			return nil, invalidValue("The value %s for parameter ExtendedStatistic is not supported.", in.ExtendedStatistic)
		}
		if err := validateDims(in.Dimensions, "Dimensions"); err != nil {
			return nil, err
		}
		if in.Unit != "" && !units[in.Unit] {
			return nil, invalidValue("The parameter Unit must be a value in the set [ %s ].", unitList())
		}
		in.Dimensions = sortDims(in.Dimensions)
	}
	if in.Period != nil {
		if err := checkPeriod(*in.Period, "Period"); err != nil {
			return nil, err
		}
		if *in.Period**in.EvaluationPeriods > 7*24*3600 {
			return nil, invalidValue("The evaluation period (Period x EvaluationPeriods) must not exceed one week.")
		}
	}
	a := in.alarm
	a.ActionsEnabled = in.ActionsEnabled == nil || *in.ActionsEnabled
	if a.Dimensions == nil && len(a.Metrics) == 0 {
		a.Dimensions = []Dimension{}
	}
	return nil, s.saveAlarm(ctx, &a, in.Tags)
}

// saveAlarm creates or replaces an alarm's configuration, keeping the state
// of an existing one, and records the configuration change.
func (s *Service) saveAlarm(ctx context.Context, a *alarm, tags []tag) error {
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, id.Region}
	now := s.now().UTC()
	a.AlarmArn = protocol.ARN("cloudwatch", id.Region, id.AccountID, "alarm:"+a.AlarmName)
	a.AlarmConfigurationUpdatedTimestamp = now
	for _, l := range []*[]string{&a.OKActions, &a.AlarmActions, &a.InsufficientDataActions} {
		if *l == nil {
			*l = []string{}
		}
	}
	s.mu.Lock()
	old := s.alarms[rk][a.AlarmName]
	if old != nil && old.composite() != a.composite() {
		s.mu.Unlock()
		return invalidValue("An alarm named %s of another type already exists.", a.AlarmName)
	}
	if old == nil && len(s.alarms[rk]) >= s.cfg.MaxAlarms {
		s.mu.Unlock()
		return limitExceeded("The maximum number of alarms (%d) for this account and region has been reached.", s.cfg.MaxAlarms)
	}
	verb := "created"
	if old != nil {
		verb = "updated"
		a.StateValue, a.StateReason, a.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
		a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = old.StateUpdatedTimestamp, old.StateTransitionedTimestamp
	} else {
		a.StateValue, a.StateReason = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"
		a.StateUpdatedTimestamp, a.StateTransitionedTimestamp = now, now
	}
	if s.alarms[rk] == nil {
		s.alarms[rk] = map[string]*alarm{}
	}
	s.alarms[rk][a.AlarmName] = a
	var tagData []byte
	if old == nil && len(tags) > 0 {
		m := s.tags[a.AlarmArn]
		if m == nil {
			m = map[string]string{}
			s.tags[a.AlarmArn] = m
		}
		for _, t := range tags {
			m[t.Key] = t.Value
		}
		tagData, _ = json.Marshal(m)
	}
	data, _ := json.Marshal(a)
	cfg := map[string]any{"version": "1.0", "type": strings.ToTitle(verb[:1]) + verb[1:], "updatedAlarm": a}
	hist := historyItem{AlarmName: a.AlarmName, AlarmType: a.alarmType(), Timestamp: now, HistoryItemType: "ConfigurationUpdate",
		HistorySummary: fmt.Sprintf("Alarm %q %s", a.AlarmName, verb), HistoryData: mustJSON(cfg)}
	ops := []writeOp{putResource("alarm", rk.account, rk.region, a.AlarmName, data), addHistory(rk, hist)}
	if tagData != nil {
		ops = append(ops, putResource("tags", "", "", a.AlarmArn, tagData))
	}
	s.mu.Unlock()
	return s.w.write(all(ops...))
}

func all(ops ...writeOp) writeOp {
	return func(tx *sql.Tx) error {
		for _, op := range ops {
			if err := op(tx); err != nil {
				return err
			}
		}
		return nil
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type historyItem struct {
	AlarmName       string
	AlarmType       string
	Timestamp       time.Time
	HistoryItemType string
	HistorySummary  string
	HistoryData     string
}

func addHistory(rk regionKey, h historyItem) writeOp {
	data, _ := json.Marshal(h)
	return func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO history(account, region, alarm, ts, data) VALUES(?,?,?,?,?)`, rk.account, rk.region, h.AlarmName, h.Timestamp.UnixMilli(), string(data)); err != nil {
			return fmt.Errorf("insert history: %w", err)
		}
		return nil
	}
}

func (s *Service) putCompositeAlarm(ctx context.Context, tree map[string]any) (any, error) {
	var in putMetricAlarmInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if err := validName(in.AlarmName, "AlarmName", 255); err != nil {
		return nil, err
	}
	if in.AlarmRule == "" {
		return nil, missingParam("AlarmRule")
	}
	if len(in.AlarmRule) > 10240 {
		return nil, invalidValue("The parameter AlarmRule must not be longer than 10240 characters.")
	}
	if _, err := parseRule(in.AlarmRule); err != nil {
		return nil, invalidValue("The value for parameter AlarmRule is invalid: %v", err)
	}
	if err := validActions(&in); err != nil {
		return nil, err
	}
	a := alarm{AlarmName: in.AlarmName, AlarmDescription: in.AlarmDescription, AlarmRule: in.AlarmRule,
		OKActions: in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions}
	a.ActionsEnabled = in.ActionsEnabled == nil || *in.ActionsEnabled
	return nil, s.saveAlarm(ctx, &a, in.Tags)
}

type describeAlarmsInput struct {
	AlarmNames          []string
	AlarmNamePrefix     string
	AlarmTypes          []string
	ChildrenOfAlarmName string
	ParentsOfAlarmName  string
	StateValue          string
	ActionPrefix        string
	MaxRecords          *int
	NextToken           string
}

type describeAlarmsOutput struct {
	MetricAlarms    []*alarm
	CompositeAlarms []*alarm
	NextToken       string `json:",omitempty"`
}

var alarmStates = map[string]bool{"OK": true, "ALARM": true, "INSUFFICIENT_DATA": true}

func (s *Service) describeAlarms(ctx context.Context, tree map[string]any) (any, error) {
	var in describeAlarmsInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return nil, invalidCombination("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.")
	}
	if in.StateValue != "" && !alarmStates[in.StateValue] {
		return nil, invalidValue("The value %s for parameter StateValue is invalid.", in.StateValue)
	}
	max := 50
	if in.MaxRecords != nil {
		if *in.MaxRecords < 1 || *in.MaxRecords > 100 {
			return nil, invalidValue("The parameter MaxRecords must be between 1 and 100.")
		}
		max = *in.MaxRecords
	}
	types := map[string]bool{}
	for _, t := range in.AlarmTypes {
		if t != "MetricAlarm" && t != "CompositeAlarm" {
			return nil, invalidValue("The value %s for parameter AlarmTypes is invalid.", t)
		}
		types[t] = true
	}
	if len(types) == 0 {
		types["MetricAlarm"] = true
	}
	names := map[string]bool{}
	for _, n := range in.AlarmNames {
		names[n] = true
	}
	id := protocol.IdentityFrom(ctx)
	rk := regionKey{id.AccountID, id.Region}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var children map[string]bool
	if in.ChildrenOfAlarmName != "" {
		children = map[string]bool{}
		if p := s.alarms[rk][in.ChildrenOfAlarmName]; p != nil && p.composite() {
			r, _ := parseRule(p.AlarmRule)
			for _, c := range r.names(nil) {
				children[c] = true
			}
		}
	}
	var list []*alarm
	for _, a := range s.alarms[rk] {
		if !types[a.alarmType()] || (len(names) > 0 && !names[a.AlarmName]) || !strings.HasPrefix(a.AlarmName, in.AlarmNamePrefix) ||
			(in.StateValue != "" && a.StateValue != in.StateValue) || !hasActionPrefix(a, in.ActionPrefix) ||
			(children != nil && !children[a.AlarmName]) {
			continue
		}
		if in.ParentsOfAlarmName != "" && !(a.composite() && ruleMentions(a.AlarmRule, in.ParentsOfAlarmName)) {
			continue
		}
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].AlarmName < list[j].AlarmName })
	out := describeAlarmsOutput{MetricAlarms: []*alarm{}, CompositeAlarms: []*alarm{}}
	after := ""
	if in.NextToken != "" {
		after = decodeToken(in.NextToken)
	}
	n := 0
	for _, a := range list {
		if after != "" && a.AlarmName <= after {
			continue
		}
		if n == max {
			out.NextToken = encodeToken(list[indexOfAlarm(list, a)-1].AlarmName)
			break
		}
		n++
		cp := *a
		if a.composite() {
			out.CompositeAlarms = append(out.CompositeAlarms, &cp)
		} else {
			out.MetricAlarms = append(out.MetricAlarms, &cp)
		}
	}
	return out, nil
}

func indexOfAlarm(l []*alarm, a *alarm) int {
	for i, x := range l {
		if x == a {
			return i
		}
	}
	return -1
}

func hasActionPrefix(a *alarm, prefix string) bool {
	if prefix == "" {
		return true
	}
	for _, l := range [][]string{a.AlarmActions, a.OKActions, a.InsufficientDataActions} {
		for _, x := range l {
			if strings.HasPrefix(x, prefix) {
				return true
			}
		}
	}
	return false
}

func ruleMentions(rule, name string) bool {
	r, err := parseRule(rule)
	if err != nil {
		return false
	}
	for _, n := range r.names(nil) {
		if n == name {
			return true
		}
	}
	return false
}

type describeAlarmsForMetricInput struct {
	MetricName        string
	Namespace         string
	Statistic         string
	ExtendedStatistic string
	Dimensions        []Dimension
	Period            *int
	Unit              string
}

func (s *Service) describeAlarmsForMetric(ctx context.Context, tree map[string]any) (any, error) {
	var in describeAlarmsForMetricInput
	if err := decode(tree, &in); err != nil {
		return nil, err
	}
	if in.MetricName == "" {
		return nil, missingParam("MetricName")
	}
	if in.Namespace == "" {
		return nil, missingParam("Namespace")
	}
	id := protocol.IdentityFrom(ctx)
	want := seriesKey(in.Namespace, in.MetricName, sortDims(in.Dimensions))
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := struct{ MetricAlarms []*alarm }{MetricAlarms: []*alarm{}}
	for _, a := range s.alarms[regionKey{id.AccountID, id.Region}] {
		if a.composite() || len(a.Metrics) > 0 || seriesKey(a.Namespace, a.MetricName, a.Dimensions) != want ||
			(in.Statistic != "" && a.Statistic != in.Statistic) || (in.ExtendedStatistic != "" && a.ExtendedStatistic != in.ExtendedStatistic) ||
			(in.Period != nil && (a.Period == nil || *a.Period != *in.Period)) || (in.Unit != "" && a.Unit != in.Unit) {
			continue
		}
		cp := *a
		out.MetricAlarms = append(out.MetricAlarms, &cp)
	}
	sort.Slice(out.MetricAlarms, func(i, j int) bool { return out.MetricAlarms[i].AlarmName < out.MetricAlarms[j].AlarmName })
	return out, nil
}
