package checks

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/grader"
)

// sqsRecord is one message of a batch the grader hands a worker itself.
type sqsRecord struct{ ID, Body string }

// queueConsumer returns the function an enabled event source mapping
// feeds from q ("" when none does).
func queueConsumer(ctx context.Context, env *grader.Env, q queueInfo) (string, error) {
	arn := q.arn()
	ms, err := grader.Fact(env, "lambda.mappings-of/"+arn, func() ([]lambdatypes.EventSourceMappingConfiguration, error) {
		return listMappings(ctx, env, &lambda.ListEventSourceMappingsInput{EventSourceArn: &arn})
	})
	if err != nil {
		return "", err
	}
	for _, m := range ms {
		if st := aws.ToString(m.State); st == "Enabled" || st == "Enabling" || st == "Updating" {
			return aws.ToString(m.FunctionArn), nil
		}
	}
	return "", nil
}

// invokeWithBatch invokes function with the event Lambda's SQS poller
// would send for the records read from q, and returns the ids the function
// reported in batchItemFailures, or the function's error (FunctionError
// and the payload) when it failed the whole batch.
func invokeWithBatch(ctx context.Context, env *grader.Env, function string, q queueInfo, records []sqsRecord) (failed []string, fnErr string, err error) {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	var ev events.SQSEvent
	for _, r := range records {
		sum := md5.Sum([]byte(r.Body))
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: r.ID, ReceiptHandle: r.ID, Body: r.Body, Md5OfBody: hex.EncodeToString(sum[:]),
			Attributes:  map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": now, "ApproximateFirstReceiveTimestamp": now},
			EventSource: "aws:sqs", EventSourceARN: q.arn(), AWSRegion: env.AWS.Region})
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, "", err
	}
	out, err := lambda.NewFromConfig(env.AWS).Invoke(ctx, &lambda.InvokeInput{FunctionName: &function, Payload: payload})
	if err != nil {
		return nil, "", err
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		return nil, fmt.Sprintf("%s: %s", fe, out.Payload), nil
	}
	var resp events.SQSEventResponse
	if len(out.Payload) > 0 && string(out.Payload) != "null" {
		if err := json.Unmarshal(out.Payload, &resp); err != nil {
			return nil, "the function's answer is not a batch response: " + clip(string(out.Payload), 120), nil
		}
	}
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed, "", nil
}
