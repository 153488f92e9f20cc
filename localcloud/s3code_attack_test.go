package localcloud_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zipOf builds a zip from entries: a name, its mode and its content.
func zipOf(t *testing.T, entries ...struct {
	name string
	link bool
	body []byte
}) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(0o644)
		if e.link {
			h.SetMode(0o777 | 1<<27) // fs.ModeSymlink
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		w.Write(e.body)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

type zipEntry = struct {
	name string
	link bool
	body []byte
}

// TestLambdaCodeFromS3Hostile: a deployment package taken from S3 gets the
// checks an inline ZipFile gets (climbing names, links out of the
// function's folder, zip bombs), and another account's bucket is refused
// as S3 refuses its GetObject.
func TestLambdaCodeFromS3Hostile(t *testing.T) {
	ctx := context.Background()
	endpoint := startCloud(t)
	cfg := sdkConfig(endpoint)
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	fns := lambda.NewFromConfig(cfg)
	role := lambdaRole(t, cfg, "hostile")
	_, err := objects.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-hostile")})
	require.NoError(t, err)
	bomb := bytes.Repeat([]byte{0}, 64<<20)
	for key, body := range map[string][]byte{
		"climb.zip": zipOf(t, zipEntry{"../../evil.sh", false, []byte("x")}, zipEntry{"bootstrap", false, []byte("#!/bin/sh\n")}),
		"abs.zip":   zipOf(t, zipEntry{"/tmp/evil.sh", false, []byte("x")}),
		"link.zip":  zipOf(t, zipEntry{"bootstrap", true, []byte("/etc/passwd")}),
		"bomb.zip":  zipOf(t, zipEntry{"bootstrap", false, bomb}),
	} {
		_, err := objects.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-hostile"), Key: aws.String(key), Body: bytes.NewReader(body)})
		require.NoError(t, err)
	}
	create := func(c *lambda.Client, role, bucket, key string) error {
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("hostile"), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &lambdatypes.FunctionCode{S3Bucket: aws.String(bucket), S3Key: aws.String(key)}})
		return err
	}
	for _, key := range []string{"climb.zip", "abs.zip", "link.zip", "bomb.zip"} {
		t.Run(key, func(t *testing.T) {
			err := create(fns, role, "labkit-hostile", key)
			var e *lambdatypes.InvalidParameterValueException
			require.True(t, errors.As(err, &e), "%v", err)
			assert.True(t, strings.HasPrefix(e.ErrorMessage(), "Could not unzip uploaded file. Please check your file, then try to upload again."), e.ErrorMessage())
		})
	}
	other := sdkConfig(endpoint)
	other.Credentials = credentials.NewStaticCredentialsProvider("222222222222", "x", "")
	err = create(lambda.NewFromConfig(other), lambdaRole(t, other, "thief"), "labkit-hostile", "climb.zip")
	var e *lambdatypes.InvalidParameterValueException
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, "Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: Access Denied", e.ErrorMessage())
	list, err := fns.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	require.NoError(t, err)
	assert.Empty(t, list.Functions)
}
