package dynamo

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestPartitionARNs: in China and GovCloud regions a table's ARN is in the
// aws-cn or aws-us-gov partition (ARN format in the AWS reference: the
// partition is aws-cn for China, aws-us-gov for GovCloud), and requests
// name the table by that ARN: the item operations, DescribeTable and the
// tagging operations. The same ARN in the aws partition is another table,
// not found.
func TestPartitionARNs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ region, partition string }{
		{"cn-north-1", "aws-cn"},
		{"us-gov-west-1", "aws-us-gov"},
		{"us-east-1", "aws"},
	} {
		db := dynamodb.NewFromConfig(cloudtest.Config(e.url, cloudtest.Account, tc.region))
		desc := createTable(t, db, "parts")
		want := "arn:" + tc.partition + ":dynamodb:" + tc.region + ":" + cloudtest.Account + ":table/parts"
		require.Equal(t, want, aws.ToString(desc.TableArn), tc.region)
		_, err := db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String(want), Item: item{"pk": s("a")}})
		require.NoError(t, err, "PutItem by ARN in %s", tc.region)
		_, err = db.TagResource(ctx(t), &dynamodb.TagResourceInput{ResourceArn: aws.String(want), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		require.NoError(t, err, "TagResource in %s", tc.region)
		tags, err := db.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(want)})
		require.NoError(t, err, "ListTagsOfResource in %s", tc.region)
		assert.Len(t, tags.Tags, 1, tc.region)
		if tc.partition == "aws" {
			continue
		}
		wrong := strings.Replace(want, "arn:"+tc.partition+":", "arn:aws:", 1)
		_, err = db.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(wrong)})
		var nf *types.ResourceNotFoundException
		assert.True(t, errors.As(err, &nf), "DescribeTable %s in %s: got %v, want ResourceNotFoundException", wrong, tc.region, err)
		_, err = db.ListTagsOfResource(ctx(t), &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(wrong)})
		assert.True(t, errors.As(err, &nf), "ListTagsOfResource %s in %s: got %v, want ResourceNotFoundException", wrong, tc.region, err)
	}
}
