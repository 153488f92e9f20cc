package dynamo

import (
	"context"
	"crypto/sha256"
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
	if msg := requestItemsConstraints(body, 0); msg != "" {
		return nil, validationf("%s", msg)
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
		if len(ka.Keys) == 0 {
			return nil, validationf("1 validation error detected: Value '[]' at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
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
	if msg := requestItemsConstraints(body, maxBatchWriteItems); msg != "" {
		return nil, validationf("%s", msg)
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

type transactWriteInput struct {
	TransactItems          []transactWriteItem `json:"TransactItems"`
	ClientRequestToken     string              `json:"ClientRequestToken"`
	ReturnConsumedCapacity string              `json:"ReturnConsumedCapacity"`
}

type transactAction struct {
	TableName           string    `json:"TableName"`
	Key                 attr.Item `json:"Key"`
	Item                attr.Item `json:"Item"`
	ConditionExpression *string   `json:"ConditionExpression"`
	UpdateExpression    *string   `json:"UpdateExpression"`
	exprFields
}

type transactWriteItem struct {
	ConditionCheck *transactAction `json:"ConditionCheck"`
	Put            *transactAction `json:"Put"`
	Delete         *transactAction `json:"Delete"`
	Update         *transactAction `json:"Update"`
}

type tokenEntry struct {
	hash [32]byte
	at   time.Time
}

// planAction validates one transaction member.
func (s *Service) planAction(ctx context.Context, ti transactWriteItem) (plannedWrite, error) {
	n := 0
	var a *transactAction
	kind := ""
	for k, v := range map[string]*transactAction{"ConditionCheck": ti.ConditionCheck, "Put": ti.Put, "Delete": ti.Delete, "Update": ti.Update} {
		if v != nil {
			n++
			a, kind = v, k
		}
	}
	if n != 1 {
		return plannedWrite{}, validationf("TransactItems can only contain one of Check, Put, Update or Delete")
	}
	t, err := s.lookupForItems(ctx, a.TableName)
	if err != nil {
		return plannedWrite{}, err
	}
	if err := checkRVOnFailure(a.ReturnValuesOnConditionCheckFailure); err != nil {
		return plannedWrite{}, err
	}
	cond, err := parseCondition(a.ConditionExpression)
	if err != nil {
		return plannedWrite{}, err
	}
	w := plannedWrite{t: t, cond: cond, rvFail: a.ReturnValuesOnConditionCheckFailure}
	switch kind {
	case "Put":
		if a.Item == nil {
			return w, validationf("1 validation error detected: Value null at 'transactItems.member.put.item' failed to satisfy constraint: Member must not be null")
		}
		if err := normalizeItem(a.Item); err != nil {
			return w, err
		}
		if w.pk, w.sk, err = t.itemKeys(a.Item); err != nil {
			return w, err
		}
		if err := checkItemSize(a.Item); err != nil {
			return w, err
		}
		w.item = a.Item
	default:
		if a.Key == nil {
			return w, validationf("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null")
		}
		if w.pk, w.sk, err = t.keyOf(a.Key); err != nil {
			return w, err
		}
		w.key = a.Key
	}
	switch kind {
	case "ConditionCheck":
		if cond == nil {
			return w, validationf("1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null")
		}
		w.check = true
	case "Delete":
		w.del = true
	case "Update":
		if a.UpdateExpression == nil {
			return w, validationf("1 validation error detected: Value null at 'transactItems.member.update.updateExpression' failed to satisfy constraint: Member must not be null")
		}
		if w.update, err = parseUpdate(a.UpdateExpression); err != nil {
			return w, err
		}
	}
	w.names, w.values, err = a.prepare(usedCond(cond), usedUpdate(w.update))
	if err == nil && w.update != nil {
		err = apiError(w.update.Check(w.names, w.values))
	}
	return w, err
}

func (s *Service) transactWriteItems(ctx context.Context, body []byte) (any, error) {
	if overTransact(body) {
		return nil, validationf(errTooManyTransact)
	}
	var in transactWriteInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > maxTransactItems {
		return nil, validationf(errTooManyTransact)
	}
	id := protocol.IdentityFrom(ctx)
	var tokenKey string
	var hash [32]byte
	if in.ClientRequestToken != "" {
		tokenKey = id.AccountID + "/" + id.Region + "/" + in.ClientRequestToken
		hash = sha256.Sum256(body)
		s.tokMu.Lock()
		e, ok := s.tokens[tokenKey]
		s.tokMu.Unlock()
		if ok && time.Since(e.at) < 10*time.Minute {
			if e.hash != hash {
				return nil, protocol.Errorf("IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request.")
			}
			return struct{}{}, nil
		}
	}
	plan := make([]plannedWrite, 0, len(in.TransactItems))
	tables := map[*table]bool{}
	type pos struct {
		t      *table
		pk, sk string
	}
	seen := map[pos]bool{}
	for _, ti := range in.TransactItems {
		w, err := s.planAction(ctx, ti)
		if err != nil {
			return nil, err
		}
		p := pos{w.t, w.pk, w.sk}
		if seen[p] {
			return nil, validationf("Transaction request cannot include multiple operations on one item")
		}
		seen[p] = true
		tables[w.t] = true
		plan = append(plan, w)
	}
	unlock := lockAll(tables, true)
	for t := range tables {
		if t.deleted {
			unlock()
			return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found")
		}
	}
	reasons := make([]map[string]any, len(plan))
	olds := make([]attr.Item, len(plan))
	news := make([]attr.Item, len(plan))
	failed := false
	for i, w := range plan {
		reasons[i] = map[string]any{"Code": "None"}
		old := w.t.base.get(w.pk, w.sk, "")
		olds[i] = old
		if w.cond != nil {
			ok, err := w.cond.Eval(orEmpty(old), w.names, w.values)
			if err != nil {
				unlock()
				return nil, apiError(err)
			}
			if !ok {
				r := map[string]any{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
				if w.rvFail == "ALL_OLD" && old != nil {
					r["Item"] = old
				}
				reasons[i] = r
				failed = true
				continue
			}
		}
		switch {
		case w.check:
			continue
		case w.del:
			news[i] = nil
		case w.item != nil:
			news[i] = w.item
		default:
			item, _, err := w.t.applyUpdate(w.update, w.key, old, w.names, w.values)
			if err != nil {
				reasons[i] = map[string]any{"Code": "ValidationError", "Message": errMessage(err)}
				failed = true
				continue
			}
			news[i] = item
		}
		if news[i] != nil {
			if err := w.t.checkIndexKeys(news[i]); err != nil {
				reasons[i] = map[string]any{"Code": "ValidationError", "Message": errMessage(err)}
				failed = true
			}
		}
	}
	if failed {
		unlock()
		codes := make([]string, len(reasons))
		for i, r := range reasons {
			codes[i] = r["Code"].(string)
		}
		e := protocol.Errorf("TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", "))
		e.Fields = map[string]any{"CancellationReasons": reasons}
		return nil, e
	}
	now := time.Now()
	var muts []mutation
	units := map[*table]float64{}
	for i, w := range plan {
		units[w.t] += 2 * writeUnits(olds[i], news[i])
		if w.check {
			continue
		}
		muts = append(muts, w.t.write(w.pk, w.sk, olds[i], news[i], now)...)
	}
	done := s.com.submit(muts)
	unlock()
	if err := s.await(done, tableList(tables)...); err != nil {
		return nil, err
	}
	if tokenKey != "" {
		s.tokMu.Lock()
		for k, e := range s.tokens {
			if time.Since(e.at) > 10*time.Minute {
				delete(s.tokens, k)
			}
		}
		s.tokens[tokenKey] = tokenEntry{hash: hash, at: time.Now()}
		s.tokMu.Unlock()
	}
	out := map[string]any{}
	if caps := capacities(ctx, in.ReturnConsumedCapacity, units, "WriteCapacityUnits", false); caps != nil {
		out["ConsumedCapacity"] = caps
	}
	return out, nil
}

type transactGetInput struct {
	TransactItems []struct {
		Get *struct {
			TableName                string            `json:"TableName"`
			Key                      attr.Item         `json:"Key"`
			ProjectionExpression     *string           `json:"ProjectionExpression"`
			ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
		} `json:"Get"`
	} `json:"TransactItems"`
	ReturnConsumedCapacity string `json:"ReturnConsumedCapacity"`
}

func (s *Service) transactGetItems(ctx context.Context, body []byte) (any, error) {
	if overTransact(body) {
		return nil, validationf(errTooManyTransact)
	}
	var in transactGetInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.TransactItems) == 0 || len(in.TransactItems) > maxTransactItems {
		return nil, validationf(errTooManyTransact)
	}
	type get struct {
		t      *table
		pk, sk string
		pr     projector
	}
	gets := make([]get, len(in.TransactItems))
	tables := map[*table]bool{}
	for i, ti := range in.TransactItems {
		g := ti.Get
		if g == nil {
			return nil, validationf("1 validation error detected: Value null at 'transactItems.%d.member.get' failed to satisfy constraint: Member must not be null", i+1)
		}
		t, err := s.lookupForItems(ctx, g.TableName)
		if err != nil {
			return nil, err
		}
		f := exprFields{ExpressionAttributeNames: g.ExpressionAttributeNames}
		pr, _, _, err := newProjector(g.ProjectionExpression, nil, &f)
		if err != nil {
			return nil, err
		}
		pk, sk, err := t.keyOf(g.Key)
		if err != nil {
			return nil, err
		}
		gets[i] = get{t, pk, sk, pr}
		tables[t] = true
	}
	unlock := lockAll(tables, false)
	responses := make([]map[string]any, len(gets))
	units := map[*table]float64{}
	for i, g := range gets {
		responses[i] = map[string]any{}
		it := g.t.base.get(g.pk, g.sk, "")
		size := 0
		if it != nil {
			responses[i]["Item"] = g.pr.apply(it)
			size = itemSize(it)
		}
		units[g.t] += 2 * readUnits(size, true)
	}
	unlock()
	out := map[string]any{"Responses": responses}
	if caps := capacities(ctx, in.ReturnConsumedCapacity, units, "ReadCapacityUnits", true); caps != nil {
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
