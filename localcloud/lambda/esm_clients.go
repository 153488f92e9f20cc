package lambda

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	sstypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// esmClients are the SDK clients a mapping's pollers use: they call the
// local cloud's own public APIs, acting in the mapping's account and region,
// as AWS's pollers do.
type esmClients struct {
	sqs     *sqs.Client
	streams *dynamodbstreams.Client
	sns     *sns.Client // functions' dead-letter topics
}

type clientKey struct{ endpoint, account, region string }

// clientsFor returns the clients acting in account and region against the
// current endpoint.
func (s *Service) clientsFor(account, region string) (*esmClients, error) {
	ep := s.endpointURL()
	if ep == "" {
		return nil, errors.New("the local cloud's endpoint is not known yet")
	}
	k := clientKey{ep, account, region}
	if c, ok := s.esm.clients.Load(k); ok {
		return c.(*esmClients), nil
	}
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(account, "local-cloud-poller", ""),
		BaseEndpoint:     aws.String(ep),
		RetryMaxAttempts: 3,
		HTTPClient:       &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}},
	}
	c := &esmClients{sqs: sqs.NewFromConfig(cfg), streams: dynamodbstreams.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg)}
	v, _ := s.esm.clients.LoadOrStore(k, c)
	return v.(*esmClients), nil
}

// queueURL resolves a queue ARN to its URL through GetQueueUrl.
func queueURL(ctx context.Context, c *esmClients, arn string) (string, error) {
	a, ok := protocol.ParseARN(arn)
	if !ok {
		return "", fmt.Errorf("%s is not a queue ARN", arn)
	}
	out, err := c.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(a.Resource), QueueOwnerAWSAccountId: aws.String(a.Account)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

// sdkErrorText describes an SDK error as Lambda's messages about sources do.
func sdkErrorText(err error) (code, msg string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "ServiceUnavailable", err.Error()
}

// checkMappingSource checks the event source a mapping names exists, and
// for queues that the function's timeout fits the queue's visibility
// timeout, as AWS does on create and update. With lenient, a source that
// cannot be read is let through (an update must be able to disable a
// mapping whose queue is gone); only the timeout mismatch is refused.
func (s *Service) checkMappingSource(ctx context.Context, m *mapping, f *function, lenient bool) error {
	c, err := s.clientsFor(m.Account, m.Region)
	if err != nil && lenient {
		return nil
	}
	if err != nil {
		return protocol.StatusErrorf(http.StatusServiceUnavailable, "ServiceException", "cannot check the event source: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch m.Kind {
	case esmSQS:
		url, err := queueURL(ctx, c, m.Source)
		if err == nil {
			var out *sqs.GetQueueAttributesOutput
			out, err = c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})
			if err == nil {
				vt, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)])
				if vt < f.Timeout {
					return protocol.Errorf("InvalidParameterValueException", "Queue visibility timeout: %d seconds is less than Function timeout: %d seconds", vt, f.Timeout)
				}
				return nil
			}
		}
		if lenient {
			return nil
		}
		code, msg := sdkErrorText(err)
		return protocol.Errorf("InvalidParameterValueException", "Error occurred while ReceiveMessage. SQS Error Code: %s. SQS Error Message: %s", code, msg)
	case esmStream:
		_, err := c.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(m.Source)})
		if err != nil {
			var nf *sstypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				return protocol.Errorf("InvalidParameterValueException", "Stream not found: %s", m.Source)
			}
			code, msg := sdkErrorText(err)
			return protocol.Errorf("InvalidParameterValueException", "Cannot access stream %s. DynamoDB Streams error %s: %s", m.Source, code, msg)
		}
	}
	return nil
}
