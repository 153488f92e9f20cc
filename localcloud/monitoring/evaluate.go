package monitoring

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// EvaluateAlarms evaluates every metric alarm against its metric once, then
// every composite alarm against its children, and runs the actions of the
// alarms whose state changed. The service calls it every
// EvaluationInterval; tests may call it directly.
func (s *Service) EvaluateAlarms(ctx context.Context) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	s.flushObserved()
	now := s.now().UTC()
	type item struct {
		rk regionKey
		a  alarm
	}
	var metricAlarms, composites []item
	s.mu.RLock()
	for rk, byName := range s.alarms {
		for _, a := range byName {
			if a.composite() {
				composites = append(composites, item{rk, *a})
			} else {
				metricAlarms = append(metricAlarms, item{rk, *a})
			}
		}
	}
	s.mu.RUnlock()
	for _, it := range metricAlarms {
		st, reason, data, ok := s.evaluate(it.rk, &it.a, now)
		if ok && st != it.a.StateValue {
			if err := s.transition(it.rk, it.a.AlarmName, st, reason, data, nil); err != nil {
				s.log.Warn("alarm state change", "alarm", it.a.AlarmName, "err", err)
			}
		}
	}
	// Composite alarms may watch other composites: settle in a few rounds.
	for round := 0; round < 5; round++ {
		changed := false
		for _, it := range composites {
			r, err := parseRule(it.a.AlarmRule)
			if err != nil {
				continue
			}
			s.mu.RLock()
			byName := s.alarms[it.rk]
			cur := byName[it.a.AlarmName]
			var children []string
			result := r.eval(func(name string) string {
				if c := byName[name]; c != nil {
					children = append(children, name)
					return c.StateValue
				}
				return ""
			})
			curState := ""
			if cur != nil {
				curState = cur.StateValue
			}
			s.mu.RUnlock()
			st := "OK"
			if result {
				st = "ALARM"
			}
			if cur == nil || st == curState {
				continue
			}
			reason := fmt.Sprintf("%s transitioned to %s at %s", protocol.ARN("cloudwatch", it.rk.region, it.rk.account, "alarm:"+it.a.AlarmName), st, awsTime(now))
			data := mustJSON(map[string]any{"triggeringAlarms": children})
			if err := s.transition(it.rk, it.a.AlarmName, st, reason, data, nil); err == nil {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
}

// evaluatedPoint is one period's value as the alarm saw it.
type evaluatedPoint struct {
	t     time.Time
	v     float64 // NaN: missing
	count float64
}

// evaluate decides a metric alarm's state from its last EvaluationPeriods
// periods (the current, still filling, period included). ok is false when
// the state is to stay as it is (TreatMissingData ignore with no data).
func (s *Service) evaluate(rk regionKey, a *alarm, now time.Time) (state, reason, data string, ok bool) {
	if a.Period == nil || a.EvaluationPeriods == nil || a.Threshold == nil {
		return "", "", "", false
	}
	step := time.Duration(*a.Period) * time.Second
	n := *a.EvaluationPeriods
	m := n
	if a.DatapointsToAlarm != nil {
		m = *a.DatapointsToAlarm
	}
	end := now.Truncate(step).Add(step)
	start := end.Add(-time.Duration(n) * step)
	var pts []evaluatedPoint
	stat := a.Statistic
	if a.ExtendedStatistic != "" {
		stat = a.ExtendedStatistic
	}
	if len(a.Metrics) > 0 {
		grid, results, err := s.runQueries(rk, a.Metrics, start, end)
		if err != nil {
			return "INSUFFICIENT_DATA", "Unchecked: the alarm's metric math failed: " + err.Error(), "", true
		}
		for _, r := range results {
			if r.q.returns() {
				for i, t := range grid {
					pts = append(pts, evaluatedPoint{t: t, v: r.values[i]})
				}
			}
		}
	} else {
		ms := metricStat{Metric: &Metric{Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions}, Period: a.Period, Stat: stat, Unit: a.Unit}
		var grid []time.Time
		for t := start; t.Before(end); t = t.Add(step) {
			grid = append(grid, t)
		}
		vals := s.statSeries(rk, ms, grid, step)
		counts := s.statSeries(rk, metricStat{Metric: ms.Metric, Period: a.Period, Stat: "SampleCount", Unit: a.Unit}, grid, step)
		for i, t := range grid {
			pts = append(pts, evaluatedPoint{t: t, v: vals[i], count: counts[i]})
		}
	}
	thr := *a.Threshold
	tmd := a.TreatMissingData
	if tmd == "" {
		tmd = "missing"
	}
	var breach, fine, present []evaluatedPoint
	missing := 0
	for i := len(pts) - 1; i >= 0; i-- { // newest first, as AWS lists them
		p := pts[i]
		if math.IsNaN(p.v) {
			missing++
			continue
		}
		present = append(present, p)
		if compare(a.ComparisonOperator, p.v, thr) {
			breach = append(breach, p)
		} else {
			fine = append(fine, p)
		}
	}
	nb := len(breach)
	if tmd == "breaching" {
		nb += missing
	}
	phrase := comparisonOps[a.ComparisonOperator]
	reasonData := map[string]any{"version": "1.0", "queryDate": awsTime(now), "startDate": awsTime(start), "period": *a.Period, "threshold": thr}
	if stat != "" {
		reasonData["statistic"] = stat
	}
	var recent []float64
	var evaluated []map[string]any
	for _, p := range present {
		recent = append(recent, p.v)
		e := map[string]any{"timestamp": awsTime(p.t), "value": p.v}
		if p.count > 0 {
			e["sampleCount"] = p.count
		}
		evaluated = append(evaluated, e)
	}
	if recent != nil {
		reasonData["recentDatapoints"] = recent
		reasonData["evaluatedDatapoints"] = evaluated
	}
	data = mustJSON(reasonData)
	switch {
	case nb >= m:
		if len(breach) == 0 {
			return "ALARM", fmt.Sprintf("Threshold Crossed: no datapoints were received for %s and %s treated as [Breaching].", plural(missing, "period"), missingPhrase(missing)), data, true
		}
		return "ALARM", fmt.Sprintf("Threshold Crossed: %s [%s] %s %s the threshold (%s)%s.", countPhrase(len(breach), n), listPoints(breach), wasWere(len(breach)), phrase, javaFloat(thr), minimumPhrase(m, n)), data, true
	case len(present) == 0 && tmd == "missing":
		return "INSUFFICIENT_DATA", fmt.Sprintf("Insufficient Data: %s %s unknown.", plural(missing, "datapoint"), wasWere(missing)), data, true
	case len(present) == 0 && tmd == "ignore":
		return "", "", "", false
	case len(present) == 0:
		return "OK", fmt.Sprintf("Threshold Crossed: no datapoints were received for %s and %s treated as [NonBreaching].", plural(missing, "period"), missingPhrase(missing)), data, true
	}
	return "OK", fmt.Sprintf("Threshold Crossed: %s [%s] %s not %s the threshold (%s).", countPhrase(len(fine), n), listPoints(fine), wasWere(len(fine)), phrase, javaFloat(thr)), data, true
}

func compare(op string, v, thr float64) bool {
	switch op {
	case "GreaterThanOrEqualToThreshold":
		return v >= thr
	case "GreaterThanThreshold":
		return v > thr
	case "LessThanThreshold":
		return v < thr
	case "LessThanOrEqualToThreshold":
		return v <= thr
	}
	return false
}

func countPhrase(k, n int) string {
	if n == 1 {
		return plural(k, "datapoint")
	}
	return fmt.Sprintf("%d out of the last %d datapoints", k, n)
}

func minimumPhrase(m, n int) string {
	if n == 1 {
		return ""
	}
	return fmt.Sprintf(" (minimum %d datapoint%s for OK -> ALARM transition)", m, map[bool]string{true: "", false: "s"}[m == 1])
}

func missingPhrase(k int) string {
	if k == 1 {
		return "1 missing datapoint was"
	}
	return fmt.Sprintf("%d missing datapoints were", k)
}

func plural(k int, word string) string {
	if k == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", k, word)
}

func wasWere(k int) string {
	if k == 1 {
		return "was"
	}
	return "were"
}

func listPoints(ps []evaluatedPoint) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%s (%s)", javaFloat(p.v), p.t.UTC().Format("02/01/06 15:04:05"))
	}
	return strings.Join(parts, ", ")
}

// javaFloat formats a number as AWS's reason texts do (Java's
// Double.toString): 5.0, 0.25, 1.0E7.
func javaFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e7 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	if math.Abs(f) >= 1e7 || (f != 0 && math.Abs(f) < 1e-3) {
		s := strconv.FormatFloat(f, 'E', -1, 64)
		mant, exp, _ := strings.Cut(s, "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		e, _ := strconv.Atoi(exp)
		return mant + "E" + strconv.Itoa(e)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// awsTime is the timestamp format of AWS's alarm JSON: 2026-12-07T03:41:30.123+0000.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// transition sets an alarm's state, records the history item and runs the
// actions of the new state when the state changed.
func (s *Service) transition(rk regionKey, name, state, reason, data string, _ any) error {
	now := s.now().UTC()
	s.mu.Lock()
	a := s.alarms[rk][name]
	if a == nil {
		s.mu.Unlock()
		return nil
	}
	old, oldReason := a.StateValue, a.StateReason
	a.StateValue, a.StateReason, a.StateReasonData, a.StateUpdatedTimestamp = state, reason, data, now
	changed := old != state
	if changed {
		a.StateTransitionedTimestamp = now
	}
	snapshot := *a
	ops := []writeOp{putResource("alarm", rk.account, rk.region, name, []byte(mustJSON(a)))}
	if changed {
		newState := map[string]any{"stateValue": state, "stateReason": reason}
		if data != "" {
			newState["stateReasonData"] = json.RawMessage(data)
		}
		hd := map[string]any{"version": "1.0", "oldState": map[string]any{"stateValue": old, "stateReason": oldReason}, "newState": newState}
		ops = append(ops, addHistory(rk, historyItem{AlarmName: name, AlarmType: a.alarmType(), Timestamp: now, HistoryItemType: "StateUpdate",
			HistorySummary: fmt.Sprintf("Alarm updated from %s to %s", old, state), HistoryData: mustJSON(hd)}))
	}
	s.mu.Unlock()
	if err := s.w.write(all(ops...)); err != nil {
		return err
	}
	if changed && snapshot.ActionsEnabled {
		s.runActions(rk, &snapshot, old)
	}
	return nil
}

// runActions publishes the alarm's notification to each SNS action of its
// new state and records each outcome in the history.
func (s *Service) runActions(rk regionKey, a *alarm, old string) {
	var arns []string
	switch a.StateValue {
	case "ALARM":
		arns = a.AlarmActions
	case "OK":
		arns = a.OKActions
	default:
		arns = a.InsufficientDataActions
	}
	if len(arns) == 0 {
		return
	}
	msg := alarmMessage(rk, a, old)
	subject := fmt.Sprintf("%s: %q in %s", a.StateValue, a.AlarmName, regionName(rk.region))
	if len(subject) > 100 {
		subject = subject[:100]
	}
	for _, arn := range arns {
		p, _ := protocol.ParseARN(arn)
		summary := "Successfully executed action " + arn
		state := "Succeeded"
		var err error
		if p.Service != "sns" {
			err = fmt.Errorf("the local cloud runs only SNS alarm actions")
		} else if s.cfg.Topics == nil {
			err = fmt.Errorf("no SNS service")
		} else {
			ctx := protocol.WithIdentity(context.Background(), protocol.Identity{AccountID: rk.account, Region: rk.region})
			err = s.cfg.Topics.PublishFromService(ctx, arn, subject, msg)
		}
		if err != nil {
			summary, state = "Failed to execute action "+arn, "Failed"
			s.log.Warn("alarm action failed", "alarm", a.AlarmName, "action", arn, "err", err)
		}
		hd := map[string]any{"actionState": state, "stateUpdateTimestamp": a.StateUpdatedTimestamp.UnixMilli(), "notificationResource": arn}
		if err != nil {
			hd["error"] = err.Error()
		} else {
			hd["publishedMessage"] = json.RawMessage(msg)
		}
		h := historyItem{AlarmName: a.AlarmName, AlarmType: a.alarmType(), Timestamp: s.now().UTC(), HistoryItemType: "Action", HistorySummary: summary, HistoryData: mustJSON(hd)}
		if err := s.w.write(addHistory(rk, h)); err != nil {
			s.log.Warn("alarm action history", "err", err)
		}
	}
}

// alarmMessage is the JSON CloudWatch publishes to an alarm's SNS topics.
func alarmMessage(rk regionKey, a *alarm, old string) string {
	var desc any
	if a.AlarmDescription != "" {
		desc = a.AlarmDescription
	}
	m := map[string]any{
		"AlarmName": a.AlarmName, "AlarmDescription": desc, "AWSAccountId": rk.account,
		"AlarmConfigurationUpdatedTimestamp": awsTime(a.AlarmConfigurationUpdatedTimestamp),
		"NewStateValue":                      a.StateValue, "NewStateReason": a.StateReason, "StateChangeTime": awsTime(a.StateUpdatedTimestamp),
		"Region": regionName(rk.region), "AlarmArn": a.AlarmArn, "OldStateValue": old,
		"OKActions": a.OKActions, "AlarmActions": a.AlarmActions, "InsufficientDataActions": a.InsufficientDataActions,
	}
	if a.composite() {
		m["AlarmRule"] = a.AlarmRule
		return mustJSON(m)
	}
	tmd := a.TreatMissingData
	if tmd == "" {
		tmd = "missing"
	}
	trig := map[string]any{"Period": a.Period, "EvaluationPeriods": a.EvaluationPeriods, "ComparisonOperator": a.ComparisonOperator,
		"Threshold": a.Threshold, "TreatMissingData": tmd, "EvaluateLowSampleCountPercentile": a.EvaluateLowSampleCountPercentile}
	if a.DatapointsToAlarm != nil {
		trig["DatapointsToAlarm"] = *a.DatapointsToAlarm
	}
	if len(a.Metrics) > 0 {
		trig["Metrics"] = a.Metrics
	} else {
		dims := make([]map[string]string, len(a.Dimensions))
		for i, d := range a.Dimensions {
			dims[i] = map[string]string{"value": d.Value, "name": d.Name}
		}
		trig["MetricName"], trig["Namespace"], trig["Dimensions"] = a.MetricName, a.Namespace, dims
		var unit any
		if a.Unit != "" {
			unit = a.Unit
		}
		trig["Unit"] = unit
		if a.ExtendedStatistic != "" {
			trig["StatisticType"], trig["ExtendedStatistic"] = "ExtendedStatistic", a.ExtendedStatistic
		} else {
			trig["StatisticType"], trig["Statistic"] = "Statistic", strings.ToUpper(a.Statistic)
		}
	}
	m["Trigger"] = trig
	return mustJSON(m)
}

var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
	"us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-central-1": "EU (Frankfurt)",
	"ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)", "ap-northeast-1": "Asia Pacific (Tokyo)",
	"ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
}

func regionName(r string) string {
	if n, ok := regionNames[r]; ok {
		return n
	}
	return r
}
