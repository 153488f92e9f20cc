package demo_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/kit/demo"
	"github.com/labkit-dev/labkit/kit/demo/demotest"
)

// TestRemoteSourceFollowsOnlyItsAccounts reads a local cloud's activity
// over /_lab/activity, as lab demo --endpoint does: the demo account's
// calls arrive, another account's do not.
func TestRemoteSourceFollowsOnlyItsAccounts(t *testing.T) {
	url, _ := demotest.Cloud(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, err := demo.RemoteSource{Endpoint: url, Accounts: []string{"999999999999"}}.Subscribe(ctx)
	require.NoError(t, err)
	call := func(account, queue string) {
		c := sqs.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
			Credentials: credentials.NewStaticCredentialsProvider(account, "x", "")})
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)})
		require.NoError(t, err)
	}
	call("123456789012", "learners-queue") // another account: must not show
	call("999999999999", "demo-queue")
	for {
		select {
		case e := <-events:
			assert.Equal(t, "999999999999", e.Account, "an event of another account: %+v", e)
			if e.Service == "sqs" && e.Name == "CreateQueue" {
				return
			}
		case <-ctx.Done():
			t.Fatal("the demo account's CreateQueue never arrived")
		}
	}
}

// TestActivityStreamGuarded: the stream wants its accounts named, and a
// web page of another origin cannot read it (the router's guard).
func TestActivityStreamGuarded(t *testing.T) {
	url, _ := demotest.Cloud(t)
	for _, tc := range []struct {
		name, query, origin string
		want                int
	}{
		{"no account", "", "", http.StatusBadRequest},
		{"not an account id", "?account=../../etc", "", http.StatusBadRequest},
		{"another origin", "?account=999999999999", "http://evil.example", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, url+"/_lab/activity"+tc.query, nil)
			require.NoError(t, err)
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
}
