package apigw_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/apigw"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// hello stands in for the Lambda service: every function says hello.
type hello struct{}

func (hello) InvokeFromService(ctx context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
	return protocol.InvocationResult{Payload: []byte(`{"statusCode":200,"body":"hello from ` + in.FunctionARN + `"}`)}, nil
}

// Quick create an HTTP API for a function and call it through its ApiEndpoint.
func Example() {
	dir, _ := os.MkdirTemp("", "apigw-example")
	defer os.RemoveAll(dir)
	svc, err := apigw.New(apigw.Config{DataDir: dir, Functions: hello{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()
	rt := protocol.NewRouter(protocol.RouterConfig{})
	rt.Handle(svc.Route())
	srv := httptest.NewServer(rt)
	defer srv.Close()

	client := apigatewayv2.NewFromConfig(cloudtest.Config(srv.URL, cloudtest.Account, "us-east-1"))
	api, err := client.CreateApi(context.Background(), &apigatewayv2.CreateApiInput{Name: aws.String("orders"),
		ProtocolType: types.ProtocolTypeHttp, Target: aws.String("arn:aws:lambda:us-east-1:123456789012:function:orders")})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := http.Get(*api.ApiEndpoint + "/orders/42")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello from arn:aws:lambda:us-east-1:123456789012:function:orders
}
