package s3_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnonymousRequests: an unsigned request (an SDK client with anonymous
// credentials, curl) for a private bucket is refused as S3 refuses it, 403
// AccessDenied "Access Denied", and one for a missing bucket answers 404
// NoSuchBucket (ceph's s3-tests, written against AWS: test_object_anon_put,
// test_bucket_list_objects_anonymous_fail, test_object_raw_get_bucket_gone;
// the S3 API reference's error code list for the texts). Nothing is read or
// written.
func TestAnonymousRequests(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	bucket := aws.String("labkit-private")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("secret"), Body: strings.NewReader("s3cr3t")})
	require.NoError(t, err)

	anon := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("secret")})
	apiError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("missing")})
	apiError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = anon.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("secret"), Body: strings.NewReader("overwritten")})
	apiError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = anon.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket})
	apiError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = anon.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket})
	apiError(t, err, 403, "AccessDenied", "Access Denied")
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-nobody"), Key: aws.String("k")})
	apiError(t, err, 404, "NoSuchBucket", "The specified bucket does not exist")

	// curl, path-style and by the bucket's host name: the whole XML body.
	port := endpoint[strings.LastIndex(endpoint, ":")+1:]
	for _, tc := range []struct{ url, host, want string }{
		{endpoint + "/labkit-private/secret", "", "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>"},
		{endpoint + "/secret", "labkit-private.localhost:" + port, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>"},
		{endpoint + "/labkit-nobody/k", "", "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>labkit-nobody</BucketName><RequestId>"},
	} {
		req, err := http.NewRequest(http.MethodGet, tc.url, nil)
		require.NoError(t, err)
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "application/xml", resp.Header.Get("Content-Type"))
		assert.Contains(t, string(b), tc.want, tc.url)
		assert.Contains(t, string(b), "</RequestId><HostId>")
		assert.Len(t, resp.Header.Get("X-Amz-Request-Id"), 16, "S3's request ids")
	}

	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("secret")})
	require.NoError(t, err)
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	assert.Equal(t, "s3cr3t", string(b), "no anonymous request changed the object")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket})
	require.NoError(t, err, "no anonymous request deleted the bucket")
}
