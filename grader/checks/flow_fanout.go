package checks

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/grader"
)

// How the fan-out checks see a message without receiving it. Before the
// workers exist (lab 3) nothing consumes the queues, so the grader reads
// each queue's message count (visible, in flight and delayed: GetQueueAttributes,
// which is not a receive and moves nothing) before it places its order, and
// the order has reached a queue when the count rose. The grader's messages
// are removed after the run by the ledger's one sweep (cleanup.go). Once an
// enabled event source mapping consumes a queue (lab 4 on), counts say
// nothing, so the checks read the downstream effect instead: the order's
// inventoryStatus and accountingStatus, or, when a worker failed the order,
// its log naming the order (flow_workerlog.go).

// queueCounts reads the total count of each queue.
func queueCounts(ctx context.Context, env *grader.Env, queues []queueInfo) (map[string]int, error) {
	c := sqs.NewFromConfig(env.AWS)
	out := map[string]int{}
	for _, q := range queues {
		n, err := queueTotal(ctx, c, q)
		if err != nil {
			return nil, fmt.Errorf("read the message count of %s: %w", q.name, err)
		}
		out[q.name] = n
	}
	return out, nil
}

// reachQueues waits until every queue holds more messages than before
// (the counts read before the order was placed) and reports which ones
// did not by the deadline, and the counts last read.
func reachQueues(ctx context.Context, env *grader.Env, queues []queueInfo, before map[string]int) (missing []string, last map[string]int, err error) {
	err = poll(ctx, env, func() (bool, error) {
		now, err := queueCounts(ctx, env, queues)
		if err != nil {
			return false, err
		}
		last = now
		for _, q := range queues {
			if now[q.name] <= before[q.name] {
				return false, nil
			}
		}
		return true, nil
	})
	for _, q := range queues {
		if last[q.name] <= before[q.name] {
			missing = append(missing, q.name)
		}
	}
	if timedOut(err) {
		err = nil
	}
	return missing, last, err
}

// steadyCounts waits until the counts have not changed for a second (at
// most until ctx ends) and returns them: messages of other orders of the
// run still on their way have arrived.
func steadyCounts(ctx context.Context, env *grader.Env, queues []queueInfo) (map[string]int, error) {
	var last map[string]int
	since := time.Now()
	err := poll(ctx, env, func() (bool, error) {
		now, err := queueCounts(ctx, env, queues)
		if err != nil {
			return false, err
		}
		if !maps.Equal(now, last) {
			last, since = now, time.Now()
		}
		return time.Since(since) >= time.Second, nil
	})
	if timedOut(err) {
		err = nil
	}
	return last, err
}

func mapValues(m map[string]bool) []bool {
	out := make([]bool, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func runFanout(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	names := p.Strings("queues")
	var queues []queueInfo
	for _, qn := range names {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			return lookupOutcome("find queue "+qn, err)
		}
		queues = append(queues, q)
	}
	workers := consumed(ctx, env, names)
	var before map[string]int
	if !workers {
		var err error
		if before, err = queueCounts(ctx, env, queues); err != nil {
			return undecided("count the queues' messages", err)
		}
	}
	placed := time.Now()
	id, bad := a.placeOrFail(ctx, a.customer("fanout"))
	if bad != nil {
		return *bad
	}
	defer func() { a.remove(id) }()
	if workers {
		return fanoutToWorkers(ctx, a, id, placed)
	}
	missing, _, err := reachQueues(ctx, env, queues, before)
	if err != nil {
		return undecided("count the queues' messages", err)
	}
	switch {
	case len(missing) == len(queues):
		return grader.Failf("order %s reached none of the queues (%s) in time: is order-publisher's mapping on the table's stream enabled, and does it publish OrderPlaced? If it is still the starter, %s",
			id, strings.Join(missing, ", "), todoPublisher)
	case len(missing) > 0:
		return grader.Failf("order %s reached some queues but not %s: is each queue subscribed to the topic, and does its policy let the topic send?", id, strings.Join(missing, ", "))
	}
	return grader.Passf("order %s reached %s (seen in each queue's message count, without receiving; the grader removes its own message after the run)", id, strings.Join(names, " and "))
}

// fanoutToWorkers decides the fan-out check once workers consume the
// queues: order id reached a queue when its worker set its status, or
// logged the order (it received it, and failed it: lab 4's checks judge
// the workers).
func fanoutToWorkers(ctx context.Context, a *orderAPI, id string, placed time.Time) grader.Outcome {
	fctx, cancel := within(ctx, time.Hour, logReserve)
	st, logs, err := a.followToWorkers(fctx, id, placed)
	cancel()
	if err != nil {
		return undecided("follow order "+id, err)
	}
	if st[inventoryStatus] != "" && st[accountingStatus] != "" {
		return grader.Passf("order %s reached both workers (%s): the queues are consumed, so the grader read the order's statuses", id, statusText(st))
	}
	if !allSeen(logs) || len(logs) == 0 {
		if again, err := missingWorkers(ctx, a.env, id, placed, st, false); err == nil {
			logs = again
		}
	}
	if len(logs) > 0 && allSeen(logs) {
		return grader.Passf("order %s reached both queues (%s): the worker of each status not set received it, %s. "+
			"A worker that fails a message leaves it to SQS, which delivers it again once the queue's visibility timeout has passed; lab 4's checks judge the workers",
			id, statusText(st), workerLogText(logs))
	}
	reason := fmt.Sprintf("order %s did not reach every worker in time (%s); the workers consume the queues, so the grader follows the order's statuses and the workers' logs. "+
		"Check that order-publisher publishes OrderPlaced (%s) and each queue is subscribed", id, statusText(st), todoPublisher)
	if text := workerLogText(logs); text != "" {
		reason += ". " + text
	}
	return grader.Failf("%s", reason)
}

func runInsertOnly(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	names, publisher := p.Strings("queues"), p.String("publisher", "")
	wait, err := time.ParseDuration(p.String("wait", "5s"))
	if err != nil || wait <= 0 {
		wait = 5 * time.Second
	}
	if consumed(ctx, env, names) {
		// Workers take every message at once: judge by the mapping's filter.
		ms, err := mappings(ctx, env, publisher)
		if err != nil {
			return lookupOutcome("list the mappings of "+publisher, err)
		}
		for _, m := range ms {
			if strings.Contains(aws.ToString(m.EventSourceArn), "/stream/") {
				if filterAdmits(m.FilterCriteria, "MODIFY") {
					return grader.Failf("%s's stream mapping passes MODIFY records, so every update of an order can publish it again: filter on eventName INSERT", publisher)
				}
				return grader.Passf("the workers consume the queues, so the grader cannot watch them; %s's stream mapping passes only INSERT records, so an update publishes nothing", publisher)
			}
		}
		return grader.Failf("%s has no mapping on the table's stream", publisher)
	}
	var queues []queueInfo
	for _, qn := range names {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			return lookupOutcome("find queue "+qn, err)
		}
		queues = append(queues, q)
	}
	// Counting needs the queues to itself: the other checks' orders would
	// raise the counts too. Wait until no other order check runs.
	leave, err := gate(env).enter(ctx, true)
	if err != nil {
		return undecided("wait for the other order checks to finish", err)
	}
	defer leave()
	before, err := steadyCounts(ctx, env, queues)
	if err != nil {
		return undecided("count the queues' messages", err)
	}
	id, bad := a.placeOrFail(ctx, a.customer("modify"))
	if bad != nil {
		return *bad
	}
	defer func() { a.remove(id) }()
	rctx, cancel := within(ctx, time.Hour, wait+5*time.Second)
	missing, _, err := reachQueues(rctx, env, queues, before)
	cancel()
	if err != nil {
		return undecided("count the queues' messages", err)
	}
	if len(missing) > 0 {
		return grader.Skipf("the new order %s never reached %s, so there is nothing to compare an update with: make the fan-out check pass first", id, strings.Join(missing, ", "))
	}
	sctx, cancel := within(ctx, 5*time.Second, wait+2*time.Second)
	placed, err := steadyCounts(sctx, env, queues)
	cancel()
	if err != nil {
		return undecided("count the queues' messages", err)
	}
	_, err = a.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &a.table,
		Key:                       map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: id}},
		UpdateExpression:          aws.String("SET graderNote = :n"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":n": &ddbtypes.AttributeValueMemberS{Value: "updated by the grader, run " + env.RunID}}})
	if err != nil {
		return undecided("update order "+id, err)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	again, last, err := reachQueues(wctx, env, queues, placed)
	if err != nil {
		return undecided("count the queues' messages", err)
	}
	if len(again) < len(queues) {
		var rose []string
		for _, q := range queues {
			if last[q.name] > placed[q.name] {
				rose = append(rose, q.name)
			}
		}
		return grader.Failf("after an update (MODIFY) of order %s a new message reached %s (its count rose from %v to %v): the publisher must publish only new orders; filter its stream mapping on eventName INSERT",
			id, strings.Join(rose, ", "), placed, last)
	}
	return grader.Passf("after an update of order %s no new message reached %s within %s", id, strings.Join(names, " or "), wait)
}
