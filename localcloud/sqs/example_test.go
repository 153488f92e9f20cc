package sqs_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/sqs"
)

// The service is an http.Handler behind the local cloud's router; the real
// SDK talks to it unchanged.
func Example() {
	dir, _ := os.MkdirTemp("", "sqs-example")
	defer os.RemoveAll(dir)
	svc, err := sqs.New(sqs.Config{DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	rt := protocol.NewRouter(protocol.RouterConfig{})
	rt.Handle(svc.Route())
	srv := httptest.NewServer(rt)
	defer srv.Close()

	ctx := context.Background()
	client := awssqs.NewFromConfig(cloudtest.Config(srv.URL, "123456789012", "us-east-1"))
	q, err := client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("orders")})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("order 1")}); err != nil {
		log.Fatal(err)
	}
	out, err := client.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(aws.ToString(out.Messages[0].Body))
	// Output: order 1
}
