package localcloud_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestSQSResponsesMatchBotocoreShapes drives SQS's operations through the
// SDK, which speaks AWS JSON 1.0 to SQS (queues, messages, batches,
// permissions, tags, dead-letter queues, move tasks), and holds every
// answer to botocore's output shape for its operation: the Debian model is
// of the query protocol, whose member names are SQS's JSON keys.
func TestSQSResponsesMatchBotocoreShapes(t *testing.T) {
	m := conformance.LoadForTest(t, "sqs")
	m.NewerValues = map[string][]string{
		"QueueAttributeName":         conformance.Strings(types.QueueAttributeName("").Values()),
		"MessageSystemAttributeName": conformance.Strings(types.MessageSystemAttributeName("").Values()),
	}
	cfg, rec := recording(sdkConfig(startCloud(t)))
	ctx := context.Background()
	c := sqs.NewFromConfig(cfg)

	dlq := do(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shapes-dlq")})).ok(t)
	dlqArn := do(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})).ok(t).Attributes["QueueArn"]
	q := do(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shapes"), Tags: map[string]string{"k": "v"},
		Attributes: map[string]string{"VisibilityTimeout": "30", "RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"3"}`}})).ok(t).QueueUrl
	fifo := do(c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shapes.fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})).ok(t).QueueUrl
	do(c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("shapes")})).ok(t)
	do(c.ListQueues(ctx, &sqs.ListQueuesInput{MaxResults: aws.Int32(1)})).ok(t)
	do(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})).ok(t)
	do(c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: fifo, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})).ok(t)
	do(c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q, Attributes: map[string]string{"DelaySeconds": "0"}})).ok(t)
	do(c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: dlq.QueueUrl})).ok(t)

	attrs := map[string]types.MessageAttributeValue{
		"s": {DataType: aws.String("String"), StringValue: aws.String("x")},
		"b": {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2}},
	}
	do(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q, MessageBody: aws.String("one"), MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")}}})).ok(t)
	do(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: fifo, MessageBody: aws.String("f"), MessageGroupId: aws.String("g")})).ok(t)
	do(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: fifo, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("f2"), MessageGroupId: aws.String("g"),
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793")}}}}})).ok(t)
	do(c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("two"), MessageAttributes: attrs}, {Id: aws.String("b"), MessageBody: aws.String("three")}}})).ok(t)
	got := do(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})).ok(t)
	do(c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: fifo, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})).ok(t)
	if len(got.Messages) < 3 {
		t.Fatalf("received %d messages, want 3", len(got.Messages))
	}
	h := func(i int) *string { return got.Messages[i].ReceiptHandle }
	do(c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q, ReceiptHandle: h(0), VisibilityTimeout: 60})).ok(t)
	do(c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: q, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: h(1), VisibilityTimeout: 60}, {Id: aws.String("bad"), ReceiptHandle: aws.String("nope"), VisibilityTimeout: 60}}})).ok(t)
	do(c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q, ReceiptHandle: h(0)})).ok(t)
	do(c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: h(1)}, {Id: aws.String("c"), ReceiptHandle: h(2)}}})).ok(t)

	do(c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: q, Label: aws.String("p"), AWSAccountIds: []string{"111122223333"}, Actions: []string{"SendMessage"}})).ok(t)
	do(c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: q, Label: aws.String("p")})).ok(t)
	do(c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: q, Tags: map[string]string{"k2": "v2"}})).ok(t)
	do(c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: q})).ok(t)
	do(c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: q, TagKeys: []string{"k2"}})).ok(t)

	// A redrive from the dead-letter queue back to its source.
	do(c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: dlq.QueueUrl, MessageBody: aws.String("dead")})).ok(t)
	task := do(c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqArn), MaxNumberOfMessagesPerSecond: aws.Int32(1)})).ok(t)
	do(c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqArn)})).ok(t)
	if _, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle}); err != nil {
		t.Logf("CancelMessageMoveTask of a finished task: %v", err)
	}

	do(c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q})).ok(t)
	do(c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "sqs"))
}
