package s3_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListingPages pages ListObjectsV2 and ListObjects with Prefix,
// Delimiter, MaxKeys, ContinuationToken, StartAfter and Marker.
func TestListingPages(t *testing.T) {
	c, _ := serve(t)
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

	zero, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: bucket, MaxKeys: aws.Int32(0)})
	require.NoError(t, err)
	assert.Empty(t, zero.Contents)
	assert.False(t, aws.ToBool(zero.IsTruncated), "max-keys=0 lists nothing and is not truncated")

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

// listKeys returns the keys of a listing's objects.
func listKeys(os []types.Object) []string {
	var out []string
	for _, o := range os {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

// prefixes returns a listing's common prefixes.
func prefixes(ps []types.CommonPrefix) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}
