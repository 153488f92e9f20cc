package dynamo

import (
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// DynamoDB checks a Scan's ExclusiveStartKey in two steps around Select
// (dynalite's test/scan.js, recorded from DynamoDB): its shape against the
// keys read, then its place in the table.

// scanStartKeyShape is the first step, once the index is picked: the start
// key names exactly the table's and the index's key attributes, and, on an
// index, the index's keys are there, of their types. The caller holds t.mu.
func (r *reader) scanStartKeyShape(esk attr.Item) error {
	names := map[string]bool{r.t.key.hash: true}
	if r.t.key.rng != "" {
		names[r.t.key.rng] = true
	}
	if r.im != nil {
		names[r.ix.def.hash] = true
		if r.ix.def.rng != "" {
			names[r.ix.def.rng] = true
		}
	}
	if len(esk) != len(names) {
		if r.im != nil {
			return validationf(msgStartInvalid)
		}
		return validationf("%s: %s", msgStartInvalid, msgKeyMismatch)
	}
	if r.im == nil {
		return nil
	}
	for _, k := range []struct {
		name string
		kind attr.Kind
	}{{r.ix.def.hash, r.ix.def.hashKind}, {r.ix.def.rng, r.ix.def.rngKind}} {
		if k.name == "" {
			continue
		}
		v, ok := esk[k.name]
		if !ok {
			return validationf(msgStartInvalid)
		}
		if v.Kind != k.kind {
			return validationf(msgKeyMismatch)
		}
	}
	return nil
}

// scanStartKeyPlace is the second step, after Select: the table's key in
// the start key, of its types, and in the segment scanned (of total).
func (r *reader) scanStartKeyPlace(esk attr.Item, seg, total int) error {
	for _, k := range []struct {
		name string
		kind attr.Kind
	}{{r.t.key.hash, r.t.key.hashKind}, {r.t.key.rng, r.t.key.rngKind}} {
		if k.name == "" {
			continue
		}
		if v, ok := esk[k.name]; !ok || v.Kind != k.kind {
			return validationf("%s: %s", msgStartInvalid, msgKeyMismatch)
		}
	}
	if total > 1 && segmentOf(esk[r.ix.def.hash], total) != seg {
		return validationf("%s: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: %d Segment: %d", msgStartInvalid, total, seg)
	}
	return nil
}
