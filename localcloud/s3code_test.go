package localcloud_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pythonZip is a deployment package of one lambda_function.py.
func pythonZip(t testing.TB, source string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("lambda_function.py")
	require.NoError(t, err)
	w.Write([]byte(source))
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestLambdaCodeFromS3 deploys a function whose code is an S3 object, as
// `aws lambda create-function --code S3Bucket=...,S3Key=...` does, and
// invokes it; then updates its code and publishes a layer the same way.
// S3's errors reach the caller in the text Lambda's API gives them:
// "Error occurred while GetObject. S3 Error Code: <code>. S3 Error
// Message: <S3's message>".
func TestLambdaCodeFromS3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("the function is Python")
	}
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	fns := lambda.NewFromConfig(cfg)
	role := lambdaRole(t, cfg, "from-s3")

	v1 := pythonZip(t, "def lambda_handler(event, context):\n    return {'version': 1, 'got': event}\n")
	v2 := pythonZip(t, "def lambda_handler(event, context):\n    return {'version': 2}\n")
	_, err := objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-deploy")})
	require.NoError(t, err)
	for key, body := range map[string][]byte{"fn/v1.zip": v1, "fn/v2.zip": v2, "not-a-zip": []byte("hello")} {
		_, err := objects.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-deploy"), Key: aws.String(key), Body: bytes.NewReader(body)})
		require.NoError(t, err)
	}

	create := func(name string, code *lambdatypes.FunctionCode) (*lambda.CreateFunctionOutput, error) {
		return fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("lambda_function.lambda_handler"), Role: aws.String(role), Code: code})
	}
	for _, tc := range []struct {
		name string
		code *lambdatypes.FunctionCode
		msg  string
	}{
		{"no bucket", &lambdatypes.FunctionCode{S3Bucket: aws.String("labkit-nowhere"), S3Key: aws.String("fn/v1.zip")},
			"Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist"},
		{"no key", &lambdatypes.FunctionCode{S3Bucket: aws.String("labkit-deploy"), S3Key: aws.String("fn/v3.zip")},
			"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."},
		{"not a zip", &lambdatypes.FunctionCode{S3Bucket: aws.String("labkit-deploy"), S3Key: aws.String("not-a-zip")},
			"Could not unzip uploaded file. Please check your file, then try to upload again."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := create("refused", tc.code)
			var e *lambdatypes.InvalidParameterValueException
			require.True(t, errors.As(err, &e), "%v", err)
			// The local cloud adds what it found wrong after AWS's text.
			assert.True(t, strings.HasPrefix(e.ErrorMessage(), tc.msg), "got %q, want %q", e.ErrorMessage(), tc.msg)
		})
	}

	out, err := create("from-s3", &lambdatypes.FunctionCode{S3Bucket: aws.String("labkit-deploy"), S3Key: aws.String("fn/v1.zip")})
	require.NoError(t, err)
	sum := sha256.Sum256(v1)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(out.CodeSha256), "CodeSha256 is the zip's SHA-256, base64")
	assert.Equal(t, int64(len(v1)), out.CodeSize)
	_, err = lambda.NewFunctionActiveV2Waiter(fns).WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("from-s3")}, 30e9)
	require.NoError(t, err)
	inv, err := fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("from-s3"), Payload: []byte(`{"order":7}`)})
	require.NoError(t, err)
	require.Nil(t, inv.FunctionError, string(inv.Payload))
	assert.JSONEq(t, `{"version":1,"got":{"order":7}}`, string(inv.Payload))

	upd, err := fns.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("from-s3"), S3Bucket: aws.String("labkit-deploy"), S3Key: aws.String("fn/v2.zip")})
	require.NoError(t, err)
	sum = sha256.Sum256(v2)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(upd.CodeSha256))
	_, err = lambda.NewFunctionUpdatedV2Waiter(fns).WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("from-s3")}, 30e9)
	require.NoError(t, err)
	inv, err = fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("from-s3"), Payload: []byte(`{}`)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":2}`, string(inv.Payload))
	_, err = fns.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("from-s3"), S3Bucket: aws.String("labkit-deploy"), S3Key: aws.String("gone.zip")})
	var e *lambdatypes.InvalidParameterValueException
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.", e.ErrorMessage())

	layer, err := fns.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("shared"),
		Content: &lambdatypes.LayerVersionContentInput{S3Bucket: aws.String("labkit-deploy"), S3Key: aws.String("fn/v1.zip")}})
	require.NoError(t, err)
	sum = sha256.Sum256(v1)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(layer.Content.CodeSha256))
	assert.Equal(t, int64(len(v1)), layer.Content.CodeSize)

	// Lambda reads the bucket in the function's region: S3 answers a
	// request for another region's bucket with PermanentRedirect.
	_, err = objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-eu"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}})
	require.NoError(t, err)
	euObjects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.Region = "eu-west-1" })
	_, err = euObjects.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-eu"), Key: aws.String("v1.zip"), Body: bytes.NewReader(v1)})
	require.NoError(t, err)
	_, err = create("elsewhere", &lambdatypes.FunctionCode{S3Bucket: aws.String("labkit-eu"), S3Key: aws.String("v1.zip")})
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, "Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in this region: eu-west-1. Please use this region to retry the request", e.ErrorMessage())
}

// TestLambdaCodeFromS3Streams: a package from S3 is copied to disk, not
// read into memory, so concurrent CreateFunction calls naming 250 MB
// packages cannot take the cloud's memory. Creating a function from a
// 20 MB object allocates far less than 20 MB in the cloud (which runs in
// this process).
func TestLambdaCodeFromS3Streams(t *testing.T) {
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	fns := lambda.NewFromConfig(cfg)
	role := lambdaRole(t, cfg, "streamed")
	const size = 20 << 20
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Store})
	require.NoError(t, err)
	w.Write(bytes.Repeat([]byte("x"), size))
	require.NoError(t, zw.Close())
	_, err = objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-big")})
	require.NoError(t, err)
	_, err = objects.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-big"), Key: aws.String("big.zip"), Body: bytes.NewReader(buf.Bytes())})
	require.NoError(t, err)
	sum := sha256.Sum256(buf.Bytes())
	buf = bytes.Buffer{}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("big"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &lambdatypes.FunctionCode{S3Bucket: aws.String("labkit-big"), S3Key: aws.String("big.zip")}})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(out.CodeSha256))
	alloc := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, alloc, uint64(size/4), "CreateFunction allocated %d bytes for a %d-byte package", alloc, size)
}
