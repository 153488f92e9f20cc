package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/grader"
)

// How the grader tells an order that never reached a worker's queue from
// one whose worker failed it. Once workers consume the queues, the checks
// follow an order's statuses. A worker that fails its first try (its
// downstream service answered 503, or the call ran past the worker's own
// timeout on a loaded machine: a class graded 50 at once on one local
// cloud) reports the message as a batch item failure, and SQS delivers it
// again only once the queue's visibility timeout has passed (60 s in the
// reference), later than a check's minute. The worker's log says it had
// the order: lab 4 has the workers log each failure with the orderId (lab
// 5's structured-logs check reads it), so the grader searches the worker's
// log group for the order's id, and says what the worker logged instead of
// only that a status is missing.

// workerRoles are the status attribute each worker sets and the name keys
// of its queue and function.
var workerRoles = []struct{ status, queueKey, functionKey string }{
	{inventoryStatus, "inventoryQueue", "inventoryWorker"},
	{accountingStatus, "accountingQueue", "accountingWorker"},
}

// workerLog is what one worker's log group says about an order.
type workerLog struct {
	function string
	lines    []string // the lines naming the order, oldest first
}

// seen reports whether the worker logged the order: it received its message.
func (w workerLog) seen() bool { return len(w.lines) > 0 }

func (w workerLog) String() string {
	if !w.seen() {
		return w.function + " logged nothing about the order"
	}
	return fmt.Sprintf("%s logged about it %d time(s), last: %s", w.function, len(w.lines), clip(logGist(w.lines[len(w.lines)-1]), 400))
}

// logGist is the level, message and error of a JSON log line ("ERROR call
// downstream service: POST ...: context deadline exceeded"), or the line.
func logGist(line string) string {
	var obj map[string]any
	if json.Unmarshal([]byte(line), &obj) != nil {
		return line
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := obj[k].(string); ok && v != "" {
				return v
			}
		}
		return ""
	}
	gist := strings.TrimSpace(str("level") + " " + str("msg", "message"))
	if e := str("error", "err"); e != "" {
		gist += ": " + e
	}
	if gist == "" {
		return line
	}
	return gist
}

// workerFunction is the function an enabled mapping of the queue invokes,
// or the lab's name for the worker when none is found.
func workerFunction(ctx context.Context, env *grader.Env, queueKey, functionKey string) string {
	if q, err := findQueue(ctx, env, env.Names[queueKey]); err == nil {
		arn := q.arn()
		ms, err := grader.Fact(env, "lambda.mappings-of/"+arn, func() ([]lambdatypes.EventSourceMappingConfiguration, error) {
			return listMappings(ctx, env, &lambda.ListEventSourceMappingsInput{EventSourceArn: &arn})
		})
		if err == nil {
			for _, m := range ms {
				if st := aws.ToString(m.State); st == "Enabled" || st == "Enabling" || st == "Updating" {
					fn := aws.ToString(m.FunctionArn)
					fn = fn[strings.LastIndex(fn, ":function:")+len(":function:"):]
					if i := strings.IndexByte(fn, ':'); i >= 0 {
						fn = fn[:i] // a qualifier
					}
					if fn != "" {
						return fn
					}
				}
			}
		}
	}
	return env.Names[functionKey]
}

// readWorkerLog returns the lines of fn's log group since since that name
// the order id, oldest first; none when the group does not exist.
func readWorkerLog(ctx context.Context, env *grader.Env, fn, id string, since time.Time) (workerLog, error) {
	w := workerLog{function: fn}
	group := "/aws/lambda/" + fn
	c := cloudwatchlogs.NewFromConfig(env.AWS)
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: &group, StartTime: aws.Int64(since.Add(-time.Second).UnixMilli()),
		FilterPattern: aws.String(`"` + id + `"`), Limit: aws.Int32(50)}
	type line struct {
		at  int64
		msg string
	}
	var got []line
	for range 5 { // a few pages are plenty for one order
		out, err := c.FilterLogEvents(ctx, in)
		if isNotFound(err) {
			return w, nil
		}
		if err != nil {
			return w, fmt.Errorf("read the log group %s: %w", group, err)
		}
		for _, e := range out.Events {
			got = append(got, line{aws.ToInt64(e.Timestamp), strings.TrimSpace(aws.ToString(e.Message))})
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	sort.SliceStable(got, func(i, j int) bool { return got[i].at < got[j].at })
	for _, l := range got {
		w.lines = append(w.lines, l.msg)
	}
	return w, nil
}

// missingWorkers reads, for each status in st that is not set (with done:
// not DONE), what its worker logged about order id since since.
func missingWorkers(ctx context.Context, env *grader.Env, id string, since time.Time, st map[string]string, done bool) (map[string]workerLog, error) {
	out := map[string]workerLog{}
	for _, r := range workerRoles {
		v, asked := st[r.status]
		if !asked || (v != "" && (!done || v == statusDone)) {
			continue
		}
		w, err := readWorkerLog(ctx, env, workerFunction(ctx, env, r.queueKey, r.functionKey), id, since)
		if err != nil {
			return nil, err
		}
		out[r.status] = w
	}
	return out, nil
}

// allSeen reports whether every worker in logs logged the order.
func allSeen(logs map[string]workerLog) bool {
	for _, w := range logs {
		if !w.seen() {
			return false
		}
	}
	return true
}

// workerLogText describes what the workers of the missing statuses logged.
func workerLogText(logs map[string]workerLog) string {
	var parts []string
	for _, r := range workerRoles {
		if w, ok := logs[r.status]; ok {
			parts = append(parts, w.String())
		}
	}
	return strings.Join(parts, "; ")
}

// logsEvery is how often followToWorkers reads the workers' logs while a
// status is missing.
const logsEvery = 2 * time.Second

// followToWorkers waits until each worker has either set its status on
// order id (placed at since) or logged the order, which proves its queue
// delivered it. It returns the statuses last read and what the workers of
// the statuses still missing logged.
func (a *orderAPI) followToWorkers(ctx context.Context, id string, since time.Time) (map[string]string, map[string]workerLog, error) {
	attrs := []string{inventoryStatus, accountingStatus}
	st := map[string]string{}
	var logs map[string]workerLog
	lastRead := time.Now() // the first read after logsEvery: the reference's workers are done by then
	err := poll(ctx, a.env, func() (bool, error) {
		it, err := a.item(ctx, id)
		if err != nil {
			return false, err
		}
		missing := false
		for _, at := range attrs {
			st[at] = attrS(it, at)
			missing = missing || st[at] == ""
		}
		if !missing {
			logs = nil
			return true, nil
		}
		if time.Since(lastRead) < logsEvery {
			return false, nil
		}
		lastRead = time.Now()
		got, err := missingWorkers(ctx, a.env, id, since, st, false)
		if err != nil {
			return false, nil // the logs are evidence the grader may lack (their permission): the statuses decide
		}
		logs = got
		return len(logs) > 0 && allSeen(logs), nil
	})
	if timedOut(err) {
		err = nil
	}
	return st, logs, err
}

// logReserve is the time a check keeps, after following an order, to read
// the workers' logs.
const logReserve = 5 * time.Second

// lastWorkerLogs reads what the workers of the statuses st lacks logged
// about order id, for a failure's reason: "" when they cannot be read.
func lastWorkerLogs(ctx context.Context, env *grader.Env, id string, since time.Time, st map[string]string, done bool) string {
	logs, err := missingWorkers(ctx, env, id, since, st, done)
	if err != nil || len(logs) == 0 {
		return ""
	}
	return " " + workerLogText(logs) + "."
}

// redeliveryWait is how long a check that needs an order completed waits
// for it: a minute, or long enough for SQS to deliver once more a message a
// worker failed (the longest visibility timeout of the workers' queues,
// plus 30 s for the second try).
func redeliveryWait(ctx context.Context, env *grader.Env) time.Duration {
	d := time.Minute
	for _, r := range workerRoles {
		q, err := findQueue(ctx, env, env.Names[r.queueKey])
		if err != nil {
			continue
		}
		if v, err := strconv.Atoi(q.attrs["VisibilityTimeout"]); err == nil {
			d = max(d, time.Duration(v)*time.Second+30*time.Second)
		}
	}
	return d
}
