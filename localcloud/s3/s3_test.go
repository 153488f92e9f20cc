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
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/localtest"
)

// client returns an S3 client of account in region, path-style, against a
// local cloud's endpoint.
func client(endpoint, account, region string) *s3.Client {
	return s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(account, "secret", ""),
	})
}

// serve starts a local cloud and returns a us-east-1 client of account
// 111111111111 and the endpoint.
func serve(t *testing.T, opts ...func(*localcloud.Config)) (*s3.Client, string, string) {
	t.Helper()
	endpoint, _ := localtest.Serve(t, opts...)
	dir := ""
	return client(endpoint, "111111111111", "us-east-1"), endpoint, dir
}

// statusOf is the HTTP status of an SDK error.
func statusOf(t testing.TB, err error) int {
	t.Helper()
	var re *smithyhttp.ResponseError
	require.ErrorAs(t, err, &re)
	return re.HTTPStatusCode()
}

// apiError asserts an S3 error's code, message and status.
func apiError(t testing.TB, err error, status int, code, msg string) {
	t.Helper()
	cloudtest.APIError(t, err, code, msg)
	assert.Equal(t, status, statusOf(t, err))
}

func TestBucketLifecycle(t *testing.T) {
	c, endpoint, _ := serve(t)
	ctx := context.Background()

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-photos")})
	require.NoError(t, err)
	// us-east-1 answers 200 to re-creating one's own bucket there (AWS's
	// legacy behaviour, S3 API reference, CreateBucket).
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-photos")})
	require.NoError(t, err)

	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("labkit-photos")})
	require.NoError(t, err)
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("labkit-photos")})
	require.NoError(t, err)
	assert.Equal(t, types.BucketLocationConstraint(""), loc.LocationConstraint, "us-east-1 has no location constraint")

	// Another region's endpoint requires its own region as the constraint.
	west := client(endpoint, "111111111111", "us-west-2")
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-west")})
	apiError(t, err, 400, "IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-west"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-central-1"}})
	apiError(t, err, 400, "IllegalLocationConstraintException", "The eu-central-1 location constraint is incompatible for the region specific endpoint this request was sent to.")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-x"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
	apiError(t, err, 400, "InvalidLocationConstraint", "The specified location-constraint is not valid")
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-west"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-west-2"}})
	require.NoError(t, err)
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-west"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-west-2"}})
	var owned *types.BucketAlreadyOwnedByYou
	require.ErrorAs(t, err, &owned)
	apiError(t, err, 409, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
	// From us-east-1 a constraint names any other region.
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-eu"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-central-1"}})
	require.NoError(t, err)
	loc, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("labkit-eu")})
	require.NoError(t, err)
	assert.Equal(t, types.BucketLocationConstraint("eu-central-1"), loc.LocationConstraint)

	// Bucket names are global.
	other := client(endpoint, "222222222222", "us-east-1")
	_, err = other.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-photos")})
	var exists *types.BucketAlreadyExists
	require.ErrorAs(t, err, &exists)
	apiError(t, err, 409, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	_, err = other.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("labkit-photos")})
	assert.Equal(t, 403, statusOf(t, err))

	for _, name := range []string{"ab", "Upper-case", "a..b", "-start", "end-", "192.168.5.4", "xn--punycode", "name-s3alias", strings.Repeat("a", 64), "under_score"} {
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		apiError(t, err, 400, "InvalidBucketName", "The specified bucket is not valid.")
	}

	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	require.NoError(t, err)
	var names []string
	for _, b := range list.Buckets {
		names = append(names, *b.Name)
		assert.NotNil(t, b.CreationDate)
	}
	assert.Equal(t, []string{"labkit-eu", "labkit-photos", "labkit-west"}, names)
	require.NotNil(t, list.Owner)
	assert.Len(t, aws.ToString(list.Owner.ID), 64, "a canonical user id")
	page, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, page.Buckets, 2)
	require.NotNil(t, page.ContinuationToken)
	page, err = c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2), ContinuationToken: page.ContinuationToken})
	require.NoError(t, err)
	require.Len(t, page.Buckets, 1)
	assert.Equal(t, "labkit-west", *page.Buckets[0].Name)
	assert.Nil(t, page.ContinuationToken)

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("labkit-photos"), Key: aws.String("a.txt"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("labkit-photos")})
	apiError(t, err, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("labkit-photos"), Key: aws.String("a.txt")})
	require.NoError(t, err)
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("labkit-photos")})
	require.NoError(t, err)
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("labkit-photos")})
	var nf *types.NotFound
	require.ErrorAs(t, err, &nf, "HEAD errors have no body: the SDK reads the status")
	assert.Equal(t, 404, statusOf(t, err))
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("labkit-photos")})
	apiError(t, err, 404, "NoSuchBucket", "The specified bucket does not exist")
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("labkit-photos")})
	var nsb *types.NoSuchBucket
	require.ErrorAs(t, err, &nsb)
}

func TestObjects(t *testing.T) {
	c, _, _ := serve(t)
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

func TestEntityTooLarge(t *testing.T) {
	c, _, _ := serve(t, func(cfg *localcloud.Config) { cfg.S3MaxObjectSize = 1000 })
	ctx := context.Background()
	bucket := aws.String("labkit-big")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("big"), Body: bytes.NewReader(make([]byte, 1001))})
	apiError(t, err, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("fits"), Body: bytes.NewReader(make([]byte, 1000))})
	require.NoError(t, err)
}

func TestListingPages(t *testing.T) {
	c, _, _ := serve(t)
	ctx := context.Background()
	bucket := aws.String("labkit-list")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)
	keys := []string{"a.txt", "logs/2026/01.log", "logs/2026/02.log", "logs/2027/01.log", "logs/readme", "photos/x.jpg", "z"}
	for _, k := range keys {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader(k)})
		require.NoError(t, err)
	}

	// Every key, two at a time, through continuation tokens.
	var got []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, MaxKeys: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		assert.LessOrEqual(t, aws.ToInt32(out.KeyCount), int32(2))
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
			assert.Equal(t, int64(len(aws.ToString(o.Key))), aws.ToInt64(o.Size))
		}
	}
	assert.Equal(t, keys, got)
	assert.Equal(t, 4, pages)

	// Delimiter: keys under a prefix roll up into CommonPrefixes.
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Delimiter: aws.String("/")})
	require.NoError(t, err)
	assert.Equal(t, []string{"a.txt", "z"}, listKeys(out.Contents))
	assert.Equal(t, []string{"logs/", "photos/"}, prefixes(out.CommonPrefixes))
	assert.Equal(t, int32(4), aws.ToInt32(out.KeyCount))

	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("logs/"), Delimiter: aws.String("/")})
	require.NoError(t, err)
	assert.Equal(t, []string{"logs/readme"}, listKeys(out.Contents))
	assert.Equal(t, []string{"logs/2026/", "logs/2027/"}, prefixes(out.CommonPrefixes))

	// A page boundary inside a common prefix does not repeat it.
	var all []string
	p = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		all = append(append(all, listKeys(out.Contents)...), prefixes(out.CommonPrefixes)...)
	}
	assert.Equal(t, []string{"a.txt", "logs/", "photos/", "z"}, all)

	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, StartAfter: aws.String("logs/readme")})
	require.NoError(t, err)
	assert.Equal(t, []string{"photos/x.jpg", "z"}, listKeys(out.Contents))
	assert.Equal(t, "logs/readme", aws.ToString(out.StartAfter))

	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, ContinuationToken: aws.String("!!!")})
	apiError(t, err, 400, "InvalidArgument", "The continuation token provided is incorrect")

	// Version 1 pages by Marker; NextMarker comes with a delimiter.
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: bucket, MaxKeys: aws.Int32(3)})
	require.NoError(t, err)
	assert.Equal(t, keys[:3], listKeys(v1.Contents))
	assert.True(t, aws.ToBool(v1.IsTruncated))
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: bucket, Marker: aws.String(keys[2])})
	require.NoError(t, err)
	assert.Equal(t, keys[3:], listKeys(v1.Contents))
	assert.False(t, aws.ToBool(v1.IsTruncated))
	v1, err = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: bucket, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	require.NoError(t, err)
	assert.Equal(t, "logs/", aws.ToString(v1.NextMarker))
}

func listKeys(os []types.Object) []string {
	var out []string
	for _, o := range os {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixes(ps []types.CommonPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
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
	c, endpoint, _ := serve(t)
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

// TestErrorShape checks S3's XML error body and that unsupported
// sub-resources answer NotImplemented.
func TestErrorShape(t *testing.T) {
	c, _, _ := serve(t)
	ctx := context.Background()
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("labkit-none"), Key: aws.String("k")})
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	var re interface{ ServiceRequestID() string }
	require.ErrorAs(t, err, &re)
	assert.Regexp(t, `^[0-9A-F]{16}$`, re.ServiceRequestID())

	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("labkit-tags")})
	require.NoError(t, err)
	_, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("labkit-tags")})
	apiError(t, err, 501, "NotImplemented", "A header you provided implies functionality that is not implemented")
}

// TestBucketPolicyTagsVersions: a bucket's policy and tags are stored and
// answered (PutBucketPolicy/GetBucketPolicy/DeleteBucketPolicy and the
// tagging ones, with NoSuchBucketPolicy and NoSuchTagSet when there is
// none), and ListObjectVersions of an unversioned bucket lists each object
// as its one version, "null".
func TestBucketPolicyTagsVersions(t *testing.T) {
	c, _, _ := serve(t)
	ctx := context.Background()
	bucket := aws.String("labkit-settings")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	require.NoError(t, err)

	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	apiError(t, err, 404, "NoSuchBucketPolicy", "The bucket policy does not exist")
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String("not json")})
	apiError(t, err, 400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::labkit-settings"}]}`
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(policy)})
	require.NoError(t, err)
	got, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	require.NoError(t, err)
	assert.JSONEq(t, policy, aws.ToString(got.Policy))
	_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket})
	require.NoError(t, err)
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	apiError(t, err, 404, "NoSuchBucketPolicy", "The bucket policy does not exist")

	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	apiError(t, err, 404, "NoSuchTagSet", "The TagSet does not exist")
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("lab"), Value: aws.String("3")}, {Key: aws.String("lab"), Value: aws.String("4")}}}})
	apiError(t, err, 400, "InvalidTag", "Cannot provide multiple Tags with the same key")
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("lab"), Value: aws.String("3")}, {Key: aws.String("owner"), Value: aws.String("")}}}})
	require.NoError(t, err)
	tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	require.NoError(t, err)
	require.Len(t, tags.TagSet, 2)
	assert.Equal(t, "lab", aws.ToString(tags.TagSet[0].Key))
	assert.Equal(t, "3", aws.ToString(tags.TagSet[0].Value))
	_, err = c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: bucket})
	require.NoError(t, err)
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bucket})
	apiError(t, err, 404, "NoSuchTagSet", "The TagSet does not exist")

	for _, k := range []string{"a", "b", "c"} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader(k)})
		require.NoError(t, err)
	}
	vs, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket, MaxKeys: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 2)
	assert.Equal(t, "null", aws.ToString(vs.Versions[0].VersionId))
	assert.True(t, aws.ToBool(vs.Versions[0].IsLatest))
	assert.True(t, aws.ToBool(vs.IsTruncated))
	assert.Equal(t, "b", aws.ToString(vs.NextKeyMarker))
	vs, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: bucket, KeyMarker: vs.NextKeyMarker})
	require.NoError(t, err)
	require.Len(t, vs.Versions, 1)
	assert.Equal(t, "c", aws.ToString(vs.Versions[0].Key))
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("c"), VersionId: aws.String("null")})
	require.NoError(t, err)
}
