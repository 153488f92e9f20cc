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
