package s3_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sigV2Message is S3's answer to a Signature Version 2 request for a
// bucket of a region that takes only Signature Version 4 (every region
// opened since 2014; botocore's endpoints.json lists "s3" among the
// signatureVersions of the older ones only).
const sigV2Message = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."

// TestSigV2 covers both SigV2 forms, the "AWS AKID:signature"
// Authorization header and the AWSAccessKeyId/Signature/Expires query
// (AWS CLI v1's `aws s3 presign`, boto3's generate_presigned_url): served
// for a bucket of a SigV2 region (us-east-1), S3's 400 InvalidRequest XML
// for one of a SigV4-only region (eu-central-1), and refused by the guard
// from another site's page either way.
func TestSigV2(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-v2-east")})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-v2-east"), Key: aws.String("k"), Body: strings.NewReader("east")})
	require.NoError(t, err)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-v2-frankfurt"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuCentral1}})
	require.NoError(t, err)
	const header = "AWS 111111111111:frJIUN8DYpKDtOLCwo//yllqDzg="
	const query = "?AWSAccessKeyId=111111111111&Signature=frJIUN8DYpKDtOLCwo%2F%2FyllqDzg%3D&Expires=4102444800"
	send := func(method, url, auth, origin string) (int, http.Header, string) {
		var body io.Reader
		if method == http.MethodPut {
			body = strings.NewReader("written")
		}
		req, err := http.NewRequest(method, endpoint+url, body)
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return do(t, req)
	}
	for _, tc := range []struct{ name, auth, query string }{{"header", header, ""}, {"presigned", "", query}} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, b := send(http.MethodGet, "/labkit-v2-east/k"+tc.query, tc.auth, "")
			assert.Equal(t, http.StatusOK, status, b)
			assert.Equal(t, "east", b)

			for _, m := range []string{http.MethodGet, http.MethodPut} {
				status, h, b := send(m, "/labkit-v2-frankfurt/k"+tc.query, tc.auth, "")
				assert.Equal(t, http.StatusBadRequest, status, b)
				assert.Equal(t, "application/xml", h.Get("Content-Type"))
				assert.Contains(t, b, "<Error><Code>InvalidRequest</Code><Message>"+sigV2Message+"</Message>")
			}

			status, _, b = send(http.MethodPut, "/labkit-v2-east/k"+tc.query, tc.auth, "http://evil.example")
			assert.Equal(t, http.StatusForbidden, status, b)
		})
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("labkit-v2-frankfurt"), Key: aws.String("k")})
	require.Error(t, err, "no SigV2 PUT wrote to the SigV4-only region's bucket")
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-v2-east"), Key: aws.String("k")})
	require.NoError(t, err)
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	assert.Equal(t, "east", string(b), "no cross-site PUT wrote")
}
