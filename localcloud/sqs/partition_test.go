package sqs

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestPartitionQueueARNs: in cn-north-1 a queue's ARN is in the aws-cn
// partition (arn:${Partition}:sqs:${Region}:${Account}:${QueueName}), a
// redrive policy names its dead-letter queue by that ARN, and the same ARN
// written in the aws partition names no queue: "Dead letter target does not
// exist", as for any queue that is not there.
func TestPartitionQueueARNs(t *testing.T) {
	t.Parallel()
	svc := newService(t, t.TempDir())
	url := cloudtest.Serve(t, svc.Route())
	c := sqs.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "cn-north-1"))
	dlq := createQueue(t, c, "dlq", nil)
	arn := queueArn(t, c, dlq)
	if want := "arn:aws-cn:sqs:cn-north-1:" + cloudtest.Account + ":dlq"; arn != want {
		t.Fatalf("QueueArn %s, want %s", arn, want)
	}
	createQueue(t, c, "src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + arn + `","maxReceiveCount":"2"}`})
	wrong := strings.Replace(arn, "arn:aws-cn:", "arn:aws:", 1)
	_, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("src2"),
		Attributes: map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + wrong + `","maxReceiveCount":"2"}`}})
	if err == nil || !strings.Contains(err.Error(), "Dead letter target does not exist.") {
		t.Fatalf("RedrivePolicy naming %s: got %v, want 'Dead letter target does not exist.'", wrong, err)
	}
}
