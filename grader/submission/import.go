package submission

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lamtypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Import builds a's resources in the account and region cfg reaches, which
// should be empty: ARNs, account ids, queue URLs and the local cloud's
// endpoint are rewritten from the exporting account's to this one's, API
// ids and stream ARNs to the new ones, and every redacted environment
// variable gets a fresh random value. endpoint is the importing local
// cloud's URL.
func Import(ctx context.Context, cfg aws.Config, endpoint string, a *Archive) error {
	c := newClients(cfg)
	acct, part, err := c.account(ctx)
	if err != nil {
		return err
	}
	m := a.Manifest
	if m.Account == "" || m.Region == "" {
		return invalidf("manifest.json names no account or region")
	}
	acc := deepCopy(a.Account)
	rw := newRewriter(where{m.Account, m.Region, cmp.Or(m.Partition, "aws"), m.Endpoint}, where{acct, cfg.Region, part, endpoint})
	walkStrings(&acc, rw.apply)
	im := &importer{c: c, acc: &acc, code: a.Code, streams: map[string]string{}, apiRW: &rewriter{}}
	steps := []struct {
		what string
		f    func(context.Context) error
	}{
		{"policies", im.policies}, {"roles", im.roles}, {"tables", im.tables}, {"queues", im.queues}, {"topics", im.topics},
		{"APIs", im.apis}, {"functions", im.functions}, {"subscriptions", im.subscriptions}, {"mappings", im.mappings},
		{"log groups", im.logGroups}, {"alarms and dashboards", im.alarms},
	}
	for _, s := range steps {
		if err := s.f(ctx); err != nil {
			return fmt.Errorf("import %s: %w", s.what, err)
		}
	}
	return nil
}

// deepCopy copies an Account through its JSON form.
func deepCopy(a Account) Account {
	var out Account
	b, err := jsonMarshal(a)
	if err == nil {
		err = decodeStrict(b, &out)
	}
	if err != nil {
		panic(fmt.Sprintf("copy account: %v", err)) // an Account always round-trips
	}
	return out
}

type importer struct {
	c       *clients
	acc     *Account
	code    map[string][]byte
	streams map[string]string // table name -> new stream ARN
	apiRW   *rewriter         // old API ids and endpoints -> new
}

func (im *importer) policies(ctx context.Context) error {
	for _, p := range im.acc.Policies {
		in := &iam.CreatePolicyInput{PolicyName: aws.String(p.Name), PolicyDocument: aws.String(p.Document)}
		if p.Path != "" {
			in.Path = aws.String(p.Path)
		}
		if _, err := im.c.iam.CreatePolicy(ctx, in); err != nil {
			return fmt.Errorf("policy %s: %w", p.Name, err)
		}
	}
	return nil
}

func (im *importer) roles(ctx context.Context) error {
	for _, r := range im.acc.Roles {
		in := &iam.CreateRoleInput{RoleName: aws.String(r.Name), AssumeRolePolicyDocument: aws.String(r.Trust)}
		if r.Path != "" {
			in.Path = aws.String(r.Path)
		}
		if _, err := im.c.iam.CreateRole(ctx, in); err != nil {
			return fmt.Errorf("role %s: %w", r.Name, err)
		}
		for pn, doc := range r.Inline {
			if _, err := im.c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(pn), PolicyDocument: aws.String(doc)}); err != nil {
				return fmt.Errorf("role %s policy %s: %w", r.Name, pn, err)
			}
		}
		for _, pa := range r.Attached {
			if _, err := im.c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.Name), PolicyArn: aws.String(pa)}); err != nil {
				return fmt.Errorf("role %s attach %s: %w", r.Name, pa, err)
			}
		}
	}
	return nil
}

func keySchema(ks []Key) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, ddbtypes.KeySchemaElement{AttributeName: aws.String(k.Name), KeyType: ddbtypes.KeyType(k.Type)})
	}
	return out
}

func throughput(mode string, r, w int64) *ddbtypes.ProvisionedThroughput {
	if mode != string(ddbtypes.BillingModeProvisioned) {
		return nil
	}
	return &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(max(r, 1)), WriteCapacityUnits: aws.Int64(max(w, 1))}
}

func (im *importer) tables(ctx context.Context) error {
	for _, t := range im.acc.Tables {
		in := &dynamodb.CreateTableInput{TableName: aws.String(t.Name), KeySchema: keySchema(t.KeySchema),
			BillingMode: ddbtypes.BillingMode(t.BillingMode), ProvisionedThroughput: throughput(t.BillingMode, t.ReadCapacity, t.WriteCapacity)}
		for _, at := range t.Attributes {
			in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(at.Name), AttributeType: ddbtypes.ScalarAttributeType(at.Type)})
		}
		if t.StreamView != "" {
			in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(t.StreamView)}
		}
		for _, g := range t.GSIs {
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(g.Name), KeySchema: keySchema(g.KeySchema),
				Projection:            &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.Projection), NonKeyAttributes: g.NonKeyAttrs},
				ProvisionedThroughput: throughput(t.BillingMode, g.ReadCapacity, g.WriteCapacity)})
		}
		for k, v := range t.Tags {
			in.Tags = append(in.Tags, ddbtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		out, err := im.c.ddb.CreateTable(ctx, in)
		if err != nil {
			return fmt.Errorf("table %s: %w", t.Name, err)
		}
		if err := dynamodb.NewTableExistsWaiter(im.c.ddb, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = time.Second
		}).
			Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.Name)}, 2*time.Minute); err != nil {
			return fmt.Errorf("table %s: wait for ACTIVE: %w", t.Name, err)
		}
		im.streams[t.Name] = aws.ToString(out.TableDescription.LatestStreamArn)
		if t.TTLAttribute != "" {
			if _, err := im.c.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(t.Name),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)}}); err != nil {
				return fmt.Errorf("table %s time to live: %w", t.Name, err)
			}
		}
		if t.PITR {
			if _, err := im.c.ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(t.Name),
				PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}); err != nil {
				return fmt.Errorf("table %s point-in-time recovery: %w", t.Name, err)
			}
		}
	}
	return nil
}

// queues creates every queue, then sets redrive policies (a dead-letter
// queue must exist before a policy names it).
func (im *importer) queues(ctx context.Context) error {
	urls := map[string]string{}
	for _, q := range im.acc.Queues {
		attrs := map[string]string{}
		for k, v := range q.Attributes {
			if k != "RedrivePolicy" {
				attrs[k] = v
			}
		}
		out, err := im.c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name), Attributes: attrs, Tags: q.Tags})
		if err != nil {
			return fmt.Errorf("queue %s: %w", q.Name, err)
		}
		urls[q.Name] = aws.ToString(out.QueueUrl)
	}
	for _, q := range im.acc.Queues {
		if rp, ok := q.Attributes["RedrivePolicy"]; ok {
			if _, err := im.c.sqs.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(urls[q.Name]), Attributes: map[string]string{"RedrivePolicy": rp}}); err != nil {
				return fmt.Errorf("queue %s redrive policy: %w", q.Name, err)
			}
		}
	}
	return nil
}

func (im *importer) topics(ctx context.Context) error {
	for _, t := range im.acc.Topics {
		if _, err := im.c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(t.Name), Attributes: t.Attributes}); err != nil {
			return fmt.Errorf("topic %s: %w", t.Name, err)
		}
	}
	return nil
}

func (im *importer) subscriptions(ctx context.Context) error {
	for _, t := range im.acc.Topics {
		out, err := im.c.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(t.Name), Attributes: t.Attributes}) // idempotent: the ARN
		if err != nil {
			return fmt.Errorf("topic %s: %w", t.Name, err)
		}
		for _, s := range t.Subscriptions {
			if _, err := im.c.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String(s.Protocol), Endpoint: aws.String(s.Endpoint),
				Attributes: s.Attributes, ReturnSubscriptionArn: true}); err != nil {
				return fmt.Errorf("topic %s subscription of %s: %w", t.Name, s.Endpoint, err)
			}
		}
	}
	return nil
}

// apis creates the HTTP APIs (before the functions, so the functions'
// environment can name the new endpoints).
func (im *importer) apis(ctx context.Context) error {
	for _, x := range im.acc.APIs {
		out, err := im.c.apig.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(x.Name), ProtocolType: apitypes.ProtocolTypeHttp})
		if err != nil {
			return fmt.Errorf("API %s: %w", x.Name, err)
		}
		id := out.ApiId
		im.apiRW.add(x.Endpoint, aws.ToString(out.ApiEndpoint))
		im.apiRW.add(x.ID, aws.ToString(id))
		ints, auths := map[string]string{}, map[string]string{}
		for _, in := range x.Integrations {
			got, err := im.c.apig.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{ApiId: id, IntegrationType: apitypes.IntegrationType(in.Type),
				IntegrationUri: aws.String(in.URI), PayloadFormatVersion: nonEmpty(in.PayloadFormat), TimeoutInMillis: nonZero(in.TimeoutMs)})
			if err != nil {
				return fmt.Errorf("API %s integration %s: %w", x.Name, in.ID, err)
			}
			ints[in.ID] = aws.ToString(got.IntegrationId)
		}
		for _, au := range x.Authorizers {
			got, err := im.c.apig.CreateAuthorizer(ctx, &apigatewayv2.CreateAuthorizerInput{ApiId: id, Name: aws.String(au.Name), AuthorizerType: apitypes.AuthorizerType(au.Type),
				AuthorizerUri: aws.String(au.URI), IdentitySource: au.IdentitySource, AuthorizerPayloadFormatVersion: nonEmpty(au.PayloadFormat),
				EnableSimpleResponses: aws.Bool(au.SimpleResponse), AuthorizerResultTtlInSeconds: aws.Int32(au.CacheTTL)})
			if err != nil {
				return fmt.Errorf("API %s authorizer %s: %w", x.Name, au.Name, err)
			}
			auths[au.ID] = aws.ToString(got.AuthorizerId)
		}
		for _, r := range x.Routes {
			in := &apigatewayv2.CreateRouteInput{ApiId: id, RouteKey: aws.String(r.Key), AuthorizationType: apitypes.AuthorizationType(r.AuthorizationType)}
			if old, ok := strings.CutPrefix(r.Target, "integrations/"); ok {
				nid, known := ints[old]
				if !known {
					return invalidf("API %s: route %s targets integration %s, which the archive does not hold", x.Name, r.Key, old)
				}
				in.Target = aws.String("integrations/" + nid)
			}
			if r.AuthorizerID != "" {
				nid, known := auths[r.AuthorizerID]
				if !known {
					return invalidf("API %s: route %s uses authorizer %s, which the archive does not hold", x.Name, r.Key, r.AuthorizerID)
				}
				in.AuthorizerId = aws.String(nid)
			}
			if _, err := im.c.apig.CreateRoute(ctx, in); err != nil {
				return fmt.Errorf("API %s route %s: %w", x.Name, r.Key, err)
			}
		}
		for _, s := range x.Stages {
			in := &apigatewayv2.CreateStageInput{ApiId: id, StageName: aws.String(s.Name), AutoDeploy: aws.Bool(s.AutoDeploy)}
			if s.Default != nil {
				in.DefaultRouteSettings = &apitypes.RouteSettings{ThrottlingRateLimit: aws.Float64(s.Default.Rate), ThrottlingBurstLimit: aws.Int32(s.Default.Burst)}
			}
			for k, t := range s.Routes {
				if in.RouteSettings == nil {
					in.RouteSettings = map[string]apitypes.RouteSettings{}
				}
				in.RouteSettings[k] = apitypes.RouteSettings{ThrottlingRateLimit: aws.Float64(t.Rate), ThrottlingBurstLimit: aws.Int32(t.Burst)}
			}
			if _, err := im.c.apig.CreateStage(ctx, in); err != nil {
				return fmt.Errorf("API %s stage %s: %w", x.Name, s.Name, err)
			}
		}
	}
	return nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func nonZero(n int32) *int32 {
	if n == 0 {
		return nil
	}
	return aws.Int32(n)
}

func (im *importer) functions(ctx context.Context) error {
	for _, f := range im.acc.Functions {
		env := map[string]string{}
		for k, v := range f.Env {
			env[k] = im.apiRW.apply(v)
		}
		for _, k := range f.Redacted {
			env[k] = randomSecret()
		}
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(f.Name), Runtime: lamtypes.Runtime(f.Runtime), Handler: nonEmpty(f.Handler),
			Role: aws.String(f.Role), Timeout: nonZero(f.Timeout), MemorySize: nonZero(f.MemorySize), Description: nonEmpty(f.Description),
			Code: &lamtypes.FunctionCode{ZipFile: im.code[f.Code]}, Environment: &lamtypes.Environment{Variables: env}}
		for _, ar := range f.Architectures {
			in.Architectures = append(in.Architectures, lamtypes.Architecture(ar))
		}
		if _, err := im.c.lam.CreateFunction(ctx, in); err != nil {
			return fmt.Errorf("function %s: %w", f.Name, err)
		}
		if err := lambda.NewFunctionActiveV2Waiter(im.c.lam, func(o *lambda.FunctionActiveV2WaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = time.Second
		}).
			Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.Name)}, 2*time.Minute); err != nil {
			return fmt.Errorf("function %s: wait for Active: %w", f.Name, err)
		}
		if f.Reserved != nil {
			if _, err := im.c.lam.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(f.Name), ReservedConcurrentExecutions: f.Reserved}); err != nil {
				return fmt.Errorf("function %s reserved concurrency: %w", f.Name, err)
			}
		}
		for _, p := range f.Permissions {
			in := &lambda.AddPermissionInput{FunctionName: aws.String(f.Name), StatementId: aws.String(p.Sid), Action: aws.String(p.Action),
				Principal: aws.String(p.Principal), SourceArn: nonEmpty(im.apiRW.apply(p.SourceArn))}
			if _, err := im.c.lam.AddPermission(ctx, in); err != nil {
				return fmt.Errorf("function %s permission %s: %w", f.Name, p.Sid, err)
			}
		}
	}
	return nil
}

// randomSecret is a fresh value for a redacted environment variable.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (im *importer) mappings(ctx context.Context) error {
	for _, m := range im.acc.Mappings {
		src := m.Source
		if _, rest, ok := strings.Cut(src, ":table/"); ok && strings.Contains(rest, "/stream/") {
			table, _, _ := strings.Cut(rest, "/stream/")
			if src = im.streams[table]; src == "" {
				return invalidf("mapping of %s reads the stream of table %s, which the archive does not hold with a stream", m.Function, table)
			}
		}
		in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(m.Function), EventSourceArn: aws.String(src), Enabled: aws.Bool(m.Enabled),
			BatchSize: nonZero(m.BatchSize), MaximumBatchingWindowInSeconds: nonZero(m.BatchingWindow), StartingPosition: lamtypes.EventSourcePosition(m.StartingPosition),
			MaximumRetryAttempts: m.MaxRetries, MaximumRecordAgeInSeconds: m.MaxRecordAge, ParallelizationFactor: nonZero(m.ParallelizationFactor)}
		if m.Bisect {
			in.BisectBatchOnFunctionError = aws.Bool(true)
		}
		for _, t := range m.ResponseTypes {
			in.FunctionResponseTypes = append(in.FunctionResponseTypes, lamtypes.FunctionResponseType(t))
		}
		if len(m.Filters) > 0 {
			in.FilterCriteria = &lamtypes.FilterCriteria{}
			for _, p := range m.Filters {
				in.FilterCriteria.Filters = append(in.FilterCriteria.Filters, lamtypes.Filter{Pattern: aws.String(p)})
			}
		}
		if m.OnFailure != "" {
			in.DestinationConfig = &lamtypes.DestinationConfig{OnFailure: &lamtypes.OnFailure{Destination: aws.String(m.OnFailure)}}
		}
		if m.MaxConcurrency > 0 {
			in.ScalingConfig = &lamtypes.ScalingConfig{MaximumConcurrency: aws.Int32(m.MaxConcurrency)}
		}
		if _, err := im.c.lam.CreateEventSourceMapping(ctx, in); err != nil {
			return fmt.Errorf("mapping %s -> %s: %w", src, m.Function, err)
		}
	}
	return nil
}

func (im *importer) logGroups(ctx context.Context) error {
	for _, g := range im.acc.LogGroups {
		if _, err := im.c.logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g.Name)}); err != nil && !isExists(err) {
			return fmt.Errorf("log group %s: %w", g.Name, err)
		}
		if g.RetentionDays > 0 {
			if _, err := im.c.logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(g.Name), RetentionInDays: aws.Int32(g.RetentionDays)}); err != nil {
				return fmt.Errorf("log group %s retention: %w", g.Name, err)
			}
		}
	}
	return nil
}
