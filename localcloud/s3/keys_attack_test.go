package s3_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// TestHostileKeysKeepApart: keys are names in the database, never paths: climbing,
// absolute, Windows device and backslash names and control characters
// each keep their own object, and nothing is created outside the data
// directory's s3 store under a name taken from a key.
func TestHostileKeysKeepApart(t *testing.T) {
	dir := t.TempDir()
	c, endpoint := serve(t, func(cfg *localcloud.Config) { cfg.DataDir = dir })
	ctx := context.Background()
	bucket := aws.String("labkit-keys")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	keys := []string{"a", "../../escaped", "../../../../../../tmp/escaped", "/abs/escaped", "..\\..\\escaped", "CON", "NUL", "COM1.txt", "aux.escaped",
		"a\x00b", "a\tb", "dir/../a", "./a", "a/", "a//b", "%2e%2e/escaped", "trailing.", "trailing "}
	for _, k := range keys {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader("body of " + k)})
		require.NoError(t, err, "%q", k)
	}
	for _, k := range keys {
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k)})
		require.NoError(t, err, "%q", k)
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		assert.Equal(t, "body of "+k, string(b), "key %q keeps its own object", k)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		assert.NotContains(t, strings.ToLower(d.Name()), "escaped", p)
		return nil
	})
	_, err = os.Stat(filepath.Join(filepath.Dir(dir), "escaped"))
	assert.True(t, os.IsNotExist(err))
	// A raw path with an escaped NUL names the same key as the SDK's.
	req := signedRequest(t, http.MethodGet, endpoint+"/labkit-keys/a%00b", nil)
	status, _, b := do(t, req)
	assert.Equal(t, 200, status)
	assert.Equal(t, "body of a\x00b", b)
}

// TestInvalidUTF8Key: keys are UTF-8 (S3 user guide, "Naming objects"); a
// path whose key decodes to invalid UTF-8 is S3's 400 InvalidURI
// "Couldn't parse the specified URI." for a write and a read alike, and
// nothing is stored that a listing could not write as XML.
func TestInvalidUTF8Key(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-utf8")})
	require.NoError(t, err)
	for _, m := range []string{http.MethodPut, http.MethodGet, http.MethodHead} {
		var body io.Reader
		if m == http.MethodPut {
			body = strings.NewReader("x")
		}
		status, h, b := do(t, signedRequest(t, m, endpoint+"/labkit-utf8/h%FF%AE-", body))
		assert.Equal(t, http.StatusBadRequest, status, m)
		if m != http.MethodHead {
			assert.Equal(t, "application/xml", h.Get("Content-Type"))
			assert.Contains(t, b, "<Code>InvalidURI</Code><Message>Couldn&#39;t parse the specified URI.</Message>", m)
		}
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("labkit-utf8")})
	require.NoError(t, err)
	assert.Empty(t, list.Contents)
	// Valid multi-byte keys are keys like any other.
	status, _, _ := do(t, signedRequest(t, http.MethodPut, endpoint+"/labkit-utf8/caf%C3%A9", strings.NewReader("x")))
	assert.Equal(t, http.StatusOK, status)
}
