package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMultipartUpload: parts joined in order into one object whose ETag is
// the MD5 of the parts' MD5s followed by "-<parts>" (the S3 user guide's
// "Checking object integrity"), and the errors of a bad completion.
func TestMultipartUpload(t *testing.T) {
	c, _ := serve(t)
	ctx := context.Background()
	bucket, key := aws.String("labkit-multipart"), aws.String("big/file.bin")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key, ContentType: aws.String("application/zip"),
		Metadata: map[string]string{"build": "7"}})
	require.NoError(t, err)

	p1 := bytes.Repeat([]byte("a"), 5<<20)
	p2 := []byte("the last part may be small")
	etags := map[int32]string{}
	for n, body := range map[int32][]byte{1: p1, 2: p2} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		require.NoError(t, err)
		sum := md5.Sum(body)
		assert.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, aws.ToString(out.ETag))
		etags[n] = aws.ToString(out.ETag)
	}
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: up.UploadId})
	require.NoError(t, err)
	require.Len(t, parts.Parts, 2)
	assert.Equal(t, int64(len(p1)), aws.ToInt64(parts.Parts[0].Size))
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
	require.NoError(t, err)
	require.Len(t, uploads.Uploads, 1)
	assert.Equal(t, aws.ToString(up.UploadId), aws.ToString(uploads.Uploads[0].UploadId))

	complete := func(parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part := func(n int32, etag string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
	}
	apiError(t, complete(part(2, etags[2]), part(1, etags[1])), 400, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	apiError(t, complete(part(1, etags[1]), part(2, `"0123"`)), 400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	apiError(t, complete(part(1, etags[1]), part(3, etags[2])), 400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")

	small, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String("small")})
	require.NoError(t, err)
	var smallTags []types.CompletedPart
	for n := int32(1); n <= 2; n++ {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("small"), UploadId: small.UploadId, PartNumber: aws.Int32(n), Body: strings.NewReader("tiny")})
		require.NoError(t, err)
		smallTags = append(smallTags, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String("small"), UploadId: small.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: smallTags}})
	apiError(t, err, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String("small"), UploadId: small.UploadId})
	require.NoError(t, err)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String("small"), UploadId: small.UploadId, PartNumber: aws.Int32(3), Body: strings.NewReader("late")})
	apiError(t, err, 404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")

	require.NoError(t, complete(part(1, etags[1]), part(2, etags[2])))
	s1, s2 := md5.Sum(p1), md5.Sum(p2)
	all := md5.Sum(append(s1[:], s2[:]...))
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key, ChecksumMode: types.ChecksumModeEnabled})
	require.NoError(t, err)
	b, err := io.ReadAll(got.Body)
	got.Body.Close()
	require.NoError(t, err, "the whole object's CRC64NVME verifies")
	assert.NotEmpty(t, aws.ToString(got.ChecksumCRC64NVME))
	assert.Equal(t, append(append([]byte{}, p1...), p2...), b)
	assert.Equal(t, `"`+hex.EncodeToString(all[:])+`-2"`, aws.ToString(got.ETag))
	assert.Equal(t, "application/zip", aws.ToString(got.ContentType))
	assert.Equal(t, map[string]string{"build": "7"}, got.Metadata)
	uploads, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
	require.NoError(t, err)
	assert.Empty(t, uploads.Uploads, "a completed upload is gone")
}
