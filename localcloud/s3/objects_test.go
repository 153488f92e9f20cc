package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/localtest"
)

// TestObjects puts, gets (whole, ranged, conditional), copies and deletes
// objects, with S3's ETag and Content-MD5 checks.
func TestObjects(t *testing.T) {
	c, _ := serve(t)
	ctx := context.Background()
	bucket := aws.String("labkit-objects")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)

	body := "hello, local cloud"
	sum := md5.Sum([]byte(body))
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), Body: strings.NewReader(body),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"owner": "lab3"}, CacheControl: aws.String("max-age=60")})
	require.NoError(t, err)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	assert.Equal(t, etag, aws.ToString(put.ETag), "the ETag of a single PUT is its MD5 in quotes")

	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt")})
	require.NoError(t, err)
	b, err := io.ReadAll(got.Body)
	got.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, body, string(b))
	assert.Equal(t, etag, aws.ToString(got.ETag))
	assert.Equal(t, "text/plain", aws.ToString(got.ContentType))
	assert.Equal(t, map[string]string{"owner": "lab3"}, got.Metadata)
	assert.Equal(t, "max-age=60", aws.ToString(got.CacheControl))
	assert.Equal(t, int64(len(body)), aws.ToInt64(got.ContentLength))
	assert.NotNil(t, got.LastModified)

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt")})
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), aws.ToInt64(head.ContentLength))
	assert.Equal(t, etag, aws.ToString(head.ETag))

	// Range: bytes=a-b is inclusive; a-past-the-end is cut to the end.
	for _, tc := range []struct{ rng, want, contentRange string }{
		{"bytes=0-4", "hello", "bytes 0-4/18"},
		{"bytes=7-", "local cloud", "bytes 7-17/18"},
		{"bytes=-5", "cloud", "bytes 13-17/18"},
		{"bytes=13-100", "cloud", "bytes 13-17/18"},
	} {
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), Range: aws.String(tc.rng)})
		require.NoError(t, err, tc.rng)
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		assert.Equal(t, tc.want, string(b), tc.rng)
		assert.Equal(t, tc.contentRange, aws.ToString(got.ContentRange), tc.rng)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), Range: aws.String("bytes=18-20")})
	apiError(t, err, 416, "InvalidRange", "The requested range is not satisfiable")

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), IfMatch: aws.String(`"0000"`)})
	apiError(t, err, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), IfNoneMatch: aws.String(etag)})
	assert.Equal(t, 304, statusOf(t, err))

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("missing")})
	var nsk *types.NoSuchKey
	require.ErrorAs(t, err, &nsk)
	apiError(t, err, 404, "NoSuchKey", "The specified key does not exist.")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("missing")})
	assert.Equal(t, 404, statusOf(t, err))
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-nobucket"), Key: aws.String("k")})
	apiError(t, err, 404, "NoSuchBucket", "The specified bucket does not exist")

	// Content-MD5 is checked.
	wrong := md5.Sum([]byte("something else"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("md5"), Body: strings.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	apiError(t, err, 400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("md5"), Body: strings.NewReader(body),
		ContentMD5: aws.String("not-base64!")})
	apiError(t, err, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("md5"), Body: strings.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	require.NoError(t, err)

	// Copy keeps the metadata unless REPLACE says otherwise; copying onto
	// itself without a change is refused.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copy.txt"), CopySource: aws.String("labkit-objects/dir/hello.txt")})
	require.NoError(t, err)
	assert.Equal(t, etag, aws.ToString(cp.CopyObjectResult.ETag))
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("copy.txt")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"owner": "lab3"}, head.Metadata)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copy.txt"), CopySource: aws.String("labkit-objects/copy.txt")})
	cloudtest.APIError(t, err, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copy.txt"), CopySource: aws.String("labkit-objects/copy.txt"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"v": "2"}})
	require.NoError(t, err)
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("copy.txt")})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"v": "2"}, head.Metadata)

	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("copy.txt")}, {Key: aws.String("md5")}, {Key: aws.String("never-there")}}}})
	require.NoError(t, err)
	var deleted []string
	for _, d := range del.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	assert.ElementsMatch(t, []string{"copy.txt", "md5", "never-there"}, deleted, "S3 reports missing keys as deleted")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("never-there")})
	require.NoError(t, err, "DeleteObject of a missing key succeeds")
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket})
	require.NoError(t, err)
	require.Len(t, list.Contents, 1)
	assert.Equal(t, "dir/hello.txt", aws.ToString(list.Contents[0].Key))
}

// TestEntityTooLarge: an object over the cloud's size cap is refused
// before its body is stored.
func TestEntityTooLarge(t *testing.T) {
	c, _ := serve(t, func(cfg *localcloud.Config) { cfg.S3MaxObjectSize = 1000 })
	ctx := context.Background()
	bucket := aws.String("labkit-big")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("big"), Body: bytes.NewReader(make([]byte, 1001))})
	apiError(t, err, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("fits"), Body: bytes.NewReader(make([]byte, 1000))})
	require.NoError(t, err)
}

// TestHostileKeys stores keys that would be paths outside the store if a
// key named a file, and reads each back unchanged.
func TestHostileKeys(t *testing.T) {
	dataDir := t.TempDir()
	endpoint, _ := localtest.Serve(t, func(cfg *localcloud.Config) { cfg.DataDir = dataDir })
	c := client(endpoint, "111111111111", "us-east-1")
	ctx := context.Background()
	bucket := aws.String("labkit-hostile")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	keys := []string{"../../x", "../../../../etc/passwd", "/abs", "a//b", "./.", "..", "%2e%2e/y", "back\\slash", "nul\x00byte", "ünï cødé ?#&+", strings.Repeat("k", 1024)}
	for _, k := range keys {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader("v:" + k)})
		require.NoError(t, err, "%q", k)
	}
	for _, k := range keys {
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(k)})
		require.NoError(t, err, "%q", k)
		b, _ := io.ReadAll(got.Body)
		got.Body.Close()
		assert.Equal(t, "v:"+k, string(b), "%q", k)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket})
	require.NoError(t, err)
	assert.Len(t, out.Contents, len(keys))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
	apiError(t, err, 400, "KeyTooLongError", "Your key is too long")

	// Nothing was written outside the data directory's s3 folder, and no
	// file there is named after a key.
	parent := filepath.Dir(dataDir)
	for _, p := range []string{filepath.Join(parent, "x"), filepath.Join(dataDir, "x"), filepath.Join(dataDir, "s3", "x")} {
		_, err := os.Stat(p)
		assert.True(t, errors.Is(err, os.ErrNotExist), "%s exists", p)
	}
	filepath.WalkDir(filepath.Join(dataDir, "s3"), func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		if !d.IsDir() {
			assert.Regexp(t, `^[0-9a-f]{32}$`, d.Name(), "a body file is named by a random id")
		}
		return nil
	})
}

// TestChunkedUpload sends bodies the way SDKs stream them: aws-chunked,
// signed per chunk, and with a trailing checksum.
func TestChunkedUpload(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-chunks")})
	require.NoError(t, err)

	// The SDK itself, with a checksum it computes (CRC32 by default).
	for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
		key := "sdk-" + string(algo)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-chunks"), Key: aws.String(key), Body: strings.NewReader("checked " + key), ChecksumAlgorithm: algo})
		require.NoError(t, err, algo)
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-chunks"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		require.NoError(t, err, algo)
		b, err := io.ReadAll(got.Body)
		got.Body.Close()
		require.NoError(t, err, "the SDK validates the checksum it is given while reading (%s)", algo)
		assert.Equal(t, "checked "+key, string(b))
	}

	data := strings.Repeat("0123456789", 1000) // 10,000 bytes: two chunks
	chunks := func(trailer string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%x;chunk-signature=%064d\r\n%s\r\n", 8192, 0, data[:8192])
		fmt.Fprintf(&b, "%x;chunk-signature=%064d\r\n%s\r\n", len(data)-8192, 0, data[8192:])
		fmt.Fprintf(&b, "0;chunk-signature=%064d\r\n", 0)
		b.WriteString(trailer)
		b.WriteString("\r\n")
		return b.String()
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(data)))
	crc := base64.StdEncoding.EncodeToString(sum[:]) // S3's CRC32 encoding
	for _, tc := range []struct {
		name, mode, trailer string
		headers             map[string]string
		status              int
		code                string
	}{
		{name: "signed", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", status: 200},
		{name: "unsigned-trailer", mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", trailer: "x-amz-checksum-crc32:" + crc + "\r\n",
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, status: 200},
		{name: "signed-trailer", mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", trailer: "x-amz-checksum-crc32:" + crc + "\r\nx-amz-trailer-signature:" + strings.Repeat("0", 64) + "\r\n",
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, status: 200},
		{name: "bad-trailer", mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", trailer: "x-amz-checksum-crc32:AAAAAA==\r\n",
			headers: map[string]string{"x-amz-trailer": "x-amz-checksum-crc32"}, status: 400, code: "BadDigest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPut, endpoint+"/labkit-chunks/"+tc.name, strings.NewReader(chunks(tc.trailer)))
			require.NoError(t, err)
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("0", 64))
			req.Header.Set("x-amz-content-sha256", tc.mode)
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("x-amz-decoded-content-length", fmt.Sprint(len(data)))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			rb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode, string(rb))
			if tc.code != "" {
				assert.Contains(t, string(rb), "<Code>"+tc.code+"</Code>")
				return
			}
			got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-chunks"), Key: aws.String(tc.name)})
			require.NoError(t, err)
			b, _ := io.ReadAll(got.Body)
			got.Body.Close()
			assert.Equal(t, data, string(b), "the chunk framing is not part of the object")
			assert.Empty(t, aws.ToString(got.ContentEncoding), "aws-chunked is not stored")
		})
	}
}

// TestWriteConditionsAndParts: conditional writes (If-None-Match "*",
// If-Match), partNumber on an object uploaded whole (part 1 is the whole
// object, answered 206 with its Content-Range; part 2 is 416), ranges a
// HEAD cannot satisfy, metadata names as S3 sends them (lower case), and
// the request-shape errors S3 gives before looking at the bucket.
func TestWriteConditionsAndParts(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	bucket := aws.String("labkit-conditions")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)

	put := func(body string, mod func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: bucket, Key: aws.String("lock"), Body: strings.NewReader(body)}
		if mod != nil {
			mod(in)
		}
		return c.PutObject(ctx, in)
	}
	first, err := put("holder 1", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	require.NoError(t, err)
	_, err = put("holder 2", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	apiError(t, err, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	_, err = put("holder 2", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"00000000000000000000000000000000"`) })
	apiError(t, err, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	_, err = put("holder 2", func(in *s3.PutObjectInput) { in.IfMatch = first.ETag })
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("absent"), Body: strings.NewReader("x"), IfMatch: first.ETag})
	apiError(t, err, 404, "NoSuchKey", "The specified key does not exist.")

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("f1"), Body: strings.NewReader("f1"), Metadata: map[string]string{"Build-Id": "7"}})
	require.NoError(t, err)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("f1"), PartNumber: aws.Int32(1)})
	require.NoError(t, err)
	assert.Equal(t, "bytes 0-1/2", aws.ToString(head.ContentRange))
	assert.Equal(t, int32(1), aws.ToInt32(head.PartsCount))
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("f1"), PartNumber: aws.Int32(2)})
	assert.Equal(t, 416, statusOf(t, err))
	for _, rng := range []string{"bytes=5-9", "bytes=100-"} {
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("f1"), Range: aws.String(rng)})
		assert.Equal(t, 416, statusOf(t, err), rng)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("f1"), Range: aws.String("bytes=1-0")})
	require.NoError(t, err)
	assert.Empty(t, aws.ToString(head.ContentRange), "a range that ends before it starts is ignored")
	assert.Equal(t, int64(2), aws.ToInt64(head.ContentLength))

	// Go's client canonicalises header names it reads: look at the bytes.
	conn, err := net.Dial("tcp", strings.TrimPrefix(endpoint, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "HEAD /labkit-conditions/f1 HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n",
		strings.TrimPrefix(endpoint, "http://"), "AWS4-HMAC-SHA256 Credential=111111111111/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("0", 64))
	raw, err := io.ReadAll(conn)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "\r\nx-amz-meta-build-id: 7\r\n", "metadata names are sent lower-case")

	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-empty-config"), CreateBucketConfiguration: &types.CreateBucketConfiguration{}})
	cloudtest.APIError(t, err, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	_, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("labkit-no-bucket"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{}}})
	cloudtest.APIError(t, err, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

// TestDefaultChecksum: an object uploaded without a checksum gets S3's
// default full-object CRC64NVME, which GetObject returns when asked
// (x-amz-checksum-mode: ENABLED) and the SDK verifies while reading.
func TestDefaultChecksum(t *testing.T) {
	c, endpoint := serve(t)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-crc")})
	require.NoError(t, err)
	body := strings.Repeat("no checksum sent ", 100)
	req := signedRequest(t, http.MethodPut, endpoint+"/labkit-crc/plain", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	// CRC-64/NVME: polynomial 0xad93d23594c93659, reflected, init and
	// final XOR all ones (NVM Express base specification); crc64's table
	// takes the reflected polynomial.
	var want [8]byte
	binary.BigEndian.PutUint64(want[:], crc64.Checksum([]byte(body), crc64.MakeTable(0x9a6c9329ac4bc9b5)))
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-crc"), Key: aws.String("plain"), ChecksumMode: types.ChecksumModeEnabled})
	require.NoError(t, err)
	b, err := io.ReadAll(got.Body)
	got.Body.Close()
	require.NoError(t, err, "the SDK verified the checksum while reading")
	assert.Equal(t, body, string(b))
	assert.Equal(t, base64.StdEncoding.EncodeToString(want[:]), aws.ToString(got.ChecksumCRC64NVME))
	assert.Equal(t, types.ChecksumTypeFullObject, got.ChecksumType)
}
