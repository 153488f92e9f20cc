package localcloud_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwlogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLogsExportToS3: CreateExportTask writes the group's events to the
// bucket in the layout the CloudWatch Logs user guide describes
// (<prefix>/<task id>/<stream>/000000.gz, gzipped lines that start with
// the event's time), after the aws-logs-write-test object holding
// "Permission Check Successful"; DescribeExportTasks reports the task
// COMPLETED ("Completed successfully", the text of the CLI reference's
// example) and CancelExportTask refuses a finished task.
func TestLogsExportToS3(t *testing.T) {
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	logs := cwlogs.NewFromConfig(cfg)
	_, err := objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-exports")})
	require.NoError(t, err)
	allowExports(t, objects, "labkit-exports")
	_, err = logs.CreateLogGroup(ctx, &cwlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/orders")})
	require.NoError(t, err)
	base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for stream, msgs := range map[string][]string{"web-1": {"order 1 placed", "order 2 placed"}, "web-2": {"ERROR out of stock"}, "batch": {"nightly run"}} {
		_, err = logs.CreateLogStream(ctx, &cwlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/orders"), LogStreamName: aws.String(stream)})
		require.NoError(t, err)
		var evs []cwtypes.InputLogEvent
		for i, m := range msgs {
			evs = append(evs, cwtypes.InputLogEvent{Timestamp: aws.Int64(base.Add(time.Duration(i) * time.Second).UnixMilli()), Message: aws.String(m)})
		}
		_, err = logs.PutLogEvents(ctx, &cwlogs.PutLogEventsInput{LogGroupName: aws.String("/app/orders"), LogStreamName: aws.String(stream), LogEvents: evs})
		require.NoError(t, err)
	}
	// An event outside [from, to] stays out of the export.
	_, err = logs.PutLogEvents(ctx, &cwlogs.PutLogEventsInput{LogGroupName: aws.String("/app/orders"), LogStreamName: aws.String("web-1"),
		LogEvents: []cwtypes.InputLogEvent{{Timestamp: aws.Int64(base.Add(time.Hour).UnixMilli()), Message: aws.String("later")}}})
	require.NoError(t, err)

	from, to := base.UnixMilli(), base.Add(time.Minute).UnixMilli()
	task, err := logs.CreateExportTask(ctx, &cwlogs.CreateExportTaskInput{LogGroupName: aws.String("/app/orders"), From: aws.Int64(from), To: aws.Int64(to),
		Destination: aws.String("labkit-exports"), LogStreamNamePrefix: aws.String("web-")})
	require.NoError(t, err)
	id := aws.ToString(task.TaskId)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, id)

	read := func(key string) []byte {
		t.Helper()
		out, err := objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-exports"), Key: aws.String(key)})
		require.NoError(t, err, key)
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, "Permission Check Successful", string(read("aws-logs-write-test")))
	gunzip := func(b []byte) string {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		s, err := io.ReadAll(zr)
		require.NoError(t, err)
		return string(s)
	}
	assert.Equal(t, "2026-12-07T10:00:00.000Z order 1 placed\n2026-12-07T10:00:01.000Z order 2 placed\n", gunzip(read("exportedlogs/"+id+"/web-1/000000.gz")))
	assert.Equal(t, "2026-12-07T10:00:00.000Z ERROR out of stock\n", gunzip(read("exportedlogs/"+id+"/web-2/000000.gz")))
	list, err := objects.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("labkit-exports"), Prefix: aws.String("exportedlogs/")})
	require.NoError(t, err)
	assert.Len(t, list.Contents, 2, "the batch stream does not match the prefix")

	desc, err := logs.DescribeExportTasks(ctx, &cwlogs.DescribeExportTasksInput{TaskId: aws.String(id)})
	require.NoError(t, err)
	require.Len(t, desc.ExportTasks, 1)
	got := desc.ExportTasks[0]
	assert.Equal(t, cwtypes.ExportTaskStatusCodeCompleted, got.Status.Code)
	assert.Equal(t, "Completed successfully", aws.ToString(got.Status.Message))
	assert.Equal(t, "/app/orders", aws.ToString(got.LogGroupName))
	assert.Equal(t, "labkit-exports", aws.ToString(got.Destination))
	assert.Equal(t, "exportedlogs", aws.ToString(got.DestinationPrefix))
	assert.Equal(t, from, aws.ToInt64(got.From))
	assert.Equal(t, to, aws.ToInt64(got.To))
	require.NotNil(t, got.ExecutionInfo)
	assert.NotNil(t, got.ExecutionInfo.CompletionTime)

	_, err = logs.CancelExportTask(ctx, &cwlogs.CancelExportTaskInput{TaskId: aws.String(id)})
	var inv *cwtypes.InvalidOperationException
	require.True(t, errors.As(err, &inv), "%v", err)
	assert.Equal(t, "The specified export task has already finished", inv.ErrorMessage())

	// A given prefix holds the write test too.
	task, err = logs.CreateExportTask(ctx, &cwlogs.CreateExportTaskInput{LogGroupName: aws.String("/app/orders"), From: aws.Int64(from), To: aws.Int64(to),
		Destination: aws.String("labkit-exports"), DestinationPrefix: aws.String("orders")})
	require.NoError(t, err)
	read("orders/aws-logs-write-test")
	assert.Equal(t, "2026-12-07T10:00:00.000Z nightly run\n", gunzip(read("orders/"+aws.ToString(task.TaskId)+"/batch/000000.gz")))

	_, err = logs.CreateExportTask(ctx, &cwlogs.CreateExportTaskInput{LogGroupName: aws.String("/app/orders"), From: aws.Int64(from), To: aws.Int64(to),
		Destination: aws.String("labkit-no-such-bucket")})
	var ip *cwtypes.InvalidParameterException
	require.True(t, errors.As(err, &ip), "%v", err)
	assert.Equal(t, "The given bucket does not exist. Please make sure the bucket is valid.", ip.ErrorMessage())
}
