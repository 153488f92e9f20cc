package sqs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func TestDeliverFromService(t *testing.T) {
	t.Parallel()
	svc := newService(t, "")
	c, _ := newClient(t, svc, cloudtest.Account)
	ctx := context.Background()
	const topic = "arn:aws:sns:us-east-1:123456789012:orders"
	policyFor := func(principal, condition string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":%s,"Action":"sqs:SendMessage","Resource":"*"%s}]}`, principal, condition)
	}
	tests := []struct {
		name   string
		policy string
		source string
		allow  bool
	}{
		{"no policy", "", topic, false},
		{"service with ArnEquals", policyFor(`{"Service":"sns.amazonaws.com"}`, `,"Condition":{"ArnEquals":{"aws:SourceArn":"`+topic+`"}}`), topic, true},
		{"service with another topic", policyFor(`{"Service":"sns.amazonaws.com"}`, `,"Condition":{"ArnEquals":{"aws:SourceArn":"`+topic+`"}}`), topic + "-other", false},
		{"star with ArnLike", policyFor(`"*"`, `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:*"}}`), topic, true},
		{"AWS star with SourceAccount", policyFor(`{"AWS":"*"}`, `,"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}`), topic, true},
		{"other service", policyFor(`{"Service":"events.amazonaws.com"}`, ""), topic, false},
		{"explicit deny", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*"},{"Effect":"Deny","Principal":"*","Action":"sqs:SendMessage"}]}`, topic, false},
	}
	for i, tt := range tests {
		name := fmt.Sprintf("deliver-%d", i)
		attrs := map[string]string{}
		if tt.policy != "" {
			attrs["Policy"] = tt.policy
		}
		url := createQueue(t, c, name, attrs)
		arn := queueArn(t, c, url)
		err := svc.DeliverFromService(ctx, protocol.ServiceDelivery{
			QueueARN: arn, SourcePrincipal: "sns.amazonaws.com", SourceARN: tt.source, SourceAccount: cloudtest.Account,
			Body:       `{"Type":"Notification"}`,
			Attributes: map[string]protocol.MessageAttributeValue{"k": {DataType: "String", StringValue: "v"}},
		})
		if !tt.allow {
			var pe *protocol.Error
			if !errors.As(err, &pe) || pe.Code != "AccessDenied" {
				t.Errorf("%s: got %v, want AccessDenied", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		msgs := receive(t, c, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"}})
		if len(msgs) != 1 || aws.ToString(msgs[0].MessageAttributes["k"].StringValue) != "v" {
			t.Errorf("%s: got %+v, want the delivered message", tt.name, msgs)
		}
	}
	err := svc.DeliverFromService(ctx, protocol.ServiceDelivery{QueueARN: "arn:aws:sqs:us-east-1:123456789012:missing", SourcePrincipal: "sns.amazonaws.com", Body: "x"})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != "QueueDoesNotExist" {
		t.Errorf("missing queue: got %v, want QueueDoesNotExist", err)
	}
}

func TestReceiveAndDeleteFromService(t *testing.T) {
	t.Parallel()
	svc := newService(t, "")
	c, _ := newClient(t, svc, cloudtest.Account)
	ctx := context.Background()
	url := createQueue(t, c, "mapped", nil)
	arn := queueArn(t, c, url)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("job"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	attrs, err := svc.QueueAttributesFromService(ctx, arn)
	if err != nil || attrs["VisibilityTimeout"] != "30" {
		t.Fatalf("QueueAttributesFromService: got %v, %v", attrs, err)
	}
	msgs, err := svc.ReceiveFromService(ctx, arn, 10, time.Second)
	if err != nil {
		t.Fatalf("ReceiveFromService: %v", err)
	}
	if len(msgs) != 1 || msgs[0].Body != "job" || msgs[0].Attributes["ApproximateReceiveCount"] != "1" || msgs[0].MessageAttributes["k"].StringValue != "v" {
		t.Fatalf("got %+v", msgs)
	}
	if err := svc.DeleteFromService(ctx, arn, msgs[0].ReceiptHandle); err != nil {
		t.Fatalf("DeleteFromService: %v", err)
	}
	if got := queueAttrs(t, c, url); got["ApproximateNumberOfMessages"] != "0" || got["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after delete: %v", got)
	}
	var pe *protocol.Error
	if _, err := svc.ReceiveFromService(ctx, arn+"-missing", 1, 0); !errors.As(err, &pe) || pe.Code != "QueueDoesNotExist" {
		t.Fatalf("missing queue: got %v", err)
	}
}
