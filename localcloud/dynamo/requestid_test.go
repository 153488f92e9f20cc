package dynamo

import (
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestID: DynamoDB's x-amzn-RequestId is 52 characters of 0-9 and
// A-V, on answers and on errors, and the SDK reads it.
func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	form := regexp.MustCompile(`^[0-9A-V]{52}$`)
	out, err := e.db.ListTables(ctx(t), &dynamodb.ListTablesInput{})
	require.NoError(t, err)
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	require.True(t, ok)
	assert.Regexp(t, form, id)

	_, err = e.db.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	var re interface{ ServiceRequestID() string }
	require.ErrorAs(t, err, &re)
	assert.Regexp(t, form, re.ServiceRequestID())
	assert.NotEqual(t, id, re.ServiceRequestID())
}
