package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/grader"
)

var tableParam = grader.Param{Name: "table", Required: true, Doc: "the table's name, e.g. ${ordersTable}"}

// describeTable fetches a table once per run and shares it between checks.
func describeTable(ctx context.Context, env *grader.Env, name string) (*types.TableDescription, error) {
	return grader.Fact(env, "dynamodb.table/"+name, func() (*types.TableDescription, error) {
		out, err := dynamodb.NewFromConfig(env.AWS).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return nil, err
		}
		return out.Table, nil
	})
}

// withTable runs fn on the table's description, failing when it is missing.
func withTable(ctx context.Context, env *grader.Env, name string, fn func(*types.TableDescription) grader.Outcome) grader.Outcome {
	t, err := describeTable(ctx, env, name)
	if isNotFound(err) {
		return grader.Failf("there is no DynamoDB table named %q in %s", name, env.AWS.Region)
	}
	if err != nil {
		return undecided("describe table "+name, err)
	}
	return fn(t)
}

func dynamoKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name:   "dynamodb.table-active",
			Doc:    "the table exists and is ACTIVE",
			Params: []grader.Param{tableParam},
			Calls:  []string{"dynamodb:DescribeTable"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name := p.String("table", "")
				return withTable(ctx, env, name, func(t *types.TableDescription) grader.Outcome {
					if t.TableStatus != types.TableStatusActive {
						return grader.Failf("table %s is %s, not ACTIVE", name, t.TableStatus)
					}
					return grader.Passf("table %s is ACTIVE", name)
				})
			},
		},
		{
			Name: "dynamodb.key-schema",
			Doc:  "the table's primary key is what the lab asks for",
			Params: []grader.Param{tableParam,
				{Name: "partitionKey", Required: true, Doc: "partition key attribute name"},
				{Name: "partitionKeyType", Doc: "S, N or B (default S)"},
				{Name: "sortKey", Doc: "sort key attribute name; empty means the table must have none"}},
			Calls: []string{"dynamodb:DescribeTable"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name := p.String("table", "")
				return withTable(ctx, env, name, func(t *types.TableDescription) grader.Outcome {
					return keySchemaOutcome(t, p.String("partitionKey", ""), p.String("partitionKeyType", "S"), p.String("sortKey", ""))
				})
			},
		},
		{
			Name:   "dynamodb.billing-mode",
			Doc:    "the table's capacity mode",
			Params: []grader.Param{tableParam, {Name: "mode", Required: true, Doc: "PAY_PER_REQUEST or PROVISIONED"}},
			Calls:  []string{"dynamodb:DescribeTable"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name, want := p.String("table", ""), p.String("mode", "")
				return withTable(ctx, env, name, func(t *types.TableDescription) grader.Outcome {
					got := string(types.BillingModeProvisioned)
					if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode != "" {
						got = string(t.BillingModeSummary.BillingMode)
					}
					if got != want {
						return grader.Failf("table %s bills as %s, want %s", name, got, want)
					}
					return grader.Passf("table %s bills as %s", name, got)
				})
			},
		},
		{
			Name:   "dynamodb.pitr",
			Doc:    "point-in-time recovery is enabled",
			Params: []grader.Param{tableParam},
			Calls:  []string{"dynamodb:DescribeContinuousBackups"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name := p.String("table", "")
				out, err := dynamodb.NewFromConfig(env.AWS).DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: &name})
				if isNotFound(err) || isTableNotFoundValidation(err) {
					return grader.Failf("there is no DynamoDB table named %q in %s", name, env.AWS.Region)
				}
				if err != nil {
					return undecided("describe continuous backups of "+name, err)
				}
				status := types.PointInTimeRecoveryStatusDisabled
				if d := out.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil {
					status = d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus
				}
				if status != types.PointInTimeRecoveryStatusEnabled {
					return grader.Failf("point-in-time recovery on %s is %s", name, status)
				}
				return grader.Passf("point-in-time recovery on %s is ENABLED", name)
			},
		},
		{
			Name:   "dynamodb.stream",
			Doc:    "the table has a stream whose records carry the new image",
			Params: []grader.Param{tableParam, {Name: "views", Doc: "acceptable StreamViewType values (default NEW_IMAGE, NEW_AND_OLD_IMAGES)"}},
			Calls:  []string{"dynamodb:DescribeTable"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name := p.String("table", "")
				views := p.Strings("views")
				if len(views) == 0 {
					views = []string{"NEW_IMAGE", "NEW_AND_OLD_IMAGES"}
				}
				return withTable(ctx, env, name, func(t *types.TableDescription) grader.Outcome {
					spec := t.StreamSpecification
					if spec == nil || spec.StreamEnabled == nil || !*spec.StreamEnabled || t.LatestStreamArn == nil {
						return grader.Failf("table %s has no stream enabled", name)
					}
					if !slices.Contains(views, string(spec.StreamViewType)) {
						return grader.Failf("table %s's stream view type is %s, want one of %s", name, spec.StreamViewType, strings.Join(views, ", "))
					}
					return grader.Passf("table %s streams %s to %s", name, spec.StreamViewType, *t.LatestStreamArn)
				})
			},
		},
		{
			Name:   "dynamodb.tagged",
			Doc:    "the table carries a tag",
			Params: []grader.Param{tableParam, {Name: "key", Required: true, Doc: "tag key"}, {Name: "value", Doc: "tag value; empty accepts any"}},
			Calls:  []string{"dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"},
			Run: func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
				name, key, value := p.String("table", ""), p.String("key", ""), p.String("value", "")
				return withTable(ctx, env, name, func(t *types.TableDescription) grader.Outcome {
					out, err := dynamodb.NewFromConfig(env.AWS).ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: t.TableArn})
					if err != nil {
						return undecided("list tags of "+name, err)
					}
					for _, tag := range out.Tags {
						if deref(tag.Key) == key && (value == "" || deref(tag.Value) == value) {
							return grader.Passf("table %s is tagged %s=%s", name, key, deref(tag.Value))
						}
					}
					if value != "" {
						return grader.Failf("table %s has no tag %s=%s", name, key, value)
					}
					return grader.Failf("table %s has no tag %q", name, key)
				})
			},
		},
	}
}

func keySchemaOutcome(t *types.TableDescription, pk, pkType, sk string) grader.Outcome {
	types_ := map[string]types.ScalarAttributeType{}
	for _, a := range t.AttributeDefinitions {
		types_[deref(a.AttributeName)] = a.AttributeType
	}
	var gotPK, gotSK string
	for _, k := range t.KeySchema {
		switch k.KeyType {
		case types.KeyTypeHash:
			gotPK = deref(k.AttributeName)
		case types.KeyTypeRange:
			gotSK = deref(k.AttributeName)
		}
	}
	parts := []grader.Part{
		{Name: "partition key", Passed: gotPK == pk, Detail: fmt.Sprintf("is %q, want %q", gotPK, pk)},
		{Name: "partition key type", Passed: string(types_[gotPK]) == pkType, Detail: fmt.Sprintf("is %s, want %s", types_[gotPK], pkType)},
		{Name: "sort key", Passed: gotSK == sk, Detail: fmt.Sprintf("is %q, want %q", gotSK, sk)},
	}
	o := grader.FromParts(parts)
	if o.Status == grader.Pass {
		return o.With(fmt.Sprintf("key: %s (%s)%s", gotPK, types_[gotPK], map[bool]string{true: ", sort key " + gotSK}[gotSK != ""]))
	}
	return o
}

// isTableNotFoundValidation: some DynamoDB operations answer a missing table
// with a ValidationException/TableNotFoundException rather than
// ResourceNotFoundException.
func isTableNotFoundValidation(err error) bool {
	var tnf *types.TableNotFoundException
	return err != nil && (asType(err, &tnf) || strings.Contains(err.Error(), "TableNotFoundException"))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
