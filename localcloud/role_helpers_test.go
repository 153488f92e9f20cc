package localcloud_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/require"
)

// lambdaTrust lets Lambda assume a role, as every execution role must.
const lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// lambdaRole creates an execution role named name in cfg's account and
// returns its ARN: Lambda refuses a role that does not exist.
func lambdaRole(tb testing.TB, cfg aws.Config, name string) string {
	tb.Helper()
	out, err := iam.NewFromConfig(cfg).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust)})
	require.NoError(tb, err)
	return aws.ToString(out.Role.Arn)
}
