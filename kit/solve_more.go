package kit

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Queue settings of the reference: a visibility timeout at least six times
// the workers' timeout, five receives before the dead-letter queue, and
// dead-letter queues that keep messages for 14 days.
const (
	visibilityTimeout = 6 * functionTimeout
	maxReceiveCount   = 5
	dlqRetention      = 14 * 24 * 3600
	logRetentionDays  = 14
)

// solveLab3 builds the stream, the topic, the queues and the publisher.
func (k *Kit) solveLab3(ctx context.Context) error {
	table, err := k.ordersTable(ctx, true)
	if err != nil {
		return err
	}
	streamARN := aws.ToString(table.LatestStreamArn)
	topicARN, err := k.ensureTopic(ctx, k.name("topic"))
	if err != nil {
		return err
	}
	for _, p := range [][2]string{{"inventoryQueue", "inventoryDLQ"}, {"accountingQueue", "accountingDLQ"}} {
		if _, err := k.workQueue(ctx, p[0], p[1], topicARN); err != nil {
			return err
		}
	}
	pubDLQ, err := k.ensureQueue(ctx, k.name("publisherDLQ"), map[string]string{"MessageRetentionPeriod": strconv.Itoa(dlqRetention)})
	if err != nil {
		return err
	}
	publisher := k.name("publisherFunction")
	logs, err := k.logsStatement(ctx, publisher)
	if err != nil {
		return err
	}
	role, err := k.ensureRole(ctx, k.name("publisherRole"), policyDoc{Version: "2012-10-17", Statement: []statement{
		allow([]string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}, streamARN),
		allow([]string{"sns:Publish"}, topicARN),
		allow([]string{"sqs:SendMessage"}, pubDLQ.arn),
		logs}})
	if err != nil {
		return err
	}
	if _, err := k.ensureFunction(ctx, functionSpec{key: "publisherFunction", roleARN: role,
		env: fixedEnv(map[string]string{"TOPIC_ARN": topicARN})}); err != nil {
		return err
	}
	return k.ensureMapping(ctx, mappingSpec{function: publisher, source: streamARN, start: lambdatypes.EventSourcePositionLatest,
		batch: 100, filter: `{"eventName":["INSERT"]}`, bisect: true, retries: aws.Int32(5), onFailure: pubDLQ.arn})
}

// workQueue builds a worker's queue with its dead-letter queue, its policy
// (only the topic may send) and its subscription to the topic.
func (k *Kit) workQueue(ctx context.Context, qKey, dlqKey, topicARN string) (queue, error) {
	dlq, err := k.ensureQueue(ctx, k.name(dlqKey), map[string]string{"MessageRetentionPeriod": strconv.Itoa(dlqRetention)})
	if err != nil {
		return queue{}, err
	}
	qARN, err := k.arnOf(ctx, "sqs", k.name(qKey))
	if err != nil {
		return queue{}, err
	}
	policy := policyDoc{Version: "2012-10-17", Statement: []statement{{Sid: "topic-only", Effect: "Allow",
		Principal: map[string]any{"Service": "sns.amazonaws.com"}, Action: []string{"sqs:SendMessage"}, Resource: qARN,
		Condition: map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": topicARN}}}}}
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlq.arn, maxReceiveCount)
	q, err := k.ensureQueue(ctx, k.name(qKey), map[string]string{"VisibilityTimeout": strconv.Itoa(visibilityTimeout),
		"RedrivePolicy": redrive, "Policy": policy.String()})
	if err != nil {
		return queue{}, err
	}
	return q, k.ensureSubscription(ctx, topicARN, q)
}

// downstream is what setupDownstream built.
type downstreamAPI struct {
	endpoint string // the downstream API's base URL
}

// setupDownstream builds lab 4's simulated services: their tables, role,
// functions and HTTP API.
func (k *Kit) setupDownstream(ctx context.Context) (*downstreamAPI, error) {
	inv, err := k.ensureTable(ctx, tableSpec{name: k.name("inventoryTable"), key: "idempotencyKey", tags: map[string]string{"course": "week1"}})
	if err != nil {
		return nil, err
	}
	acc, err := k.ensureTable(ctx, tableSpec{name: k.name("accountingTable"), key: "idempotencyKey", tags: map[string]string{"course": "week1"}})
	if err != nil {
		return nil, err
	}
	stmts := []statement{allow([]string{"dynamodb:UpdateItem", "dynamodb:Scan"}, aws.ToString(inv.TableArn), aws.ToString(acc.TableArn))}
	for _, key := range []string{"inventoryService", "accountingService"} {
		s, err := k.logsStatement(ctx, k.name(key))
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, s)
	}
	role, err := k.ensureRole(ctx, k.name("downstreamRole"), policyDoc{Version: "2012-10-17", Statement: stmts})
	if err != nil {
		return nil, err
	}
	invARN, err := k.ensureFunction(ctx, functionSpec{key: "inventoryService", roleARN: role, env: downstreamEnv(k.name("inventoryTable"))})
	if err != nil {
		return nil, err
	}
	accARN, err := k.ensureFunction(ctx, functionSpec{key: "accountingService", roleARN: role, env: downstreamEnv(k.name("accountingTable"))})
	if err != nil {
		return nil, err
	}
	api, err := k.ensureAPI(ctx, apiSpec{name: k.name("downstreamApi"), routes: map[string]string{
		"ANY /reservations": invARN, "ANY /entries": accARN}})
	if err != nil {
		return nil, err
	}
	return &downstreamAPI{endpoint: api.endpoint}, nil
}

// downstreamEnv sets TABLE_NAME and keeps the failure switch as it is
// (FAIL_RATE, LATENCY_MS: `lab fail` owns them).
func downstreamEnv(table string) func(map[string]string) (map[string]string, error) {
	return func(cur map[string]string) (map[string]string, error) {
		env := map[string]string{"TABLE_NAME": table}
		for _, k := range []string{"FAIL_RATE", "LATENCY_MS"} {
			if v, ok := cur[k]; ok {
				env[k] = v
			}
		}
		return env, nil
	}
}

// solveLab4 builds the downstream services and the two workers.
func (k *Kit) solveLab4(ctx context.Context) error {
	ds, err := k.setupDownstream(ctx)
	if err != nil {
		return err
	}
	table, err := k.describeTable(ctx, k.name("ordersTable"))
	if err != nil {
		return err
	}
	if table == nil {
		return fmt.Errorf("table %s does not exist (lab1)", k.name("ordersTable"))
	}
	for _, w := range []struct{ fn, role, queue, urlEnv string }{
		{"inventoryWorker", "inventoryRole", "inventoryQueue", "INVENTORY_URL"},
		{"accountingWorker", "accountingRole", "accountingQueue", "ACCOUNTING_URL"},
	} {
		qURL, err := k.queueURL(ctx, k.name(w.queue))
		if err != nil {
			return err
		}
		if qURL == "" {
			return fmt.Errorf("queue %s does not exist (lab3)", k.name(w.queue))
		}
		qARN, err := k.arnOf(ctx, "sqs", k.name(w.queue))
		if err != nil {
			return err
		}
		logs, err := k.logsStatement(ctx, k.name(w.fn))
		if err != nil {
			return err
		}
		role, err := k.ensureRole(ctx, k.name(w.role), policyDoc{Version: "2012-10-17", Statement: []statement{
			allow([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, qARN),
			// GetItem: the worker skips an order already DONE.
			allow([]string{"dynamodb:GetItem", "dynamodb:UpdateItem"}, aws.ToString(table.TableArn)),
			logs}})
		if err != nil {
			return err
		}
		if _, err := k.ensureFunction(ctx, functionSpec{key: w.fn, roleARN: role, env: fixedEnv(map[string]string{
			"TABLE_NAME": k.name("ordersTable"), w.urlEnv: ds.endpoint})}); err != nil {
			return err
		}
		if err := k.ensureMapping(ctx, mappingSpec{function: k.name(w.fn), source: qARN, batch: 10, maxConcurrency: 5}); err != nil {
			return err
		}
	}
	return nil
}

// labFunctions are the name keys of the five functions the learner builds.
var labFunctions = []string{"authorizerFunction", "intakeFunction", "publisherFunction", "inventoryWorker", "accountingWorker"}

// solveLab5 gives the five functions' log groups a retention, then adds
// the alarms, their topic and the dashboard.
func (k *Kit) solveLab5(ctx context.Context) error {
	if err := k.solveRetention(ctx); err != nil {
		return err
	}
	return k.solveAlarms(ctx)
}

// solveRetention gives the five functions' log groups a retention.
func (k *Kit) solveRetention(ctx context.Context) error {
	c := k.cl().logs
	for _, key := range labFunctions {
		group := "/aws/lambda/" + k.name(key)
		out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
		if err != nil {
			return fmt.Errorf("describe log group %s: %w", group, err)
		}
		exists, retention := false, int32(0)
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == group {
				exists, retention = true, aws.ToInt32(g.RetentionInDays)
			}
		}
		if !exists {
			k.logf("  create log group %s", group)
			if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil &&
				errCode(err) != "ResourceAlreadyExistsException" {
				return fmt.Errorf("create log group %s: %w", group, err)
			}
		}
		if retention != logRetentionDays {
			k.logf("  log group %s: retention %d days", group, logRetentionDays)
			if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(group),
				RetentionInDays: aws.Int32(logRetentionDays)}); err != nil {
				return fmt.Errorf("set retention of %s: %w", group, err)
			}
		}
	}
	return nil
}
