package kit

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	apig "github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apigtypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/kit/bundle"
)

// TestSolveConverges breaks the lab 1 and 2 deployment through the SDK in
// many ways and checks that Solve brings every setting back.
func TestSolveConverges(t *testing.T) {
	t.Parallel()
	k, _ := newKit(t)
	ctx := testCtx(t, 3*time.Minute)
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}
	c := k.cl()
	secretBefore := envOf(t, k, "order-authorizer")["TOKEN_SECRET"]
	intakeBefore, err := c.lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("order-intake")})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := k.findAPI(ctx, "orders-api")

	// Break things.
	must(t, func() error {
		_, err := c.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("Orders"),
			PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)}})
		return err
	})
	must(t, func() error {
		_, err := c.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Orders"), BillingMode: ddbtypes.BillingModeProvisioned,
			ProvisionedThroughput: &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}})
		return err
	})
	must(t, func() error {
		_, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("order-intake-role"), PolicyName: aws.String(policyName),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
		return err
	})
	must(t, func() error {
		_, err := c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("order-intake-role"), PolicyName: aws.String("extra"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`)})
		return err
	})
	must(t, func() error {
		_, err := c.apig.UpdateStage(ctx, &apig.UpdateStageInput{ApiId: a.ApiId, StageName: aws.String("$default"),
			DefaultRouteSettings: &apigtypes.RouteSettings{}, AutoDeploy: aws.Bool(true)})
		return err
	})
	routes, err := c.apig.GetRoutes(ctx, &apig.GetRoutesInput{ApiId: a.ApiId})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes.Items {
		if aws.ToString(r.RouteKey) == "POST /orders" {
			must(t, func() error {
				_, err := c.apig.DeleteRoute(ctx, &apig.DeleteRouteInput{ApiId: a.ApiId, RouteId: r.RouteId})
				return err
			})
		}
		if aws.ToString(r.RouteKey) == "GET /orders/{orderId}" {
			must(t, func() error {
				_, err := c.apig.UpdateRoute(ctx, &apig.UpdateRouteInput{ApiId: a.ApiId, RouteId: r.RouteId, AuthorizationType: apigtypes.AuthorizationTypeNone})
				return err
			})
		}
	}
	must(t, func() error {
		_, err := c.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("order-intake"),
			Timeout: aws.Int32(3), MemorySize: aws.Int32(128), Environment: &lambdatypes.Environment{Variables: map[string]string{"TABLE_NAME": "Other", "X": "1"}}})
		return err
	})
	must(t, func() error { return k.waitUpdated(ctx, "order-intake") })
	must(t, func() error {
		_, err := c.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("order-authorizer"),
			Environment: &lambdatypes.Environment{Variables: map[string]string{"TOKEN_SECRET": secretBefore, "DEBUG": "1"}}})
		return err
	})
	must(t, func() error { return k.waitUpdated(ctx, "order-authorizer") })
	old, err := bundle.Zip([]byte("\x7fELF not the intake"))
	if err != nil {
		t.Fatal(err)
	}
	must(t, func() error {
		_, err := c.lam.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("order-intake"), ZipFile: old})
		return err
	})
	must(t, func() error { return k.waitUpdated(ctx, "order-intake") })

	// Converge.
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}

	// Everything is back.
	cb, err := c.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("Orders")})
	if err != nil || cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusEnabled {
		t.Errorf("PITR: got %+v, %v, want ENABLED", cb, err)
	}
	desc, _ := k.describeTable(ctx, "Orders")
	if desc.BillingModeSummary == nil || desc.BillingModeSummary.BillingMode != ddbtypes.BillingModePayPerRequest {
		t.Errorf("billing mode: got %+v, want PAY_PER_REQUEST", desc.BillingModeSummary)
	}
	pol, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("order-intake-role"), PolicyName: aws.String(policyName)})
	if err != nil || strings.Contains(decodeDoc(aws.ToString(pol.PolicyDocument)), `"*"`) || !strings.Contains(decodeDoc(aws.ToString(pol.PolicyDocument)), "dynamodb:PutItem") {
		t.Errorf("intake policy: got %v, %v, want PutItem/GetItem on the table only", pol, err)
	}
	names, _ := c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("order-intake-role")})
	if len(names.PolicyNames) != 1 {
		t.Errorf("intake role inline policies: got %v, want only %s", names.PolicyNames, policyName)
	}
	st, err := c.apig.GetStage(ctx, &apig.GetStageInput{ApiId: a.ApiId, StageName: aws.String("$default")})
	if err != nil || st.DefaultRouteSettings == nil || aws.ToFloat64(st.DefaultRouteSettings.ThrottlingRateLimit) != throttleRate ||
		aws.ToInt32(st.DefaultRouteSettings.ThrottlingBurstLimit) != throttleBurst {
		t.Errorf("stage throttling: got %+v, %v", st, err)
	}
	routes, _ = c.apig.GetRoutes(ctx, &apig.GetRoutesInput{ApiId: a.ApiId})
	got := map[string]apigtypes.AuthorizationType{}
	for _, r := range routes.Items {
		got[aws.ToString(r.RouteKey)] = r.AuthorizationType
	}
	if got["POST /orders"] != apigtypes.AuthorizationTypeCustom || got["GET /orders/{orderId}"] != apigtypes.AuthorizationTypeCustom {
		t.Errorf("routes: got %v, want both CUSTOM", got)
	}
	cfg, err := c.lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("order-intake")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(cfg.Timeout) != functionTimeout || aws.ToInt32(cfg.MemorySize) != functionMemory ||
		len(cfg.Environment.Variables) != 1 || cfg.Environment.Variables["TABLE_NAME"] != "Orders" {
		t.Errorf("intake config: got timeout %d memory %d env %v", aws.ToInt32(cfg.Timeout), aws.ToInt32(cfg.MemorySize), cfg.Environment.Variables)
	}
	if aws.ToString(cfg.CodeSha256) != aws.ToString(intakeBefore.CodeSha256) {
		t.Errorf("intake code: got %s, want the reference %s", aws.ToString(cfg.CodeSha256), aws.ToString(intakeBefore.CodeSha256))
	}
	env := envOf(t, k, "order-authorizer")
	if len(env) != 1 || env["TOKEN_SECRET"] != secretBefore {
		t.Errorf("authorizer env: got %d vars (secret kept: %v), want only the same TOKEN_SECRET", len(env), env["TOKEN_SECRET"] == secretBefore)
	}
	// And it works end to end.
	tok, err := k.Token(ctx, "mobile")
	if err != nil {
		t.Fatal(err)
	}
	if st, body := call(t, "POST", aws.ToString(a.ApiEndpoint)+"/orders", tok, "",
		`{"customerId":"c-9","channel":"mobile","lines":[{"sku":"A","quantity":1,"unitPriceCents":1}]}`); st != 201 {
		t.Errorf("order after convergence: got %d %v, want 201", st, body)
	}
}

// TestResetDeletesOnlyLabResources solves labs 1 and 2 next to resources
// the labs do not name, resets, and checks that exactly the lab's are gone.
func TestResetDeletesOnlyLabResources(t *testing.T) {
	t.Parallel()
	k, _ := newKit(t)
	ctx := testCtx(t, 3*time.Minute)
	c := k.cl()
	if _, err := k.ensureTable(ctx, tableSpec{name: "keep-me", key: "id"}); err != nil {
		t.Fatal(err)
	}
	q, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("keep-me")})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Solve(ctx, "lab2"); err != nil {
		t.Fatal(err)
	}
	deleted, err := k.Reset(ctx, "all")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"api orders-api", "function order-intake", "function order-authorizer", "role order-intake-role",
		"role order-authorizer-role", "table Orders"}
	for _, w := range want {
		if !containsStr(deleted, w) {
			t.Errorf("deleted: got %v, want it to include %q", deleted, w)
		}
	}
	// The account holds no lab resource any more.
	if d, _ := k.describeTable(ctx, "Orders"); d != nil {
		t.Errorf("table Orders survived reset")
	}
	if a, _ := k.findAPI(ctx, "orders-api"); a != nil {
		t.Errorf("API orders-api survived reset")
	}
	for _, fn := range []string{"order-intake", "order-authorizer"} {
		if cfg, _ := k.functionConfig(ctx, fn); cfg != nil {
			t.Errorf("function %s survived reset", fn)
		}
	}
	for _, r := range []string{"order-intake-role", "order-authorizer-role"} {
		if _, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r)}); !isNotFound(err) {
			t.Errorf("role %s: got %v, want NoSuchEntity", r, err)
		}
	}
	if left := labResourcesLeft(t, k); len(left) > 0 {
		t.Errorf("after reset: got %v left, want none", left)
	}
	// What the labs do not name survives.
	if d, _ := k.describeTable(ctx, "keep-me"); d == nil {
		t.Errorf("table keep-me was deleted")
	}
	if _, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Errorf("queue keep-me: %v", err)
	}
	// Idempotent.
	again, err := k.Reset(ctx, "all")
	if err != nil || len(again) != 0 {
		t.Errorf("second reset: got %v, %v, want nothing deleted", again, err)
	}
}

func envOf(t testing.TB, k *Kit, fn string) map[string]string {
	t.Helper()
	cfg, err := k.functionConfig(testCtx(t, time.Minute), fn)
	if err != nil || cfg == nil {
		t.Fatalf("function %s: %v", fn, err)
	}
	if cfg.Environment == nil {
		return nil
	}
	return cfg.Environment.Variables
}

func must(t testing.TB, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// labResourcesLeft lists every resource the labs name that still exists.
func labResourcesLeft(t testing.TB, k *Kit) []string {
	t.Helper()
	ctx := testCtx(t, time.Minute)
	var left []string
	for _, key := range []string{"authorizerFunction", "intakeFunction", "publisherFunction", "inventoryWorker", "accountingWorker", "inventoryService", "accountingService"} {
		if cfg, _ := k.functionConfig(ctx, k.name(key)); cfg != nil {
			left = append(left, "function "+k.name(key))
		}
		if ms, _ := k.mappings(ctx, k.name(key)); len(ms) > 0 {
			left = append(left, "mappings of "+k.name(key))
		}
		out, _ := k.cl().logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + k.name(key))})
		if out != nil && len(out.LogGroups) > 0 {
			left = append(left, "log group of "+k.name(key))
		}
	}
	for _, key := range []string{"intakeRole", "authorizerRole", "publisherRole", "inventoryRole", "accountingRole", "downstreamRole"} {
		if _, err := k.cl().iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(k.name(key))}); err == nil {
			left = append(left, "role "+k.name(key))
		}
	}
	for _, key := range []string{"api", "downstreamApi"} {
		if a, _ := k.findAPI(ctx, k.name(key)); a != nil {
			left = append(left, "api "+k.name(key))
		}
	}
	for _, key := range []string{"inventoryQueue", "inventoryDLQ", "accountingQueue", "accountingDLQ", "publisherDLQ"} {
		if u, _ := k.queueURL(ctx, k.name(key)); u != "" {
			left = append(left, "queue "+k.name(key))
		}
	}
	if arn, _ := k.findTopic(ctx, k.name("topic")); arn != "" {
		left = append(left, "topic "+k.name("topic"))
	}
	for _, key := range []string{"ordersTable", "inventoryTable", "accountingTable"} {
		if d, _ := k.describeTable(ctx, k.name(key)); d != nil {
			left = append(left, "table "+k.name(key))
		}
	}
	return left
}
