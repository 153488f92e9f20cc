package iam_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// statementDoc is a 2012-10-17 identity policy of one statement.
func statementDoc(statement string) string {
	return `{"Version":"2012-10-17","Statement":` + statement + `}`
}

// TestPolicyCheckPhases: IAM checks a document's grammar, then its version,
// then what its engine cannot parse ("The policy failed legacy parsing"),
// then each statement's content, and answers the first failure in that
// order whatever statement it is in.
func TestPolicyCheckPhases(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	const (
		syntax = "Syntax errors in policy."
		legacy = "The policy failed legacy parsing"
		bucket = `"Resource":"arn:aws:s3:::amzn-s3-demo-bucket"`
	)
	cases := []struct{ name, doc, msg string }{
		// Grammar: the language's elements, each of its type.
		{"unknown statement element", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Extra":"x"}`), syntax},
		{"Action and NotAction", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","NotAction":"s3:GetObject",` + bucket + `}`), syntax},
		{"Resource and NotResource", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"NotResource":"*"}`), syntax},
		{"Condition value an object", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":{}}}}`), syntax},
		{"unknown condition operator", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"StringEqualz":{"aws:username":"a"}}}`), syntax},
		{"qualifier with two colons", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"ForAnyValue::StringEquals":{"aws:TagKeys":"a"}}}`), syntax},
		{"grammar before a missing action", statementDoc(`{"Effect":"Allow",` + bucket + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":{}}}}`), syntax},
		// Legacy parsing, before statement ids and content.
		{"Effect in lower case", statementDoc(`{"Effect":"allow","Action":"s3:ListBucket",` + bucket + `}`), legacy},
		{"Effect case before a missing action", statementDoc(`{"Effect":"deny",` + bucket + `}`), legacy},
		{"Effect case before a repeated Sid", statementDoc(`[{"Sid":"a","Effect":"aLLow","Action":"s3:ListBucket",` + bucket + `},{"Sid":"a","Effect":"Allow"}]`), legacy},
		{"date that is no date", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}`), legacy},
		{"month 13", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"2020-13"}}}`), legacy},
		{"epoch past 64 bits", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"9223372036854775808"}}}`), legacy},
		{"S3 ARN missing a field", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::amzn-s3-demo-bucket"}`), legacy},
		{"ARN without a service", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::::amzn-s3-demo-bucket"}`), legacy},
		// Resources: partition, service, region.
		{"unknown partition", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::amzn-s3-demo-bucket"}`),
			`Partition "error" is not valid for resource "arn:error:s3:::amzn-s3-demo-bucket".`},
		{"first field read as arn, missing ones as *", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"a:b:c"}`),
			`Partition "b" is not valid for resource "arn:b:c:*:*:*".`},
		{"no service", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"}`), "Resource vendor must be fully qualified and cannot contain regexes."},
		{"IAM resource with a region", statementDoc(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam:us-east-1::user/a"}`),
			"IAM resource arn:aws:iam:us-east-1::user/a cannot contain region information."},
		{"S3 bucket with a region", statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::amzn-s3-demo-bucket"}`),
			"Resource arn:aws:s3:us-east-1::amzn-s3-demo-bucket can not contain region information."},
		{"resources checked before actions", statementDoc(`{"Effect":"Allow","Action":"s:3:ListBucket","Resource":"bucket"}`), `Resource bucket must be in ARN format or "*".`},
		{"actions checked before a missing resource", statementDoc(`{"Effect":"Allow","Action":"ListBucket"}`), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(tc.doc)})
			var mal *types.MalformedPolicyDocumentException
			require.True(t, errors.As(err, &mal), "CreatePolicy: got %v, want MalformedPolicyDocument", err)
			assert.Equal(t, tc.msg, mal.ErrorMessage())
		})
	}
}

// TestPolicyCheckAccepts: documents of the policy language IAM takes,
// among them the date forms its engine reads and the ARNs of other
// services with a region and no account.
func TestPolicyCheckAccepts(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	docs := []string{
		statementDoc(`{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"arn:aws:ec2:us-east-1::instance/*"}`),
		statementDoc(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point"}`),
		statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2019-07-01T13:20:15Z"},` +
			`"DateLessThan":{"aws:CurrentTime":["2016-12-13T21:20:37.593194+00:00","1700000000","2020-01","2020"]}}}`),
		statementDoc(`{"Effect":"Deny","NotAction":"iam:GetUser","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":false},"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]},"NumericLessThan":{"s3:max-keys":10}}}`),
		statementDoc(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Anything":{}}}`),
	}
	for i, doc := range docs {
		_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("ok" + string(rune('a'+i))), PolicyDocument: aws.String(doc)})
		assert.NoError(t, err, doc)
	}
}
