package iam_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/labkit-dev/labkit/localcloud/iam"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Example wires IAM and STS into a router that resolves temporary
// credentials through the same service, as the local cloud does.
func Example() {
	dir, err := os.MkdirTemp("", "iam-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	svc, err := iam.New(iam.Config{DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	rt := protocol.NewRouter(protocol.RouterConfig{Resolver: svc})
	rt.Handle(svc.Route())
	rt.Handle(svc.STSRoute())
	srv := httptest.NewServer(rt)
	defer srv.Close()

	client := sts.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("123456789012", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(aws.ToString(out.Arn))
	// Output: arn:aws:iam::123456789012:root
}
