package dynamo

import (
	"slices"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
)

// keyPathErr refuses a projection or filter that goes into a key attribute
// ("a.b", "#a[0]" where a is a key): key attributes are scalars. heads are
// the attributes the expression's nested paths begin with. The table's own
// keys are named first (Key: a), then the global and local indexes' keys
// (IndexKey: c), as DynamoDB does; the caller holds t.mu.
func (t *table) keyPathErr(heads []string) error {
	if len(heads) == 0 {
		return nil
	}
	for _, k := range t.meta.KeySchema {
		if slices.Contains(heads, k.AttributeName) {
			return validationf("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: %s", k.AttributeName)
		}
	}
	for _, g := range t.meta.GSIs {
		for _, k := range g.KeySchema {
			if slices.Contains(heads, k.AttributeName) {
				return validationf("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: %s", k.AttributeName)
			}
		}
	}
	for _, l := range t.meta.LSIs {
		if k := l.KeySchema[len(l.KeySchema)-1]; slices.Contains(heads, k.AttributeName) {
			return validationf("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: IndexKey: %s", k.AttributeName)
		}
	}
	return nil
}

// projectionHeads are the heads of a projection's nested paths.
func projectionHeads(p *expr.Projection, names expr.Names) []string {
	if p == nil {
		return nil
	}
	return p.NestedHeads(names)
}

// projectionKeyPaths checks a read's projection for nested paths into key
// attributes; the caller holds r.t.mu.
func (r *reader) projectionKeyPaths() error {
	return r.t.keyPathErr(projectionHeads(r.proj.p, r.names))
}

// filterKeyPaths checks a read's filter likewise.
func (r *reader) filterKeyPaths() error {
	if r.filter == nil {
		return nil
	}
	return r.t.keyPathErr(r.filter.NestedHeads(r.names))
}

// checkUpdateKeys refuses, from the update expression alone and before the
// item is read, as DynamoDB does: an action on the table's key attributes,
// then a value of the wrong type for a secondary index key, then a nested
// path into a key attribute (written or read); the caller holds t.mu.
func (t *table) checkUpdateKeys(u *expr.Update, names expr.Names, values expr.Values) error {
	if u == nil {
		return nil
	}
	targets := u.Targets(names, values)
	for _, tg := range targets {
		if tg.Head == t.key.hash || (t.key.rng != "" && tg.Head == t.key.rng) {
			return validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", tg.Head)
		}
	}
	// The first index (in checkIndexKeys's order) that a written type breaks.
	typed := attr.Item{}
	for _, tg := range targets {
		if !tg.Nested && tg.Kind != attr.Invalid {
			typed[tg.Head] = attr.Value{Kind: tg.Kind, Str: "x", Bytes: []byte("x")}
		}
	}
	if err := t.checkIndexKeys(typed); err != nil {
		return err
	}
	heads := u.OperandNestedHeads(names)
	for _, tg := range targets {
		if tg.Nested {
			heads = append(heads, tg.Head)
		}
	}
	return t.keyPathErr(heads)
}
