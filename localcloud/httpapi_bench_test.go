package localcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud/bench"
)

// helloHandler is testdata/hello's handler, for the in-process floor.
func helloHandler(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"content-type": "application/json"},
		Body: `{"route":"` + req.RouteKey + `","path":"` + req.RawPath + `"}`}, nil
}

// BenchmarkCompareHTTPAPILambda sends GET requests from 8 clients through an
// HTTP API to a real Go function (its bootstrap running under the local
// cloud's Runtime API), next to the floor: an HTTP server that builds the
// same event and calls the same handler in-process.
//
//	go test -run '^$' -bench CompareHTTPAPI -benchtime 5000x ./localcloud/
func BenchmarkCompareHTTPAPILambda(b *testing.B) {
	get := func(b *testing.B, url string) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: bench.Clients}}
		bench.RunClients(b, func(int) *http.Client { return client }, func(c *http.Client, _ int) error {
			resp, err := c.Get(url)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		})
	}
	b.Run("in-process", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "GET /hello", RawPath: r.URL.Path, Headers: map[string]string{}}
			for k, v := range r.Header {
				ev.Headers[k] = v[0]
			}
			payload, _ := json.Marshal(ev)
			var in events.APIGatewayV2HTTPRequest
			json.Unmarshal(payload, &in)
			out, _ := helloHandler(r.Context(), in)
			body, _ := json.Marshal(out)
			var res events.APIGatewayV2HTTPResponse
			json.Unmarshal(body, &res)
			for k, v := range res.Headers {
				w.Header().Set(k, v)
			}
			w.WriteHeader(res.StatusCode)
			io.WriteString(w, res.Body)
		}))
		b.Cleanup(srv.Close)
		get(b, srv.URL+"/hello")
	})
	b.Run("localcloud", func(b *testing.B) {
		endpoint := startCloud(b)
		cfg := sdkConfig(endpoint)
		ctx := context.Background()
		zip, err := bundle.Build(ctx, "./testdata/hello", bundle.Options{})
		if err != nil {
			b.Fatal(err)
		}
		fns := lambda.NewFromConfig(cfg)
		fn, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("hello"), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(lambdaRole(b, cfg, "hello")), Code: &lambdatypes.FunctionCode{ZipFile: zip}, MemorySize: aws.Int32(128)})
		if err != nil {
			b.Fatal(err)
		}
		if err := lambda.NewFunctionActiveV2Waiter(fns).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("hello")}, 30e9); err != nil {
			b.Fatal(err)
		}
		gw := apigatewayv2.NewFromConfig(cfg)
		api, err := gw.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String("hello"), ProtocolType: "HTTP", Target: fn.FunctionArn, RouteKey: aws.String("GET /hello")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fns.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("hello"), StatementId: aws.String("apigw"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"),
			SourceArn: aws.String(fmt.Sprintf("arn:aws:execute-api:us-east-1:123456789012:%s/*", *api.ApiId))}); err != nil {
			b.Fatal(err)
		}
		get(b, *api.ApiEndpoint+"/hello")
	})
}
