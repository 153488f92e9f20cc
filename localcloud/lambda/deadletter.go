package lambda

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A function's dead-letter queue (DeadLetterConfig.TargetArn, an SQS queue
// or SNS topic) receives the Event invocations Lambda gave up on after its
// retries: the event as the message body, with the attributes AWS sets
// (RequestID, ErrorCode, ErrorMessage). When the send fails, the function's
// DeadLetterErrors metric counts it.

// deadLetterConfig is the DeadLetterConfig shape of requests and answers.
type deadLetterConfig struct {
	TargetArn string `json:"TargetArn,omitempty"`
}

// setDeadLetter applies a request's DeadLetterConfig (nil leaves it as it
// is; an empty TargetArn removes it).
func (f *function) setDeadLetter(dc *deadLetterConfig) error {
	if dc == nil {
		return nil
	}
	if dc.TargetArn == "" {
		f.DeadLetter = ""
		return nil
	}
	a, ok := protocol.ParseARN(dc.TargetArn)
	if !ok || (a.Service != "sqs" && a.Service != "sns") || a.Resource == "" || strings.Contains(a.Resource, ":") {
		return protocol.Errorf("InvalidParameterValueException", "The provided target arn is invalid: %s. It must be an SQS queue or an SNS topic.", truncate(dc.TargetArn, 256))
	}
	f.DeadLetter = dc.TargetArn
	return nil
}

// deadLetterOut is the DeadLetterConfig of a function's configuration.
func (f *function) deadLetterOut() *deadLetterConfig {
	if f.DeadLetter == "" {
		return nil
	}
	return &deadLetterConfig{TargetArn: f.DeadLetter}
}

// sendToDeadLetter sends a failed Event invocation to f's dead-letter
// queue, if it has one, and counts a failure to in DeadLetterErrors.
func (s *Service) sendToDeadLetter(ctx context.Context, f *function, ev *asyncEvent, code int, message string) {
	if f.DeadLetter == "" {
		return
	}
	err := s.deliverDeadLetter(ctx, f, ev, code, message)
	if err == nil {
		return
	}
	s.log.Warn("lambda: send a failed event to the dead-letter queue", "function", f.Name, "target", f.DeadLetter, "err", err)
	s.countDeliveryFailure(f, "DeadLetterErrors")
}

func (s *Service) deliverDeadLetter(ctx context.Context, f *function, ev *asyncEvent, code int, message string) error {
	a, _ := protocol.ParseARN(f.DeadLetter)
	if a.Account != f.Account || a.Region != f.Region {
		return fmt.Errorf("%s is not in the function's account and region", f.DeadLetter)
	}
	return s.sendMessage(ctx, f.DeadLetter, string(ev.payload), []msgAttr{{"RequestID", "String", ev.id},
		{"ErrorCode", "Number", strconv.Itoa(code)}, {"ErrorMessage", "String", truncate(message, 1024)}})
}

// msgAttr is a message attribute of an SQS or SNS message.
type msgAttr struct{ name, typ, value string }

// sendMessage sends body with attrs to an SQS queue or publishes it to an
// SNS topic, acting in the target's account and region.
func (s *Service) sendMessage(ctx context.Context, arn, body string, attrs []msgAttr) error {
	a, _ := protocol.ParseARN(arn)
	c, err := s.clientsFor(a.Account, a.Region)
	if err != nil {
		return err
	}
	if a.Service == "sns" {
		in := &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(body), MessageAttributes: map[string]snstypes.MessageAttributeValue{}}
		for _, at := range attrs {
			in.MessageAttributes[at.name] = snstypes.MessageAttributeValue{DataType: aws.String(at.typ), StringValue: aws.String(at.value)}
		}
		_, err = c.sns.Publish(ctx, in)
		return err
	}
	url, err := queueURL(ctx, c, arn)
	if err != nil {
		return err
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageAttributes: map[string]sqstypes.MessageAttributeValue{}}
	for _, at := range attrs {
		in.MessageAttributes[at.name] = sqstypes.MessageAttributeValue{DataType: aws.String(at.typ), StringValue: aws.String(at.value)}
	}
	_, err = c.sqs.SendMessage(ctx, in)
	return err
}
