package s3_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVirtualHostStyle: Host <bucket>.localhost and <bucket>.s3.localhost
// name the bucket, the path the key.
func TestVirtualHostStyle(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-vhost")})
	require.NoError(t, err)
	port := endpoint[strings.LastIndex(endpoint, ":")+1:]
	for i, host := range []string{"labkit-vhost.localhost:" + port, "labkit-vhost.s3.localhost:" + port} {
		key := fmt.Sprintf("dir/v%d.txt", i)
		req := signedRequest(t, http.MethodPut, endpoint+"/"+key, strings.NewReader("hosted "+host))
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, host)
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-vhost"), Key: aws.String(key)})
		require.NoError(t, err, host)
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		assert.Equal(t, "hosted "+host, string(b))

		req = signedRequest(t, http.MethodGet, endpoint+"/?list-type=2", nil)
		req.Host = host
		resp, err = http.DefaultClient.Do(req)
		require.NoError(t, err)
		lb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(lb), "<Key>"+key+"</Key>")
	}
}

// TestGuardCoversS3: S3 goes through the router's guard like every
// service: a page of another site, a rebound host name or a request
// without a signature reaches no bucket.
func TestGuardCoversS3(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-guarded")})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-guarded"), Key: aws.String("secret"), Body: strings.NewReader("s3cr3t")})
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		method string
		mod    func(*http.Request)
	}{
		{"cross-site page", http.MethodPut, func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }},
		{"cross-site read", http.MethodGet, func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }},
		{"rebound host", http.MethodGet, func(r *http.Request) { r.Host = "evil.example" }},
		{"no-cors image", http.MethodGet, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") }},
		{"unsigned", http.MethodGet, func(r *http.Request) { r.Header.Del("Authorization") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.method == http.MethodPut {
				body = strings.NewReader("overwritten")
			}
			req := signedRequest(t, tc.method, endpoint+"/labkit-guarded/secret", body)
			tc.mod(req)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.GreaterOrEqual(t, resp.StatusCode, 400)
			assert.NotContains(t, string(b), "s3cr3t")
		})
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-guarded"), Key: aws.String("secret")})
	require.NoError(t, err)
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	assert.Equal(t, "s3cr3t", string(b), "no refused request changed the object")
}

// TestIPEndpointWithoutPathStyle: at an IP endpoint (the cloud's default,
// http://127.0.0.1:4566) the SDK addresses buckets path-style by itself,
// so a function's own S3 client needs no UsePathStyle.
func TestIPEndpointWithoutPathStyle(t *testing.T) {
	_, endpoint := serve(t)
	require.True(t, strings.HasPrefix(endpoint, "http://127.0.0.1:"))
	ctx := context.Background()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("111111111111", "secret", "")})
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-ip")})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-ip"), Key: aws.String("k"), Body: strings.NewReader("v")})
	require.NoError(t, err)
}

// TestPresignedURLs: URLs the SDK presigns (the signature in the query)
// work from a plain HTTP client, for a download and an upload.
func TestPresignedURLs(t *testing.T) {
	c, _ := serve(t)
	ctx := context.Background()
	bucket := aws.String("labkit-presign")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	ps := s3.NewPresignClient(c)
	put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("upload.txt")})
	require.NoError(t, err)
	req, err := http.NewRequest(put.Method, put.URL, strings.NewReader("via a presigned URL"))
	require.NoError(t, err)
	for k, vs := range put.SignedHeader {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("upload.txt")})
	require.NoError(t, err)
	resp, err = http.Get(get.URL)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "via a presigned URL", string(b))
}

// TestSigV2PresignedURL: boto3's generate_presigned_url makes Signature
// Version 2 URLs for S3 (AWSAccessKeyId, Expires, Signature in the query);
// they are served like SigV4 ones, in the key's account, and a page of
// another site still cannot use one.
func TestSigV2PresignedURL(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-v2")})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-v2"), Key: aws.String("report.csv"), Body: strings.NewReader("a,b")})
	require.NoError(t, err)
	url := endpoint + "/labkit-v2/report.csv?AWSAccessKeyId=111111111111&Expires=4102444800&Signature=c2lnbmF0dXJl"
	resp, err := http.Get(url)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "a,b", string(b))

	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Sec-Fetch-Mode", "no-cors")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 403, resp.StatusCode)
	assert.NotContains(t, string(b), "a,b")

	// Another account's key reaches no bucket of this one.
	resp, err = http.Get(strings.Replace(url, "111111111111", "222222222222", 1))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 403, resp.StatusCode)
}
