package localcloud_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestS3ResponsesMatchBotocoreShapes drives S3's main operations through
// the SDK (buckets, objects, listings, copies, batch deletes,
// tagging, policies, multipart uploads) and holds every rest-xml answer to
// botocore's output shape for its operation.
func TestS3ResponsesMatchBotocoreShapes(t *testing.T) {
	m := s3Model(t)
	cfg, rec := recording(sdkConfig(startCloud(t)))
	ctx := context.Background()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	b := aws.String("shapes")

	do(c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b})).ok(t)
	do(c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})).ok(t)
	do(c.ListBuckets(ctx, &s3.ListBucketsInput{})).ok(t)
	do(c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b})).ok(t)
	do(c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})).ok(t)
	do(c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b})).ok(t)
	do(c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shapes/*"}]}`)})).ok(t)
	do(c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b})).ok(t)

	do(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("a/one.txt"), Body: strings.NewReader("one"), ContentType: aws.String("text/plain"),
		Metadata: map[string]string{"m": "1"}})).ok(t)
	do(c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("a/one.txt"), Body: strings.NewReader("one again")})).ok(t)
	do(c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("a/one.txt")})).ok(t)
	do(c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("a/one.txt")})).ok(t)
	do(c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("b/two.txt"), CopySource: aws.String("shapes/a/one.txt")})).ok(t)
	do(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(10)})).ok(t)
	do(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("a/"), FetchOwner: aws.Bool(true)})).ok(t)
	page := do(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, MaxKeys: aws.Int32(1), StartAfter: aws.String("a"), EncodingType: types.EncodingTypeUrl})).ok(t)
	do(c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, ContinuationToken: page.NextContinuationToken})).ok(t)
	do(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, Delimiter: aws.String("/")})).ok(t)
	do(c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: b, MaxKeys: aws.Int32(1), Marker: aws.String("a"), EncodingType: types.EncodingTypeUrl})).ok(t)
	do(c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})).ok(t)

	up := do(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("big")})).ok(t)
	part := do(c.UploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})).ok(t)
	do(c.ListParts(ctx, &s3.ListPartsInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId})).ok(t)
	do(c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b})).ok(t)
	do(c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: b, Delimiter: aws.String("/"), Prefix: aws.String("b"), MaxUploads: aws.Int32(1)})).ok(t)
	do(c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b, Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})).ok(t)
	do(c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: aws.String("big"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}})).ok(t)
	up2 := do(c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String("gone")})).ok(t)
	do(c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: aws.String("gone"), UploadId: up2.UploadId})).ok(t)

	do(c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("a/one.txt")}, {Key: aws.String("big")}}}})).ok(t)
	do(c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("b/two.txt")})).ok(t)
	do(c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})).ok(t)
	do(c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b})).ok(t)
	do(c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: b})).ok(t)

	verifyShapes(t, m, rec.Calls(), s3Served)
}

// s3Served are the S3 operations the local cloud serves (localcloud/s3's
// package documentation; the rest answer NotImplemented).
var s3Served = []string{"AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject", "CreateBucket", "CreateMultipartUpload",
	"DeleteBucket", "DeleteBucketPolicy", "DeleteBucketTagging", "DeleteObject", "DeleteObjects", "GetBucketLocation", "GetBucketPolicy",
	"GetBucketTagging", "GetObject", "HeadBucket", "HeadObject", "ListBuckets", "ListMultipartUploads", "ListObjectVersions", "ListObjects",
	"ListObjectsV2", "ListParts", "PutBucketPolicy", "PutBucketTagging", "PutObject", "UploadPart"}

// s3Model is botocore's S3 model with what AWS added after it: members and
// enum values aws-sdk-go-v2 has (TestS3NewerMembersAreInTheSDK).
func s3Model(t *testing.T) *conformance.Model {
	m := conformance.LoadForTest(t, "s3")
	m.Newer = map[string][]string{"Bucket": {"BucketRegion"}, "Object": {"ChecksumType"}}
	m.NewerValues = map[string][]string{"ChecksumAlgorithm": conformance.Strings(types.ChecksumAlgorithm("").Values())}
	return m
}

func TestS3NewerMembersAreInTheSDK(t *testing.T) {
	conformance.VerifyNewer(t, s3Model(t), map[string]reflect.Type{"Bucket": reflect.TypeFor[types.Bucket](), "Object": reflect.TypeFor[types.Object]()})
}
