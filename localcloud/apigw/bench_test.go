package apigw

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/labkit-dev/labkit/localcloud/bench"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// BenchmarkHTTPAPIInvoke drives the execute endpoint with 8 concurrent
// net/http clients (bench.Clients); the function is an in-process fake that
// answers at once, so "gateway" measures the gateway's own overhead: the
// router, stage and route matching, throttling, the 2.0 event, response
// mapping and the loopback HTTP round trip. "null-server" is a server that
// answers the same body without doing anything: the floor of this machine.
func BenchmarkHTTPAPIInvoke(b *testing.B) {
	const answer = `{"ok":true}`
	get := func(url string) func(c *http.Client, _ int) error {
		return func(c *http.Client, _ int) error {
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
		}
	}
	newClient := func(int) *http.Client { return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}} }

	b.Run("gateway", func(b *testing.B) {
		e := newEnv(b, func(c *Config) { c.Now = nil })
		ctx := cloudtest.Context(b)
		e.fake.set(fnARN("fast"), func(context.Context, protocol.ServiceInvocation) (protocol.InvocationResult, error) {
			return protocol.InvocationResult{Payload: []byte(`{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"ok\":true}"}`)}, nil
		})
		a, _ := e.lambdaAPI("fast", "2.0", "GET /orders/{id}")
		// Lift the account's default limits: this measures the gateway, not its throttle.
		if _, err := e.client.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"),
			DefaultRouteSettings: &types.RouteSettings{ThrottlingBurstLimit: aws.Int32(1 << 30), ThrottlingRateLimit: aws.Float64(1e9)}}); err != nil {
			b.Fatalf("UpdateStage: %v", err)
		}
		bench.RunClients(b, newClient, get(aws.ToString(a.ApiEndpoint)+"/orders/42?x=1"))
	})
	b.Run("null-server", func(b *testing.B) {
		url := bench.NullServer(b, "application/json", answer)
		bench.RunClients(b, newClient, get(url+"/orders/42?x=1"))
	})
}
