package checks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/localtest"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testSecret  = "grader-test-token-secret-0123456789"
)

// startCloud runs a local cloud in-process on a loopback listener until the
// test ends and returns an SDK config that reaches it. It evaluates alarms
// every quarter second (lab up --alarm-evaluation 250ms), so lab 5's
// alarm-fires check waits only for the one-minute periods themselves.
func startCloud(t testing.TB) aws.Config {
	t.Helper()
	url, _ := localtest.Serve(t, func(c *localcloud.Config) { c.AlarmEvaluationInterval = 250 * time.Millisecond })
	return aws.Config{Region: testRegion, BaseEndpoint: aws.String(url), RetryMaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider(testAccount, "x", "")}
}

// zips caches function zips by source directory for the whole test binary.
var zips sync.Map // dir -> *zipOnce

type zipOnce struct {
	once sync.Once
	b    []byte
	err  error
}

func zipOf(t testing.TB, dir string) []byte {
	t.Helper()
	z, _ := zips.LoadOrStore(dir, &zipOnce{})
	zo := z.(*zipOnce)
	zo.once.Do(func() { zo.b, zo.err = bundle.Build(context.Background(), dir, bundle.Options{}) })
	if zo.err != nil {
		t.Fatalf("build %s: %v", dir, zo.err)
	}
	return zo.b
}

// root is the labkit source tree.
const root = "../.."

// deployment builds the reference deployment (what `lab solve` builds)
// through the SDK, lab by lab.
type deployment struct {
	t     testing.TB
	cfg   aws.Config
	names map[string]string
	// code maps a function's name key to the directory its code is built
	// from; missing keys take solutions/<folder>.
	code map[string]string
	env  map[string]map[string]string // extra environment by name key

	ddb  *dynamodb.Client
	iam  *iam.Client
	lam  *lambda.Client
	apig *apigatewayv2.Client
	sns  *sns.Client
	sqs  *sqs.Client
	cw   *cloudwatch.Client
}

func newDeployment(t testing.TB, cfg aws.Config, names map[string]string) *deployment {
	all := labs.DefaultNames()
	for k, v := range names {
		all[k] = v
	}
	return &deployment{t: t, cfg: cfg, names: all, code: map[string]string{}, env: map[string]map[string]string{},
		ddb: dynamodb.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), lam: lambda.NewFromConfig(cfg),
		apig: apigatewayv2.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg),
		cw: cloudwatch.NewFromConfig(cfg)}
}

func (d *deployment) n(key string) string {
	v, ok := d.names[key]
	if !ok {
		d.t.Fatalf("no name %s", key)
	}
	return v
}

func (d *deployment) must(err error, what string) {
	d.t.Helper()
	if err != nil {
		d.t.Fatalf("%s: %v", what, err)
	}
}

func (d *deployment) arn(svc, resource string) string {
	region := testRegion
	if svc == "iam" {
		region = ""
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, region, testAccount, resource)
}

func policyJSON(stmts ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

func allowStmt(actions []string, resources ...string) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": actions, "Resource": resources}
}

func (d *deployment) logsStmt(fnKey string) map[string]any {
	g := d.arn("logs", "log-group:/aws/lambda/"+d.n(fnKey))
	return allowStmt([]string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, g, g+":*")
}

// role creates a Lambda execution role with one inline policy.
func (d *deployment) role(ctx context.Context, key string, stmts ...map[string]any) string {
	name := d.n(key)
	trust := policyJSON(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
	out, err := d.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
	d.must(err, "create role "+name)
	_, err = d.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: aws.String("lab"), PolicyDocument: aws.String(policyJSON(stmts...))})
	d.must(err, "put role policy "+name)
	return aws.ToString(out.Role.Arn)
}

var sourceDirs = map[string]string{
	"authorizerFunction": "order-authorizer", "intakeFunction": "order-intake", "publisherFunction": "order-publisher",
	"inventoryWorker": "inventory-worker", "accountingWorker": "accounting-worker",
}

// lab4Checks are lab 4's checks that need no traffic through the stream.
var lab4Checks = []string{"lab4/inventory-service", "lab4/accounting-service", "lab4/inventory-worker-function", "lab4/accounting-worker-function",
	"lab4/inventory-role-scope", "lab4/accounting-role-scope", "lab4/inventory-mapping", "lab4/accounting-mapping"}

// function creates a function from its code directory and waits until it is Active.
func (d *deployment) function(ctx context.Context, key, roleArn string, env map[string]string) string {
	name := d.n(key)
	dir, ok := d.code[key]
	if !ok {
		dir = filepath.Join(root, "solutions", sourceDirs[key])
	}
	for k, v := range d.env[key] {
		env[k] = v
	}
	out, err := d.lam.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: &name, Role: &roleArn,
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Timeout: aws.Int32(10), MemorySize: aws.Int32(256),
		Architectures: []lambdatypes.Architecture{hostArch()},
		Code:          &lambdatypes.FunctionCode{ZipFile: zipOf(d.t, dir)}, Environment: &lambdatypes.Environment{Variables: env}})
	d.must(err, "create function "+name)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := d.lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name})
		d.must(err, "get function "+name)
		if c.State == lambdatypes.StateActive {
			break
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("function %s is %s after 30 s", name, c.State)
		}
	}
	return aws.ToString(out.FunctionArn)
}

// lab1 builds the orders table.
func (d *deployment) lab1(ctx context.Context) {
	table := d.n("ordersTable")
	_, err := d.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: &table, BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("orderId"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("orderId"), KeyType: ddbtypes.KeyTypeHash}},
		Tags:                 []ddbtypes.Tag{{Key: aws.String("course"), Value: aws.String("week1")}}})
	d.must(err, "create table")
	cloudtest.WaitTable(d.t, d.ddb, table)
	_, err = d.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: &table,
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	d.must(err, "PITR")
}

// lab2 builds the roles, the two functions and the HTTP API.
func (d *deployment) lab2(ctx context.Context) {
	tableArn := d.arn("dynamodb", "table/"+d.n("ordersTable"))
	intakeRole := d.role(ctx, "intakeRole", allowStmt([]string{"dynamodb:PutItem", "dynamodb:GetItem"}, tableArn), d.logsStmt("intakeFunction"))
	authRole := d.role(ctx, "authorizerRole", d.logsStmt("authorizerFunction"))
	authArn := d.function(ctx, "authorizerFunction", authRole, map[string]string{"TOKEN_SECRET": testSecret})
	intakeArn := d.function(ctx, "intakeFunction", intakeRole, map[string]string{"TABLE_NAME": d.n("ordersTable")})

	api, err := d.apig.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(d.n("api")), ProtocolType: apitypes.ProtocolTypeHttp})
	d.must(err, "create api")
	integ, err := d.apig.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: api.ApiId, IntegrationType: apitypes.IntegrationTypeAwsProxy,
		IntegrationUri: &intakeArn, PayloadFormatVersion: aws.String("2.0")})
	d.must(err, "create integration")
	authz, err := d.apig.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: api.ApiId, Name: aws.String(d.n("authorizerFunction")),
		AuthorizerType: apitypes.AuthorizerTypeRequest, AuthorizerPayloadFormatVersion: aws.String("2.0"), EnableSimpleResponses: aws.Bool(true),
		IdentitySource: []string{"$request.header.Authorization"}, AuthorizerResultTtlInSeconds: aws.Int32(300),
		AuthorizerUri: aws.String("arn:aws:apigateway:" + testRegion + ":lambda:path/2015-03-31/functions/" + authArn + "/invocations")})
	d.must(err, "create authorizer")
	for _, key := range []string{"POST /orders", "GET /orders/{orderId}"} {
		_, err := d.apig.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: api.ApiId, RouteKey: aws.String(key),
			Target: aws.String("integrations/" + aws.ToString(integ.IntegrationId)), AuthorizationType: apitypes.AuthorizationTypeCustom, AuthorizerId: authz.AuthorizerId})
		d.must(err, "create route "+key)
	}
	_, err = d.apig.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: api.ApiId, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true),
		DefaultRouteSettings: &apitypes.RouteSettings{ThrottlingRateLimit: aws.Float64(500), ThrottlingBurstLimit: aws.Int32(1000)}})
	d.must(err, "create stage")
	source := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/*", testRegion, testAccount, aws.ToString(api.ApiId))
	for _, key := range []string{"intakeFunction", "authorizerFunction"} {
		_, err := d.lam.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String(d.n(key)), StatementId: aws.String("apigw"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com"), SourceArn: &source})
		d.must(err, "add permission")
	}
}

// queue creates a queue and returns its URL and ARN.
func (d *deployment) queue(ctx context.Context, key string, attrs map[string]string) (string, string) {
	out, err := d.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(d.n(key)), Attributes: attrs})
	d.must(err, "create queue "+d.n(key))
	return aws.ToString(out.QueueUrl), d.arn("sqs", d.n(key))
}

// lab3 builds the stream, topic, queues, subscriptions and the publisher
// (its stream mapping only where the local cloud has mappings).
func (d *deployment) lab3(ctx context.Context) {
	table := d.n("ordersTable")
	_, err := d.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: &table,
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages}})
	d.must(err, "enable stream")
	topic, err := d.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(d.n("topic"))})
	d.must(err, "create topic")
	for _, pair := range [][2]string{{"inventoryQueue", "inventoryDLQ"}, {"accountingQueue", "accountingDLQ"}} {
		_, dlqArn := d.queue(ctx, pair[1], nil)
		redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, dlqArn)
		url, arn := d.queue(ctx, pair[0], map[string]string{"VisibilityTimeout": "60", "RedrivePolicy": redrive})
		pol := policyJSON(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
			"Resource": arn, "Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": aws.ToString(topic.TopicArn)}}})
		_, err := d.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Policy": pol}})
		d.must(err, "queue policy")
		_, err = d.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &arn,
			Attributes: map[string]string{"RawMessageDelivery": "true"}})
		d.must(err, "subscribe")
	}
	_, pdlq := d.queue(ctx, "publisherDLQ", nil)
	tableArn := d.arn("dynamodb", "table/"+table)
	role := d.role(ctx, "publisherRole",
		allowStmt([]string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}, tableArn+"/stream/*"),
		allowStmt([]string{"sns:Publish"}, aws.ToString(topic.TopicArn)),
		allowStmt([]string{"sqs:SendMessage"}, pdlq), d.logsStmt("publisherFunction"))
	d.function(ctx, "publisherFunction", role, map[string]string{"TOPIC_ARN": aws.ToString(topic.TopicArn)})
	desc, err := d.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	d.must(err, "describe table")
	_, err = d.lam.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(d.n("publisherFunction")),
		EventSourceArn: desc.Table.LatestStreamArn, StartingPosition: lambdatypes.EventSourcePositionLatest, BatchSize: aws.Int32(100),
		FilterCriteria:             &lambdatypes.FilterCriteria{Filters: []lambdatypes.Filter{{Pattern: aws.String(`{"eventName":["INSERT"]}`)}}},
		BisectBatchOnFunctionError: aws.Bool(true), MaximumRetryAttempts: aws.Int32(5),
		DestinationConfig:     &lambdatypes.DestinationConfig{OnFailure: &lambdatypes.OnFailure{Destination: &pdlq}},
		FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures}})
	d.must(err, "publisher mapping")
}

// grade runs the manifests of labs against the deployment.
func grade(t testing.TB, cfg aws.Config, names map[string]string, labIDs ...string) []grader.Result {
	t.Helper()
	ms := loadManifests(t)
	var list []*grader.Check
	for _, id := range labIDs {
		m, ok := ms[id]
		if !ok {
			t.Fatalf("no manifest for %s", id)
		}
		list = append(list, m.Checks...)
	}
	return gradeChecks(t, cfg, names, list)
}

func gradeChecks(t testing.TB, cfg aws.Config, names map[string]string, list []*grader.Check) []grader.Result {
	t.Helper()
	all := labs.DefaultNames()
	for k, v := range names {
		all[k] = v
	}
	env := &grader.Env{AWS: cfg, Names: all, HTTP: grader.Guard{}.Client(10 * time.Second), RunID: fmt.Sprintf("t%d", time.Now().UnixNano()),
		PollInterval: 20 * time.Millisecond}
	return grader.Run(context.Background(), env, list, 0, nil)
}

// only returns the checks of the manifests with the given ids.
func only(t testing.TB, ids ...string) []*grader.Check {
	t.Helper()
	var out []*grader.Check
	for _, m := range loadManifests(t) {
		for _, c := range m.Checks {
			for _, id := range ids {
				if m.Lab+"/"+c.ID == id {
					out = append(out, c)
				}
			}
		}
	}
	if len(out) != len(ids) {
		t.Fatalf("found %d of the checks %v", len(out), ids)
	}
	return out
}

type lambdaEnv = lambdatypes.Environment

// asAPI is errors.As for an interface target.
func asAPI(err error, target any) bool { return errors.As(err, target) }

// lab4 deploys the downstream services with the kit (`lab setup lab4`),
// then the workers, their roles and their queue mappings.
func (d *deployment) lab4(ctx context.Context) {
	k := &kit.Kit{AWS: d.cfg, Names: d.names, Root: root}
	d.must(k.Setup(ctx, "lab4"), "setup lab4")
	apis, err := d.apig.GetApis(ctx, &apigatewayv2.GetApisInput{})
	d.must(err, "get apis")
	var base string
	for _, a := range apis.Items {
		if aws.ToString(a.Name) == d.n("downstreamApi") {
			base = aws.ToString(a.ApiEndpoint)
		}
	}
	if base == "" {
		d.t.Fatal("no downstream API after setup")
	}
	tableArn := d.arn("dynamodb", "table/"+d.n("ordersTable"))
	for _, w := range []struct{ fn, role, queue, urlVar string }{
		{"inventoryWorker", "inventoryRole", "inventoryQueue", "INVENTORY_URL"},
		{"accountingWorker", "accountingRole", "accountingQueue", "ACCOUNTING_URL"},
	} {
		qArn := d.arn("sqs", d.n(w.queue))
		role := d.role(ctx, w.role, allowStmt([]string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, qArn),
			allowStmt([]string{"dynamodb:UpdateItem", "dynamodb:GetItem"}, tableArn), d.logsStmt(w.fn))
		d.function(ctx, w.fn, role, map[string]string{"TABLE_NAME": d.n("ordersTable"), w.urlVar: base})
		_, err := d.lam.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(d.n(w.fn)), EventSourceArn: &qArn,
			BatchSize: aws.Int32(10), FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures},
			ScalingConfig: &lambdatypes.ScalingConfig{MaximumConcurrency: aws.Int32(5)}})
		d.must(err, "mapping "+d.n(w.fn))
	}
}

// mappingOf returns the UUID of the function's mapping.
func (d *deployment) mappingOf(ctx context.Context, fnKey string) *string {
	out, err := d.lam.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(d.n(fnKey))})
	d.must(err, "list mappings")
	if len(out.EventSourceMappings) == 0 {
		d.t.Fatalf("%s has no mapping", d.n(fnKey))
	}
	return out.EventSourceMappings[0].UUID
}
