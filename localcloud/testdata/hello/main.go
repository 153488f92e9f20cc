// Command hello is the function the HTTP API benchmark deploys: it answers
// every request with 200 and a small JSON body naming the route.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"content-type": "application/json"},
			Body: `{"route":"` + req.RouteKey + `","path":"` + req.RawPath + `"}`}, nil
	})
}
