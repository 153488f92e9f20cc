package localcloud_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwlogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportPolicy is the bucket policy the CloudWatch Logs user guide ("Export
// log data to Amazon S3 using the AWS CLI", step "Set permissions on an S3
// bucket") has learners attach: GetBucketAcl on the bucket and PutObject
// in it for the logs service principal of the region.
func exportPolicy(bucket, principal string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"Service":%q},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%s"},
 {"Effect":"Allow","Principal":{"Service":%q},"Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/*",
  "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, principal, bucket, principal, bucket)
}

// allowExports attaches exportPolicy for logs.us-east-1.amazonaws.com.
func allowExports(t *testing.T, objects *s3.Client, bucket string) {
	t.Helper()
	_, err := objects.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(exportPolicy(bucket, "logs.us-east-1.amazonaws.com"))})
	require.NoError(t, err)
}

// TestLogsExportNeedsBucketPolicy: CloudWatch Logs writes an export as its
// service principal, not as the caller, so even the caller's own bucket
// needs a policy letting logs.REGION.amazonaws.com (or logs.amazonaws.com)
// read its ACL and put objects; without one CreateExportTask fails with
// "GetBucketAcl call on the given bucket failed..." and writes nothing.
func TestLogsExportNeedsBucketPolicy(t *testing.T) {
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	logs := cwlogs.NewFromConfig(cfg)
	_, err := logs.CreateLogGroup(ctx, &cwlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/x")})
	require.NoError(t, err)
	export := func(bucket string) error {
		_, err := logs.CreateExportTask(ctx, &cwlogs.CreateExportTaskInput{LogGroupName: aws.String("/app/x"), From: aws.Int64(0), To: aws.Int64(1),
			Destination: aws.String(bucket)})
		return err
	}
	for name, policy := range map[string]string{
		"labkit-no-policy":     "",
		"labkit-other-service": exportPolicy("labkit-other-service", "delivery.logs.amazonaws.com"),
		"labkit-other-bucket":  exportPolicy("labkit-elsewhere", "logs.us-east-1.amazonaws.com"),
		"labkit-global-name":   exportPolicy("labkit-global-name", "logs.amazonaws.com"),
		"labkit-regional-name": exportPolicy("labkit-regional-name", "logs.us-east-1.amazonaws.com"),
	} {
		_, err := objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		require.NoError(t, err)
		if policy != "" {
			_, err = objects.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(name), Policy: aws.String(policy)})
			require.NoError(t, err)
		}
	}
	for _, bucket := range []string{"labkit-no-policy", "labkit-other-service", "labkit-other-bucket"} {
		err := export(bucket)
		var e *cwtypes.InvalidParameterException
		require.True(t, errors.As(err, &e), "%s: %v", bucket, err)
		assert.Equal(t, "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation.", e.ErrorMessage(), bucket)
		list, err := objects.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		require.NoError(t, err)
		assert.Empty(t, list.Contents, "%s: nothing written", bucket)
	}
	for _, bucket := range []string{"labkit-global-name", "labkit-regional-name"} {
		require.NoError(t, export(bucket), bucket)
	}
}
