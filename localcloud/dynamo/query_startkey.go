package dynamo

import (
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
)

// DynamoDB checks a Query's ExclusiveStartKey in two steps around matching
// the key conditions to the key schema, with these messages (as a
// conformance suite run against DynamoDB records them, with KeyConditions
// and with KeyConditionExpression alike).
const (
	msgStartInvalid  = "The provided starting key is invalid"
	msgKeyMismatch   = "The provided key element does not match the schema"
	msgStartOutside  = "The provided starting key is outside query boundaries based on provided conditions"
	msgStartNotRange = "The provided starting key does not match the range key predicate"
	msgStartOneRow   = "The query can return at most one row and cannot be restarted"
)

// startKeyShape is the first step, before the key conditions: the start
// key names as many attributes as the table's and the index's keys
// together, among them the index's partition key, of its type. The caller
// holds t.mu and has picked the index.
func (r *reader) startKeyShape(esk attr.Item) error {
	want := 1
	if r.t.key.rng != "" {
		want++
	}
	if r.im != nil {
		for _, k := range []string{r.ix.def.hash, r.ix.def.rng} {
			if k != "" && k != r.t.key.hash && k != r.t.key.rng {
				want++
			}
		}
	}
	h, ok := esk[r.ix.def.hash]
	if len(esk) != want || !ok {
		return validationf(msgStartInvalid)
	}
	if _, ok := esk[r.ix.def.rng]; r.ix.global && r.ix.def.rng != "" && !ok {
		// A global index's sort key missing from a start key of the right
		// size (a local index's is checked with the key condition).
		return validationf(msgStartInvalid)
	}
	if h.Kind != r.ix.def.hashKind {
		return validationf(msgKeyMismatch)
	}
	return nil
}

// startKeyBounds is the second step, once kc fits the schema: the index's
// sort key, then the table's own keys (for an index), then the start key
// against the conditions: the sort key condition first, then the
// partition key.
func (r *reader) startKeyBounds(esk attr.Item, kc expr.KeyCondition) error {
	def := r.ix.def
	if def.rng != "" {
		v, ok := esk[def.rng]
		if !ok {
			return validationf(msgStartInvalid)
		}
		if v.Kind != def.rngKind {
			return validationf(msgKeyMismatch)
		}
	}
	if r.im != nil {
		for _, k := range []struct {
			name string
			kind attr.Kind
		}{{r.t.key.hash, r.t.key.hashKind}, {r.t.key.rng, r.t.key.rngKind}} {
			if k.name == "" || k.name == def.hash || k.name == def.rng {
				continue
			}
			if v, ok := esk[k.name]; !ok || v.Kind != k.kind {
				return validationf("%s: %s", msgStartInvalid, msgKeyMismatch)
			}
		}
	}
	if kc.Range != nil && !kc.Range.Match(esk[def.rng]) {
		return validationf(msgStartNotRange)
	}
	if keyString(esk[def.hash]) != keyString(kc.Hash) {
		if kc.Range != nil {
			return validationf(msgStartOneRow)
		}
		return validationf(msgStartOutside)
	}
	return nil
}
