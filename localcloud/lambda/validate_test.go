package lambda

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestCreateFunctionModelChecks: members the service model constrains are
// refused with ValidationException before what the request means is looked
// at (a container image, which the local cloud does not run, is refused
// only after them), and EphemeralStorage (512 to 10240 MB, API reference)
// is kept and reported.
func TestCreateFunctionModelChecks(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	image := func(mod func(*awslambda.CreateFunctionInput)) error {
		in := &awslambda.CreateFunctionInput{FunctionName: aws.String("img"), Role: aws.String(testRole),
			Code: &types.FunctionCode{ImageUri: aws.String(cloudtest.Account + ".dkr.ecr.us-east-1.amazonaws.com/repo:prod")}}
		mod(in)
		_, err := c.CreateFunction(ctx, in)
		return err
	}
	err := image(func(in *awslambda.CreateFunctionInput) { in.Architectures = []types.Architecture{"foo"} })
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '[foo]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]")
	err = image(func(in *awslambda.CreateFunctionInput) {
		in.Architectures = []types.Architecture{types.ArchitectureArm64, types.ArchitectureX8664}
	})
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '[arm64, x86_64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1")
	err = image(func(in *awslambda.CreateFunctionInput) {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(3000000)}
	})
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '3000000' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240")
	err = image(func(in *awslambda.CreateFunctionInput) {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(511)}
	})
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '511' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512")
	// PackageType is an enum of the model (Zip, Image): another spelling is
	// refused as a model constraint, not taken for a kind of package.
	err = image(func(in *awslambda.CreateFunctionInput) { in.PackageType = "ZIP" })
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value 'ZIP' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Zip, Image]")

	plain := createFunction(t, c, "plain", zipOf(t, "echo"), nil)
	assert.Equal(t, int32(512), aws.ToInt32(plain.EphemeralStorage.Size), "the default /tmp is 512 MB")
	big := createFunction(t, c, "big", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(10240)}
	})
	assert.Equal(t, int32(10240), aws.ToInt32(big.EphemeralStorage.Size))
	up, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plain"),
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(1024)}})
	require.NoError(t, err)
	assert.Equal(t, int32(1024), aws.ToInt32(up.EphemeralStorage.Size))
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plain"),
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(10241)}})
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '10241' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value less than or equal to 10240")
	got, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("plain")})
	require.NoError(t, err)
	assert.Equal(t, int32(1024), aws.ToInt32(got.EphemeralStorage.Size), "a refused update leaves the size as it was")
}

// TestCreateFunctionCrossAccountRole: an execution role of another account
// cannot be passed (IAM's PassRole check, AccessDeniedException "Cross-account
// pass role is not allowed."), on create and on update.
func TestCreateFunctionCrossAccountRole(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	other := "arn:aws:iam::210987654321:role/lab-lambda"
	_, err := c.CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("fn"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(other), Code: &types.FunctionCode{ZipFile: zipOf(t, "echo")}})
	cloudtest.APIError(t, err, "AccessDeniedException", "Cross-account pass role is not allowed.")
	createFunction(t, c, "fn", zipOf(t, "echo"), nil)
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Role: aws.String(other)})
	cloudtest.APIError(t, err, "AccessDeniedException", "Cross-account pass role is not allowed.")
}

// TestQualifiedPolicies: each version and alias has a resource-based policy
// of its own (AddPermission, GetPolicy and RemovePermission take a
// Qualifier; the GetPolicy example in the API reference shows version 1's
// statement on the ARN ending in :1).
func TestQualifiedPolicies(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	arn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:fn"
	createFunction(t, c, "fn", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) { in.Publish = true })
	add := func(name, qualifier, sid string) error {
		in := &awslambda.AddPermissionInput{FunctionName: aws.String(name), StatementId: aws.String(sid),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		_, err := c.AddPermission(ctx, in)
		return err
	}
	resources := func(name, qualifier string) ([]string, error) {
		in := &awslambda.GetPolicyInput{FunctionName: aws.String(name)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		out, err := c.GetPolicy(ctx, in)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Statement []struct{ Sid, Resource string }
		}
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc))
		var got []string
		for _, st := range doc.Statement {
			got = append(got, st.Sid+" "+st.Resource)
		}
		return got, nil
	}

	require.NoError(t, add("fn", "1", "s"))
	_, err := resources("fn", "")
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	got, err := resources("fn", "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"s " + arn + ":1"}, got)
	require.NoError(t, add("fn", "", "s"), "the same statement id on another qualifier's policy")
	wantCode(t, add("fn:1", "", "s"), "ResourceConflictException")
	got, err = resources("fn", "")
	require.NoError(t, err)
	assert.Equal(t, []string{"s " + arn}, got)

	_, err = c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("s"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	_, err = resources("fn", "1")
	cloudtest.APIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	got, err = resources(arn, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"s " + arn}, got, "removing version 1's statement leaves the function's")
	_, err = c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("s"), Qualifier: aws.String("1")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "No policy is associated with the given resource.")
}
