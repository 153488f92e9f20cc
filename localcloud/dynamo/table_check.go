package dynamo

import (
	"slices"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// maxThroughput is the largest ReadCapacityUnits or WriteCapacityUnits
// DynamoDB takes; a larger value is "out of bounds" whatever the account's
// quota.
const maxThroughput = 1_000_000_000_000

// checkThroughputBounds refuses absurd capacity values as DynamoDB does,
// Read before Write; index names the index ("" for the table).
func checkThroughputBounds(tp *throughput, index string) error {
	if tp == nil {
		return nil
	}
	suffix := ""
	if index != "" {
		suffix = " for index " + index
	}
	for _, c := range []struct {
		name string
		v    *int64
	}{{"ReadCapacityUnits", tp.ReadCapacityUnits}, {"WriteCapacityUnits", tp.WriteCapacityUnits}} {
		if c.v != nil && *c.v > maxThroughput {
			return validationf("Given value %d for %s is out of bounds%s", *c.v, c.name, suffix)
		}
	}
	return nil
}

// checkCreateTable checks a CreateTable request's definition in DynamoDB's
// order, once its members' types and constraints passed: billing mode and
// throughput, the table's key schema against the attribute definitions,
// then each local and each global secondary index. The messages are
// DynamoDB's, as a public conformance suite run against it records them.
func checkCreateTable(in *createTableInput) error {
	if in.BillingMode == "PAY_PER_REQUEST" {
		if in.ProvisionedThroughput != nil {
			return validationf("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	} else {
		tp := in.ProvisionedThroughput
		if tp == nil || tp.ReadCapacityUnits == nil || tp.WriteCapacityUnits == nil || *tp.ReadCapacityUnits == 0 || *tp.WriteCapacityUnits == 0 {
			return validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		if err := checkThroughputBounds(tp, ""); err != nil {
			return err
		}
	}
	defs := make([]string, len(in.AttributeDefinitions))
	for i, d := range in.AttributeDefinitions {
		defs[i] = d.AttributeName
	}
	keys := keyNames(in.KeySchema)
	if len(keys) > len(defs) {
		return validationf("Invalid KeySchema: Some index key attribute have no definition")
	}
	if err := checkIndexKeys(in.KeySchema, defs); err != nil {
		return err
	}
	if in.LocalSecondaryIndexes == nil && in.GlobalSecondaryIndexes == nil && len(keys) != len(defs) {
		return validationf("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	names := map[string]bool{}
	if in.LocalSecondaryIndexes != nil {
		if len(in.LocalSecondaryIndexes) == 0 {
			return validationf("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
		}
		if len(in.KeySchema) != 2 {
			return validationf("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		for _, l := range in.LocalSecondaryIndexes {
			if err := checkIndexKeys(l.KeySchema, defs); err != nil {
				return err
			}
			if len(l.KeySchema) != 2 {
				return validationf("One or more parameter values were invalid: Index KeySchema does not have a range key for index: %s", l.IndexName)
			}
			if h := l.KeySchema[0].AttributeName; h != keys[0] {
				return validationf("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", l.IndexName, h, keys[0])
			}
			if err := checkIndexProjection(l.Projection); err != nil {
				return err
			}
			if err := checkIndexName(l.IndexName, names); err != nil {
				return err
			}
		}
		if len(in.LocalSecondaryIndexes) > 5 {
			return validationf("One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5")
		}
	}
	if in.GlobalSecondaryIndexes != nil {
		if len(in.GlobalSecondaryIndexes) == 0 {
			return validationf("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
		}
		for _, g := range in.GlobalSecondaryIndexes {
			if err := checkIndexKeys(g.KeySchema, defs); err != nil {
				return err
			}
			if err := checkIndexProjection(g.Projection); err != nil {
				return err
			}
			if in.BillingMode == "PAY_PER_REQUEST" && g.ProvisionedThroughput != nil {
				return validationf("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", g.IndexName)
			}
			if err := checkThroughputBounds(g.ProvisionedThroughput, g.IndexName); err != nil {
				return err
			}
			if err := checkIndexName(g.IndexName, names); err != nil {
				return err
			}
		}
		if len(in.GlobalSecondaryIndexes) > 20 {
			return validationf("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")
		}
	}
	return nil
}

func keyNames(ks []keyElement) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.AttributeName
	}
	return out
}

// checkIndexKeys checks a key schema (the table's or an index's): every
// key defined, distinct names, HASH then RANGE.
func checkIndexKeys(ks []keyElement, defs []string) error {
	keys := keyNames(ks)
	for _, k := range keys {
		if !slices.Contains(defs, k) {
			return validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
				strings.Join(keys, ", "), strings.Join(defs, ", "))
		}
	}
	if len(ks) == 2 && keys[0] == keys[1] {
		return validationf("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	}
	if ks[0].KeyType != "HASH" {
		return validationf("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 && ks[1].KeyType != "RANGE" {
		return validationf("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	}
	return nil
}

// checkIndexProjection refuses an index projection without a type (an
// empty Projection) and NonKeyAttributes given with ALL or KEYS_ONLY.
func checkIndexProjection(p *projection) error {
	if p == nil || p.ProjectionType == "" {
		return validationf("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	if len(p.NonKeyAttributes) > 0 && p.ProjectionType != "INCLUDE" {
		return validationf("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", p.ProjectionType)
	}
	return nil
}

func checkIndexName(name string, names map[string]bool) error {
	if names[name] {
		return validationf("One or more parameter values were invalid: Duplicate index name: %s", name)
	}
	names[name] = true
	return nil
}

// checkUpdateTable checks an UpdateTable request before the table is looked
// up, in DynamoDB's order: something to change, throughput given with
// PROVISIONED, throughput bounds, then each index update.
func checkUpdateTable(in *updateTableInput) error {
	if in.ProvisionedThroughput == nil && in.BillingMode == "" && in.StreamSpecification == nil && len(in.GlobalSecondaryIndexUpdates) == 0 &&
		in.SSESpecification == nil && in.DeletionProtection == nil && in.TableClass == "" {
		return validationf("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	if in.BillingMode == "PROVISIONED" && in.ProvisionedThroughput == nil {
		return validationf("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
	}
	if err := checkThroughputBounds(in.ProvisionedThroughput, ""); err != nil {
		return err
	}
	names := map[string]bool{}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		var name string
		switch {
		case u.Update != nil:
			name = u.Update.IndexName
		case u.Create != nil:
			name = u.Create.IndexName
		case u.Delete != nil:
			name = u.Delete.IndexName
		default:
			return validationf("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		}
		if names[name] {
			return validationf("One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: %s", name)
		}
		names[name] = true
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		if u.Create != nil {
			if err := checkThroughputBounds(u.Create.ProvisionedThroughput, u.Create.IndexName); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkGSIUpdateLimits is what DynamoDB checks of GlobalSecondaryIndexUpdates
// once the table is found, before any index is looked up: one index created
// or deleted per request (LimitExceededException), and an index's new
// throughput within bounds, refused in words of its own.
func checkGSIUpdateLimits(updates []gsiUpdateReq) error {
	online := 0
	for _, u := range updates {
		if u.Create != nil || u.Delete != nil {
			online++
		}
	}
	if online > 1 || len(updates) > 5 {
		return protocol.Errorf("LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
	}
	for _, u := range updates {
		if u.Update == nil || u.Update.ProvisionedThroughput == nil {
			continue
		}
		tp := u.Update.ProvisionedThroughput
		if tp.ReadCapacityUnits != nil && *tp.ReadCapacityUnits > maxThroughput || tp.WriteCapacityUnits != nil && *tp.WriteCapacityUnits > maxThroughput {
			return validationf("This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate")
		}
	}
	return nil
}

// unchangedThroughput is DynamoDB's refusal of an UpdateTable whose
// throughput equals the table's, or nil.
func unchangedThroughput(m *tableMeta, tp *throughput) error {
	if tp == nil || tp.ReadCapacityUnits == nil || tp.WriteCapacityUnits == nil || m.BillingMode == "PAY_PER_REQUEST" ||
		*tp.ReadCapacityUnits != m.RCU || *tp.WriteCapacityUnits != m.WCU {
		return nil
	}
	return validationf("The provisioned throughput for the table will not change. The requested value equals the current value. "+
		"Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. "+
		"Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. "+
		"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", m.RCU, *tp.ReadCapacityUnits, m.WCU, *tp.WriteCapacityUnits)
}
