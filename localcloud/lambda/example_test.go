package lambda_test

import (
	"context"
	"log"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud/lambda"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// ExampleNew serves the Lambda service, deploys a Go function packaged by
// bundle.Build and invokes it with the SDK.
func ExampleNew() {
	svc, err := lambda.New(lambda.Config{DataDir: "/tmp/lab-data", Endpoint: "http://127.0.0.1:4566"})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close() // stops every function process

	router := protocol.NewRouter(protocol.RouterConfig{})
	router.Handle(svc.Route())
	srv := httptest.NewServer(router)
	defer srv.Close()

	zip, err := bundle.Build(context.Background(), "./myfunction", bundle.Options{})
	if err != nil {
		log.Fatal(err)
	}
	client := awslambda.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("123456789012", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
	ctx := context.Background()
	_, err = client.CreateFunction(ctx, &awslambda.CreateFunctionInput{
		FunctionName: aws.String("orders"),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String("arn:aws:iam::123456789012:role/orders"),
		Code:         &types.FunctionCode{ZipFile: zip},
	})
	if err != nil {
		log.Fatal(err)
	}
	out, err := client.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte(`{}`)})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s", out.Payload)
}
