package dynamo

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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
	provisioned
	// CreatingUntil is when a GSI added by UpdateTable has finished
	// backfilling.
	CreatingUntil time.Time `json:"CreatingUntil,omitzero"`
}

// provisioned is the provisioned throughput of a table or a global index,
// and its last change: the values before it (shown while it is UPDATING),
// when it was asked for and when it took effect, and the decreases counted
// once they took effect. Its fields are persisted as the table's or the
// index's own.
type provisioned struct {
	RCU           int64     `json:"RCU,omitempty"`
	WCU           int64     `json:"WCU,omitempty"`
	OldRCU        int64     `json:"OldRCU,omitempty"`
	OldWCU        int64     `json:"OldWCU,omitempty"`
	IncreaseAsked time.Time `json:"IncreaseAsked,omitzero"`
	IncreaseDone  time.Time `json:"IncreaseDone,omitzero"`
	DecreaseAsked time.Time `json:"DecreaseAsked,omitzero"`
	DecreaseDone  time.Time `json:"DecreaseDone,omitzero"`
	Decreases     int       `json:"Decreases,omitempty"`
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
	provisioned
	GSIs               []indexMeta `json:"GSIs,omitempty"`
	LSIs               []indexMeta `json:"LSIs,omitempty"`
	StreamEnabled      bool        `json:"StreamEnabled,omitempty"`
	StreamViewType     string      `json:"StreamViewType,omitempty"`
	StreamArn          string      `json:"StreamArn,omitempty"`
	StreamLabel        string      `json:"StreamLabel,omitempty"`
	Tags               []tag       `json:"Tags,omitempty"`
	PITR               bool        `json:"PITR,omitempty"`
	TTLAttribute       string      `json:"TTLAttribute,omitempty"`
	TTLEnabled         bool        `json:"TTLEnabled,omitempty"`
	SSEEnabled         bool        `json:"SSEEnabled,omitempty"`
	SSEType            string      `json:"SSEType,omitempty"`
	KMSKey             string      `json:"KMSKey,omitempty"`
	DeletionProtection bool        `json:"DeletionProtection,omitempty"`
	TableClass         string      `json:"TableClass,omitempty"`
	// Pending is CREATING or UPDATING until PendingUntil (see lifecycle.go).
	Pending      string    `json:"Pending,omitempty"`
	PendingUntil time.Time `json:"PendingUntil,omitzero"`
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
	idx map[string]*indexMeta
	// deleted is set by DeleteTable: the table is DELETING until goneAt
	// (unix nanoseconds), then no longer exists.
	deleted bool
	goneAt  atomic.Int64
	// creatingUntil (unix nanoseconds) is when a CREATING table becomes
	// ACTIVE; 0 once it is.
	creatingUntil atomic.Int64
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
	if meta.Pending == statusCreating {
		t.creatingUntil.Store(meta.PendingUntil.UnixNano())
	}
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
					ip.entries = append(ip.entries, entry{sk: sk, tie: tie, enc: e.enc, size: e.size, page: e.page})
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
func (t *table) indexItem(item attr.Item, enc []byte, size, page int) {
	if len(t.gsis) == 0 && len(t.lsis) == 0 {
		return
	}
	bpk, bsk, _ := t.base.keys(item)
	tie := tieOf(bpk, bsk)
	add := func(ix *index) {
		if pk, sk, ok := ix.keys(item); ok {
			ix.put(pk, sk, tie, enc, size, page)
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
	size, page := itemSize(item), pageSize(item, t.key.rng)
	t.base.put(pk, sk, "", enc, size, page)
	t.indexItem(item, enc, size, page)
}

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// resolveName accepts a table name or a table ARN.
func resolveName(id protocol.Identity, s string) string {
	if a, ok := protocol.ParseARN(s); ok && a.Service == "dynamodb" {
		if a.Account != id.AccountID || a.Region != id.Region || a.Partition != protocol.Partition(id.Region) {
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
	key := tableKey{id.AccountID, id.Region, name}
	s.mu.RLock()
	t := s.tables[key]
	s.mu.RUnlock()
	if t != nil && t.gone(s.now()) {
		s.dropGone(key, t)
		t = nil
	}
	if t == nil {
		return nil, notFoundTable(name)
	}
	return t, nil
}

// lookupForItems is lookup with the message item operations answer; a
// table that is still CREATING or already DELETING cannot be read or
// written, as on DynamoDB.
func (s *Service) lookupForItems(ctx context.Context, name string) (*table, error) {
	t, err := s.lookup(ctx, name)
	if err != nil {
		if pe, ok := err.(*protocol.Error); ok && pe.Code == "ResourceNotFoundException" {
			return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
		}
		return nil, err
	}
	if t.goneAt.Load() != 0 || t.creating(s.now()) {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
	}
	return t, nil
}
