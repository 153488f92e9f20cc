package dynamo

import (
	"context"
	"crypto/sha256"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

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
