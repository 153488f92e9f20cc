package dynamo

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// lockAll write-locks tables in name order (no deadlock between requests
// touching the same tables) and returns the unlock function.
func lockAll(tables map[*table]bool, write bool) func() {
	list := make([]*table, 0, len(tables))
	for t := range tables {
		list = append(list, t)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].meta.ID < list[j].meta.ID })
	for _, t := range list {
		if write {
			t.mu.Lock()
		} else {
			t.mu.RLock()
		}
	}
	return func() {
		for _, t := range list {
			if write {
				t.mu.Unlock()
			} else {
				t.mu.RUnlock()
			}
		}
	}
}

func tableList(tables map[*table]bool) []*table {
	out := make([]*table, 0, len(tables))
	for t := range tables {
		out = append(out, t)
	}
	return out
}

type batchGetInput struct {
	RequestItems           map[string]keysAndAttrs `json:"RequestItems"`
	ReturnConsumedCapacity string                  `json:"ReturnConsumedCapacity"`
}

type keysAndAttrs struct {
	Keys                 []attr.Item `json:"Keys"`
	ConsistentRead       bool        `json:"ConsistentRead"`
	ProjectionExpression *string     `json:"ProjectionExpression"`
	AttributesToGet      []string    `json:"AttributesToGet"`
	exprFields
}

func (s *Service) batchGetItem(ctx context.Context, body []byte) (any, error) {
	if pieces := requestItemsPieces("BatchGetItem", body); len(pieces) > 0 {
		return nil, validationf("%s", validationMessage(pieces))
	}
	if overBatchGet(body) {
		return nil, validationf(errTooManyBatchGet)
	}
	var in batchGetInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.RequestItems) == 0 {
		return nil, validationf("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := checkBatchGet(&in); err != nil {
		return nil, err
	}
	total := 0
	for _, ka := range in.RequestItems {
		total += len(ka.Keys)
	}
	if total > maxBatchGetKeys {
		return nil, validationf(errTooManyBatchGet)
	}
	responses := map[string][]attr.Item{}
	unprocessed := map[string]unprocessedKeys{}
	budget := maxBatchGetResponse
	var caps []map[string]any
	for name, ka := range in.RequestItems {
		t, err := s.lookupForItems(ctx, name)
		if err != nil {
			return nil, err
		}
		pr, _, _, err := newProjector(ka.ProjectionExpression, ka.AttributesToGet, &ka.exprFields)
		if err != nil {
			return nil, err
		}
		type pos struct{ pk, sk string }
		keys := make([]pos, 0, len(ka.Keys))
		seen := map[pos]bool{}
		for _, k := range ka.Keys {
			pk, sk, err := t.keyOf(k)
			if err != nil {
				return nil, err
			}
			p := pos{pk, sk}
			if seen[p] {
				return nil, validationf("Provided list of item keys contains duplicates")
			}
			seen[p] = true
			keys = append(keys, p)
		}
		items := []attr.Item{}
		var left []attr.Item
		units := 0.0
		t.mu.RLock()
		for i, p := range keys {
			it := t.base.get(p.pk, p.sk, "")
			size := 0
			if it != nil {
				size = itemSize(it)
			}
			if left != nil || budget-size < 0 {
				// Past the 16 MB an answer may hold: the rest is for a
				// retry, as DynamoDB leaves it.
				left = append(left, ka.Keys[i])
				continue
			}
			budget -= size
			// Each key costs its item's 4 KB units, a missing item one.
			units += readUnits(size, ka.ConsistentRead)
			if it != nil {
				items = append(items, pr.apply(it))
			}
		}
		t.mu.RUnlock()
		responses[name] = items
		if left != nil {
			unprocessed[name] = unprocessedKeys{Keys: left, ConsistentRead: ka.ConsistentRead, ProjectionExpression: ka.ProjectionExpression,
				ExpressionAttributeNames: ka.ExpressionAttributeNames, AttributesToGet: ka.AttributesToGet}
		}
		if c := capacity(ctx, in.ReturnConsumedCapacity, t, units, true); c != nil {
			caps = append(caps, c)
		}
	}
	out := map[string]any{"Responses": responses, "UnprocessedKeys": unprocessed}
	if caps != nil {
		out["ConsumedCapacity"] = caps
	}
	return out, nil
}

// maxBatchGetResponse is the most item data one BatchGetItem answer holds.
const maxBatchGetResponse = 16 << 20

// unprocessedKeys is a table's entry in BatchGetItem's UnprocessedKeys: the
// keys not read, with the table's request options kept for the retry.
type unprocessedKeys struct {
	Keys                     []attr.Item       `json:"Keys"`
	ConsistentRead           bool              `json:"ConsistentRead,omitempty"`
	ProjectionExpression     *string           `json:"ProjectionExpression,omitempty"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames,omitempty"`
	AttributesToGet          []string          `json:"AttributesToGet,omitempty"`
}

type batchWriteInput struct {
	RequestItems           map[string][]writeRequest `json:"RequestItems"`
	ReturnConsumedCapacity string                    `json:"ReturnConsumedCapacity"`
}

type writeRequest struct {
	PutRequest *struct {
		Item fastItem `json:"Item"`
	} `json:"PutRequest"`
	DeleteRequest *struct {
		Key attr.Item `json:"Key"`
	} `json:"DeleteRequest"`
}

// plannedWrite is one item write of a batch or transaction.
type plannedWrite struct {
	t      *table
	pk, sk string
	key    attr.Item // the Key parameter (delete, update, condition check)
	item   attr.Item // the new item (put)
	del    bool
	// transaction members
	cond   *expr.Condition
	update *expr.Update
	check  bool // ConditionCheck: no write
	names  expr.Names
	values expr.Values
	rvFail string
}

func (s *Service) batchWriteItem(ctx context.Context, body []byte) (any, error) {
	if pieces := requestItemsPieces("BatchWriteItem", body); len(pieces) > 0 {
		return nil, validationf("%s", validationMessage(pieces))
	}
	if overBatchWrite(body) {
		return nil, validationf(errTooManyBatchWrite)
	}
	var in batchWriteInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
	}
	if total == 0 || total > maxBatchWriteItems {
		return nil, validationf(errTooManyBatchWrite)
	}
	if err := checkBatchWrite(&in); err != nil {
		return nil, err
	}
	tables := map[*table]bool{}
	var plan []plannedWrite
	type pos struct {
		t      *table
		pk, sk string
	}
	seen := map[pos]bool{}
	for name, reqs := range in.RequestItems {
		t, err := s.lookupForItems(ctx, name)
		if err != nil {
			return nil, err
		}
		tables[t] = true
		for _, r := range reqs {
			var w plannedWrite
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				item := attr.Item(r.PutRequest.Item)
				if item == nil {
					return nil, validationf("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null")
				}
				if err := normalizeItem(item); err != nil {
					return nil, err
				}
				pk, sk, err := t.itemKeys(item)
				if err != nil {
					if msg := err.Error(); strings.Contains(msg, "Missing the key") || strings.Contains(msg, "Type mismatch for key") {
						// BatchWriteItem words these as a Key's mismatch.
						return nil, validationf("The provided key element does not match the schema")
					}
					return nil, err
				}
				if err := checkItemSize(item); err != nil {
					return nil, err
				}
				w = plannedWrite{t: t, pk: pk, sk: sk, item: item}
			case r.DeleteRequest != nil && r.PutRequest == nil:
				pk, sk, err := t.keyOf(r.DeleteRequest.Key)
				if err != nil {
					return nil, err
				}
				w = plannedWrite{t: t, pk: pk, sk: sk, key: r.DeleteRequest.Key, del: true}
			default:
				return nil, validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			p := pos{t, w.pk, w.sk}
			if seen[p] {
				return nil, validationf("Provided list of item keys contains duplicates")
			}
			seen[p] = true
			plan = append(plan, w)
		}
	}
	unlock := lockAll(tables, true)
	for t := range tables {
		if t.deleted {
			unlock()
			return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
		}
	}
	for _, w := range plan {
		if w.item != nil {
			if err := w.t.checkIndexKeys(w.item); err != nil {
				unlock()
				return nil, err
			}
		}
	}
	now := time.Now()
	var muts []mutation
	units := map[*table]float64{}
	for _, w := range plan {
		old := w.t.base.get(w.pk, w.sk, "")
		units[w.t] += writeUnits(old, w.item)
		if w.del {
			muts = append(muts, w.t.write(w.pk, w.sk, old, nil, now)...)
		} else {
			muts = append(muts, w.t.write(w.pk, w.sk, old, w.item, now)...)
		}
	}
	done := s.com.submit(muts)
	unlock()
	if err := s.await(done, tableList(tables)...); err != nil {
		return nil, err
	}
	out := map[string]any{"UnprocessedItems": map[string]any{}}
	if caps := capacities(ctx, in.ReturnConsumedCapacity, units, "", false); caps != nil {
		out["ConsumedCapacity"] = caps
	}
	return out, nil
}

func errMessage(err error) string {
	if e, ok := protocol.AsError(err); ok {
		return e.Message
	}
	return err.Error()
}

// capacities is the ConsumedCapacity list of a call that used units on
// each table; kind, when given, repeats the total under that name, as
// transactions' answers do. read says whether the units were read or written.
func capacities(ctx context.Context, mode string, units map[*table]float64, kind string, read bool) []map[string]any {
	var caps []map[string]any
	for t, u := range units {
		if c := capacity(ctx, mode, t, u, read); c != nil {
			if kind != "" {
				c[kind] = c["CapacityUnits"]
			}
			caps = append(caps, c)
		}
	}
	return caps
}
