package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// write changes the item at (pk, sk) from old to item (nil deletes) in
// memory and returns the mutations that make it durable, including the
// stream record. The caller holds t.mu and submits the mutations before
// releasing it.
//
// A write that changes nothing (deleting a missing item, putting or updating
// an item to what it already is) writes no stream record, as AWS documents,
// and returns no mutations; callers still submit the empty list, which
// orders their answer after the commits it may depend on.
func (t *table) write(pk, sk string, old, item attr.Item, now time.Time) []mutation {
	if old == nil && item == nil || sameItem(old, item) {
		return nil
	}
	muts := make([]mutation, 0, 2)
	var b []byte
	if item == nil {
		muts = append(muts, mutation{kind: mutDeleteItem, tid: t.meta.ID, pk: pk, sk: sk})
	} else {
		b, _ = encodeItem(nil, item)
		muts = append(muts, mutation{kind: mutPutItem, tid: t.meta.ID, pk: pk, sk: sk, data: b})
	}
	if r, ok := t.streamRecord(old, item, now); ok {
		muts = append(muts, r)
	}
	t.set(pk, sk, old, item, b)
	return muts
}

// sameItem reports whether two existing items hold the same attributes.
func sameItem(a, b attr.Item) bool {
	if a == nil || b == nil || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !attr.Equal(v, w) {
			return false
		}
	}
	return true
}

// await waits for a commit; on failure the affected tables are reloaded
// from the database so memory matches what is durable.
func (s *Service) await(done chan error, tables ...*table) error {
	err := <-done
	if err == nil {
		return nil
	}
	if err == errClosed {
		return err
	}
	// Memory holds a change that did not commit: reload the tables from
	// SQLite, once everything that did commit is there.
	if serr := s.com.sync(); serr != nil {
		s.log.Error("copy the journal before reloading tables", "err", serr)
	}
	for _, t := range tables {
		t.mu.Lock()
		t.base = nil
		t.base = newIndex(t.key, false)
		if lerr := s.loadItems(t, false); lerr != nil {
			s.log.Error("reload table after failed commit", "table", t.meta.Name, "err", lerr)
		}
		t.mu.Unlock()
	}
	return fmt.Errorf("commit: %w", err)
}

// lockForWrite takes t.mu for a single-item write and returns the item at
// (pk, sk) once the table still exists, check (if any) passed and cond (if
// any) holds for it; on an error the lock is released. A failed condition
// still consumes the write's units (the old item's, at least one), as
// DynamoDB charges them.
func (t *table) lockForWrite(ctx context.Context, pk, sk string, check func() error, cond *expr.Condition, names expr.Names, values expr.Values, rvOnFailure string) (attr.Item, error) {
	t.mu.Lock()
	if t.deleted {
		t.mu.Unlock()
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
	}
	if check != nil {
		if err := check(); err != nil {
			t.mu.Unlock()
			return nil, err
		}
	}
	old := t.base.get(pk, sk, "")
	if cond != nil {
		ok, err := cond.Eval(orEmpty(old), names, values)
		if err != nil {
			t.mu.Unlock()
			return nil, apiError(err)
		}
		if !ok {
			t.mu.Unlock()
			meterUnits(ctx, t.meta.Name, writeUnits(old), false)
			return nil, condFailed(old, rvOnFailure)
		}
	}
	return old, nil
}

func condFailed(old attr.Item, rv string) error {
	e := protocol.Errorf("ConditionalCheckFailedException", "The conditional request failed")
	if rv == "ALL_OLD" && old != nil {
		e.Fields = map[string]any{"Item": old}
	}
	return e
}

func checkRVOnFailure(rv string) error {
	switch rv {
	case "", "NONE", "ALL_OLD":
		return nil
	}
	return validationf("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", rv)
}

func orEmpty(item attr.Item) attr.Item {
	if item == nil {
		return attr.Item{}
	}
	return item
}

type putItemInput struct {
	TableName           string   `json:"TableName"`
	Item                fastItem `json:"Item"`
	ConditionExpression *string  `json:"ConditionExpression"`
	ReturnValues        string   `json:"ReturnValues"`
	exprFields
}

func (s *Service) putItem(ctx context.Context, body []byte) (any, error) {
	var in putItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// DynamoDB checks the request (item, then expressions) before it
	// looks the table up.
	newItem := attr.Item(in.Item)
	if newItem == nil {
		return nil, validationf("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
	}
	if err := normalizeItem(newItem); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD":
	default:
		return nil, validationf("ReturnValues can only be ALL_OLD or NONE")
	}
	if err := checkItemSize(newItem); err != nil {
		return nil, err
	}
	if err := checkRVOnFailure(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	cond, err := parseCondition(in.ConditionExpression)
	if err != nil {
		return nil, err
	}
	names, values, err := in.prepare(usedCond(cond))
	if err != nil {
		return nil, err
	}
	t, err := s.lookupForItems(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.itemKeys(newItem)
	if err != nil {
		return nil, err
	}
	old, err := t.lockForWrite(ctx, pk, sk, func() error { return t.checkIndexKeys(newItem) }, cond, names, values, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	muts := t.write(pk, sk, old, newItem, time.Now())
	done := s.com.submit(muts)
	gsis := t.gsisOf(old, newItem)
	t.mu.Unlock()
	if err := s.await(done, t); err != nil {
		return nil, err
	}
	out := map[string]any{}
	if in.ReturnValues == "ALL_OLD" && old != nil {
		out["Attributes"] = old
	}
	if c := capacity(ctx, in.ReturnConsumedCapacity, t, writeUnits(old, newItem), false, gsis...); c != nil {
		out["ConsumedCapacity"] = c
	}
	return out, nil
}

type getItemInput struct {
	TableName            string   `json:"TableName"`
	Key                  fastItem `json:"Key"`
	ConsistentRead       bool     `json:"ConsistentRead"`
	ProjectionExpression *string  `json:"ProjectionExpression"`
	AttributesToGet      []string `json:"AttributesToGet"`
	exprFields
}

// projector applies a ProjectionExpression or AttributesToGet.
type projector struct {
	p     *expr.Projection
	attrs []string
	names expr.Names
}

// all reports whether pr keeps every attribute.
func (pr projector) all() bool { return pr.p == nil && pr.attrs == nil }

func (pr projector) apply(item attr.Item) attr.Item {
	switch {
	case pr.p != nil:
		return pr.p.Apply(item, pr.names)
	case pr.attrs != nil:
		out := attr.Item{}
		for _, a := range pr.attrs {
			if v, ok := item[a]; ok {
				out[a] = v
			}
		}
		return out
	}
	return item
}

func newProjector(pexpr *string, attrs []string, f *exprFields, extra ...expr.Used) (projector, expr.Names, expr.Values, error) {
	p, err := parseProjection(pexpr)
	if err != nil {
		return projector{}, nil, nil, err
	}
	if p != nil && attrs != nil {
		return projector{}, nil, nil, validationf("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
	}
	names, values, err := f.prepare(append(extra, usedProj(p))...)
	if err != nil {
		return projector{}, nil, nil, err
	}
	return projector{p: p, attrs: attrs, names: names}, names, values, nil
}

func (s *Service) getItem(ctx context.Context, body []byte) (any, error) {
	var in getItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkKeyValues(in.Key); err != nil {
		return nil, err
	}
	pr, _, _, err := newProjector(in.ProjectionExpression, in.AttributesToGet, &in.exprFields)
	if err != nil {
		return nil, err
	}
	t, err := s.lookupForItems(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyOf(attr.Item(in.Key))
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	if err := t.keyPathErr(projectionHeads(pr.p, pr.names)); err != nil {
		t.mu.RUnlock()
		return nil, err
	}
	e, found := t.base.find(pk, sk, "")
	t.mu.RUnlock()
	out := map[string]any{}
	size := 0
	if found {
		size = int(e.size)
		if pr.all() {
			out["Item"] = json.RawMessage(e.enc) // as stored: no need to decode it
		} else {
			out["Item"] = itemJSON(pr.apply(e.load()))
		}
	}
	if c := capacity(ctx, in.ReturnConsumedCapacity, t, readUnits(size, in.ConsistentRead), true); c != nil {
		out["ConsumedCapacity"] = c
	}
	return out, nil
}

type deleteItemInput struct {
	TableName           string   `json:"TableName"`
	Key                 fastItem `json:"Key"`
	ConditionExpression *string  `json:"ConditionExpression"`
	ReturnValues        string   `json:"ReturnValues"`
	exprFields
}

func (s *Service) deleteItem(ctx context.Context, body []byte) (any, error) {
	var in deleteItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkKeyValues(in.Key); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD":
	default:
		return nil, validationf("ReturnValues can only be ALL_OLD or NONE")
	}
	if err := checkRVOnFailure(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	cond, err := parseCondition(in.ConditionExpression)
	if err != nil {
		return nil, err
	}
	names, values, err := in.prepare(usedCond(cond))
	if err != nil {
		return nil, err
	}
	t, err := s.lookupForItems(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyOf(attr.Item(in.Key))
	if err != nil {
		return nil, err
	}
	old, err := t.lockForWrite(ctx, pk, sk, nil, cond, names, values, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	gsis := t.gsisOf(old)
	done := s.com.submit(t.write(pk, sk, old, nil, time.Now()))
	t.mu.Unlock()
	if err := s.await(done, t); err != nil {
		return nil, err
	}
	out := map[string]any{}
	if in.ReturnValues == "ALL_OLD" && old != nil {
		out["Attributes"] = old
	}
	if c := capacity(ctx, in.ReturnConsumedCapacity, t, writeUnits(old), false, gsis...); c != nil {
		out["ConsumedCapacity"] = c
	}
	return out, nil
}

type updateItemInput struct {
	TableName           string   `json:"TableName"`
	Key                 fastItem `json:"Key"`
	UpdateExpression    *string  `json:"UpdateExpression"`
	ConditionExpression *string  `json:"ConditionExpression"`
	ReturnValues        string   `json:"ReturnValues"`
	exprFields
}

func parseUpdate(s *string) (*expr.Update, error) {
	if s == nil {
		return nil, nil
	}
	if *s == "" {
		return nil, validationf("Invalid UpdateExpression: The expression can not be empty;")
	}
	u, err := expr.ParseUpdate(*s)
	return u, apiError(err)
}

// applyUpdate computes the item an update produces from old (nil: the item
// does not exist yet and is created from key).
func (t *table) applyUpdate(u *expr.Update, key, old attr.Item, names expr.Names, values expr.Values) (attr.Item, []string, error) {
	base := old
	if base == nil {
		base = attr.Item{}
		for k, v := range key {
			base[k] = v
		}
	}
	if u == nil {
		if old == nil {
			// A new item of just the key: numbers in canonical form.
			if err := normalizeItem(base); err != nil {
				return nil, nil, err
			}
		}
		return base, nil, nil
	}
	item, updated, err := u.Apply(base, names, values)
	if err != nil {
		return nil, nil, apiError(err)
	}
	for _, n := range updated {
		if n == t.key.hash || n == t.key.rng {
			return nil, nil, validationf("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", n)
		}
	}
	if err := normalizeItem(item); err != nil {
		return nil, nil, err
	}
	if itemSize(item) > maxItemSize {
		// An update's words for the limit (dynalite's updateItem, moto's
		// ItemSizeToUpdateTooLarge).
		return nil, nil, validationf("Item size to update has exceeded the maximum allowed size")
	}
	return item, updated, nil
}

func (s *Service) updateItem(ctx context.Context, body []byte) (any, error) {
	var in updateItemInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkKeyValues(in.Key); err != nil {
		return nil, err
	}
	switch in.ReturnValues {
	case "", "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW":
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", in.ReturnValues)
	}
	if err := checkRVOnFailure(in.ReturnValuesOnConditionCheckFailure); err != nil {
		return nil, err
	}
	u, err := parseUpdate(in.UpdateExpression)
	if err != nil {
		return nil, err
	}
	cond, err := parseCondition(in.ConditionExpression)
	if err != nil {
		return nil, err
	}
	names, values, err := in.prepare(usedUpdate(u), usedCond(cond))
	if err != nil {
		return nil, err
	}
	if u != nil {
		// Update errors come before the condition's verdict, as in DynamoDB.
		if err := u.Check(names, values); err != nil {
			return nil, apiError(err)
		}
	}
	t, err := s.lookupForItems(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	pk, sk, err := t.keyOf(attr.Item(in.Key))
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	err = t.checkUpdateKeys(u, names, values)
	t.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	old, err := t.lockForWrite(ctx, pk, sk, nil, cond, names, values, in.ReturnValuesOnConditionCheckFailure)
	if err != nil {
		return nil, err
	}
	item, updated, err := t.applyUpdate(u, attr.Item(in.Key), old, names, values)
	if err == nil {
		// checkUpdateKeys refused the types the expression decides; a
		// wrong one here came from the item (SET c = e).
		err = t.checkIndexKeysAs(item, "The update expression attempted to update the secondary index key to unsupported type")
	}
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	done := s.com.submit(t.write(pk, sk, old, item, time.Now()))
	gsis := t.gsisOf(old, item)
	t.mu.Unlock()
	if err := s.await(done, t); err != nil {
		return nil, err
	}
	out := map[string]any{}
	var attrs attr.Item
	switch in.ReturnValues {
	case "ALL_OLD":
		attrs = old
	case "ALL_NEW":
		attrs = item
	case "UPDATED_OLD", "UPDATED_NEW":
		src := item
		if in.ReturnValues == "UPDATED_OLD" {
			src = old
		}
		if in.UpdateExpression != nil {
			attrs = updatedAttrs(*in.UpdateExpression, names, updated, src)
		}
	}
	if len(attrs) > 0 {
		out["Attributes"] = attrs
	}
	if c := capacity(ctx, in.ReturnConsumedCapacity, t, writeUnits(old, item), false, gsis...); c != nil {
		out["ConsumedCapacity"] = c
	}
	return out, nil
}
