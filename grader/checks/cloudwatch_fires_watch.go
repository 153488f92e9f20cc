package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/grader"
)

// What the alarm-fires check watches for: the alarms' state changes, the
// datapoints that should have crossed their thresholds, the notification
// in the topic's queue subscriber; and the sweep that removes its message.

// stateUpdate is one StateUpdate of an alarm's history.
type stateUpdate struct {
	at       time.Time
	from, to string
	reason   string
}

// stateUpdates reads an alarm's state changes after after, oldest first.
func (f *firing) stateUpdates(ctx context.Context, alarm string, after time.Time) ([]stateUpdate, error) {
	out, err := f.cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: &alarm,
		HistoryItemType: cwtypes.HistoryItemTypeStateUpdate, StartDate: aws.Time(after), MaxRecords: aws.Int32(20)})
	if err != nil {
		return nil, err
	}
	var ups []stateUpdate
	for _, h := range out.AlarmHistoryItems {
		at := aws.ToTime(h.Timestamp)
		if !at.After(after) {
			continue
		}
		var d struct {
			OldState, NewState struct {
				StateValue  string `json:"stateValue"`
				StateReason string `json:"stateReason"`
			}
		}
		u := stateUpdate{at: at}
		if json.Unmarshal([]byte(aws.ToString(h.HistoryData)), &d) == nil && d.NewState.StateValue != "" {
			u.from, u.to, u.reason = d.OldState.StateValue, d.NewState.StateValue, d.NewState.StateReason
		} else if _, rest, ok := strings.Cut(aws.ToString(h.HistorySummary), "Alarm updated from "); ok {
			u.from, u.to, _ = strings.Cut(rest, " to ")
		}
		ups = append(ups, u)
	}
	slices.SortFunc(ups, func(a, b stateUpdate) int { return a.at.Compare(b.at) })
	return ups, nil
}

// waitState waits until one of the alarms' history shows a change to state
// after the time recorded for it, and returns the alarm and when. With a
// non-zero sent, it gives up early when CloudWatch already holds the
// queue's depth with the message in it and no alarm's threshold is crossed
// by it; why says what it saw either way.
func (f *firing) waitState(ctx context.Context, state string, since map[string]time.Time, wait time.Duration, sent time.Time) (alarm string, at time.Time, why string, err error) {
	wctx, cancel := within(ctx, wait, 5*time.Second)
	defer cancel()
	began := time.Now()
	why = ""
	// A call that fails (a slow answer under load) is asked again at the
	// next poll; the last failure is reported if the wait ends without one.
	var last error
	err = f.pollCW(wctx, func() (bool, error) {
		for name, after := range since {
			ups, err := f.stateUpdates(wctx, name, after)
			if err != nil {
				last = err
				return false, nil
			}
			for _, u := range ups {
				if u.to == state {
					alarm, at = name, u.at
					return true, nil
				}
			}
		}
		if sent.IsZero() {
			return false, nil
		}
		quiet, err := f.notCrossed(wctx, sent)
		if err != nil {
			last = err
			return false, nil
		}
		if quiet != "" {
			why = quiet
		}
		return quiet != "", nil
	})
	if timedOut(err) {
		err = nil
		if time.Since(began) < wait-10*time.Second && alarm == "" && why == "" {
			// The check's or the run's deadline cut the wait short: that
			// decides nothing about the alarm.
			return "", time.Time{}, "", fmt.Errorf("wait for an alarm on %s to change to %s: the check's time ran out after %s of the %s CloudWatch may take (last error: %v)",
				f.dlq.name, state, time.Since(began).Round(time.Second), wait, last)
		}
	}
	if alarm == "" && why == "" {
		// The time it had, which the check's or the run's deadline may
		// have cut short of wait.
		why = fmt.Sprintf("no alarm on %s changed to %s within %s", f.dlq.name, state, time.Since(began).Round(time.Second))
	}
	return alarm, at, why, err
}

// notCrossed reads the queue's depth as CloudWatch holds it since sent and,
// once a completed period has shown the message (Maximum at least 1) for a
// minute (AWS evaluates alarms once a minute), reports (as a reason) that
// no standard alarm's own statistic crossed its threshold in that period;
// "" while it cannot tell yet, when an alarm's threshold was crossed, or
// when an alarm uses metric math.
func (f *firing) notCrossed(ctx context.Context, sent time.Time) (string, error) {
	var qs []cwtypes.MetricDataQuery
	for i, a := range f.alarms {
		stat, _ := alarmStat(a)
		if len(a.Metrics) > 0 || stat == "" {
			return "", nil
		}
		ms := &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions},
			Period: a.Period, Stat: aws.String(stat)}
		seen := *ms
		seen.Stat = aws.String(string(cwtypes.StatisticMaximum))
		qs = append(qs, cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprint("a", i)), MetricStat: ms},
			cwtypes.MetricDataQuery{Id: aws.String(fmt.Sprint("m", i)), MetricStat: &seen})
	}
	now := time.Now()
	out, err := f.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{MetricDataQueries: qs,
		StartTime: aws.Time(sent.Add(-time.Hour).Truncate(time.Minute)), EndTime: aws.Time(now.Add(time.Minute).Truncate(time.Minute))})
	if err != nil {
		return "", err
	}
	byID := map[string]cwtypes.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		byID[aws.ToString(r.Id)] = r
	}
	var says []string
	for i, a := range f.alarms {
		period := time.Duration(aws.ToInt32(a.Period)) * time.Second
		seen, vals := byID[fmt.Sprint("m", i)], byID[fmt.Sprint("a", i)]
		judged := false
		for j, t := range seen.Timestamps {
			if seen.Values[j] < 1 || t.Add(period).Before(sent.Truncate(period)) || now.Before(t.Add(period)) {
				continue
			}
			key := fmt.Sprint(i, t.Unix())
			if _, ok := f.firstSeen[key]; !ok {
				f.firstSeen[key] = now
			}
			if now.Sub(f.firstSeen[key]) < time.Minute {
				continue
			}
			k := slices.IndexFunc(vals.Timestamps, t.Equal)
			if k < 0 {
				continue
			}
			if crosses(a, vals.Values[k]) {
				return "", nil
			}
			judged = true
			says = append(says, fmt.Sprintf("CloudWatch holds %s's depth at %s (Maximum %v), yet %s of %v is not %s %v: alarm %s does not fire on one message",
				f.dlq.name, t.UTC().Format("15:04"), seen.Values[j], alarmStatName(a), vals.Values[k], a.ComparisonOperator,
				aws.ToFloat64(a.Threshold), aws.ToString(a.AlarmName)))
			break
		}
		if !judged {
			return "", nil
		}
	}
	return strings.Join(says, "; "), nil
}

func alarmStatName(a cwtypes.MetricAlarm) string { s, _ := alarmStat(a); return s }

// crosses reports whether value breaches an alarm's threshold.
func crosses(a cwtypes.MetricAlarm, v float64) bool {
	t := aws.ToFloat64(a.Threshold)
	switch a.ComparisonOperator {
	case cwtypes.ComparisonOperatorGreaterThanThreshold:
		return v > t
	case cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold:
		return v >= t
	case cwtypes.ComparisonOperatorLessThanThreshold:
		return v < t
	case cwtypes.ComparisonOperatorLessThanOrEqualToThreshold:
		return v <= t
	}
	return !math.IsNaN(v) // anomaly-detection bands: the grader cannot tell
}

// notified waits until the alarm's history records its action on the topic
// and, when the topic has queue subscribers, the notification of the change
// to state arrives in one; it deletes the notifications of the alarm's
// changes the check caused (those since since).
func (f *firing) notified(ctx context.Context, alarm, state string, after, since time.Time, wait time.Duration) grader.Part {
	part := grader.Part{Name: "the notification reaches " + f.topic + "'s subscriber"}
	nctx, cancel := within(ctx, max(wait, time.Second), 5*time.Second)
	defer cancel()
	acted, arrived := state == "OK", len(f.inbox) == 0
	var failed string
	err := f.pollCW(nctx, func() (bool, error) {
		out, err := f.cw.DescribeAlarmHistory(nctx, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: &alarm,
			HistoryItemType: cwtypes.HistoryItemTypeAction, StartDate: aws.Time(after), MaxRecords: aws.Int32(20)})
		if err != nil {
			return false, err
		}
		for _, h := range out.AlarmHistoryItems {
			s := aws.ToString(h.HistorySummary)
			switch {
			case !strings.Contains(s, f.topic) || aws.ToTime(h.Timestamp).Before(after):
			case strings.HasPrefix(s, "Failed"):
				failed = s
			case strings.HasPrefix(s, "Successfully"):
				acted = true
			}
		}
		return acted || failed != "", nil
	})
	if acted && failed == "" {
		want := func(b string) bool {
			n, ok := notificationOf(b, alarm)
			return ok && n.NewStateValue == state && (state != "OK" || n.OldStateValue == "ALARM") && n.at.Sub(after).Abs() <= time.Second
		}
		mine := func(b string) bool {
			n, ok := notificationOf(b, alarm)
			return ok && (n.NewStateValue == "ALARM" || n.OldStateValue == "ALARM") && !n.at.Before(since.Add(-time.Second))
		}
		for _, q := range f.inbox {
			if arrived {
				break
			}
			dl, _ := nctx.Deadline()
			got, cerr := collect(nctx, f.env, q, want, mine, time.Until(dl))
			if cerr != nil {
				err = cerr
				break
			}
			arrived = got
		}
	}
	switch {
	case err != nil && !timedOut(err):
		part.Detail = "could not read the notification: " + err.Error()
	case failed != "":
		part.Detail = "the alarm's history says: " + failed
	case !acted:
		part.Detail = fmt.Sprintf("alarm %s went to %s but its history records no action on %s within %s", alarm, state, f.topic, wait)
	case !arrived:
		part.Detail = fmt.Sprintf("alarm %s notified %s, but no %s notification reached %s within %s: may SNS send to the queue (its access policy)?",
			alarm, f.topic, state, f.inbox[0].name, wait)
	default:
		part.Passed = true
	}
	return part
}

// notification is the part of CloudWatch's alarm notification the check
// reads.
type notification struct {
	AlarmName, NewStateValue, OldStateValue, StateChangeTime string
	at                                                       time.Time
}

// notificationOf reads a queue message as CloudWatch's notification of a
// change of alarm: the alarm JSON itself (raw delivery) or inside SNS's
// envelope.
func notificationOf(body, alarm string) (notification, bool) {
	var env struct{ Type, Message string }
	if json.Unmarshal([]byte(body), &env) == nil && env.Type == "Notification" {
		body = env.Message
	}
	var n notification
	if json.Unmarshal([]byte(body), &n) != nil || n.AlarmName != alarm {
		return n, false
	}
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", n.StateChangeTime)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, n.StateChangeTime)
	}
	n.at = t
	return n, err == nil
}

// collect receives q's messages in rounds for at most wait, each message
// once (those it keeps stay invisible until it ends, then are visible again
// at once, as the run's ledger sweeps), deletes those mine accepts, and
// stops as soon as want accepts one (with want nil, after three empty
// rounds). It reports whether want accepted one.
func collect(ctx context.Context, env *grader.Env, q queueInfo, want, mine func(string) bool, wait time.Duration) (bool, error) {
	c := sqs.NewFromConfig(env.AWS)
	hold := int32(wait/time.Second) + 30
	var kept []*string
	defer func() {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		for _, h := range kept {
			c.ChangeMessageVisibility(pctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.url, ReceiptHandle: h, VisibilityTimeout: 0})
		}
	}()
	sctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for quiet := 0; sctx.Err() == nil && (want != nil || quiet < 3); {
		out, err := c.ReceiveMessage(sctx, &sqs.ReceiveMessageInput{QueueUrl: &q.url, MaxNumberOfMessages: 10, VisibilityTimeout: hold, WaitTimeSeconds: 1})
		if err != nil {
			if sctx.Err() != nil {
				break
			}
			return false, err
		}
		if len(out.Messages) == 0 {
			quiet++
			continue
		}
		found := false
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			found = found || (want != nil && want(body))
			if !mine(body) {
				kept = append(kept, m.ReceiptHandle)
				continue
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.url, ReceiptHandle: m.ReceiptHandle}); err != nil && !isNotFound(err) {
				return found, fmt.Errorf("delete the check's message from %s: %w", q.name, err)
			}
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// sweep removes the check's message from the dead-letter queue, if the
// check left it there (the alarm did not go off, or the redrive failed).
func (f *firing) sweep(ctx context.Context, mine func(string) bool) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if n, err := queueTotal(sctx, f.sqs, f.dlq); err != nil || n == 0 {
		return
	}
	collect(sctx, f.env, f.dlq, nil, mine, 20*time.Second)
}
