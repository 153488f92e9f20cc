package dynamo

import (
	"sort"
	"strconv"
	"sync"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// keyDef is the key schema of a table or an index: attribute names and
// their scalar types (S, N or B). rng is empty for hash-only keys.
type keyDef struct {
	hash, rng         string
	hashKind, rngKind attr.Kind
}

// keyString is the order-preserving encoding of a key value (attr.KeyBytes):
// byte order is DynamoDB's key order and equal numbers encode alike.
func keyString(v attr.Value) string { return string(attr.KeyBytes(v)) }

// entry is one item in a partition, ordered by sk (then tie, for indexes
// where several items share an index key). The item is kept encoded
// (encodeItem's JSON, the bytes the journal and SQLite hold) and decoded
// when read: an attr.Item of five attributes takes about 1.3 KB of
// pointer-rich memory that every garbage collection scans, its encoding
// a few hundred bytes the collector does not look into. Secondary indexes
// share the base entry's bytes.
type entry struct {
	sk   string
	tie  string
	enc  []byte
	size int32 // itemSize of the item
	page int32 // pageSize of the item
}

// load decodes the entry's item; the caller owns the result.
func (e *entry) load() attr.Item { return decodeStored(e.enc) }

type partition struct {
	entries []entry
	prefix  string // hashPrefix of the partition key, once scanned
}

// index is an in-memory ordered collection of items: the base table or a
// secondary index. Partitions are looked up by hash key; within a partition
// entries are sorted by range key.
type index struct {
	def      keyDef
	parts    map[string]*partition
	order    []string // partition keys in scan order (scanKey); rebuilt when dirty
	scanKeys []string // their scanKeys, for searching order
	dirty    bool
	// orderMu guards order: readers holding the table's read lock rebuild it.
	orderMu sync.Mutex
	count   int
	bytes   int64
	global  bool
}

func newIndex(def keyDef, global bool) *index {
	return &index{def: def, parts: map[string]*partition{}, global: global}
}

func (ix *index) less(p *partition, i int, sk, tie string) bool {
	e := &p.entries[i]
	if e.sk != sk {
		return e.sk < sk
	}
	return e.tie < tie
}

// search returns the position of (sk, tie) in p and whether it is there.
func (ix *index) search(p *partition, sk, tie string) (int, bool) {
	i := sort.Search(len(p.entries), func(i int) bool { return !ix.less(p, i, sk, tie) })
	found := i < len(p.entries) && p.entries[i].sk == sk && p.entries[i].tie == tie
	return i, found
}

// get returns the item at (pk, sk, tie), decoded, or nil.
func (ix *index) get(pk, sk, tie string) attr.Item {
	if e, ok := ix.find(pk, sk, tie); ok {
		return e.load()
	}
	return nil
}

// find returns a copy of the entry at (pk, sk, tie); its bytes are never
// changed in place, so the copy stays valid after the lock is released.
func (ix *index) find(pk, sk, tie string) (entry, bool) {
	p := ix.parts[pk]
	if p == nil {
		return entry{}, false
	}
	i, ok := ix.search(p, sk, tie)
	if !ok {
		return entry{}, false
	}
	return p.entries[i], true
}

// put stores enc, an item of itemSize size and pageSize page, at (pk, sk, tie).
func (ix *index) put(pk, sk, tie string, enc []byte, size, page int) {
	p := ix.parts[pk]
	if p == nil {
		p = &partition{}
		ix.parts[pk] = p
		ix.dirty = true
	}
	i, ok := ix.search(p, sk, tie)
	if ok {
		ix.bytes += int64(size) - int64(p.entries[i].size)
		p.entries[i].enc, p.entries[i].size, p.entries[i].page = enc, int32(size), int32(page)
		return
	}
	p.entries = append(p.entries, entry{})
	copy(p.entries[i+1:], p.entries[i:])
	p.entries[i] = entry{sk: sk, tie: tie, enc: enc, size: int32(size), page: int32(page)}
	ix.count++
	ix.bytes += int64(size)
}

func (ix *index) remove(pk, sk, tie string) {
	p := ix.parts[pk]
	if p == nil {
		return
	}
	i, ok := ix.search(p, sk, tie)
	if !ok {
		return
	}
	ix.bytes -= int64(p.entries[i].size)
	p.entries = append(p.entries[:i], p.entries[i+1:]...)
	ix.count--
	if len(p.entries) == 0 {
		delete(ix.parts, pk)
		ix.dirty = true
	}
}

// partitionOrder returns the partition keys in scan order, and the
// position in it of the first partition at or after pk's (pk "": 0).
func (ix *index) partitionOrder(pk string) ([]string, int) {
	ix.orderMu.Lock()
	defer ix.orderMu.Unlock()
	if ix.dirty || ix.order == nil {
		keys := make([]string, 0, len(ix.parts))
		for k := range ix.parts {
			keys = append(keys, ix.scanKey(k))
		}
		sort.Strings(keys)
		order := make([]string, len(keys))
		for i, k := range keys {
			order[i] = k[hashPrefixLen:]
		}
		ix.order, ix.scanKeys = order, keys
		ix.dirty = false
	}
	if pk == "" {
		return ix.order, 0
	}
	return ix.order, sort.SearchStrings(ix.scanKeys, ix.scanKey(pk))
}

// indexKeys extracts an item's key strings for ix: ok is false when the
// item lacks the index's key attributes (sparse index) .
func (ix *index) keys(item attr.Item) (pk, sk string, ok bool) {
	h, ok := item[ix.def.hash]
	if !ok || h.Kind != ix.def.hashKind {
		return "", "", false
	}
	pk = keyString(h)
	if ix.def.rng != "" {
		r, ok := item[ix.def.rng]
		if !ok || r.Kind != ix.def.rngKind {
			return "", "", false
		}
		sk = keyString(r)
	}
	return pk, sk, true
}

// tieOf is the unique suffix that orders items sharing an index key: the
// hash prefix of the base table key (as DynamoDB orders them), then the
// key itself.
func tieOf(pk, sk string) string {
	return hashPrefix(pk, sk) + strconv.Itoa(len(pk)) + ":" + pk + sk
}
