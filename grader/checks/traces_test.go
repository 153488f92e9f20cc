package checks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/solutions/token"
)

// accountState is what a learner could see of their account through the
// API without changing it: per queue the visible, in-flight and delayed
// counts (SQS offers no way to read a message's body or receive count
// without receiving it, so the test drains the queues only at its very
// end), every table's items, and every log group's ERROR lines.
type accountState struct {
	queues map[string]string   // name -> "visible/inflight/delayed"
	items  map[string][]string // table -> its items as JSON, sorted
	errors map[string][]string // log group -> its ERROR lines
	// graderOrders are the orders the intake logged for a grader customer
	// ("grader-<run>-..."), to recognise the grader's own log lines.
	graderOrders map[string]bool
}

// alertsInbox is lab 5's alarm topic's queue: alarms notify it on their
// own schedule (a new alarm's first evaluation, INSUFFICIENT_DATA to OK,
// lands whenever it lands), so its count is not compared; the test reads
// the notifications at its end instead.
var alertsInbox = labs.DefaultNames()["alertsQueue"]

func snapshotAccount(t testing.TB, cfg aws.Config) accountState {
	t.Helper()
	ctx := context.Background()
	s := accountState{queues: map[string]string{}, items: map[string][]string{}, errors: map[string][]string{}, graderOrders: map[string]bool{}}
	q := sqs.NewFromConfig(cfg)
	ql, err := q.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatalf("list queues: %v", err)
	}
	for _, url := range ql.QueueUrls {
		out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
		if err != nil {
			t.Fatalf("queue attributes of %s: %v", url, err)
		}
		a := out.Attributes
		if strings.HasSuffix(url, "/"+alertsInbox) {
			continue
		}
		s.queues[url[strings.LastIndex(url, "/")+1:]] = a["ApproximateNumberOfMessages"] + "/" + a["ApproximateNumberOfMessagesNotVisible"] + "/" + a["ApproximateNumberOfMessagesDelayed"]
	}
	db := dynamodb.NewFromConfig(cfg)
	tl, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	for _, table := range tl.TableNames {
		pg := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
		list := []string{}
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatalf("scan %s: %v", table, err)
			}
			for _, it := range page.Items {
				var m map[string]any
				if err := attributevalue.UnmarshalMap(it, &m); err != nil {
					t.Fatalf("decode an item of %s: %v", table, err)
				}
				b, _ := json.Marshal(m)
				list = append(list, string(b))
			}
		}
		slices.Sort(list)
		s.items[table] = list
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	gp := cloudwatchlogs.NewDescribeLogGroupsPaginator(logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			t.Fatalf("describe log groups: %v", err)
		}
		for _, g := range page.LogGroups {
			ep := cloudwatchlogs.NewFilterLogEventsPaginator(logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g.LogGroupName})
			lines := []string{}
			for ep.HasMorePages() {
				ev, err := ep.NextPage(ctx)
				if err != nil {
					t.Fatalf("filter log events of %s: %v", aws.ToString(g.LogGroupName), err)
				}
				for _, e := range ev.Events {
					line := aws.ToString(e.Message)
					var l struct{ Message, CustomerID, OrderID string }
					if json.Unmarshal([]byte(line), &l) == nil && l.Message == "order accepted" && strings.HasPrefix(l.CustomerID, "grader-") {
						s.graderOrders[l.OrderID] = true
					}
					if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, "errorMessage") {
						lines = append(lines, line)
					}
				}
			}
			s.errors[aws.ToString(g.LogGroupName)] = lines
		}
	}
	return s
}

// graderLine reports whether an ERROR line is the grader's own: it names a
// grader marker or an order a grader customer placed.
func (s accountState) graderLine(line string) bool {
	if strings.Contains(line, "grader-") {
		return true
	}
	var l struct{ OrderID string }
	return json.Unmarshal([]byte(line), &l) == nil && s.graderOrders[l.OrderID]
}

// diff lists what changed from before to s, leaving out the grader's own
// marked ERROR lines.
func (s accountState) diff(before accountState) []string {
	var out []string
	for name, c := range s.queues {
		if b := before.queues[name]; b != c {
			out = append(out, fmt.Sprintf("queue %s: visible/in flight/delayed %s, was %s", name, c, b))
		}
	}
	for table, items := range s.items {
		b := before.items[table]
		for _, it := range items {
			if !slices.Contains(b, it) {
				out = append(out, fmt.Sprintf("table %s: new item %s", table, clipped(it)))
			}
		}
		for _, it := range b {
			if !slices.Contains(items, it) {
				out = append(out, fmt.Sprintf("table %s: item gone or changed %s", table, clipped(it)))
			}
		}
	}
	for g, lines := range s.errors {
		for _, l := range lines {
			if !slices.Contains(before.errors[g], l) && !s.graderLine(l) {
				out = append(out, fmt.Sprintf("log group %s: new ERROR line %s", g, clipped(l)))
			}
		}
	}
	slices.Sort(out)
	return out
}

func clipped(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// settledState snapshots the account until two snapshots in a row agree
// (log lines and stream-driven effects land a moment after the calls that
// cause them), for at most 20 s.
func settledState(t testing.TB, cfg aws.Config) accountState {
	t.Helper()
	last := snapshotAccount(t, cfg)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond) // the interval between two looks, not a synchronisation
		next := snapshotAccount(t, cfg)
		if len(next.diff(last)) == 0 && len(last.diff(next)) == 0 {
			return next
		}
		last = next
	}
	return last
}

// learnerOrder places an order as the learner would (their own customer
// id) and returns its id.
func learnerOrder(t testing.TB, cfg aws.Config, d *deployment, customer string) string {
	t.Helper()
	ctx := context.Background()
	apis, err := apigatewayv2.NewFromConfig(cfg).GetApis(ctx, &apigatewayv2.GetApisInput{})
	d.must(err, "get apis")
	var base string
	for _, a := range apis.Items {
		if aws.ToString(a.Name) == d.n("api") {
			base = aws.ToString(a.ApiEndpoint)
		}
	}
	fc, err := d.lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(d.n("authorizerFunction"))})
	d.must(err, "authorizer config")
	tok := token.Mint([]byte(fc.Environment.Variables["TOKEN_SECRET"]), "web", time.Hour, time.Now())
	body := fmt.Sprintf(`{"customerId":%q,"channel":"web","lines":[{"sku":"MUG-3","quantity":1,"unitPriceCents":900}]}`, customer)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/orders", bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	d.must(err, "POST /orders")
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct{ OrderID string }
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &r) != nil || r.OrderID == "" {
		t.Fatalf("POST /orders: %d %s", resp.StatusCode, b)
	}
	return r.OrderID
}

// waitOrder waits until the order's item satisfies ok.
func waitOrder(t testing.TB, d *deployment, id string, ok func(map[string]ddbtypes.AttributeValue) bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, err := d.ddb.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(d.n("ordersTable")), ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: id}}})
		d.must(err, "get order")
		if ok(out.Item) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s did not reach the expected state: %v", id, out.Item)
		}
	}
}

// waitQueue waits until the queue holds want visible messages.
func waitQueue(t testing.TB, d *deployment, key string, want int) {
	t.Helper()
	url := d.queueURL(context.Background(), key)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, err := d.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		d.must(err, "queue attributes")
		if n, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"]); n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held %d visible messages: %v", d.n(key), want, out.Attributes)
		}
	}
}

// drained receives every visible message of the queue once (the test's
// own receive, at the very end) and returns "body (received N times)".
func drained(t testing.TB, d *deployment, key string) []string {
	t.Helper()
	ctx := context.Background()
	url := d.queueURL(ctx, key)
	var out []string
	for {
		r, err := d.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, VisibilityTimeout: 60,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		d.must(err, "receive from "+d.n(key))
		if len(r.Messages) == 0 {
			slices.Sort(out)
			return out
		}
		for _, m := range r.Messages {
			out = append(out, fmt.Sprintf("%s (received %s times)", aws.ToString(m.Body), m.Attributes["ApproximateReceiveCount"]))
		}
	}
}

// alertsOf drains lab 5's alerts inbox, when the deployment has it.
func alertsOf(t testing.TB, d *deployment, solved string) []string {
	t.Helper()
	if solved != "all" {
		return nil
	}
	return drained(t, d, "alertsQueue")
}

// TestGradingLeavesNoTraces grades a deployment twice and compares the
// account before and after: every queue's counts, every table's items and
// every log group's ERROR lines must be as they were, except the grader's
// own marked ERROR lines (a correct worker logs the grader's poison message
// and its orders' 503s while the accounting service is switched to
// failing). The learner's own messages, seeded before grading, are then
// received once by the test itself: none was moved, and none was received
// by the grader more than the documented once per grading run.
func TestGradingLeavesNoTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	const runs = 2
	for _, tc := range []struct {
		name, solve string
		labs        []string
		starter     bool
		// maxReceives bounds how often the learner's messages in the work
		// queues may have been received by the grader.
		maxReceives int
	}{
		{name: "reference", solve: "all", labs: []string{"lab1", "lab2", "lab3", "lab4", "lab5"}},
		{name: "reference without workers", solve: "lab3", labs: []string{"lab1", "lab2", "lab3"}, maxReceives: runs},
		{name: "starter", solve: "all", labs: []string{"lab1", "lab2", "lab3", "lab4", "lab5"}, starter: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			k, cfg := kitSolved(t, nil, tc.solve)
			d := newDeployment(t, cfg, nil)
			workers := tc.solve == "all"
			var learnerID string
			if !tc.starter {
				// The learner's own order, and (with workers) a message of
				// theirs waiting in a dead-letter queue for inspection.
				learnerID = learnerOrder(t, cfg, d, "learner-7")
				if workers {
					waitOrder(t, d, learnerID, func(it map[string]ddbtypes.AttributeValue) bool {
						s, ok := it["accountingStatus"].(*ddbtypes.AttributeValueMemberS)
						return ok && s.Value == "DONE"
					})
					_, err := d.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(d.queueURL(ctx, "inventoryDLQ")),
						MessageBody: aws.String(`{"orderId":"learner-kept-for-inspection"}`)})
					d.must(err, "seed the DLQ")
				} else {
					waitQueue(t, d, "inventoryQueue", 1)
					waitQueue(t, d, "accountingQueue", 1)
				}
			} else {
				for key, dir := range sourceDirs {
					if err := k.Deploy(ctx, d.n(key), root+"/starter/"+dir); err != nil {
						t.Fatalf("deploy the starter %s: %v", dir, err)
					}
				}
			}
			before := settledState(t, cfg)
			for i := 0; i < runs; i++ {
				start := time.Now()
				rs := grade(t, cfg, nil, tc.labs...)
				if !tc.starter {
					wantAll(t, rs, grader.Pass) // a failing check could leave nothing because it did nothing
				}
				t.Logf("grading run %d took %s: %d results", i+1, time.Since(start).Round(time.Millisecond), len(rs))
			}
			after := settledState(t, cfg)
			for _, l := range after.diff(before) {
				t.Errorf("grading left a trace: %s", l)
				if name, ok := strings.CutPrefix(l, "queue "); ok {
					name = name[:strings.Index(name, ":")]
					for key, v := range d.names {
						if v == name {
							t.Logf("%s holds: %q", name, drained(t, d, key))
						}
					}
				}
			}
			// No alarm went off because of the grader: the only ALARM allowed is
			// the one on the dead-letter queue the learner's own message is in.
			for _, n := range alertsOf(t, d, tc.solve) {
				var a struct{ AlarmName, NewStateValue string }
				json.Unmarshal([]byte(n[:strings.LastIndex(n, " (received")]), &a)
				if a.NewStateValue == "ALARM" && (tc.starter || !workers || a.AlarmName != d.n("inventoryDLQ")+"-not-empty") {
					t.Errorf("alarm %s went off during grading: %s", a.AlarmName, clipped(n))
				}
			}
			if tc.starter {
				return
			}
			var want []string
			if workers {
				want = []string{`{"orderId":"learner-kept-for-inspection"} (received 1 times)`}
			}
			if got := drained(t, d, "inventoryDLQ"); !slices.Equal(got, want) {
				t.Errorf("inventory DLQ holds %q, want %q", got, want)
			}
			if workers {
				return
			}
			for _, key := range []string{"inventoryQueue", "accountingQueue"} {
				got := drained(t, d, key)
				if len(got) != 1 || !strings.Contains(got[0], learnerID) {
					t.Errorf("%s holds %q, want only the learner's order %s", d.n(key), got, learnerID)
					continue
				}
				n, _ := strconv.Atoi(got[0][strings.LastIndex(got[0], "(received ")+len("(received ") : strings.LastIndex(got[0], " times)")])
				t.Logf("%s: the learner's message was received %d times by %d grading runs and the test's drain", d.n(key), n, runs)
				if n-1 > tc.maxReceives {
					t.Errorf("%s: the learner's message was received %d times by the grader in %d runs, want at most %d", d.n(key), n-1, runs, tc.maxReceives)
				}
			}
		})
	}
}
