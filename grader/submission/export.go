package submission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// clients are the SDK clients of one account and region.
type clients struct {
	ddb  *dynamodb.Client
	sqs  *sqs.Client
	sns  *sns.Client
	iam  *iam.Client
	lam  *lambda.Client
	apig *apigatewayv2.Client
	logs *cloudwatchlogs.Client
	cw   *cloudwatch.Client
	sts  *sts.Client
}

func newClients(cfg aws.Config) *clients {
	return &clients{ddb: dynamodb.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg), sns: sns.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg),
		lam: lambda.NewFromConfig(cfg), apig: apigatewayv2.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg)}
}

// account returns the caller's account id.
// account returns the caller's account id and the partition its ARN
// names (aws, aws-cn, aws-us-gov...: the region's).
func (c *clients) account(ctx context.Context) (account, partition string, err error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", fmt.Errorf("who am I (sts GetCallerIdentity): %w", err)
	}
	partition = "aws"
	if a, err := arn.Parse(aws.ToString(out.Arn)); err == nil {
		partition = a.Partition
	}
	return aws.ToString(out.Account), partition, nil
}

// ExportOptions says what Export records besides the account.
type ExportOptions struct {
	// Endpoint is the local cloud's URL the account was built on.
	Endpoint string
	// Names are the learner's resource names.
	Names map[string]string
	// HTTP fetches function code from GetFunction's Code.Location; nil
	// means a client with a 60 s timeout.
	HTTP *http.Client
	// Now is the export time; zero means time.Now.
	Now time.Time
}

// Export reads every resource of the account and region cfg reaches (the
// definitions and settings, never items, messages or secret values) and
// the code of every function.
func Export(ctx context.Context, cfg aws.Config, opt ExportOptions) (*Archive, error) {
	c := newClients(cfg)
	acct, part, err := c.account(ctx)
	if err != nil {
		return nil, err
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	a := &Archive{Code: map[string][]byte{}, Manifest: Manifest{ExportedAt: opt.Now.UTC().Truncate(time.Second), KitVersion: kitVersion(),
		Account: acct, Region: cfg.Region, Partition: part, Endpoint: opt.Endpoint, Names: opt.Names}}
	steps := []struct {
		what string
		f    func(context.Context, *clients, *Archive) error
	}{
		{"tables", exportTables}, {"queues", exportQueues}, {"topics", exportTopics}, {"roles", exportRoles},
		{"mappings", exportMappings}, {"APIs", exportAPIs}, {"log groups", exportLogGroups},
		{"alarms", exportAlarms}, {"dashboards", exportDashboards},
	}
	for _, s := range steps {
		if err := s.f(ctx, c, a); err != nil {
			return nil, fmt.Errorf("export %s: %w", s.what, err)
		}
	}
	if err := exportFunctions(ctx, c, opt.HTTP, a); err != nil {
		return nil, fmt.Errorf("export functions: %w", err)
	}
	return a, nil
}

func exportTables(ctx context.Context, c *clients, a *Archive) error {
	p := dynamodb.NewListTablesPaginator(c.ddb, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, name := range page.TableNames {
			t, err := exportTable(ctx, c, name)
			if err != nil {
				return fmt.Errorf("table %s: %w", name, err)
			}
			a.Account.Tables = append(a.Account.Tables, t)
		}
	}
	return nil
}

func exportTable(ctx context.Context, c *clients, name string) (Table, error) {
	out, err := c.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		return Table{}, err
	}
	d := out.Table
	t := Table{Name: name, BillingMode: string(ddbtypes.BillingModeProvisioned), KeySchema: keys(d.KeySchema)}
	if d.BillingModeSummary != nil && d.BillingModeSummary.BillingMode != "" {
		t.BillingMode = string(d.BillingModeSummary.BillingMode)
	}
	if pt := d.ProvisionedThroughput; pt != nil && t.BillingMode == string(ddbtypes.BillingModeProvisioned) {
		t.ReadCapacity, t.WriteCapacity = aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits)
	}
	for _, ad := range d.AttributeDefinitions {
		t.Attributes = append(t.Attributes, Attribute{Name: aws.ToString(ad.AttributeName), Type: string(ad.AttributeType)})
	}
	if s := d.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
		t.StreamView = string(s.StreamViewType)
	}
	for _, g := range d.GlobalSecondaryIndexes {
		ix := Index{Name: aws.ToString(g.IndexName), KeySchema: keys(g.KeySchema)}
		if g.Projection != nil {
			ix.Projection, ix.NonKeyAttrs = string(g.Projection.ProjectionType), g.Projection.NonKeyAttributes
		}
		if pt := g.ProvisionedThroughput; pt != nil && t.BillingMode == string(ddbtypes.BillingModeProvisioned) {
			ix.ReadCapacity, ix.WriteCapacity = aws.ToInt64(pt.ReadCapacityUnits), aws.ToInt64(pt.WriteCapacityUnits)
		}
		t.GSIs = append(t.GSIs, ix)
	}
	ttl, err := c.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &name})
	if err != nil {
		return t, fmt.Errorf("time to live: %w", err)
	}
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled {
		t.TTLAttribute = aws.ToString(d.AttributeName)
	}
	cb, err := c.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: &name})
	if err != nil {
		return t, fmt.Errorf("continuous backups: %w", err)
	}
	if d := cb.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil {
		t.PITR = d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == ddbtypes.PointInTimeRecoveryStatusEnabled
	}
	tags, err := c.ddb.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: d.TableArn})
	if err != nil {
		return t, fmt.Errorf("tags: %w", err)
	}
	for _, tg := range tags.Tags {
		if t.Tags == nil {
			t.Tags = map[string]string{}
		}
		t.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return t, nil
}

func keys(ks []ddbtypes.KeySchemaElement) []Key {
	out := make([]Key, 0, len(ks))
	for _, k := range ks {
		out = append(out, Key{Name: aws.ToString(k.AttributeName), Type: string(k.KeyType)})
	}
	return out
}

// queueSettable are the attributes CreateQueue takes; the rest (counts,
// ARN, timestamps) describe state.
var queueSettable = []string{"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
	"VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy", "Policy", "FifoQueue", "ContentBasedDeduplication",
	"DeduplicationScope", "FifoThroughputLimit", "SqsManagedSseEnabled", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"}

func exportQueues(ctx context.Context, c *clients, a *Archive) error {
	p := sqs.NewListQueuesPaginator(c.sqs, &sqs.ListQueuesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, url := range page.QueueUrls {
			out, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
			if err != nil {
				return fmt.Errorf("queue %s: %w", url, err)
			}
			q := Queue{Name: url[strings.LastIndex(url, "/")+1:], Attributes: map[string]string{}}
			for _, k := range queueSettable {
				if v, ok := out.Attributes[k]; ok {
					q.Attributes[k] = v
				}
			}
			tags, err := c.sqs.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
			if err == nil && len(tags.Tags) > 0 {
				q.Tags = tags.Tags
			}
			a.Account.Queues = append(a.Account.Queues, q)
		}
	}
	return nil
}

var (
	topicSettable = []string{"DisplayName", "Policy", "DeliveryPolicy", "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId", "SignatureVersion", "TracingConfig"}
	subSettable   = []string{"RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy"}
)

func pick(from map[string]string, keys []string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := from[k]; ok && v != "" {
			out[k] = v
		}
	}
	return out
}

func exportTopics(ctx context.Context, c *clients, a *Archive) error {
	p := sns.NewListTopicsPaginator(c.sns, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, tp := range page.Topics {
			topicARN := aws.ToString(tp.TopicArn)
			attrs, err := c.sns.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: &topicARN})
			if err != nil {
				return fmt.Errorf("topic %s: %w", topicARN, err)
			}
			t := Topic{Name: topicARN[strings.LastIndex(topicARN, ":")+1:], Attributes: pick(attrs.Attributes, topicSettable)}
			sp := sns.NewListSubscriptionsByTopicPaginator(c.sns, &sns.ListSubscriptionsByTopicInput{TopicArn: &topicARN})
			for sp.HasMorePages() {
				subs, err := sp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("subscriptions of %s: %w", topicARN, err)
				}
				for _, s := range subs.Subscriptions {
					sa, err := c.sns.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: s.SubscriptionArn})
					if err != nil {
						return fmt.Errorf("subscription %s: %w", aws.ToString(s.SubscriptionArn), err)
					}
					t.Subscriptions = append(t.Subscriptions, Subscription{Protocol: aws.ToString(s.Protocol), Endpoint: aws.ToString(s.Endpoint),
						Attributes: pick(sa.Attributes, subSettable)})
				}
			}
			a.Account.Topics = append(a.Account.Topics, t)
		}
	}
	return nil
}

func exportRoles(ctx context.Context, c *clients, a *Archive) error {
	policies := map[string]bool{}
	p := iam.NewListRolesPaginator(c.iam, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, r := range page.Roles {
			role := Role{Name: aws.ToString(r.RoleName), Path: aws.ToString(r.Path), Trust: decodePolicy(aws.ToString(r.AssumeRolePolicyDocument))}
			inline, err := c.iam.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: r.RoleName})
			if err != nil {
				return fmt.Errorf("role %s: %w", role.Name, err)
			}
			for _, pn := range inline.PolicyNames {
				doc, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: r.RoleName, PolicyName: &pn})
				if err != nil {
					return fmt.Errorf("role %s policy %s: %w", role.Name, pn, err)
				}
				if role.Inline == nil {
					role.Inline = map[string]string{}
				}
				role.Inline[pn] = decodePolicy(aws.ToString(doc.PolicyDocument))
			}
			att, err := c.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
			if err != nil {
				return fmt.Errorf("role %s attached policies: %w", role.Name, err)
			}
			for _, ap := range att.AttachedPolicies {
				pa := aws.ToString(ap.PolicyArn)
				role.Attached = append(role.Attached, pa)
				if parsed, err := arn.Parse(pa); err == nil && parsed.AccountID != "aws" && !policies[pa] {
					policies[pa] = true
					pol, err := exportPolicy(ctx, c, pa)
					if err != nil {
						return fmt.Errorf("policy %s: %w", pa, err)
					}
					a.Account.Policies = append(a.Account.Policies, pol)
				}
			}
			a.Account.Roles = append(a.Account.Roles, role)
		}
	}
	return nil
}

func exportPolicy(ctx context.Context, c *clients, policyARN string) (Policy, error) {
	got, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &policyARN})
	if err != nil {
		return Policy{}, err
	}
	v, err := c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &policyARN, VersionId: got.Policy.DefaultVersionId})
	if err != nil {
		return Policy{}, err
	}
	return Policy{Name: aws.ToString(got.Policy.PolicyName), Path: aws.ToString(got.Policy.Path), Document: decodePolicy(aws.ToString(v.PolicyVersion.Document))}, nil
}

func exportLogGroups(ctx context.Context, c *clients, a *Archive) error {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c.logs, &cloudwatchlogs.DescribeLogGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range page.LogGroups {
			a.Account.LogGroups = append(a.Account.LogGroups, LogGroup{Name: aws.ToString(g.LogGroupName), RetentionDays: aws.ToInt32(g.RetentionInDays)})
		}
	}
	return nil
}

// secretName matches environment variable names whose values Export leaves
// out.
var secretName = regexp.MustCompile(`(?i)SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY`)

func exportFunctions(ctx context.Context, c *clients, hc *http.Client, a *Archive) error {
	p := lambda.NewListFunctionsPaginator(c.lam, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, fc := range page.Functions {
			name := aws.ToString(fc.FunctionName)
			f := Function{Name: name, Runtime: string(fc.Runtime), Handler: aws.ToString(fc.Handler), Role: aws.ToString(fc.Role),
				Timeout: aws.ToInt32(fc.Timeout), MemorySize: aws.ToInt32(fc.MemorySize), Description: aws.ToString(fc.Description), Code: codeFile(name)}
			for _, ar := range fc.Architectures {
				f.Architectures = append(f.Architectures, string(ar))
			}
			if fc.Environment != nil {
				for k, v := range fc.Environment.Variables {
					if secretName.MatchString(k) {
						f.Redacted = append(f.Redacted, k)
						continue
					}
					if f.Env == nil {
						f.Env = map[string]string{}
					}
					f.Env[k] = v
				}
				sort.Strings(f.Redacted)
			}
			got, err := c.lam.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &name})
			if err != nil {
				return fmt.Errorf("function %s: %w", name, err)
			}
			if got.Concurrency != nil {
				f.Reserved = got.Concurrency.ReservedConcurrentExecutions
			}
			if got.Code == nil || aws.ToString(got.Code.Location) == "" {
				return fmt.Errorf("function %s: GetFunction gave no code location", name)
			}
			code, err := fetch(ctx, hc, aws.ToString(got.Code.Location))
			if err != nil {
				return fmt.Errorf("function %s code: %w", name, err)
			}
			a.Code[f.Code] = code
			if f.Permissions, err = exportPermissions(ctx, c, name); err != nil {
				return fmt.Errorf("function %s policy: %w", name, err)
			}
			a.Account.Functions = append(a.Account.Functions, f)
		}
	}
	return nil
}

// fetch downloads a function's code, refusing more than Lambda's limit.
func fetch(ctx context.Context, hc *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET code location: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxCodeBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxCodeBytes {
		return nil, fmt.Errorf("code is over %d bytes", MaxCodeBytes)
	}
	return b, nil
}

func exportMappings(ctx context.Context, c *clients, a *Archive) error {
	p := lambda.NewListEventSourceMappingsPaginator(c.lam, &lambda.ListEventSourceMappingsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, m := range page.EventSourceMappings {
			fn := aws.ToString(m.FunctionArn)
			mp := Mapping{Function: fn[strings.LastIndex(fn, ":")+1:], Source: aws.ToString(m.EventSourceArn),
				Enabled:   m.State == nil || !slices.Contains([]string{"Disabled", "Disabling"}, aws.ToString(m.State)),
				BatchSize: aws.ToInt32(m.BatchSize), BatchingWindow: aws.ToInt32(m.MaximumBatchingWindowInSeconds),
				StartingPosition: string(m.StartingPosition), MaxRetries: m.MaximumRetryAttempts, MaxRecordAge: m.MaximumRecordAgeInSeconds,
				Bisect: aws.ToBool(m.BisectBatchOnFunctionError), ParallelizationFactor: aws.ToInt32(m.ParallelizationFactor)}
			for _, t := range m.FunctionResponseTypes {
				mp.ResponseTypes = append(mp.ResponseTypes, string(t))
			}
			if m.FilterCriteria != nil {
				for _, f := range m.FilterCriteria.Filters {
					mp.Filters = append(mp.Filters, aws.ToString(f.Pattern))
				}
			}
			if d := m.DestinationConfig; d != nil && d.OnFailure != nil {
				mp.OnFailure = aws.ToString(d.OnFailure.Destination)
			}
			if s := m.ScalingConfig; s != nil {
				mp.MaxConcurrency = aws.ToInt32(s.MaximumConcurrency)
			}
			a.Account.Mappings = append(a.Account.Mappings, mp)
		}
	}
	return nil
}

// isNotFound reports whether err says the resource does not exist.
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceNotFoundException", "NoSuchEntity", "NotFoundException":
		return true
	}
	return false
}

// isExists reports whether err says the resource already exists.
func isExists(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ResourceAlreadyExistsException"
}
