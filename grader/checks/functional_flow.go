package checks

import (
	"context"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/grader"
)

// The order attributes the workers set, and their final value.
const (
	inventoryStatus  = "inventoryStatus"
	accountingStatus = "accountingStatus"
	statusDone       = "DONE"
)

var (
	queuesFlowParam = grader.Param{Name: "queues", Required: true, Doc: "the queues the topic fans out to, e.g. [${inventoryQueue}, ${accountingQueue}]"}
	// flowCalls include the receive, delete and put-back of the run's one
	// sweep of queues nothing consumes (cleanup.go).
	flowCalls = append(slices.Clone(apiCalls), "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "lambda:ListEventSourceMappings")
)

func withParams(extra ...grader.Param) []grader.Param {
	return append(slices.Clone(apiParams), extra...)
}

func flowKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "fanout.queues", Functional: true,
			Doc:    "a placed order reaches every queue (seen in the queues' message counts, never received; or, once workers consume the queues, in the order's statuses, or in the log of a worker that received it and failed it: SQS delivers it again only after the visibility timeout)",
			Params: withParams(queuesFlowParam), Calls: append(slices.Clone(flowCalls), "logs:FilterLogEvents"), Run: gated(false, runFanout),
		},
		{
			Name: "fanout.insert-only", Functional: true,
			Doc: "an update of a stored order (a MODIFY record) publishes nothing: no new message within a bounded wait " +
				"(once workers consume the queues: decided from the publisher mapping's filter)",
			Params: withParams(queuesFlowParam,
				grader.Param{Name: "publisher", Required: true, Doc: "the publisher function, e.g. ${publisherFunction}"},
				grader.Param{Name: "wait", Doc: "how long to watch for a message after the update, e.g. 5s (default 5s)"}),
			Calls: append(slices.Clone(flowCalls), "dynamodb:UpdateItem"), Run: runInsertOnly, // it enters the gate itself, alone when it counts messages
		},
		{
			Name: "orders.complete", Functional: true,
			Doc:    "a placed order reaches inventoryStatus DONE and accountingStatus DONE",
			Params: apiParams, Calls: append(slices.Clone(apiCalls), "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "lambda:ListEventSourceMappings", "logs:FilterLogEvents"), Run: gated(false, runComplete),
		},
		{
			Name: "workers.poison", Functional: true,
			Doc: "given a batch of a message it cannot process and valid ones (the grader invokes the worker with it, as Lambda's poller would; " +
				"nothing is sent to the queue), the worker reports only the bad one for a retry, and the queue's redrive policy moves it to the dead-letter queue",
			Params: withParams(grader.Param{Name: "queue", Required: true, Doc: "the worker's queue"},
				grader.Param{Name: "dlq", Required: true, Doc: "its dead-letter queue"},
				grader.Param{Name: "status", Doc: "the order attribute the queue's worker sets (default inventoryStatus)"}),
			Calls: append(slices.Clone(flowCalls), "lambda:InvokeFunction", "logs:FilterLogEvents"), Run: gated(false, runPoison),
		},
		{
			Name: "workers.accounting-down", Functional: true,
			Doc: "with the accounting service failing, the intake still answers 201 and inventory completes while accounting does not; " +
				"after the service recovers, accounting completes when SQS delivers the failed message again (after the queue's visibility timeout)",
			Params: withParams(grader.Param{Name: "service", Required: true, Doc: "the downstream function with the FAIL_RATE switch, e.g. ${accountingService}"},
				grader.Param{Name: "dlq", Required: true, Doc: "the accounting worker's dead-letter queue, e.g. ${accountingDLQ}"}),
			Calls: append(slices.Clone(flowCalls), "lambda:UpdateFunctionConfiguration", "sqs:ListDeadLetterSourceQueues", "logs:FilterLogEvents"), Run: gated(true, runAccountingDown),
		},
		{
			Name: "load.spike", Functional: true,
			Doc: "a burst of orders (param orders) is accepted and every accepted order completes: none lost, none duplicated in the downstream records, " +
				"even when some OrderPlaced messages are delivered twice (the grader sends duplicates param duplicates to the queues, as SQS and SNS may)",
			Params: withParams(grader.Param{Name: "orders", Doc: "how many orders (default 20)"},
				grader.Param{Name: "concurrency", Doc: "how many at once (default 8)"},
				grader.Param{Name: "records", Required: true, Doc: "the downstream records tables, e.g. [${inventoryTable}, ${accountingTable}]"},
				grader.Param{Name: "queues", Doc: "the workers' queues, to deliver duplicates to"},
				grader.Param{Name: "duplicates", Doc: "how many completed orders to deliver a second time (default 2; needs queues)"}),
			Calls: append(slices.Clone(apiCalls), "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"), Run: gated(false, runSpike),
		},
	}
}

// consumed reports whether an enabled event source mapping reads any of the
// queues. A queue that does not exist has no consumer; when the grader cannot
// list mappings it assumes none.
func consumed(ctx context.Context, env *grader.Env, queues []string) bool {
	for _, qn := range queues {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			continue
		}
		arn := q.arn()
		ms, err := grader.Fact(env, "lambda.mappings-of/"+arn, func() ([]lambdatypes.EventSourceMappingConfiguration, error) {
			return listMappings(ctx, env, &lambda.ListEventSourceMappingsInput{EventSourceArn: &arn})
		})
		if err != nil {
			continue
		}
		for _, m := range ms {
			if st := aws.ToString(m.State); st == "Enabled" || st == "Enabling" || st == "Updating" {
				return true
			}
		}
	}
	return false
}

// workerQueues are the queues whose consumers set the order's statuses.
func workerQueues(env *grader.Env) []string {
	var out []string
	for _, k := range []string{"inventoryQueue", "accountingQueue"} {
		if v, ok := env.Names[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

// placeOrFail places a valid order and returns its id, or the outcome to
// return when it was not accepted.
func (a *orderAPI) placeOrFail(ctx context.Context, customer string) (string, *grader.Outcome) {
	r, _, err := a.place(ctx, customer, "")
	if err != nil {
		o := undecided("POST /orders", err)
		return "", &o
	}
	if r.status != http.StatusCreated || r.str("orderId") == "" {
		o := grader.Failf("could not place an order to follow: POST /orders got %s", r.describe())
		return "", &o
	}
	return r.str("orderId"), nil
}
