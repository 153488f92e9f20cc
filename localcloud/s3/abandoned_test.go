package s3_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// TestAbandonedUploadsAborted: a multipart upload older than the cloud's
// S3UploadMaxAge when the cloud starts is aborted, as the S3 user guide's
// AbortIncompleteMultipartUpload lifecycle rule would abort it (its example
// uses 7 days, the default): it is no longer listed, UploadPart answers
// NoSuchUpload, and its parts' files leave the disk. Younger uploads stay.
func TestAbandonedUploadsAborted(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	bucket, key := aws.String("labkit-abandoned"), aws.String("big.bin")
	start := func(t *testing.T, age time.Duration) *s3.Client {
		c, _ := serve(t, func(cfg *localcloud.Config) { cfg.DataDir, cfg.S3UploadMaxAge = dir, age })
		return c
	}
	partFiles := func() int {
		entries, err := os.ReadDir(filepath.Join(dir, "s3", "111111111111"))
		require.NoError(t, err)
		return len(entries)
	}
	var uploadID *string
	t.Run("upload", func(t *testing.T) {
		c := start(t, 0)
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
		require.NoError(t, err)
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
		require.NoError(t, err)
		uploadID = up.UploadId
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: uploadID, PartNumber: aws.Int32(1), Body: strings.NewReader("part one")})
		require.NoError(t, err)
	})
	require.Equal(t, 1, partFiles())
	time.Sleep(10 * time.Millisecond) // the upload is now older than 5ms
	t.Run("younger than the limit", func(t *testing.T) {
		c := start(t, time.Hour)
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
		require.NoError(t, err)
		require.Len(t, out.Uploads, 1)
	})
	t.Run("older than the limit", func(t *testing.T) {
		c := start(t, 5*time.Millisecond)
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
		require.NoError(t, err)
		assert.Empty(t, out.Uploads)
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: uploadID, PartNumber: aws.Int32(2), Body: strings.NewReader("part two")})
		apiError(t, err, 404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	})
	assert.Equal(t, 0, partFiles(), "the part's file is deleted")
}
