package dynamo

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type createTableInput struct {
	TableName              string       `json:"TableName"`
	KeySchema              []keyElement `json:"KeySchema"`
	AttributeDefinitions   []attrDef    `json:"AttributeDefinitions"`
	BillingMode            string       `json:"BillingMode"`
	ProvisionedThroughput  *throughput  `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexes []indexInput `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes  []indexInput `json:"LocalSecondaryIndexes"`
	StreamSpecification    *streamSpec  `json:"StreamSpecification"`
	Tags                   []tag        `json:"Tags"`
	SSESpecification       *sseSpec     `json:"SSESpecification"`
	TableClass             string       `json:"TableClass"`
	DeletionProtection     *bool        `json:"DeletionProtectionEnabled"`
}

type indexInput struct {
	IndexName             string       `json:"IndexName"`
	KeySchema             []keyElement `json:"KeySchema"`
	Projection            *projection  `json:"Projection"`
	ProvisionedThroughput *throughput  `json:"ProvisionedThroughput"`
}

type sseSpec struct {
	Enabled        *bool  `json:"Enabled"`
	SSEType        string `json:"SSEType"`
	KMSMasterKeyId string `json:"KMSMasterKeyId"`
}

func validateKeySchema(ks []keyElement, what string) error {
	if len(ks) == 0 {
		return validationf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", what)
	}
	if len(ks) > 2 {
		return validationf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have length less than or equal to 2", ks, what)
	}
	for i, k := range ks {
		if k.KeyType != "HASH" && k.KeyType != "RANGE" {
			return validationf("1 validation error detected: Value '%s' at '%s.%d.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]", k.KeyType, what, i+1)
		}
		if k.AttributeName == "" {
			return validationf("1 validation error detected: Value null at '%s.%d.member.attributeName' failed to satisfy constraint: Member must not be null", what, i+1)
		}
	}
	if ks[0].KeyType != "HASH" {
		return validationf("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return validationf("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if ks[0].AttributeName == ks[1].AttributeName {
			return validationf("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	return nil
}

func validateThroughput(mode string, tp *throughput, what string) (rcu, wcu int64, err error) {
	if mode == "PAY_PER_REQUEST" {
		if tp != nil && (tp.ReadCapacityUnits != nil || tp.WriteCapacityUnits != nil) {
			return 0, 0, validationf("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		return 0, 0, nil
	}
	if tp == nil || tp.ReadCapacityUnits == nil || tp.WriteCapacityUnits == nil {
		if what == "" {
			return 0, 0, validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		return 0, 0, validationf("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", what)
	}
	if *tp.ReadCapacityUnits < 1 || *tp.WriteCapacityUnits < 1 {
		return 0, 0, validationf("One or more parameter values were invalid: Provisioned throughput values must be greater than 0")
	}
	return *tp.ReadCapacityUnits, *tp.WriteCapacityUnits, nil
}

func validateProjection(p *projection, name string) (projection, error) {
	if p == nil || p.ProjectionType == "" {
		return projection{ProjectionType: "ALL"}, nil
	}
	switch p.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if len(p.NonKeyAttributes) > 0 {
			return projection{}, validationf("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", p.ProjectionType)
		}
	case "INCLUDE":
		if len(p.NonKeyAttributes) == 0 {
			return projection{}, validationf("One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
		}
	default:
		return projection{}, validationf("1 validation error detected: Value '%s' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]", p.ProjectionType)
	}
	return *p, nil
}

func boolv(b *bool) bool { return b != nil && *b }

func validViewType(v string) bool {
	switch v {
	case "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES":
		return true
	}
	return false
}

func (s *Service) createTable(ctx context.Context, body []byte) (any, error) {
	var in createTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkCreateTable(&in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	if in.TableName == "" {
		return nil, validationf("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	if len(in.TableName) < 3 || len(in.TableName) > 255 {
		return nil, validationf("TableName must be at least 3 characters long and at most 255 characters long")
	}
	if !tableNameRE.MatchString(in.TableName) {
		return nil, validationf("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", in.TableName)
	}
	if err := validateKeySchema(in.KeySchema, "keySchema"); err != nil {
		return nil, err
	}
	if len(in.AttributeDefinitions) == 0 {
		return nil, validationf("1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null")
	}
	defined := map[string]string{}
	for i, d := range in.AttributeDefinitions {
		switch d.AttributeType {
		case "S", "N", "B":
		default:
			return nil, validationf("1 validation error detected: Value '%s' at 'attributeDefinitions.%d.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", d.AttributeType, i+1)
		}
		if _, dup := defined[d.AttributeName]; dup {
			return nil, validationf("Cannot have two attributes with the same name. Attribute name: %s", d.AttributeName)
		}
		defined[d.AttributeName] = d.AttributeType
	}
	used := map[string]bool{}
	checkDefined := func(ks []keyElement) error {
		for _, k := range ks {
			if _, ok := defined[k.AttributeName]; !ok {
				names := make([]string, 0, len(defined))
				for _, d := range in.AttributeDefinitions {
					names = append(names, d.AttributeName)
				}
				return validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", k.AttributeName, strings.Join(names, ", "))
			}
			used[k.AttributeName] = true
		}
		return nil
	}
	if err := checkDefined(in.KeySchema); err != nil {
		return nil, err
	}
	mode := in.BillingMode
	if mode == "" {
		mode = "PROVISIONED"
	}
	if mode != "PROVISIONED" && mode != "PAY_PER_REQUEST" {
		return nil, validationf("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
	}
	rcu, wcu, err := validateThroughput(mode, in.ProvisionedThroughput, "")
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	meta := tableMeta{
		ID: uuid.NewString(), Name: in.TableName, Account: id.AccountID, Region: id.Region,
		Created: now, KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions,
		BillingMode: mode, provisioned: provisioned{RCU: rcu, WCU: wcu}, Tags: in.Tags,
		DeletionProtection: boolv(in.DeletionProtection), TableClass: in.TableClass,
	}
	names := map[string]bool{}
	if len(in.GlobalSecondaryIndexes) > 20 {
		return nil, validationf("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20")
	}
	for _, g := range in.GlobalSecondaryIndexes {
		im, err := validateIndex(g, mode, names, checkDefined)
		if err != nil {
			return nil, err
		}
		meta.GSIs = append(meta.GSIs, im)
	}
	for _, l := range in.LocalSecondaryIndexes {
		im, err := validateIndex(l, "PAY_PER_REQUEST", names, checkDefined)
		if err != nil {
			return nil, err
		}
		if len(l.KeySchema) != 2 || l.KeySchema[0].AttributeName != in.KeySchema[0].AttributeName {
			return nil, validationf("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", l.IndexName, l.KeySchema[0].AttributeName, in.KeySchema[0].AttributeName)
		}
		if len(in.KeySchema) != 2 {
			return nil, validationf("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		meta.LSIs = append(meta.LSIs, im)
	}
	if len(used) != len(defined) {
		return nil, validationf("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	if ss := in.StreamSpecification; ss != nil && boolv(ss.StreamEnabled) {
		if !validViewType(ss.StreamViewType) {
			return nil, validationf("One or more parameter values were invalid: StreamViewType must be specified and valid when StreamEnabled is true")
		}
		meta.StreamEnabled = true
		meta.StreamViewType = ss.StreamViewType
	}
	if sse := in.SSESpecification; sse != nil && boolv(sse.Enabled) {
		meta.SSEEnabled = true
		meta.SSEType = sse.SSEType
		if meta.SSEType == "" {
			meta.SSEType = "KMS"
		}
		meta.KMSKey = sse.KMSMasterKeyId
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}

	key := tableKey{id.AccountID, id.Region, in.TableName}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.tables[key]; old != nil && !old.gone(now) {
		if old.goneAt.Load() != 0 {
			// A table of the name is still being deleted.
			return nil, protocol.Errorf("ResourceInUseException", "Attempt to change a resource which is still in use: Table is being deleted: %s", in.TableName)
		}
		return nil, protocol.Errorf("ResourceInUseException", "Table already exists: %s", in.TableName)
	}
	s.startTransition(&meta, statusCreating, now)
	var muts []mutation
	var sm *streamMeta
	if meta.StreamEnabled {
		sm = s.newStream(&meta, now)
		muts = append(muts, sm.mutation())
	}
	mb, _ := json.Marshal(&meta)
	muts = append(muts, mutation{kind: mutExec, sql: `INSERT OR REPLACE INTO tables (account, region, name, meta) VALUES (?, ?, ?, ?)`, args: []any{id.AccountID, id.Region, in.TableName, mb}})
	if err := s.com.commit(muts); err != nil {
		return nil, err
	}
	t := newTable(meta)
	s.tables[key] = t
	if sm != nil {
		s.streams[sm.Arn] = sm
	}
	return tableDescriptionOutput{TableDescription: t.describe(now)}, nil
}

func validateTags(tags []tag) error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return validationf("One or more parameter values were invalid: Tag key must be between 1 and 128 characters and value at most 256")
		}
	}
	return nil
}
