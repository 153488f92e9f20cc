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

// envOf invokes the env test function and returns what it saw.
func envOf(t *testing.T, c *awslambda.Client, name string) (map[string]string, string, string) {
	t.Helper()
	out := invoke(t, c, name, "{}", nil)
	var got struct {
		Env map[string]string `json:"env"`
		ARN string            `json:"arn"`
	}
	require.NoError(t, json.Unmarshal(out.Payload, &got))
	return got.Env, got.ARN, aws.ToString(out.ExecutedVersion)
}

func TestVersions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, url := testService(t, func(c *Config) { c.DataDir = dir })
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	arn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:fn"

	created := createFunction(t, c, "fn", zipOf(t, "env"), func(in *awslambda.CreateFunctionInput) {
		in.Publish = true
		in.Environment = &types.Environment{Variables: map[string]string{"STAGE": "one"}}
	})
	// CreateFunction's example in the API reference (Publish true): version
	// 1's configuration under the unqualified ARN.
	assert.Equal(t, "1", aws.ToString(created.Version), "Publish on CreateFunction answers version 1")
	assert.Equal(t, arn, aws.ToString(created.FunctionArn))
	v1, err := c.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	assert.Equal(t, arn+":1", aws.ToString(v1.FunctionArn), "the version itself has its qualified ARN")

	same, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(same.Version), "nothing changed since version 1: no new version")

	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"),
		Environment: &types.Environment{Variables: map[string]string{"STAGE": "two"}}})
	require.NoError(t, err)
	latest, err := c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	_, err = c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("fn"), CodeSha256: aws.String("abc")})
	cloudtest.APIError(t, err, "InvalidParameterValueException", "CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST ("+aws.ToString(latest.Configuration.CodeSha256)+"). Please try again.")
	_, err = c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("fn"), RevisionId: aws.String("nope")})
	cloudtest.APIError(t, err, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	v2, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("fn"), Description: aws.String("second"),
		CodeSha256: latest.Configuration.CodeSha256, RevisionId: latest.Configuration.RevisionId})
	require.NoError(t, err)
	assert.Equal(t, "2", aws.ToString(v2.Version))
	assert.Equal(t, "second", aws.ToString(v2.Description))

	list, err := c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	var names, arns []string
	for _, v := range list.Versions {
		names = append(names, aws.ToString(v.Version))
		arns = append(arns, aws.ToString(v.FunctionArn))
	}
	assert.Equal(t, []string{"$LATEST", "1", "2"}, names)
	// The AWS CLI reference's list-versions-by-function example: $LATEST
	// is listed under its qualified ARN too.
	assert.Equal(t, []string{arn + ":$LATEST", arn + ":1", arn + ":2"}, arns)
	all, err := c.ListFunctions(ctx, &awslambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll})
	require.NoError(t, err)
	arns = nil
	for _, f := range all.Functions {
		arns = append(arns, aws.ToString(f.FunctionArn))
	}
	assert.Equal(t, []string{arn + ":$LATEST", arn + ":1", arn + ":2"}, arns, "ListFunctions FunctionVersion ALL lists versions as ListVersionsByFunction does")
	plain, err := c.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
	require.Len(t, plain.Functions, 1)
	assert.Equal(t, arn, aws.ToString(plain.Functions[0].FunctionArn), "without FunctionVersion, $LATEST under the unqualified ARN")
	pageOne, err := c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn"), MaxItems: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, pageOne.Versions, 2)
	pageTwo, err := c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn"), Marker: pageOne.NextMarker})
	require.NoError(t, err)
	require.Len(t, pageTwo.Versions, 1)
	assert.Equal(t, "2", aws.ToString(pageTwo.Versions[0].Version))

	// Each version runs its own snapshot, as its own version.
	env, invoked, executed := envOf(t, c, "fn:1")
	assert.Equal(t, "one", env["STAGE"])
	assert.Equal(t, "1", env["AWS_LAMBDA_FUNCTION_VERSION"])
	assert.Equal(t, arn+":1", invoked)
	assert.Equal(t, "1", executed)
	env, _, executed = envOf(t, c, "fn")
	assert.Equal(t, "two", env["STAGE"])
	assert.Equal(t, "$LATEST", executed)

	_, err = c.GetFunction(ctx, &awslambda.GetFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("7")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":7")

	// New code published as version 3 leaves version 1's code in place.
	up, err := c.UpdateFunctionCode(ctx, &awslambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: zipOf(t, "echo"), Publish: true})
	require.NoError(t, err)
	assert.Equal(t, "3", aws.ToString(up.Version))
	assert.Equal(t, `{"a":1}`, string(invoke(t, c, "fn:3", `{"a":1}`, nil).Payload))

	// Versions survive a restart, code and all; numbers are not reused.
	svc.Close()
	_, url = testService(t, func(c *Config) { c.DataDir = dir })
	c = client(url, cloudtest.Account)
	env, _, _ = envOf(t, c, "fn:1")
	assert.Equal(t, "one", env["STAGE"])
	_, err = c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("3")})
	require.NoError(t, err)
	_, err = c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("$LATEST")})
	cloudtest.APIError(t, err, "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function.")
	_, err = c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"), Description: aws.String("x")})
	require.NoError(t, err)
	v4, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Equal(t, "4", aws.ToString(v4.Version), "a deleted version's number is not reused")
}

func TestAliases(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	arn := "arn:aws:lambda:us-east-1:" + cloudtest.Account + ":function:fn"
	createFunction(t, c, "fn", zipOf(t, "env"), func(in *awslambda.CreateFunctionInput) {
		in.Publish = true
		in.Environment = &types.Environment{Variables: map[string]string{"STAGE": "one"}}
	})
	_, err := c.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"),
		Environment: &types.Environment{Variables: map[string]string{"STAGE": "two"}}})
	require.NoError(t, err)
	_, err = c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)

	live, err := c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("1"), Description: aws.String("prod")})
	require.NoError(t, err)
	assert.Equal(t, arn+":live", aws.ToString(live.AliasArn))
	assert.NotEmpty(t, aws.ToString(live.RevisionId))
	_, err = c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
	cloudtest.APIError(t, err, "ResourceConflictException", "Alias already exists: "+arn+":live")
	_, err = c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("next"), FunctionVersion: aws.String("9")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":9")
	_, err = c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("123"), FunctionVersion: aws.String("1")})
	cloudtest.APIError(t, err, "ValidationException", "1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
	_, err = c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("dev"), FunctionVersion: aws.String("$LATEST")})
	require.NoError(t, err)

	env, invoked, executed := envOf(t, c, "fn:live")
	assert.Equal(t, "one", env["STAGE"])
	assert.Equal(t, "1", executed)
	assert.Equal(t, arn+":1", invoked)
	_, _, executed = envOf(t, c, arn+":dev")
	assert.Equal(t, "$LATEST", executed)
	_, err = tryInvoke(c, "fn:nope", "{}", nil)
	cloudtest.APIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":nope")

	_, err = c.GetAlias(ctx, &awslambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("nope")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "Cannot find alias arn: "+arn+":nope")
	_, err = c.UpdateAlias(ctx, &awslambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: aws.String("stale")})
	cloudtest.APIError(t, err, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	moved, err := c.UpdateAlias(ctx, &awslambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: live.RevisionId})
	require.NoError(t, err)
	assert.Equal(t, "2", aws.ToString(moved.FunctionVersion))
	assert.Equal(t, "prod", aws.ToString(moved.Description), "an update keeps what it does not change")
	env, _, _ = envOf(t, c, "fn:live")
	assert.Equal(t, "two", env["STAGE"])

	// Weighted routing: all of the weight on version 1.
	_, err = c.UpdateAlias(ctx, &awslambda.UpdateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"),
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 1}}})
	require.NoError(t, err)
	_, _, executed = envOf(t, c, "fn:live")
	assert.Equal(t, "1", executed)

	list, err := c.ListAliases(ctx, &awslambda.ListAliasesInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	require.Len(t, list.Aliases, 2)
	assert.Equal(t, "dev", aws.ToString(list.Aliases[0].Name))
	only, err := c.ListAliases(ctx, &awslambda.ListAliasesInput{FunctionName: aws.String("fn"), FunctionVersion: aws.String("2")})
	require.NoError(t, err)
	require.Len(t, only.Aliases, 1)

	_, err = c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	cloudtest.APIError(t, err, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [live]")
	_, err = c.DeleteAlias(ctx, &awslambda.DeleteAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live")})
	require.NoError(t, err)
	_, err = c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("fn"), Qualifier: aws.String("1")})
	require.NoError(t, err)
	_, err = tryInvoke(c, "fn:1", "{}", nil)
	cloudtest.APIError(t, err, "ResourceNotFoundException", "Function not found: "+arn+":1")

	// Deleting the function takes its versions and aliases along.
	_, err = c.DeleteFunction(ctx, &awslambda.DeleteFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	createFunction(t, c, "fn", zipOf(t, "echo"), nil)
	_, err = c.GetAlias(ctx, &awslambda.GetAliasInput{FunctionName: aws.String("fn"), Name: aws.String("dev")})
	cloudtest.APIError(t, err, "ResourceNotFoundException", "Cannot find alias arn: "+arn+":dev")
	again, err := c.ListVersionsByFunction(ctx, &awslambda.ListVersionsByFunctionInput{FunctionName: aws.String("fn")})
	require.NoError(t, err)
	assert.Len(t, again.Versions, 1)
}

// TestListFunctionsAllVersions: ListFunctions answers $LATEST only, and
// with FunctionVersion=ALL every published version too, paging through
// them by MaxItems and Marker; another FunctionVersion is refused.
func TestListFunctionsAllVersions(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	zip := zipOf(t, "echo")
	createFunction(t, c, "a", zip, func(in *awslambda.CreateFunctionInput) { in.Publish = true })
	createFunction(t, c, "b", zip, nil)
	latest, err := c.ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
	assert.Len(t, latest.Functions, 2)

	var got []string
	var marker *string
	for {
		page, err := c.ListFunctions(ctx, &awslambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll, MaxItems: aws.Int32(2), Marker: marker})
		require.NoError(t, err)
		for _, f := range page.Functions {
			got = append(got, aws.ToString(f.FunctionName)+":"+aws.ToString(f.Version))
		}
		if marker = page.NextMarker; marker == nil {
			break
		}
	}
	assert.Equal(t, []string{"a:$LATEST", "a:1", "b:$LATEST"}, got)
	_, err = c.ListFunctions(ctx, &awslambda.ListFunctionsInput{FunctionVersion: "SOME"})
	wantCode(t, err, "ValidationException")
}

// TestGetFunctionLatestARN: GetFunction and GetFunctionConfiguration asked
// for $LATEST by name answer its qualified ARN (…:function:name:$LATEST);
// unqualified, the function's ARN.
func TestGetFunctionLatestARN(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	fnArn := aws.ToString(createFunction(t, c, "latest", zipOf(t, "echo"), nil).FunctionArn)
	for _, tc := range []struct {
		name, qualifier, want string
	}{
		{"latest", "", fnArn},
		{"latest", "$LATEST", fnArn + ":$LATEST"},
		{"latest:$LATEST", "", fnArn + ":$LATEST"},
		{fnArn + ":$LATEST", "", fnArn + ":$LATEST"},
	} {
		in := &awslambda.GetFunctionInput{FunctionName: aws.String(tc.name)}
		cin := &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(tc.name)}
		if tc.qualifier != "" {
			in.Qualifier, cin.Qualifier = aws.String(tc.qualifier), aws.String(tc.qualifier)
		}
		got, err := c.GetFunction(ctx, in)
		if err != nil || aws.ToString(got.Configuration.FunctionArn) != tc.want || aws.ToString(got.Configuration.Version) != "$LATEST" {
			t.Errorf("GetFunction %s (Qualifier %q): %v %+v, want FunctionArn %s", tc.name, tc.qualifier, err, got, tc.want)
		}
		cfg, err := c.GetFunctionConfiguration(ctx, cin)
		if err != nil || aws.ToString(cfg.FunctionArn) != tc.want {
			t.Errorf("GetFunctionConfiguration %s (Qualifier %q): %v %+v, want FunctionArn %s", tc.name, tc.qualifier, err, cfg, tc.want)
		}
	}
}
