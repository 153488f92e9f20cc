package localcloud_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLambdaRefusesRoleItCannotAssume: Lambda's API reference lists
// InvalidParameterValueException for CreateFunction and
// UpdateFunctionConfiguration, and AWS answers "The role defined for the
// function cannot be assumed by Lambda." when the role does not exist or
// its trust policy does not name lambda.amazonaws.com.
func TestLambdaRefusesRoleItCannotAssume(t *testing.T) {
	ctx := context.Background()
	cfg := sdkConfig(startCloud(t))
	fns := lambda.NewFromConfig(cfg)
	good := lambdaRole(t, cfg, "good")
	ec2, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("for-ec2"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	denyLambda, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deny-lambda"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	zip := shellZip(t, "#!/bin/sh\necho hi\n")
	create := func(name, role string) error {
		_, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &lambdatypes.FunctionCode{ZipFile: zip}})
		return err
	}
	const msg = "The role defined for the function cannot be assumed by Lambda."
	bad := []struct{ name, role string }{
		{"missing role", "arn:aws:iam::123456789012:role/nobody"},
		{"trusts ec2 only", aws.ToString(ec2.Role.Arn)},
		{"trust denies lambda", aws.ToString(denyLambda.Role.Arn)},
		{"wrong path", "arn:aws:iam::123456789012:role/service-role/good"},
	}
	// A role of another account is refused before this check, with
	// AccessDeniedException "Cross-account pass role is not allowed."
	// (localcloud/lambda's TestCreateFunctionCrossAccountRole).
	for _, tc := range bad {
		t.Run("create "+tc.name, func(t *testing.T) {
			var e *lambdatypes.InvalidParameterValueException
			require.True(t, errors.As(create("f", tc.role), &e))
			assert.Equal(t, msg, e.ErrorMessage())
		})
	}
	_, err = fns.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
	var nf *lambdatypes.ResourceNotFoundException
	require.True(t, errors.As(err, &nf), "a refused CreateFunction creates nothing: %v", err)

	require.NoError(t, create("f", good))
	for _, tc := range bad {
		t.Run("update "+tc.name, func(t *testing.T) {
			_, err := fns.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Role: aws.String(tc.role)})
			var e *lambdatypes.InvalidParameterValueException
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, msg, e.ErrorMessage())
		})
	}
	got, err := fns.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("f")})
	require.NoError(t, err)
	assert.Equal(t, good, aws.ToString(got.Role), "a refused update keeps the role")

	other := lambdaRole(t, cfg, "other")
	up, err := fns.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("f"), Role: aws.String(other)})
	require.NoError(t, err)
	assert.Equal(t, other, aws.ToString(up.Role))
}
