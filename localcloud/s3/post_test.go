package s3_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserPostUpload: a browser-based upload (an HTML form POSTed to
// the bucket, multipart/form-data, its signature in the form fields, as
// boto3's generate_presigned_post makes) is S3's to answer: the local S3
// does not take them and answers NotImplemented in S3's XML, path-style
// and virtual-host style, writing nothing; a page of another site is
// refused by the guard first.
func TestBrowserPostUpload(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-post")})
	require.NoError(t, err)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"key", "uploaded.txt"}, {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
		{"x-amz-credential", "111111111111/20261207/us-east-1/s3/aws4_request"}, {"x-amz-date", "20261207T000000Z"}, {"policy", "e30="}, {"x-amz-signature", "00"}} {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", "a.txt")
	fw.Write([]byte("posted"))
	mw.Close()
	port := endpoint[len("http://127.0.0.1:"):]
	for _, tc := range []struct{ name, path, host, origin string }{
		{"path-style", "/labkit-post", "", ""},
		{"virtual-host", "/", "labkit-post.localhost:" + port, ""},
		{"cross-site", "/labkit-post", "", "http://evil.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, endpoint+tc.path, bytes.NewReader(buf.Bytes()))
			req.Header.Set("Content-Type", mw.FormDataContentType())
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			status, h, b := do(t, req)
			if tc.origin != "" {
				assert.Equal(t, http.StatusForbidden, status, b)
				return
			}
			assert.Equal(t, http.StatusNotImplemented, status, b)
			assert.Equal(t, "application/xml", h.Get("Content-Type"))
			assert.Contains(t, b, "<Code>NotImplemented</Code>")
		})
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("labkit-post"), Key: aws.String("uploaded.txt")})
	require.Error(t, err, "nothing was written")
}
