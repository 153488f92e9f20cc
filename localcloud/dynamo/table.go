package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type keyElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type attrDef struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

type projection struct {
	ProjectionType   string   `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type throughput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits,omitempty"`
}

type streamSpec struct {
	StreamEnabled  *bool  `json:"StreamEnabled,omitempty"`
	StreamViewType string `json:"StreamViewType,omitempty"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// indexMeta is a secondary index as stored.
type indexMeta struct {
	IndexName  string       `json:"IndexName"`
	KeySchema  []keyElement `json:"KeySchema"`
	Projection projection   `json:"Projection"`
	RCU        int64        `json:"RCU,omitempty"`
	WCU        int64        `json:"WCU,omitempty"`
}

// tableMeta is a table's definition and settings, persisted as JSON.
type tableMeta struct {
	ID                   string       `json:"ID"`
	Name                 string       `json:"Name"`
	Account              string       `json:"Account"`
	Region               string       `json:"Region"`
	Created              time.Time    `json:"Created"`
	KeySchema            []keyElement `json:"KeySchema"`
	AttributeDefinitions []attrDef    `json:"AttributeDefinitions"`
	BillingMode          string       `json:"BillingMode"`
	BillingModeUpdated   time.Time    `json:"BillingModeUpdated,omitempty"`
	RCU                  int64        `json:"RCU,omitempty"`
	WCU                  int64        `json:"WCU,omitempty"`
	GSIs                 []indexMeta  `json:"GSIs,omitempty"`
	LSIs                 []indexMeta  `json:"LSIs,omitempty"`
	StreamEnabled        bool         `json:"StreamEnabled,omitempty"`
	StreamViewType       string       `json:"StreamViewType,omitempty"`
	StreamArn            string       `json:"StreamArn,omitempty"`
	StreamLabel          string       `json:"StreamLabel,omitempty"`
	Tags                 []tag        `json:"Tags,omitempty"`
	PITR                 bool         `json:"PITR,omitempty"`
	TTLAttribute         string       `json:"TTLAttribute,omitempty"`
	TTLEnabled           bool         `json:"TTLEnabled,omitempty"`
	SSEEnabled           bool         `json:"SSEEnabled,omitempty"`
	SSEType              string       `json:"SSEType,omitempty"`
	KMSKey               string       `json:"KMSKey,omitempty"`
	DeletionProtection   bool         `json:"DeletionProtection,omitempty"`
	TableClass           string       `json:"TableClass,omitempty"`
}

func (m *tableMeta) arn() string {
	return protocol.ARN("dynamodb", m.Region, m.Account, "table/"+m.Name)
}

// table is a table's metadata plus its items in memory. mu orders all
// access: writers hold it while they apply a change in memory and submit
// its commit, so commits happen in the order memory changed.
type table struct {
	mu   sync.RWMutex
	meta tableMeta
	key  keyDef
	base *index
	gsis map[string]*index
	lsis map[string]*index
	// idx describes every secondary index by name.
	idx     map[string]*indexMeta
	deleted bool
}

func (m *tableMeta) attrKind(name string) attr.Kind {
	for _, d := range m.AttributeDefinitions {
		if d.AttributeName == name {
			switch d.AttributeType {
			case "S":
				return attr.S
			case "N":
				return attr.N
			case "B":
				return attr.B
			}
		}
	}
	return attr.Invalid
}

func (m *tableMeta) keyDefOf(ks []keyElement) keyDef {
	var d keyDef
	for _, k := range ks {
		if k.KeyType == "HASH" {
			d.hash, d.hashKind = k.AttributeName, m.attrKind(k.AttributeName)
		} else {
			d.rng, d.rngKind = k.AttributeName, m.attrKind(k.AttributeName)
		}
	}
	return d
}

// newTable builds the in-memory table for meta (no items).
func newTable(meta tableMeta) *table {
	t := &table{meta: meta}
	t.rebuildIndexes()
	return t
}

func (t *table) rebuildIndexes() {
	t.key = t.meta.keyDefOf(t.meta.KeySchema)
	if t.base == nil {
		t.base = newIndex(t.key, false)
	}
	t.gsis = map[string]*index{}
	t.lsis = map[string]*index{}
	t.idx = map[string]*indexMeta{}
	for i := range t.meta.GSIs {
		g := &t.meta.GSIs[i]
		t.gsis[g.IndexName] = newIndex(t.meta.keyDefOf(g.KeySchema), true)
		t.idx[g.IndexName] = g
	}
	for i := range t.meta.LSIs {
		l := &t.meta.LSIs[i]
		t.lsis[l.IndexName] = newIndex(t.meta.keyDefOf(l.KeySchema), false)
		t.idx[l.IndexName] = l
	}
	all := make([]*index, 0, len(t.gsis)+len(t.lsis))
	for _, ix := range t.gsis {
		all = append(all, ix)
	}
	for _, ix := range t.lsis {
		all = append(all, ix)
	}
	// Bulk build: append every entry, then sort each partition once.
	for _, p := range t.base.parts {
		for _, e := range p.entries {
			item := e.load()
			bpk, bsk, _ := t.base.keys(item)
			tie := tieOf(bpk, bsk)
			for _, ix := range all {
				if pk, sk, ok := ix.keys(item); ok {
					ip := ix.parts[pk]
					if ip == nil {
						ip = &partition{}
						ix.parts[pk] = ip
						ix.dirty = true
					}
					ip.entries = append(ip.entries, entry{sk: sk, tie: tie, enc: e.enc, size: e.size})
					ix.count++
					ix.bytes += int64(e.size)
				}
			}
		}
	}
	for _, ix := range all {
		for _, p := range ix.parts {
			slices.SortFunc(p.entries, func(a, b entry) int {
				if c := strings.Compare(a.sk, b.sk); c != 0 {
					return c
				}
				return strings.Compare(a.tie, b.tie)
			})
		}
	}
}

func (t *table) secondary(name string) (*index, *indexMeta) {
	if ix := t.gsis[name]; ix != nil {
		return ix, t.idx[name]
	}
	if ix := t.lsis[name]; ix != nil {
		return ix, t.idx[name]
	}
	return nil, nil
}

// indexItem adds item to every secondary index it has the keys for.
func (t *table) indexItem(item attr.Item, enc []byte, size int) {
	if len(t.gsis) == 0 && len(t.lsis) == 0 {
		return
	}
	bpk, bsk, _ := t.base.keys(item)
	tie := tieOf(bpk, bsk)
	add := func(ix *index) {
		if pk, sk, ok := ix.keys(item); ok {
			ix.put(pk, sk, tie, enc, size)
		}
	}
	for _, ix := range t.gsis {
		add(ix)
	}
	for _, ix := range t.lsis {
		add(ix)
	}
}

func (t *table) unindexItem(item attr.Item) {
	if len(t.gsis) == 0 && len(t.lsis) == 0 {
		return
	}
	bpk, bsk, _ := t.base.keys(item)
	tie := tieOf(bpk, bsk)
	del := func(ix *index) {
		if pk, sk, ok := ix.keys(item); ok {
			ix.remove(pk, sk, tie)
		}
	}
	for _, ix := range t.gsis {
		del(ix)
	}
	for _, ix := range t.lsis {
		del(ix)
	}
}

// set replaces (or, with item nil, removes) the item at (pk, sk) in memory;
// enc is item encoded by encodeItem.
func (t *table) set(pk, sk string, old, item attr.Item, enc []byte) {
	if old != nil {
		t.unindexItem(old)
	}
	if item == nil {
		t.base.remove(pk, sk, "")
		return
	}
	size := itemSize(item)
	t.base.put(pk, sk, "", enc, size)
	t.indexItem(item, enc, size)
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// resolveName accepts a table name or a table ARN.
func resolveName(id protocol.Identity, s string) string {
	if a, ok := protocol.ParseARN(s); ok && a.Service == "dynamodb" {
		if a.Account != id.AccountID || a.Region != id.Region {
			return s // no table is named like an ARN: not found
		}
		if name, ok := strings.CutPrefix(a.Resource, "table/"); ok {
			if i := strings.IndexByte(name, '/'); i >= 0 {
				name = name[:i]
			}
			return name
		}
	}
	return s
}

func notFoundTable(name string) error {
	return protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Table: %s not found", name)
}

// lookup returns the caller's table by name or ARN.
func (s *Service) lookup(ctx context.Context, name string) (*table, error) {
	id := protocol.IdentityFrom(ctx)
	if name == "" {
		return nil, validationf("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	name = resolveName(id, name)
	s.mu.RLock()
	t := s.tables[tableKey{id.AccountID, id.Region, name}]
	s.mu.RUnlock()
	if t == nil {
		return nil, notFoundTable(name)
	}
	return t, nil
}

// lookupForItems is lookup with the message item operations answer.
func (s *Service) lookupForItems(ctx context.Context, name string) (*table, error) {
	t, err := s.lookup(ctx, name)
	if err != nil {
		if pe, ok := err.(*protocol.Error); ok && pe.Code == "ResourceNotFoundException" {
			return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
		}
	}
	return t, err
}

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
	now := time.Now().UTC()
	meta := tableMeta{
		ID: uuid.NewString(), Name: in.TableName, Account: id.AccountID, Region: id.Region,
		Created: now, KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions,
		BillingMode: mode, RCU: rcu, WCU: wcu, Tags: in.Tags,
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
	if s.tables[key] != nil {
		return nil, protocol.Errorf("ResourceInUseException", "Table already exists: %s", in.TableName)
	}
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
	desc := t.describe("ACTIVE")
	return map[string]any{"TableDescription": desc}, nil
}

func validateIndex(in indexInput, mode string, names map[string]bool, checkDefined func([]keyElement) error) (indexMeta, error) {
	if in.IndexName == "" || len(in.IndexName) < 3 || !tableNameRE.MatchString(in.IndexName) {
		return indexMeta{}, validationf("1 validation error detected: Value '%s' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", in.IndexName)
	}
	if names[in.IndexName] {
		return indexMeta{}, validationf("One or more parameter values were invalid: Duplicate index name: %s", in.IndexName)
	}
	names[in.IndexName] = true
	if err := validateKeySchema(in.KeySchema, "keySchema"); err != nil {
		return indexMeta{}, err
	}
	if err := checkDefined(in.KeySchema); err != nil {
		return indexMeta{}, err
	}
	p, err := validateProjection(in.Projection, in.IndexName)
	if err != nil {
		return indexMeta{}, err
	}
	rcu, wcu, err := validateThroughput(mode, in.ProvisionedThroughput, in.IndexName)
	if err != nil {
		return indexMeta{}, err
	}
	return indexMeta{IndexName: in.IndexName, KeySchema: in.KeySchema, Projection: p, RCU: rcu, WCU: wcu}, nil
}

func validateTags(tags []tag) error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return validationf("One or more parameter values were invalid: Tag key must be between 1 and 128 characters and value at most 256")
		}
	}
	return nil
}

// describe returns the TableDescription; the caller holds t.mu (or owns t).
func (t *table) describe(status string) map[string]any {
	m := &t.meta
	d := map[string]any{
		"TableName":                 m.Name,
		"TableArn":                  m.arn(),
		"TableId":                   m.ID,
		"TableStatus":               status,
		"KeySchema":                 m.KeySchema,
		"AttributeDefinitions":      m.AttributeDefinitions,
		"CreationDateTime":          epoch(m.Created),
		"ItemCount":                 t.base.count,
		"TableSizeBytes":            t.base.bytes,
		"DeletionProtectionEnabled": m.DeletionProtection,
	}
	tp := map[string]any{"NumberOfDecreasesToday": 0, "ReadCapacityUnits": m.RCU, "WriteCapacityUnits": m.WCU}
	d["ProvisionedThroughput"] = tp
	if m.BillingMode == "PAY_PER_REQUEST" {
		bm := map[string]any{"BillingMode": "PAY_PER_REQUEST"}
		if !m.BillingModeUpdated.IsZero() {
			bm["LastUpdateToPayPerRequestDateTime"] = epoch(m.BillingModeUpdated)
		}
		d["BillingModeSummary"] = bm
	} else {
		d["BillingModeSummary"] = map[string]any{"BillingMode": "PROVISIONED"}
	}
	var gsis []map[string]any
	for _, g := range m.GSIs {
		ix := t.gsis[g.IndexName]
		gd := map[string]any{
			"IndexName": g.IndexName, "KeySchema": g.KeySchema, "Projection": g.Projection,
			"IndexStatus": "ACTIVE", "IndexArn": m.arn() + "/index/" + g.IndexName,
			"ProvisionedThroughput": map[string]any{"NumberOfDecreasesToday": 0, "ReadCapacityUnits": g.RCU, "WriteCapacityUnits": g.WCU},
		}
		if ix != nil {
			gd["ItemCount"] = ix.count
			gd["IndexSizeBytes"] = ix.bytes
		}
		if status == "DELETING" {
			gd["IndexStatus"] = "DELETING"
		}
		gsis = append(gsis, gd)
	}
	if gsis != nil {
		d["GlobalSecondaryIndexes"] = gsis
	}
	var lsis []map[string]any
	for _, l := range m.LSIs {
		ix := t.lsis[l.IndexName]
		ld := map[string]any{"IndexName": l.IndexName, "KeySchema": l.KeySchema, "Projection": l.Projection, "IndexArn": m.arn() + "/index/" + l.IndexName}
		if ix != nil {
			ld["ItemCount"] = ix.count
			ld["IndexSizeBytes"] = ix.bytes
		}
		lsis = append(lsis, ld)
	}
	if lsis != nil {
		d["LocalSecondaryIndexes"] = lsis
	}
	if m.StreamEnabled {
		d["StreamSpecification"] = map[string]any{"StreamEnabled": true, "StreamViewType": m.StreamViewType}
	}
	if m.StreamArn != "" {
		d["LatestStreamArn"] = m.StreamArn
		d["LatestStreamLabel"] = m.StreamLabel
	}
	if m.SSEEnabled {
		sd := map[string]any{"Status": "ENABLED", "SSEType": m.SSEType}
		if m.SSEType == "KMS" {
			key := m.KMSKey
			if key == "" || !strings.HasPrefix(key, "arn:") {
				if key == "" {
					key = "alias/aws/dynamodb"
				}
				key = protocol.ARN("kms", m.Region, m.Account, key)
			}
			sd["KMSMasterKeyArn"] = key
		}
		d["SSEDescription"] = sd
	}
	if m.TableClass != "" {
		d["TableClassSummary"] = map[string]any{"TableClass": m.TableClass}
	}
	return d
}

func epoch(t time.Time) float64 {
	return float64(t.UnixMilli()) / 1000
}

type tableNameInput struct {
	TableName string `json:"TableName"`
}

func (s *Service) describeTable(ctx context.Context, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return map[string]any{"Table": t.describe("ACTIVE")}, nil
}

type listTablesInput struct {
	ExclusiveStartTableName string `json:"ExclusiveStartTableName"`
	Limit                   *int   `json:"Limit"`
}

func (s *Service) listTables(ctx context.Context, body []byte) (any, error) {
	var in listTablesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *in.Limit)
		}
		limit = *in.Limit
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	var names []string
	for k := range s.tables {
		if k.account == id.AccountID && k.region == id.Region && k.name > in.ExclusiveStartTableName {
			names = append(names, k.name)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	out := map[string]any{}
	if len(names) > limit {
		names = names[:limit]
		out["LastEvaluatedTableName"] = names[limit-1]
	}
	if names == nil {
		names = []string{}
	}
	out["TableNames"] = names
	return out, nil
}

func (s *Service) deleteTable(ctx context.Context, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, notFoundTable(t.meta.Name)
	}
	if t.meta.DeletionProtection {
		return nil, validationf("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	m := &t.meta
	muts := []mutation{
		{kind: mutExec, sql: `DELETE FROM tables WHERE account = ? AND region = ? AND name = ?`, args: []any{m.Account, m.Region, m.Name}},
		{kind: mutExec, sql: `DELETE FROM items WHERE tid = ?`, args: []any{m.ID}},
	}
	var sm *streamMeta
	if m.StreamArn != "" {
		if cur := s.streams[m.StreamArn]; cur != nil && cur.Disabled.IsZero() {
			c := *cur
			c.Disabled = time.Now().UTC()
			sm = &c
			muts = append(muts, sm.mutation())
		}
	}
	if err := s.com.commit(muts); err != nil {
		return nil, err
	}
	if sm != nil {
		s.streams[sm.Arn] = sm
	}
	desc := t.describe("DELETING")
	t.deleted = true
	delete(s.tables, tableKey{m.Account, m.Region, m.Name})
	return map[string]any{"TableDescription": desc}, nil
}

type updateTableInput struct {
	TableName                   string         `json:"TableName"`
	AttributeDefinitions        []attrDef      `json:"AttributeDefinitions"`
	BillingMode                 string         `json:"BillingMode"`
	ProvisionedThroughput       *throughput    `json:"ProvisionedThroughput"`
	StreamSpecification         *streamSpec    `json:"StreamSpecification"`
	SSESpecification            *sseSpec       `json:"SSESpecification"`
	DeletionProtection          *bool          `json:"DeletionProtectionEnabled"`
	TableClass                  string         `json:"TableClass"`
	GlobalSecondaryIndexUpdates []gsiUpdateReq `json:"GlobalSecondaryIndexUpdates"`
}

type gsiUpdateReq struct {
	Create *indexInput `json:"Create"`
	Update *struct {
		IndexName             string      `json:"IndexName"`
		ProvisionedThroughput *throughput `json:"ProvisionedThroughput"`
	} `json:"Update"`
	Delete *struct {
		IndexName string `json:"IndexName"`
	} `json:"Delete"`
}

func (s *Service) updateTable(ctx context.Context, body []byte) (any, error) {
	var in updateTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	s.mu.Lock() // streams map
	defer s.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, notFoundTable(t.meta.Name)
	}
	meta := t.meta // copy; slices are replaced, not mutated
	meta.GSIs = append([]indexMeta(nil), t.meta.GSIs...)
	meta.AttributeDefinitions = append([]attrDef(nil), t.meta.AttributeDefinitions...)
	now := time.Now().UTC()
	changed := false
	if in.BillingMode != "" {
		if in.BillingMode != "PROVISIONED" && in.BillingMode != "PAY_PER_REQUEST" {
			return nil, validationf("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
		}
		if in.BillingMode != meta.BillingMode {
			meta.BillingMode = in.BillingMode
			if in.BillingMode == "PAY_PER_REQUEST" {
				meta.RCU, meta.WCU = 0, 0
				meta.BillingModeUpdated = now
				for i := range meta.GSIs {
					meta.GSIs[i].RCU, meta.GSIs[i].WCU = 0, 0
				}
			} else if in.ProvisionedThroughput == nil {
				return nil, validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
			}
			changed = true
		}
	}
	if in.ProvisionedThroughput != nil {
		rcu, wcu, err := validateThroughput(meta.BillingMode, in.ProvisionedThroughput, "")
		if err != nil {
			return nil, err
		}
		meta.RCU, meta.WCU = rcu, wcu
		changed = true
	}
	if in.DeletionProtection != nil {
		meta.DeletionProtection = *in.DeletionProtection
		changed = true
	}
	if in.TableClass != "" {
		meta.TableClass = in.TableClass
		changed = true
	}
	if sse := in.SSESpecification; sse != nil {
		meta.SSEEnabled = boolv(sse.Enabled)
		meta.SSEType = sse.SSEType
		if meta.SSEEnabled && meta.SSEType == "" {
			meta.SSEType = "KMS"
		}
		meta.KMSKey = sse.KMSMasterKeyId
		changed = true
	}
	var muts []mutation
	var newStreams []*streamMeta
	if ss := in.StreamSpecification; ss != nil {
		enable := boolv(ss.StreamEnabled)
		switch {
		case enable && meta.StreamEnabled:
			return nil, validationf("Table already has an enabled stream: %s", meta.StreamArn)
		case enable:
			if !validViewType(ss.StreamViewType) {
				return nil, validationf("One or more parameter values were invalid: StreamViewType must be specified and valid when StreamEnabled is true")
			}
			meta.StreamEnabled = true
			meta.StreamViewType = ss.StreamViewType
			sm := s.newStream(&meta, now)
			newStreams = append(newStreams, sm)
			muts = append(muts, sm.mutation())
		case meta.StreamEnabled:
			meta.StreamEnabled = false
			meta.StreamViewType = ""
			if cur := s.streams[meta.StreamArn]; cur != nil {
				c := *cur
				c.Disabled = now
				newStreams = append(newStreams, &c)
				muts = append(muts, c.mutation())
			}
		default:
			return nil, validationf("Table already has no stream enabled")
		}
		changed = true
	}
	if len(in.AttributeDefinitions) > 0 {
		for _, d := range in.AttributeDefinitions {
			found := false
			for i := range meta.AttributeDefinitions {
				if meta.AttributeDefinitions[i].AttributeName == d.AttributeName {
					meta.AttributeDefinitions[i] = d
					found = true
				}
			}
			if !found {
				meta.AttributeDefinitions = append(meta.AttributeDefinitions, d)
			}
		}
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			names := map[string]bool{}
			for _, g := range meta.GSIs {
				names[g.IndexName] = true
			}
			for _, l := range meta.LSIs {
				names[l.IndexName] = true
			}
			if names[u.Create.IndexName] {
				return nil, validationf("One or more parameter values were invalid: Index %s already exists", u.Create.IndexName)
			}
			check := func(ks []keyElement) error {
				for _, k := range ks {
					if meta.attrKind(k.AttributeName) == attr.Invalid {
						return validationf("One or more parameter values were invalid: Global Secondary Index key attribute %s is not defined in AttributeDefinitions", k.AttributeName)
					}
				}
				return nil
			}
			im, err := validateIndex(*u.Create, meta.BillingMode, names, check)
			if err != nil {
				return nil, err
			}
			meta.GSIs = append(meta.GSIs, im)
		case u.Update != nil:
			found := false
			for i := range meta.GSIs {
				if meta.GSIs[i].IndexName == u.Update.IndexName {
					rcu, wcu, err := validateThroughput(meta.BillingMode, u.Update.ProvisionedThroughput, u.Update.IndexName)
					if err != nil {
						return nil, err
					}
					meta.GSIs[i].RCU, meta.GSIs[i].WCU = rcu, wcu
					found = true
				}
			}
			if !found {
				return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Index: %s not found", u.Update.IndexName)
			}
		case u.Delete != nil:
			found := false
			for i := range meta.GSIs {
				if meta.GSIs[i].IndexName == u.Delete.IndexName {
					meta.GSIs = append(meta.GSIs[:i:i], meta.GSIs[i+1:]...)
					found = true
					break
				}
			}
			if !found {
				return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Index: %s not found", u.Delete.IndexName)
			}
		}
		changed = true
	}
	if !changed && len(in.AttributeDefinitions) == 0 {
		return nil, validationf("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	mb, _ := json.Marshal(&meta)
	muts = append(muts, mutation{kind: mutExec, sql: `UPDATE tables SET meta = ? WHERE account = ? AND region = ? AND name = ?`, args: []any{mb, meta.Account, meta.Region, meta.Name}})
	if err := s.com.commit(muts); err != nil {
		return nil, err
	}
	gsiChanged := len(in.GlobalSecondaryIndexUpdates) > 0
	t.meta = meta
	if gsiChanged {
		t.rebuildIndexes()
	}
	for _, sm := range newStreams {
		s.streams[sm.Arn] = sm
	}
	return map[string]any{"TableDescription": t.describe("ACTIVE")}, nil
}

// saveMeta persists t.meta; the caller holds t.mu.
func (s *Service) saveMeta(t *table) error {
	mb, _ := json.Marshal(&t.meta)
	return s.com.commit([]mutation{{kind: mutExec, sql: `UPDATE tables SET meta = ? WHERE account = ? AND region = ? AND name = ?`, args: []any{mb, t.meta.Account, t.meta.Region, t.meta.Name}}})
}

type resourceArnInput struct {
	ResourceArn string `json:"ResourceArn"`
	Tags        []tag  `json:"Tags"`
	TagKeys     []string
	NextToken   string `json:"NextToken"`
}

// tableByARN finds the caller's table from a resource ARN.
func (s *Service) tableByARN(ctx context.Context, arn string) (*table, error) {
	id := protocol.IdentityFrom(ctx)
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "dynamodb" || !strings.HasPrefix(a.Resource, "table/") {
		return nil, validationf("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	if a.Account != id.AccountID || a.Region != id.Region {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	}
	t, err := s.lookup(ctx, arn)
	if err != nil {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	}
	return t, nil
}

func (s *Service) tagResource(ctx context.Context, body []byte) (any, error) {
	var in resourceArnInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	t, err := s.tableByARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.meta.Tags
	tags := append([]tag(nil), old...)
	for _, nt := range in.Tags {
		replaced := false
		for i := range tags {
			if tags[i].Key == nt.Key {
				tags[i].Value = nt.Value
				replaced = true
			}
		}
		if !replaced {
			tags = append(tags, nt)
		}
	}
	if len(tags) > 50 {
		return nil, validationf("One or more parameter values were invalid: The number of tags exceeds the limit of 50")
	}
	t.meta.Tags = tags
	if err := s.saveMeta(t); err != nil {
		t.meta.Tags = old
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) untagResource(ctx context.Context, body []byte) (any, error) {
	var in resourceArnInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.tableByARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.meta.Tags
	var tags []tag
	for _, tg := range old {
		drop := false
		for _, k := range in.TagKeys {
			if tg.Key == k {
				drop = true
			}
		}
		if !drop {
			tags = append(tags, tg)
		}
	}
	t.meta.Tags = tags
	if err := s.saveMeta(t); err != nil {
		t.meta.Tags = old
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listTagsOfResource(ctx context.Context, body []byte) (any, error) {
	var in resourceArnInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.tableByARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	tags := append([]tag{}, t.meta.Tags...)
	return map[string]any{"Tags": tags}, nil
}

func (s *Service) describeContinuousBackups(ctx context.Context, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, protocol.Errorf("TableNotFoundException", "Table not found: %s", in.TableName)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return map[string]any{"ContinuousBackupsDescription": continuousBackups(&t.meta)}, nil
}

func continuousBackups(m *tableMeta) map[string]any {
	pitr := map[string]any{"PointInTimeRecoveryStatus": "DISABLED"}
	if m.PITR {
		now := time.Now().UTC()
		earliest := now.Add(-35 * 24 * time.Hour)
		if m.Created.After(earliest) {
			earliest = m.Created
		}
		pitr = map[string]any{
			"PointInTimeRecoveryStatus":  "ENABLED",
			"EarliestRestorableDateTime": epoch(earliest),
			"LatestRestorableDateTime":   epoch(now.Add(-5 * time.Minute).Truncate(time.Second)),
			"RecoveryPeriodInDays":       35,
		}
	}
	return map[string]any{"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}
}

type updateContinuousBackupsInput struct {
	TableName                        string `json:"TableName"`
	PointInTimeRecoverySpecification *struct {
		PointInTimeRecoveryEnabled *bool `json:"PointInTimeRecoveryEnabled"`
		RecoveryPeriodInDays       *int  `json:"RecoveryPeriodInDays"`
	} `json:"PointInTimeRecoverySpecification"`
}

func (s *Service) updateContinuousBackups(ctx context.Context, body []byte) (any, error) {
	var in updateContinuousBackupsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.PointInTimeRecoverySpecification == nil || in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled == nil {
		return nil, validationf("1 validation error detected: Value null at 'pointInTimeRecoverySpecification' failed to satisfy constraint: Member must not be null")
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, protocol.Errorf("TableNotFoundException", "Table not found: %s", in.TableName)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.meta.PITR
	t.meta.PITR = *in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
	if err := s.saveMeta(t); err != nil {
		t.meta.PITR = old
		return nil, err
	}
	return map[string]any{"ContinuousBackupsDescription": continuousBackups(&t.meta)}, nil
}

func (s *Service) describeTimeToLive(ctx context.Context, body []byte) (any, error) {
	var in tableNameInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := map[string]any{"TimeToLiveStatus": "DISABLED"}
	if t.meta.TTLEnabled {
		d = map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": t.meta.TTLAttribute}
	}
	return map[string]any{"TimeToLiveDescription": d}, nil
}

type updateTTLInput struct {
	TableName               string `json:"TableName"`
	TimeToLiveSpecification *struct {
		Enabled       *bool  `json:"Enabled"`
		AttributeName string `json:"AttributeName"`
	} `json:"TimeToLiveSpecification"`
}

func (s *Service) updateTimeToLive(ctx context.Context, body []byte) (any, error) {
	var in updateTTLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec == nil || spec.Enabled == nil || spec.AttributeName == "" {
		return nil, validationf("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
	}
	t, err := s.lookup(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if *spec.Enabled == t.meta.TTLEnabled {
		if *spec.Enabled {
			return nil, validationf("TimeToLive is already enabled")
		}
		return nil, validationf("TimeToLive is already disabled")
	}
	old := t.meta
	t.meta.TTLEnabled = *spec.Enabled
	t.meta.TTLAttribute = spec.AttributeName
	if err := s.saveMeta(t); err != nil {
		t.meta = old
		return nil, err
	}
	return map[string]any{"TimeToLiveSpecification": map[string]any{"Enabled": *spec.Enabled, "AttributeName": spec.AttributeName}}, nil
}

func (s *Service) describeLimits(ctx context.Context, body []byte) (any, error) {
	return map[string]any{
		"AccountMaxReadCapacityUnits":  80000,
		"AccountMaxWriteCapacityUnits": 80000,
		"TableMaxReadCapacityUnits":    40000,
		"TableMaxWriteCapacityUnits":   40000,
	}, nil
}

func (s *Service) describeEndpoints(ctx context.Context, body []byte) (any, error) {
	addr := s.cfg.Endpoint
	if i := strings.Index(addr, "://"); i >= 0 {
		addr = addr[i+3:]
	}
	if addr == "" {
		id := protocol.IdentityFrom(ctx)
		addr = fmt.Sprintf("dynamodb.%s.amazonaws.com", id.Region)
	}
	return map[string]any{"Endpoints": []map[string]any{{"Address": addr, "CachePeriodInMinutes": 1440}}}, nil
}
