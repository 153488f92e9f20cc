package logs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestLogGroupIdentifierWithStarIsRefused: botocore's LogGroupIdentifier
// pattern is [\w#+=/:,.@-]*, so the arn member of DescribeLogGroups (which
// ends in :*) is refused with InvalidParameterException, while
// logGroupArn and the name are accepted.
func TestLogGroupIdentifierWithStarIsRefused(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	mustGroup(t, c, "/app/orders", "s1")
	arn := "arn:aws:logs:us-east-1:" + cloudtest.Account + ":log-group:/app/orders"
	for _, id := range []string{arn, "/app/orders"} {
		_, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(id)})
		assert.NoError(t, err, id)
	}
	star := arn + ":*"
	_, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(star)})
	var e *types.InvalidParameterException
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, "1 validation error detected: Value '"+star+"' at 'logGroupIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w#+=/:,.@-]*", e.ErrorMessage())
	_, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupIdentifier: aws.String(star), LogStreamName: aws.String("s1")})
	assert.True(t, errors.As(err, &e), "%v", err)
}

// TestKmsKeyIDIsReturned: DescribeLogGroups' LogGroup has kmsKeyId, set
// by CreateLogGroup, and it survives a restart.
func TestKmsKeyIDIsReturned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const key = "arn:aws:kms:us-east-1:" + cloudtest.Account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	describe := func(svcURL string) map[string]string {
		c := cwl.NewFromConfig(cloudtest.Config(svcURL, cloudtest.Account, "us-east-1"))
		out, err := c.DescribeLogGroups(context.Background(), &cwl.DescribeLogGroupsInput{})
		require.NoError(t, err)
		got := map[string]string{}
		for _, g := range out.LogGroups {
			got[aws.ToString(g.LogGroupName)] = aws.ToString(g.KmsKeyId)
		}
		return got
	}
	svc := newService(t, dir)
	url := cloudtest.Serve(t, svc.Route())
	c := cwl.NewFromConfig(cloudtest.Config(url, cloudtest.Account, "us-east-1"))
	_, err := c.CreateLogGroup(context.Background(), &cwl.CreateLogGroupInput{LogGroupName: aws.String("secret"), KmsKeyId: aws.String(key)})
	require.NoError(t, err)
	_, err = c.CreateLogGroup(context.Background(), &cwl.CreateLogGroupInput{LogGroupName: aws.String("plain")})
	require.NoError(t, err)
	want := map[string]string{"secret": key, "plain": ""}
	assert.Equal(t, want, describe(url))
	require.NoError(t, svc.Close())

	svc2 := newService(t, dir)
	url2 := cloudtest.Serve(t, svc2.Route())
	assert.Equal(t, want, describe(url2))
	// A group made again under the same name has no key of its own.
	c2 := cwl.NewFromConfig(cloudtest.Config(url2, cloudtest.Account, "us-east-1"))
	_, err = c2.DeleteLogGroup(context.Background(), &cwl.DeleteLogGroupInput{LogGroupName: aws.String("secret")})
	require.NoError(t, err)
	_, err = c2.CreateLogGroup(context.Background(), &cwl.CreateLogGroupInput{LogGroupName: aws.String("secret")})
	require.NoError(t, err)
	require.NoError(t, svc2.Close())
	assert.Equal(t, map[string]string{"secret": "", "plain": ""}, describe(cloudtest.Serve(t, newService(t, dir).Route())))
}
