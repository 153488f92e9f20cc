package logs_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// recorder is a FunctionInvoker that records invocations.
type recorder struct {
	mu    sync.Mutex
	calls []protocol.ServiceInvocation
}

func (r *recorder) InvokeFromService(_ context.Context, in protocol.ServiceInvocation) (protocol.InvocationResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if in.DryRun {
		if strings.HasSuffix(in.FunctionARN, ":function:missing") {
			return protocol.InvocationResult{}, protocol.Errorf("ResourceNotFoundException", "Function not found: %s", in.FunctionARN)
		}
		return protocol.InvocationResult{}, nil
	}
	r.calls = append(r.calls, in)
	return protocol.InvocationResult{}, nil
}

func (r *recorder) all() []protocol.ServiceInvocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]protocol.ServiceInvocation(nil), r.calls...)
}

// TestSubscriptionFilterDeliversToLambda: matching events reach the
// function as CloudWatch Logs sends them: an asynchronous invocation by
// logs.amazonaws.com whose event is {"awslogs":{"data":base64(gzip(json))}}
// with a DATA_MESSAGE naming group, stream and filter.
func TestSubscriptionFilterDeliversToLambda(t *testing.T) {
	t.Parallel()
	c, svc, _ := newClient(t)
	rec := &recorder{}
	svc.SetFunctions(rec)
	ctx := context.Background()
	mustGroup(t, c, "/app/orders", "s1")
	fn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:shipper"
	_, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/app/orders"), FilterName: aws.String("errors"),
		FilterPattern: aws.String("ERROR"), DestinationArn: aws.String(fn)})
	require.NoError(t, err)
	now := time.Now().UnixMilli()
	_, err = c.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/app/orders"), LogStreamName: aws.String("s1"),
		LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(now), Message: aws.String("INFO fine")}, {Timestamp: aws.Int64(now + 1), Message: aws.String("ERROR broken")}}})
	require.NoError(t, err)
	calls := rec.all()
	require.Len(t, calls, 1)
	in := calls[0]
	assert.Equal(t, fn, in.FunctionARN)
	assert.Equal(t, "logs.amazonaws.com", in.SourcePrincipal)
	assert.Equal(t, "arn:aws:logs:us-east-1:"+cloudtest.Account+":log-group:/app/orders:*", in.SourceARN)
	assert.True(t, in.Async)
	var ev struct {
		Awslogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	require.NoError(t, json.Unmarshal(in.Payload, &ev))
	gz, err := base64.StdEncoding.DecodeString(ev.Awslogs.Data)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	var msg struct {
		MessageType, Owner, LogGroup, LogStream string
		SubscriptionFilters                     []string
		LogEvents                               []struct {
			ID        string
			Timestamp int64
			Message   string
		}
	}
	require.NoError(t, json.Unmarshal(raw, &msg))
	assert.Equal(t, "DATA_MESSAGE", msg.MessageType)
	assert.Equal(t, cloudtest.Account, msg.Owner)
	assert.Equal(t, "/app/orders", msg.LogGroup)
	assert.Equal(t, "s1", msg.LogStream)
	assert.Equal(t, []string{"errors"}, msg.SubscriptionFilters)
	require.Len(t, msg.LogEvents, 1)
	assert.Equal(t, "ERROR broken", msg.LogEvents[0].Message)
	assert.Equal(t, now+1, msg.LogEvents[0].Timestamp)
	assert.Len(t, msg.LogEvents[0].ID, 56)
}

// TestSubscriptionFilterRules: two filters per group at most (AWS's
// quota), Kinesis and Firehose destinations are refused as AWS refuses a
// stream that is not there, a missing filter is ResourceNotFound, and
// filters survive a restart and go with their group.
func TestSubscriptionFilterRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	c := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := context.Background()
	mustGroup(t, c, "g")
	fn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:f"
	put := func(name, dest string) error {
		_, err := c.PutSubscriptionFilter(ctx, &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("g"), FilterName: aws.String(name),
			FilterPattern: aws.String(""), DestinationArn: aws.String(dest)})
		return err
	}
	require.NoError(t, put("a", fn))
	require.NoError(t, put("b", fn))
	require.NoError(t, put("a", fn), "replacing a filter is not a new one")
	var lim *types.LimitExceededException
	require.ErrorAs(t, put("c", fn), &lim)
	assert.Equal(t, "Resource limit exceeded.", lim.ErrorMessage())
	var inv *types.InvalidParameterException
	require.ErrorAs(t, put("a", "arn:aws:kinesis:us-east-1:"+cloudtest.Account+":stream/s"), &inv)
	assert.Equal(t, "Could not deliver test message to specified Kinesis stream. Check if the given kinesis stream is in ACTIVE state.", inv.ErrorMessage())
	_, err := c.DeleteSubscriptionFilter(ctx, &cwl.DeleteSubscriptionFilterInput{LogGroupName: aws.String("g"), FilterName: aws.String("zz")})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "The specified subscription filter does not exist.", nf.ErrorMessage())
	require.NoError(t, svc.Close())

	c2 := cwl.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, newService(t, dir).Route()), cloudtest.Account, "us-east-1"))
	out, err := c2.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("g")})
	require.NoError(t, err)
	require.Len(t, out.SubscriptionFilters, 2)
	assert.Equal(t, "a", aws.ToString(out.SubscriptionFilters[0].FilterName))
	assert.Equal(t, types.DistributionByLogStream, out.SubscriptionFilters[0].Distribution)
	_, err = c2.DeleteLogGroup(ctx, &cwl.DeleteLogGroupInput{LogGroupName: aws.String("g")})
	require.NoError(t, err)
	mustGroup(t, c2, "g")
	out, err = c2.DescribeSubscriptionFilters(ctx, &cwl.DescribeSubscriptionFiltersInput{LogGroupName: aws.String("g")})
	require.NoError(t, err)
	assert.Empty(t, out.SubscriptionFilters)
}

// TestSubscriptionFilterChecksTheFunction: PutSubscriptionFilter asks
// Lambda whether the destination exists and allows logs.amazonaws.com, and
// answers CloudWatch Logs' InvalidParameterException when it does not.
func TestSubscriptionFilterChecksTheFunction(t *testing.T) {
	t.Parallel()
	c, svc, _ := newClient(t)
	svc.SetFunctions(&recorder{})
	mustGroup(t, c, "/app/orders", "s1")
	_, err := c.PutSubscriptionFilter(context.Background(), &cwl.PutSubscriptionFilterInput{LogGroupName: aws.String("/app/orders"), FilterName: aws.String("f"),
		FilterPattern: aws.String(""), DestinationArn: aws.String("arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:missing")})
	cloudtest.APIError(t, err, "InvalidParameterException", "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.")
}
