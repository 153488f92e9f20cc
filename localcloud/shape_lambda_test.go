package localcloud_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// echoFunction answers every invocation with {"ok":true}.
const echoFunction = "#!/bin/sh\nwhile true; do\n" +
	"  curl -sS -D /tmp/h.$$ -o /dev/null \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\" || exit 1\n" +
	"  id=$(grep -i '^lambda-runtime-aws-request-id:' /tmp/h.$$ | tr -d '\\r' | cut -d' ' -f2)\n" +
	"  curl -sS -X POST -d '{\"ok\":true}' \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$id/response\" >/dev/null\ndone\n"

// TestLambdaResponsesMatchBotocoreShapes drives Lambda's operations through
// the SDK (create, read, list, update, delete of functions, versions,
// aliases, permissions, layers, code signing, concurrency, URLs, event
// invoke configs, event source mappings) and holds every answer to
// botocore's output shape for its operation.
func TestLambdaResponsesMatchBotocoreShapes(t *testing.T) {
	m := lambdaModel(t)
	cfg := sdkConfig(startCloud(t))
	rcfg, rec := recording(cfg)
	ctx := context.Background()
	c := lambda.NewFromConfig(rcfg)
	role := lambdaRole(t, cfg, "shapes")
	name := aws.String("shapes")
	zip := shellZip(t, echoFunction)

	fn := do(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: name, Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zip},
		Description: aws.String("d"), Timeout: aws.Int32(5), MemorySize: aws.Int32(256), Publish: false,
		Environment: &types.Environment{Variables: map[string]string{"A": "1"}}, Tags: map[string]string{"k": "v"},
		Architectures: []types.Architecture{types.ArchitectureX8664}, TracingConfig: &types.TracingConfig{Mode: types.TracingModeActive},
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(1024)}})).ok(t)
	waitFunction(t, c, name)
	do(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})).ok(t)
	do(c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name})).ok(t)
	// A function with the optional settings a configuration shows.
	full := aws.String("shapes-full")
	do(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: full, Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zip}, Publish: true,
		DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")},
		VpcConfig:        &types.VpcConfig{SubnetIds: []string{"subnet-1"}, SecurityGroupIds: []string{"sg-1"}},
		KMSKeyArn:        aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
		LoggingConfig:    &types.LoggingConfig{LogFormat: types.LogFormatJson, ApplicationLogLevel: types.ApplicationLogLevelInfo, SystemLogLevel: types.SystemLogLevelWarn},
		Environment:      &types.Environment{Variables: map[string]string{"B": "2"}}})).ok(t)
	waitFunction(t, c, full)
	do(c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: full, ReservedConcurrentExecutions: aws.Int32(2)})).ok(t)
	do(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: full})).ok(t)
	do(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: full, Qualifier: aws.String("1")})).ok(t)
	do(c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll, MaxItems: aws.Int32(1)})).ok(t)
	do(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: full})).ok(t)
	do(c.ListFunctions(ctx, &lambda.ListFunctionsInput{})).ok(t)
	do(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: name, Payload: []byte(`{}`), LogType: types.LogTypeTail})).ok(t)
	do(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: name, Payload: []byte(`{}`), InvocationType: types.InvocationTypeEvent})).ok(t)
	do(c.InvokeAsync(ctx, &lambda.InvokeAsyncInput{FunctionName: name, InvokeArgs: strings.NewReader(`{}`)})).ok(t)
	do(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name, Description: aws.String("d2")})).ok(t)
	waitFunction(t, c, name)
	do(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: name, ZipFile: zip})).ok(t)
	waitFunction(t, c, name)
	v := do(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: name, Description: aws.String("v1")})).ok(t)
	do(c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: name})).ok(t)

	// Aliases.
	do(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: name, Name: aws.String("live"), FunctionVersion: v.Version})).ok(t)
	do(c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: name, Name: aws.String("live")})).ok(t)
	do(c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: name})).ok(t)
	do(c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: name, Name: aws.String("live"), Description: aws.String("a")})).ok(t)

	// Resource policy, concurrency, tags, account.
	do(c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: name, StatementId: aws.String("s1"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"), SourceAccount: aws.String("123456789012")})).ok(t)
	do(c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: name})).ok(t)
	do(c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: name, StatementId: aws.String("s1")})).ok(t)
	do(c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: name, ReservedConcurrentExecutions: aws.Int32(5)})).ok(t)
	do(c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: name})).ok(t)
	do(c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: name})).ok(t)
	do(c.TagResource(ctx, &lambda.TagResourceInput{Resource: fn.FunctionArn, Tags: map[string]string{"k2": "v2"}})).ok(t)
	do(c.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.FunctionArn})).ok(t)
	do(c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: fn.FunctionArn, TagKeys: []string{"k2"}})).ok(t)
	do(c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})).ok(t)

	// Provisioned concurrency, URLs, event invoke configs.
	do(c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: name, Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(1)})).ok(t)
	do(c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: name, Qualifier: aws.String("live")})).ok(t)
	do(c.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: name})).ok(t)
	do(c.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: name, Qualifier: aws.String("live")})).ok(t)
	do(c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: name, AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"*"}, MaxAge: aws.Int32(60)}})).ok(t)
	do(c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: name})).ok(t)
	do(c.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: name, AuthType: types.FunctionUrlAuthTypeAwsIam})).ok(t)
	do(c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: name})).ok(t)
	do(c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: name})).ok(t)
	do(c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: name, MaximumRetryAttempts: aws.Int32(1),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:123456789012:failures")}}})).ok(t)
	do(c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: name})).ok(t)
	do(c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: name, MaximumEventAgeInSeconds: aws.Int32(600)})).ok(t)
	do(c.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: name})).ok(t)
	do(c.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: name})).ok(t)

	// Layers.
	layer := aws.String("shapes-layer")
	lv := do(c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: layer, Description: aws.String("l"),
		Content: &types.LayerVersionContentInput{ZipFile: zip}, CompatibleRuntimes: []types.Runtime{types.RuntimeProvidedal2023},
		CompatibleArchitectures: []types.Architecture{types.ArchitectureX8664}})).ok(t)
	do(c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: layer, VersionNumber: aws.Int64(lv.Version)})).ok(t)
	do(c.GetLayerVersionByArn(ctx, &lambda.GetLayerVersionByArnInput{Arn: lv.LayerVersionArn})).ok(t)
	do(c.ListLayers(ctx, &lambda.ListLayersInput{})).ok(t)
	do(c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: layer})).ok(t)
	do(c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{LayerName: layer, VersionNumber: aws.Int64(lv.Version),
		StatementId: aws.String("all"), Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*")})).ok(t)
	do(c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: layer, VersionNumber: aws.Int64(lv.Version)})).ok(t)
	do(c.RemoveLayerVersionPermission(ctx, &lambda.RemoveLayerVersionPermissionInput{LayerName: layer, VersionNumber: aws.Int64(lv.Version), StatementId: aws.String("all")})).ok(t)
	do(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: name, Layers: []string{aws.ToString(lv.LayerVersionArn)}})).ok(t)
	waitFunction(t, c, name)
	do(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: name})).ok(t)
	do(c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: layer, VersionNumber: aws.Int64(lv.Version)})).ok(t)

	// Code signing.
	csc := do(c.CreateCodeSigningConfig(ctx, &lambda.CreateCodeSigningConfigInput{Description: aws.String("c"),
		AllowedPublishers:   &types.AllowedPublishers{SigningProfileVersionArns: []string{"arn:aws:signer:us-east-1:123456789012:/signing-profiles/p/abcdefghij"}},
		CodeSigningPolicies: &types.CodeSigningPolicies{UntrustedArtifactOnDeployment: types.CodeSigningPolicyWarn}})).ok(t)
	cscArn := csc.CodeSigningConfig.CodeSigningConfigArn
	do(c.GetCodeSigningConfig(ctx, &lambda.GetCodeSigningConfigInput{CodeSigningConfigArn: cscArn})).ok(t)
	do(c.ListCodeSigningConfigs(ctx, &lambda.ListCodeSigningConfigsInput{})).ok(t)
	do(c.UpdateCodeSigningConfig(ctx, &lambda.UpdateCodeSigningConfigInput{CodeSigningConfigArn: cscArn, Description: aws.String("c2")})).ok(t)
	do(c.PutFunctionCodeSigningConfig(ctx, &lambda.PutFunctionCodeSigningConfigInput{FunctionName: name, CodeSigningConfigArn: cscArn})).ok(t)
	do(c.GetFunctionCodeSigningConfig(ctx, &lambda.GetFunctionCodeSigningConfigInput{FunctionName: name})).ok(t)
	do(c.ListFunctionsByCodeSigningConfig(ctx, &lambda.ListFunctionsByCodeSigningConfigInput{CodeSigningConfigArn: cscArn})).ok(t)
	do(c.DeleteFunctionCodeSigningConfig(ctx, &lambda.DeleteFunctionCodeSigningConfigInput{FunctionName: name})).ok(t)
	do(c.DeleteCodeSigningConfig(ctx, &lambda.DeleteCodeSigningConfigInput{CodeSigningConfigArn: cscArn})).ok(t)

	// Event source mappings, from an SQS queue.
	q := do(sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("shapes-q")})).ok(t)
	qa := do(sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})).ok(t)
	esm := do(c.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: name,
		EventSourceArn: aws.String(qa.Attributes["QueueArn"]), BatchSize: aws.Int32(5), Enabled: aws.Bool(false),
		MaximumBatchingWindowInSeconds: aws.Int32(1), FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures},
		FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":{"kind":["order"]}}`)}}},
		ScalingConfig:  &types.ScalingConfig{MaximumConcurrency: aws.Int32(2)}})).ok(t)
	do(c.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: esm.UUID})).ok(t)
	do(c.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: name})).ok(t)
	do(c.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: esm.UUID, BatchSize: aws.Int32(7)})).ok(t)
	do(c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: esm.UUID})).ok(t)

	do(c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: name, Name: aws.String("live")})).ok(t)
	do(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: name})).ok(t)

	verifyShapes(t, m, rec.Calls(), served(m, "lambda"))
}

// lambdaModel is botocore's Lambda model with what AWS added after it:
// members and enum values aws-sdk-go-v2 has (TestLambdaNewerMembersAreInTheSDK).
func lambdaModel(t *testing.T) *conformance.Model {
	m := conformance.LoadForTest(t, "lambda")
	m.Newer = map[string][]string{
		"FunctionConfiguration":           {"LoggingConfig"},
		"EventSourceMappingConfiguration": {"EventSourceMappingArn", "ScalingConfig"},
		"FunctionUrlConfig":               {"InvokeMode"},
		"CreateFunctionUrlConfigResponse": {"InvokeMode"},
		"GetFunctionUrlConfigResponse":    {"InvokeMode"},
		"UpdateFunctionUrlConfigResponse": {"InvokeMode"},
	}
	m.NewerValues = map[string][]string{"Runtime": conformance.Strings(types.Runtime("").Values())}
	return m
}

func TestLambdaNewerMembersAreInTheSDK(t *testing.T) {
	conformance.VerifyNewer(t, lambdaModel(t), map[string]reflect.Type{
		"FunctionConfiguration":           reflect.TypeFor[types.FunctionConfiguration](),
		"EventSourceMappingConfiguration": reflect.TypeFor[types.EventSourceMappingConfiguration](),
		"FunctionUrlConfig":               reflect.TypeFor[types.FunctionUrlConfig](),
		"CreateFunctionUrlConfigResponse": reflect.TypeFor[lambda.CreateFunctionUrlConfigOutput](),
		"GetFunctionUrlConfigResponse":    reflect.TypeFor[lambda.GetFunctionUrlConfigOutput](),
		"UpdateFunctionUrlConfigResponse": reflect.TypeFor[lambda.UpdateFunctionUrlConfigOutput](),
	})
}

// waitFunction waits until the function's last update is done, as the
// SDK's FunctionUpdatedV2 waiter does.
func waitFunction(t *testing.T, c *lambda.Client, name *string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: name}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}
