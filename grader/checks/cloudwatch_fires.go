package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/grader"
)

// The alarm-fires check makes the dead-letter queue's alarm go off for
// real and reads only what CloudWatch and the subscriber saw: no
// SetAlarmState, no shortcut. It places an order and lets it complete, then
// puts a copy of the order's message in the dead-letter queue (what SQS does
// after a worker failed it maxReceiveCount times; lab 4's poison-to-dlq
// proves that path), waits for the alarm's history to show OK -> ALARM, for
// the alarm's action and the notification in the topic's queue subscriber,
// redrives the queue (the worker applies the duplicate as a no-op, the
// order being done), and waits for the history to show ALARM -> OK.
//
// On AWS, SQS publishes its metrics once a minute and they reach CloudWatch
// minutes later (up to 15 for a queue that was idle for six hours), so each
// wait may take minutes: the check's timeout is long, and it fails early
// only on what it can see (no alarm, no action, or CloudWatch already
// holding the message's datapoint and the alarm's threshold not crossed).
// The local cloud evaluates alarms once a minute as AWS does (lab up
// --alarm-evaluation shortens it); the check then takes about two minutes.
//
// It removes what it made: the order, its message wherever it still is,
// and the notifications it caused in the subscriber queues.

const (
	defaultAlarmWait  = 15 * time.Minute
	defaultNotifyWait = 2 * time.Minute
	// cloudwatchPoll is how often the check asks CloudWatch, whose read
	// calls have low rate limits on AWS.
	cloudwatchPoll = time.Second
)

func alarmFiresKind() grader.Kind {
	return grader.Kind{
		Name: "cloudwatch.alarm-fires", Functional: true,
		Doc: "a message left in the dead-letter queue takes its alarm to ALARM (seen in the alarm's history), the notification reaches " +
			"the topic's queue subscriber, and the alarm returns to OK once the queue is redriven",
		Params: withParams(grader.Param{Name: "dlq", Required: true, Doc: "the dead-letter queue whose alarm is made to fire, e.g. ${accountingDLQ}"},
			grader.Param{Name: "topic", Required: true, Doc: "the topic the alarm notifies, e.g. ${alertsTopic}"},
			grader.Param{Name: "wait", Doc: "how long CloudWatch may take to see the message and change the alarm, each way (default 15m: SQS metrics reach CloudWatch minutes late)"},
			grader.Param{Name: "notify", Doc: "how long the notification may take to reach a queue subscriber (default 2m)"}),
		Calls: append(slices.Clone(flowCalls), "sqs:SendMessage", "sqs:ListDeadLetterSourceQueues", "sqs:StartMessageMoveTask", "sns:ListTopics",
			"sns:ListSubscriptionsByTopic", "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory", "cloudwatch:GetMetricData", "logs:FilterLogEvents"),
		Run: runAlarmFires,
	}
}

// firing is the state of one alarm-fires run.
type firing struct {
	env    *grader.Env
	cw     *cloudwatch.Client
	sqs    *sqs.Client
	dlq    queueInfo
	topic  string
	alarms []cwtypes.MetricAlarm // the alarms on the queue's depth that notify topic
	since  map[string]time.Time  // each alarm's last state change before the message
	inbox  []queueInfo           // the topic's queue subscribers
	// firstSeen is when the check first saw each alarm's completed period
	// holding the message, by alarm and period.
	firstSeen map[string]time.Time
}

func runAlarmFires(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	dn, tn := p.String("dlq", ""), p.String("topic", "")
	wait, err := time.ParseDuration(p.String("wait", defaultAlarmWait.String()))
	if err != nil {
		return grader.Errorf("the check's wait %q is not a duration: %v", p.String("wait", ""), err)
	}
	notify, err := time.ParseDuration(p.String("notify", defaultNotifyWait.String()))
	if err != nil {
		return grader.Errorf("the check's notify %q is not a duration: %v", p.String("notify", ""), err)
	}
	f := &firing{firstSeen: map[string]time.Time{}, env: env, cw: cloudwatch.NewFromConfig(env.AWS), sqs: sqs.NewFromConfig(env.AWS)}
	if f.topic, err = findTopic(ctx, env, tn); err != nil {
		return lookupOutcome("find topic "+tn, err)
	}
	if f.dlq, err = findQueue(ctx, env, dn); err != nil {
		return lookupOutcome("find queue "+dn, err)
	}
	sources, err := f.sqs.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &f.dlq.url})
	if err != nil {
		return undecided("list the queues that dead-letter to "+dn, err)
	}
	if len(sources.QueueUrls) == 0 {
		return grader.Failf("no queue uses %s as its dead-letter queue, so nothing would ever reach it: set the worker queue's RedrivePolicy to it (lab 3)", dn)
	}
	if bad := f.findAlarms(ctx, dn); bad != nil {
		return *bad
	}
	if bad := f.findInbox(ctx); bad != nil {
		return *bad
	}
	if bad := f.quiet(ctx, wait); bad != nil {
		return *bad
	}

	// The order, placed and completed while the downstream gate admits it.
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	id, body, bad := f.completedOrder(ctx, a)
	a.remove(id) // by the run's ledger, once the workers are done with it
	if bad != nil {
		return *bad
	}
	defer f.sweep(ctx, func(b string) bool { return strings.Contains(b, id) })
	if _, err := f.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &f.dlq.url, MessageBody: &body}); err != nil {
		return undecided("put order "+id+"'s message in "+dn, err)
	}
	sent := time.Now()

	fired, when, why, err := f.waitState(ctx, "ALARM", f.since, wait, sent)
	if err != nil {
		return undecided("watch the alarms on "+dn, err)
	}
	parts := []grader.Part{{Name: "a message in " + dn + " takes its alarm to ALARM", Passed: fired != "",
		Detail: why}}
	if fired == "" {
		return partsOutcome(parts, "the dead-letter queue's alarm did not go off", "")
	}
	parts[0].Detail = fmt.Sprintf("alarm %s went OK -> ALARM %s after the message was sent", fired, time.Since(sent).Round(time.Second))
	parts = append(parts, f.notified(ctx, fired, "ALARM", when, sent, notify))

	// Redrive, as the person paged would once the cause is fixed. The
	// message did not come from the source queue (the check sent it), so
	// the move names its destination, as the console's redrive to a custom
	// destination does.
	source, err := f.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &sources.QueueUrls[0],
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return undecided("read the queue that dead-letters to "+dn, err)
	}
	leave, err := gate(env).enter(ctx, false)
	if err != nil {
		return undecided(waitForFailureChecks, err)
	}
	_, err = f.sqs.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(f.dlq.arn()),
		DestinationArn: aws.String(source.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])})
	if err != nil {
		leave()
		return undecided("redrive "+dn, err)
	}
	// The worker takes the message again (a no-op: the order is done),
	// inside the gate: a failure check switching accounting off meanwhile
	// would send the copy back to the dead-letter queue.
	f.settle(ctx, queueInfo{name: sources.QueueUrls[0], url: sources.QueueUrls[0]})
	leave()
	cleared, clearedAt, why, err := f.waitState(ctx, "OK", map[string]time.Time{fired: when}, wait, time.Time{})
	if err != nil {
		return undecided("watch alarm "+fired, err)
	}
	parts = append(parts, grader.Part{Name: "after a redrive of " + dn + " the alarm returns to OK", Passed: cleared != "", Detail: why})

	if cleared != "" && slices.ContainsFunc(f.alarms, func(a cwtypes.MetricAlarm) bool {
		return aws.ToString(a.AlarmName) == fired && slices.Contains(a.OKActions, f.topic)
	}) {
		f.notified(ctx, fired, "OK", clearedAt, sent, 10*time.Second) // only to remove the OK notification, which the lab does not ask for
	}
	return partsOutcome(parts, "the dead-letter queue's alarm does not page someone and clear as the lab asks",
		fmt.Sprintf("a message in %s took alarm %s to ALARM, the notification reached %s, and a redrive of %s brought it back to OK", dn, fired, tn, dn))
}

// settle waits (a minute at most) until neither the dead-letter queue nor
// the source queue holds a message, visible or in flight. It judges
// nothing: other checks' orders may keep the source queue busy.
func (f *firing) settle(ctx context.Context, source queueInfo) {
	sctx, cancel := within(ctx, time.Minute, 10*time.Second)
	defer cancel()
	poll(sctx, f.env, func() (bool, error) {
		for _, q := range []queueInfo{f.dlq, source} {
			if n, err := queueTotal(sctx, f.sqs, q); err != nil || n > 0 {
				return false, nil
			}
		}
		return true, nil
	})
}

// findAlarms finds the alarms on the queue's depth; it fails the check when
// none exists or none notifies the topic, since then no page can come.
func (f *firing) findAlarms(ctx context.Context, dn string) *grader.Outcome {
	m := dlqDepth(dn)
	all, err := alarmsOn(ctx, f.env, m)
	if err != nil {
		o := undecided("describe the alarms on "+m.String(), err)
		return &o
	}
	if len(all) == 0 {
		o := grader.Failf("no alarm watches %s: a message stuck in %s would page nobody", m, dn)
		return &o
	}
	var why []string
	for _, a := range all {
		switch {
		case !aws.ToBool(a.ActionsEnabled):
			why = append(why, "alarm "+aws.ToString(a.AlarmName)+" has its actions disabled")
		case !slices.Contains(a.AlarmActions, f.topic):
			why = append(why, "alarm "+aws.ToString(a.AlarmName)+" has no ALARM action notifying "+f.topic)
		default:
			f.alarms = append(f.alarms, a)
		}
	}
	if len(f.alarms) == 0 {
		o := grader.Failf("when %s fills, nobody hears it: %s", dn, strings.Join(why, "; "))
		return &o
	}
	return nil
}

// findInbox finds the topic's confirmed queue subscribers.
func (f *firing) findInbox(ctx context.Context) *grader.Outcome {
	subs, err := sns.NewFromConfig(f.env.AWS).ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: &f.topic})
	if err != nil {
		o := undecided("list the subscriptions of "+f.topic, err)
		return &o
	}
	email := false
	for _, s := range subs.Subscriptions {
		if !strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:") {
			continue // pending confirmation
		}
		switch aws.ToString(s.Protocol) {
		case "sqs":
			arn := aws.ToString(s.Endpoint)
			q, err := findQueue(ctx, f.env, arn[strings.LastIndex(arn, ":")+1:])
			if err != nil {
				o := lookupOutcome("find the topic's subscriber queue "+arn, err)
				return &o
			}
			f.inbox = append(f.inbox, q)
		case "email", "email-json":
			email = true
		}
	}
	if len(f.inbox) == 0 && !email {
		o := grader.Failf("%s has no confirmed email or queue subscriber: an alarm would notify nobody", f.topic)
		return &o
	}
	return nil
}

// quiet makes sure the queue is empty and one alarm is not in ALARM, so a
// transition the check sees is the one its message caused, and records
// when each alarm last changed state.
func (f *firing) quiet(ctx context.Context, wait time.Duration) *grader.Outcome {
	v, nv, err := queueDepth(ctx, f.sqs, f.dlq)
	if err != nil {
		o := undecided("read the depth of "+f.dlq.name, err)
		return &o
	}
	if v+nv > 0 {
		o := grader.Errorf("%s already holds %d messages, so its alarm cannot be seen going off: read them (aws sqs receive-message), "+
			"then redrive or purge the queue and grade again", f.dlq.name, v+nv)
		return &o
	}
	qctx, cancel := within(ctx, wait, 0)
	defer cancel()
	var states []string
	err = f.pollCW(qctx, func() (bool, error) {
		cur, err := f.current(qctx)
		if err != nil {
			return false, err
		}
		f.since, states = map[string]time.Time{}, nil
		for _, a := range cur {
			if a.StateValue != cwtypes.StateValueAlarm {
				f.since[aws.ToString(a.AlarmName)] = aws.ToTime(a.StateUpdatedTimestamp)
			}
			states = append(states, aws.ToString(a.AlarmName)+" "+string(a.StateValue))
		}
		return len(f.since) > 0, nil
	})
	if timedOut(err) {
		o := grader.Errorf("the alarms on %s stayed in ALARM for %s although the queue is empty (%s); wait for them to clear and grade again",
			f.dlq.name, wait, strings.Join(states, ", "))
		return &o
	}
	if err != nil {
		o := undecided("describe the alarms on "+f.dlq.name, err)
		return &o
	}
	return nil
}

// current reads the watched alarms' present state.
func (f *firing) current(ctx context.Context) ([]cwtypes.MetricAlarm, error) {
	var names []string
	for _, a := range f.alarms {
		names = append(names, aws.ToString(a.AlarmName))
	}
	out, err := f.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}})
	if err != nil {
		return nil, err
	}
	return out.MetricAlarms, nil
}

// completedOrder places an order inside the downstream gate, waits until
// both workers are done with it, and returns its id and the message the
// topic delivered for it.
func (f *firing) completedOrder(ctx context.Context, a *orderAPI) (id, body string, bad *grader.Outcome) {
	leave, err := gate(f.env).enter(ctx, false)
	if err != nil {
		o := undecided(waitForFailureChecks, err)
		return "", "", &o
	}
	defer leave()
	placed := time.Now()
	id, bad = a.placeOrFail(ctx, a.customer("alarm"))
	if bad != nil {
		return "", "", bad
	}
	wctx, cancel := within(ctx, redeliveryWait(ctx, f.env), logReserve)
	st, err := a.waitStatuses(wctx, id, []string{inventoryStatus, accountingStatus}, true)
	cancel()
	if err != nil {
		o := undecided("follow order "+id, err)
		return id, "", &o
	}
	if st[inventoryStatus] != statusDone || st[accountingStatus] != statusDone {
		o := grader.Failf("order %s did not complete, so there is no order to leave in the dead-letter queue: %s. %s.%s",
			id, statusText(st), todoWorkers, lastWorkerLogs(ctx, a.env, id, placed, st, true))
		return id, "", &o
	}
	it, err := a.item(ctx, id)
	if err != nil {
		o := undecided("read order "+id, err)
		return id, "", &o
	}
	body, err = orderMessage(it)
	if err != nil {
		o := undecided("build order "+id+"'s message", err)
		return id, "", &o
	}
	return id, body, nil
}

// pollCW is poll at CloudWatch's pace.
func (f *firing) pollCW(ctx context.Context, fn func() (bool, error)) error {
	return pollEvery(ctx, max(f.env.PollInterval, cloudwatchPoll), fn)
}
