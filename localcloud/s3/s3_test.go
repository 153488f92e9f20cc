package s3_test

import (
	"context"
	"io"
	"net/http"
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
func serve(t *testing.T, opts ...func(*localcloud.Config)) (*s3.Client, string) {
	t.Helper()
	endpoint, _ := localtest.Serve(t, opts...)
	return client(endpoint, "111111111111", "us-east-1"), endpoint
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

// signedRequest is a request carrying a SigV4 Authorization header for
// s3 (the local cloud reads the scope and does not check the signature).
func signedRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("0", 64))
	req.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
	return req
}

// TestBucketLifecycle creates, finds, lists and deletes buckets with the
// S3 API reference's CreateBucket rules and errors.
func TestBucketLifecycle(t *testing.T) {
	c, endpoint := serve(t)
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
	// A request for it signed for another region is redirected there, as
	// S3's regional endpoints answer; one signed for its region is served.
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("labkit-eu")})
	apiError(t, err, 301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.")
	var re *smithyhttp.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "eu-central-1", re.Response.Header.Get("x-amz-bucket-region"))
	_, err = client(endpoint, "111111111111", "eu-central-1").ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("labkit-eu")})
	require.NoError(t, err)

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

// TestErrorShape checks S3's XML error body and that unsupported
// sub-resources answer NotImplemented.
func TestErrorShape(t *testing.T) {
	c, _ := serve(t)
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
	c, _ := serve(t)
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
