package logs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestCLI(t *testing.T) {
	t.Parallel()
	_, _, url := newClient(t)
	acct := cloudtest.Account
	cloudtest.CLIJSON(t, url, acct, nil, "logs", "create-log-group", "--log-group-name", "/aws/lambda/orders")
	cloudtest.CLIJSON(t, url, acct, nil, "logs", "put-retention-policy", "--log-group-name", "/aws/lambda/orders", "--retention-in-days", "14")
	// The events go in through the SDK: each CLI start costs about a second.
	c := cwl.NewFromConfig(cloudtest.Config(url, acct, "us-east-1"))
	now := time.Now().UnixMilli()
	mustStream(t, c, "/aws/lambda/orders", "s1")
	if _, err := c.PutLogEvents(cloudtest.Context(t), &cwl.PutLogEventsInput{LogGroupName: aws.String("/aws/lambda/orders"), LogStreamName: aws.String("s1"), LogEvents: []types.InputLogEvent{
		{Timestamp: aws.Int64(now), Message: aws.String(`{"orderId":"o-1","level":"INFO"}`)},
		{Timestamp: aws.Int64(now + 1), Message: aws.String(`{"orderId":"o-2"}`)},
	}}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}

	var groups struct {
		LogGroups []struct {
			LogGroupName    string
			RetentionInDays int
		} `json:"logGroups"`
	}
	cloudtest.CLIJSON(t, url, acct, &groups, "logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/")
	if len(groups.LogGroups) != 1 || groups.LogGroups[0].RetentionInDays != 14 {
		t.Errorf("got %+v, want /aws/lambda/orders with retention 14", groups)
	}

	var filtered struct {
		Events []struct {
			LogStreamName string `json:"logStreamName"`
			Message       string `json:"message"`
		} `json:"events"`
	}
	cloudtest.CLIJSON(t, url, acct, &filtered, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/orders",
		"--filter-pattern", `{ $.orderId = "o-1" }`)
	if len(filtered.Events) != 1 || filtered.Events[0].LogStreamName != "s1" || !strings.Contains(filtered.Events[0].Message, "o-1") {
		t.Errorf("got %+v, want the o-1 event", filtered)
	}

}
