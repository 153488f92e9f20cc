package kit

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// tableSpec is the reference shape of a table.
type tableSpec struct {
	name, key string
	pitr      bool
	stream    types.StreamViewType // "" for no stream
	tags      map[string]string
}

// ensureTable creates the table or converges it to spec, waits until it is
// ACTIVE and returns its description.
func (k *Kit) ensureTable(ctx context.Context, s tableSpec) (*types.TableDescription, error) {
	ddb := k.cl().ddb
	desc, err := k.describeTable(ctx, s.name)
	if err != nil {
		return nil, err
	}
	if desc == nil {
		in := &dynamodb.CreateTableInput{
			TableName:            aws.String(s.name),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(s.key), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(s.key), KeyType: types.KeyTypeHash}},
			BillingMode:          types.BillingModePayPerRequest,
		}
		for k, v := range s.tags {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if s.stream != "" {
			in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: s.stream}
		}
		k.logf("  create table %s (key %s, on-demand)", s.name, s.key)
		if _, err := ddb.CreateTable(ctx, in); err != nil {
			return nil, fmt.Errorf("create table %s: %w", s.name, err)
		}
		if desc, err = k.waitTable(ctx, s.name); err != nil {
			return nil, err
		}
	} else {
		if len(desc.KeySchema) != 1 || aws.ToString(desc.KeySchema[0].AttributeName) != s.key || keyType(desc, s.key) != types.ScalarAttributeTypeS {
			return nil, fmt.Errorf("table %s exists with another key schema than %s (S) and a key cannot be changed: delete it (lab reset) and solve again", s.name, s.key)
		}
		if desc.TableStatus != types.TableStatusActive {
			if desc, err = k.waitTable(ctx, s.name); err != nil {
				return nil, err
			}
		}
		if desc.BillingModeSummary == nil || desc.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
			k.logf("  table %s: billing mode -> PAY_PER_REQUEST", s.name)
			if _, err := ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(s.name), BillingMode: types.BillingModePayPerRequest}); err != nil {
				return nil, fmt.Errorf("update table %s billing mode: %w", s.name, err)
			}
			if desc, err = k.waitTable(ctx, s.name); err != nil {
				return nil, err
			}
		}
		if err := k.convergeStream(ctx, s, desc); err != nil {
			return nil, err
		}
		if len(s.tags) > 0 {
			var tags []types.Tag
			for k, v := range s.tags {
				tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			if _, err := ddb.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: desc.TableArn, Tags: tags}); err != nil {
				return nil, fmt.Errorf("tag table %s: %w", s.name, err)
			}
		}
	}
	if s.pitr {
		cb, err := ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(s.name)})
		if err != nil {
			return nil, fmt.Errorf("describe backups of %s: %w", s.name, err)
		}
		on := cb.ContinuousBackupsDescription != nil && cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription != nil &&
			cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == types.PointInTimeRecoveryStatusEnabled
		if !on {
			k.logf("  table %s: point-in-time recovery on", s.name)
			err := retry(ctx, 60*time.Second, isConflictOrBackups, func() error {
				_, err := ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(s.name),
					PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("enable point-in-time recovery on %s: %w", s.name, err)
			}
		}
	}
	return k.waitTable(ctx, s.name)
}

// isConflictOrBackups: AWS refuses UpdateContinuousBackups for a while
// after a table is created (ContinuousBackupsUnavailableException).
func isConflictOrBackups(err error) bool {
	return isConflict(err) || errCode(err) == "ContinuousBackupsUnavailableException"
}

// convergeStream turns the table's stream on with the spec's view (or
// leaves it alone when the spec has none).
func (k *Kit) convergeStream(ctx context.Context, s tableSpec, desc *types.TableDescription) error {
	if s.stream == "" {
		return nil
	}
	ss := desc.StreamSpecification
	if ss != nil && aws.ToBool(ss.StreamEnabled) && ss.StreamViewType == s.stream {
		return nil
	}
	ddb := k.cl().ddb
	if ss != nil && aws.ToBool(ss.StreamEnabled) {
		k.logf("  table %s: stream view %s -> %s (a new stream)", s.name, ss.StreamViewType, s.stream)
		if _, err := ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(s.name),
			StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
			return fmt.Errorf("turn off the stream of %s: %w", s.name, err)
		}
		if _, err := k.waitTable(ctx, s.name); err != nil {
			return err
		}
	} else {
		k.logf("  table %s: stream on (%s)", s.name, s.stream)
	}
	err := retry(ctx, 60*time.Second, isConflict, func() error {
		_, err := ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(s.name),
			StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: s.stream}})
		return err
	})
	if err != nil {
		return fmt.Errorf("turn on the stream of %s: %w", s.name, err)
	}
	_, err = k.waitTable(ctx, s.name)
	return err
}

func keyType(desc *types.TableDescription, attr string) types.ScalarAttributeType {
	for _, a := range desc.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == attr {
			return a.AttributeType
		}
	}
	return ""
}

// describeTable returns the table's description, or nil when it does not exist.
func (k *Kit) describeTable(ctx context.Context, name string) (*types.TableDescription, error) {
	out, err := k.cl().ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe table %s: %w", name, err)
	}
	return out.Table, nil
}

// waitTable waits until the table is ACTIVE.
func (k *Kit) waitTable(ctx context.Context, name string) (*types.TableDescription, error) {
	w := dynamodb.NewTableExistsWaiter(k.cl().ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	})
	out, err := w.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 5*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("wait for table %s to be ACTIVE: %w", name, err)
	}
	return out.Table, nil
}

// deleteTable deletes the table and waits until it is gone; a missing
// table is not an error. It reports whether it deleted one.
func (k *Kit) deleteTable(ctx context.Context, name string) (bool, error) {
	ddb := k.cl().ddb
	_, err := ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("delete table %s: %w", name, err)
	}
	w := dynamodb.NewTableNotExistsWaiter(ddb, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, 5*time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 5*time.Minute); err != nil {
		return true, fmt.Errorf("wait for table %s to be deleted: %w", name, err)
	}
	return true, nil
}
