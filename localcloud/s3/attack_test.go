package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// do sends req and returns its status and body.
func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, string(b)
}

// endless is a request body that writes head, then repeats line until the
// server stops reading or max bytes went out.
type endless struct {
	head, line string
	max        int64
	sent       atomic.Int64
	i          int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.sent.Load() >= e.max {
		return 0, io.EOF
	}
	var s string
	if e.head != "" {
		s, e.head = e.head, ""
	} else {
		e.i++
		s = fmt.Sprintf(e.line, e.i)
	}
	n := copy(p, s)
	e.sent.Add(int64(n))
	return n, nil
}

// TestEndlessTrailers: an aws-chunked body whose trailer section never
// ends is refused with MalformedTrailerError once it passes what trailers
// can hold, not read (and kept in memory) for as long as it comes.
func TestEndlessTrailers(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-trailers")})
	require.NoError(t, err)
	const max = 64 << 20
	body := &endless{head: "5\r\nhello\r\n0\r\n", line: "x-amz-meta-t%d: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\r\n", max: max}
	req := signedRequest(t, http.MethodPut, endpoint+"/labkit-trailers/k", body)
	req.ContentLength = -1
	req.Header.Set("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("x-amz-decoded-content-length", "5")
	req.Header.Set("x-amz-trailer", "x-amz-checksum-crc32")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(b))
		assert.Contains(t, string(b), "<Code>MalformedTrailerError</Code>")
	}
	assert.Less(t, body.sent.Load(), int64(max), "the server stopped reading the trailers")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("labkit-trailers"), Key: aws.String("k")})
	require.Error(t, err, "nothing was stored")
}

// TestUploadPartsBoundedByObjectCap: parts of one multipart upload can
// never hold more than the object cap on disk (an upload that can never
// complete would otherwise take up to 10,000 parts of the cap each); a part
// sent again replaces its old one in the count.
func TestUploadPartsBoundedByObjectCap(t *testing.T) {
	// Two 5 MiB parts leave 100 KiB; the refused part (200 KiB) is small
	// enough for the server to drain, so the client reads the answer
	// instead of a reset connection.
	c, _ := serve(t, func(cfg *localcloud.Config) { cfg.S3MaxObjectSize = 10<<20 + 100<<10 })
	ctx := context.Background()
	bucket, key := aws.String("labkit-parts-cap"), aws.String("big")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
	require.NoError(t, err)
	part := bytes.Repeat([]byte("p"), 5<<20)
	put := func(n int32, body []byte) error {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
		return err
	}
	require.NoError(t, put(1, part))
	require.NoError(t, put(2, part))
	require.NoError(t, put(2, part), "a part sent again replaces its old one")
	err = put(3, part[:200<<10])
	apiError(t, err, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: up.UploadId})
	require.NoError(t, err)
	assert.Len(t, parts.Parts, 2, "the refused part was not kept")
}

// TestBucketQuota: an account has at most 10,000 general purpose buckets
// (the S3 user guide's default quota, "General purpose bucket quotas"); the
// next is TooManyBuckets, and deleting one makes room again. Re-creating
// an existing one of the account's is still answered as before.
func TestBucketQuota(t *testing.T) {
	c, _ := serve(t)
	ctx := context.Background()
	for i := 0; i < 10000; i++ {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(fmt.Sprintf("labkit-quota-%05d", i))})
		require.NoError(t, err, i)
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-quota-one-more")})
	apiError(t, err, 400, "TooManyBuckets", "You have attempted to create more buckets than allowed")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-quota-00007")})
	require.NoError(t, err, "us-east-1 answers 200 to re-creating one's own bucket")
	other := client(strings.TrimSuffix(aws.ToString(c.Options().BaseEndpoint), "/"), "222222222222", "us-east-1")
	_, err = other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-quota-other")})
	require.NoError(t, err, "the quota is the account's")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("labkit-quota-00000")})
	require.NoError(t, err)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-quota-one-more")})
	require.NoError(t, err)
}
