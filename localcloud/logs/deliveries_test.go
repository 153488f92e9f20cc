package logs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestDeliveries walks the logs delivery APIs as their reference describes
// them: a delivery source for a resource of a service that vends logs (a
// CloudFront distribution sends ACCESS_LOGS), a destination whose type
// follows its resource (S3, CWL, FH), a delivery pairing them, and the
// rules between them: a source's resource cannot change ("Update to
// existing Delivery Source with new ResourceId is not allowed"), tags are
// given only at creation, a source or destination a delivery uses cannot
// be deleted, and these operations answer ValidationException.
func TestDeliveries(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	const dist = "arn:aws:cloudfront::" + cloudtest.Account + ":distribution/EDFDVBD6EXAMPLE"

	src, err := c.PutDeliverySource(ctx, &cwl.PutDeliverySourceInput{Name: aws.String("cf"), ResourceArn: aws.String(dist),
		LogType: aws.String("ACCESS_LOGS"), Tags: map[string]string{"team": "web"}})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:logs:us-east-1:"+cloudtest.Account+":delivery-source:cf", aws.ToString(src.DeliverySource.Arn))
	assert.Equal(t, []string{dist}, src.DeliverySource.ResourceArns)
	assert.Equal(t, "cloudfront", aws.ToString(src.DeliverySource.Service))
	assert.Equal(t, map[string]string{"team": "web"}, src.DeliverySource.Tags)

	_, err = c.PutDeliverySource(ctx, &cwl.PutDeliverySourceInput{Name: aws.String("cf"), ResourceArn: aws.String(dist + "2"), LogType: aws.String("ACCESS_LOGS")})
	assert.Equal(t, "ConflictException", apiCode(err), "%v", err)
	_, err = c.PutDeliverySource(ctx, &cwl.PutDeliverySourceInput{Name: aws.String("cf2"), ResourceArn: aws.String(dist), LogType: aws.String("ACCESS_LOGS")})
	assert.Equal(t, "ConflictException", apiCode(err), "one source per resource: %v", err)
	_, err = c.PutDeliverySource(ctx, &cwl.PutDeliverySourceInput{Name: aws.String("cf2"), ResourceArn: aws.String(dist), LogType: aws.String("EVENT_LOGS")})
	assert.Equal(t, "ValidationException", apiCode(err), "CloudFront sends ACCESS_LOGS only: %v", err)
	_, err = c.PutDeliverySource(ctx, &cwl.PutDeliverySourceInput{Name: aws.String("bad name"), ResourceArn: aws.String(dist), LogType: aws.String("ACCESS_LOGS")})
	assert.Equal(t, "ValidationException", apiCode(err), "%v", err)

	dst, err := c.PutDeliveryDestination(ctx, &cwl.PutDeliveryDestinationInput{Name: aws.String("bucket"), OutputFormat: types.OutputFormatJson,
		DeliveryDestinationConfiguration: &types.DeliveryDestinationConfiguration{DestinationResourceArn: aws.String("arn:aws:s3:::example-logs")}})
	require.NoError(t, err)
	assert.Equal(t, types.DeliveryDestinationTypeS3, dst.DeliveryDestination.DeliveryDestinationType)
	_, err = c.PutDeliveryDestination(ctx, &cwl.PutDeliveryDestinationInput{Name: aws.String("bucket"), Tags: map[string]string{"a": "b"},
		DeliveryDestinationConfiguration: &types.DeliveryDestinationConfiguration{DestinationResourceArn: aws.String("arn:aws:s3:::example-logs-2")}})
	assert.Equal(t, "ConflictException", apiCode(err), "tags only at creation: %v", err)
	upd, err := c.PutDeliveryDestination(ctx, &cwl.PutDeliveryDestinationInput{Name: aws.String("bucket"),
		DeliveryDestinationConfiguration: &types.DeliveryDestinationConfiguration{DestinationResourceArn: aws.String("arn:aws:s3:::example-logs-2")}})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:s3:::example-logs-2", aws.ToString(upd.DeliveryDestination.DeliveryDestinationConfiguration.DestinationResourceArn))
	assert.Equal(t, types.OutputFormatJson, upd.DeliveryDestination.OutputFormat)

	_, err = c.PutDeliveryDestinationPolicy(ctx, &cwl.PutDeliveryDestinationPolicyInput{DeliveryDestinationName: aws.String("bucket"), DeliveryDestinationPolicy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	require.NoError(t, err)
	pol, err := c.GetDeliveryDestinationPolicy(ctx, &cwl.GetDeliveryDestinationPolicyInput{DeliveryDestinationName: aws.String("bucket")})
	require.NoError(t, err)
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[]}`, aws.ToString(pol.Policy.DeliveryDestinationPolicy))
	_, err = c.GetDeliveryDestinationPolicy(ctx, &cwl.GetDeliveryDestinationPolicyInput{DeliveryDestinationName: aws.String("absent")})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err), "%v", err)

	d, err := c.CreateDelivery(ctx, &cwl.CreateDeliveryInput{DeliverySourceName: aws.String("cf"), DeliveryDestinationArn: dst.DeliveryDestination.Arn,
		RecordFields: []string{"date", "time"}, FieldDelimiter: aws.String(",")})
	require.NoError(t, err)
	assert.Equal(t, types.DeliveryDestinationTypeS3, d.Delivery.DeliveryDestinationType)
	assert.Equal(t, "arn:aws:logs:us-east-1:"+cloudtest.Account+":delivery:"+aws.ToString(d.Delivery.Id), aws.ToString(d.Delivery.Arn))
	_, err = c.CreateDelivery(ctx, &cwl.CreateDeliveryInput{DeliverySourceName: aws.String("cf"), DeliveryDestinationArn: dst.DeliveryDestination.Arn})
	assert.Equal(t, "ConflictException", apiCode(err), "%v", err)
	_, err = c.CreateDelivery(ctx, &cwl.CreateDeliveryInput{DeliverySourceName: aws.String("cf"), DeliveryDestinationArn: aws.String("arn:aws:logs:us-east-1:" + cloudtest.Account + ":delivery-destination:absent")})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err), "%v", err)

	_, err = c.UpdateDeliveryConfiguration(ctx, &cwl.UpdateDeliveryConfigurationInput{Id: d.Delivery.Id, FieldDelimiter: aws.String("\t")})
	require.NoError(t, err)
	got, err := c.GetDelivery(ctx, &cwl.GetDeliveryInput{Id: d.Delivery.Id})
	require.NoError(t, err)
	assert.Equal(t, "\t", aws.ToString(got.Delivery.FieldDelimiter))
	assert.Equal(t, []string{"date", "time"}, got.Delivery.RecordFields)

	_, err = c.DeleteDeliverySource(ctx, &cwl.DeleteDeliverySourceInput{Name: aws.String("cf")})
	assert.Equal(t, "ConflictException", apiCode(err), "in use: %v", err)
	_, err = c.DeleteDeliveryDestination(ctx, &cwl.DeleteDeliveryDestinationInput{Name: aws.String("bucket")})
	assert.Equal(t, "ConflictException", apiCode(err), "in use: %v", err)

	all, err := c.DescribeDeliveries(ctx, &cwl.DescribeDeliveriesInput{})
	require.NoError(t, err)
	assert.Len(t, all.Deliveries, 1)
	_, err = c.DeleteDelivery(ctx, &cwl.DeleteDeliveryInput{Id: d.Delivery.Id})
	require.NoError(t, err)
	_, err = c.GetDelivery(ctx, &cwl.GetDeliveryInput{Id: d.Delivery.Id})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err), "%v", err)
	_, err = c.DeleteDeliverySource(ctx, &cwl.DeleteDeliverySourceInput{Name: aws.String("cf")})
	require.NoError(t, err)
	_, err = c.DeleteDeliveryDestination(ctx, &cwl.DeleteDeliveryDestinationInput{Name: aws.String("bucket")})
	require.NoError(t, err)
	srcs, err := c.DescribeDeliverySources(ctx, &cwl.DescribeDeliverySourcesInput{})
	require.NoError(t, err)
	assert.Empty(t, srcs.DeliverySources)
	dsts, err := c.DescribeDeliveryDestinations(ctx, &cwl.DescribeDeliveryDestinationsInput{})
	require.NoError(t, err)
	assert.Empty(t, dsts.DeliveryDestinations)
	_, err = c.GetDeliveryDestination(ctx, &cwl.GetDeliveryDestinationInput{Name: aws.String("bucket")})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err), "%v", err)
}

// TestTagResourceTakesDestinationsAndDeliveries: TagResource,
// UntagResource and ListTagsForResource take the ARN of a log group, a
// destination (arn:aws:logs:region:account:destination:name) and the
// delivery resources; a destination's tags stay out of its Destination
// shape.
func TestTagResourceTakesDestinationsAndDeliveries(t *testing.T) {
	t.Parallel()
	c, _, _ := newClient(t)
	ctx := context.Background()
	d, err := c.PutDestination(ctx, &cwl.PutDestinationInput{DestinationName: aws.String("dest"),
		TargetArn: aws.String("arn:aws:kinesis:us-east-1:" + cloudtest.Account + ":stream/s"),
		RoleArn:   aws.String("arn:aws:iam::" + cloudtest.Account + ":role/r"), Tags: map[string]string{"a": "1"}})
	require.NoError(t, err)
	dd, err := c.PutDeliveryDestination(ctx, &cwl.PutDeliveryDestinationInput{Name: aws.String("dd"),
		DeliveryDestinationConfiguration: &types.DeliveryDestinationConfiguration{DestinationResourceArn: aws.String("arn:aws:s3:::b")}})
	require.NoError(t, err)
	for _, arn := range []string{aws.ToString(d.Destination.Arn), aws.ToString(dd.DeliveryDestination.Arn)} {
		_, err = c.TagResource(ctx, &cwl.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"b": "2"}})
		require.NoError(t, err, arn)
		_, err = c.UntagResource(ctx, &cwl.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}})
		require.NoError(t, err, arn)
		got, err := c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		require.NoError(t, err, arn)
		assert.Equal(t, map[string]string{"b": "2"}, got.Tags, arn)
	}
	gdd, err := c.GetDeliveryDestination(ctx, &cwl.GetDeliveryDestinationInput{Name: aws.String("dd")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"b": "2"}, gdd.DeliveryDestination.Tags)
	_, err = c.ListTagsForResource(ctx, &cwl.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:" + cloudtest.Account + ":destination:absent")})
	assert.Equal(t, "ResourceNotFoundException", apiCode(err), "%v", err)
}
