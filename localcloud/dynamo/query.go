package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
)

type readFields struct {
	TableName            string    `json:"TableName"`
	IndexName            string    `json:"IndexName"`
	FilterExpression     *string   `json:"FilterExpression"`
	ProjectionExpression *string   `json:"ProjectionExpression"`
	AttributesToGet      []string  `json:"AttributesToGet"`
	Select               string    `json:"Select"`
	Limit                *int      `json:"Limit"`
	ExclusiveStartKey    attr.Item `json:"ExclusiveStartKey"`
	ConsistentRead       bool      `json:"ConsistentRead"`
	exprFields
}

type queryInput struct {
	readFields
	KeyConditionExpression *string `json:"KeyConditionExpression"`
	ScanIndexForward       *bool   `json:"ScanIndexForward"`
}

type scanInput struct {
	readFields
	Segment       *int `json:"Segment"`
	TotalSegments *int `json:"TotalSegments"`
}

// reader is what Query and Scan share once the request is validated.
type reader struct {
	t       *table
	ix      *index
	im      *indexMeta // nil for the base table
	filter  *expr.Condition
	proj    projector
	names   expr.Names
	values  expr.Values
	limit   int
	count   bool
	scanned int
	matched []json.RawMessage
	n       int
	bytes   int    // items' sizes read, for the capacity
	page    int    // items' pageSize read, for the 1 MB page
	last    []byte // last item evaluated (encoded), for LastEvaluatedKey
	stopped bool
	now     time.Time // for the indexes' status
}

func (f *readFields) setup(ctx context.Context, s *Service, extra ...expr.Used) (*reader, error) {
	r := &reader{limit: -1, now: s.now()}
	if f.Limit != nil {
		if *f.Limit < 1 {
			return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *f.Limit)
		}
		r.limit = *f.Limit
	}
	switch f.Select {
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT":
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", f.Select)
	}
	r.count = f.Select == "COUNT"
	hasProj := f.ProjectionExpression != nil || f.AttributesToGet != nil
	if hasProj && f.Select != "" && f.Select != "SPECIFIC_ATTRIBUTES" {
		param := "ProjectionExpression"
		if f.AttributesToGet != nil {
			param = "AttributesToGet"
		}
		return nil, validationf("Cannot specify the %s when choosing to get %s", param, f.Select)
	}
	if f.Select == "ALL_PROJECTED_ATTRIBUTES" && f.IndexName == "" {
		return nil, validationf("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
	}
	parse := parseFilter
	if ctx.Value(legacyFilterKey{}) != nil {
		// QueryFilter and ScanFilter have no expression limits.
		parse = parseLegacyFilter
	}
	filter, err := parse(f.FilterExpression)
	if err != nil {
		return nil, err
	}
	r.filter = filter
	pr, names, values, err := newProjector(f.ProjectionExpression, f.AttributesToGet, &f.exprFields, append(extra, usedCond(filter))...)
	if err != nil {
		return nil, err
	}
	r.proj, r.names, r.values = pr, names, values
	// The table is looked up once the request is checked, as DynamoDB does.
	if r.t, err = s.lookupForItems(ctx, f.TableName); err != nil {
		return nil, err
	}
	return r, nil
}

// pickIndex selects the base table or a secondary index; the caller holds
// t.mu.
func (r *reader) pickIndex(name string, consistent bool) error {
	if name == "" {
		r.ix = r.t.base
		return nil
	}
	ix, im := r.t.secondary(name)
	if ix == nil {
		return validationf("The table does not have the specified index: %s", name)
	}
	if st, _ := im.status(r.now, ""); st == statusCreating {
		return validationf("Cannot read from backfilling global secondary index: %s", name)
	}
	if consistent && ix.global {
		return validationf("Consistent reads are not supported on global secondary indexes")
	}
	r.ix, r.im = ix, im
	return nil
}

// checkSelect refuses Select ALL_ATTRIBUTES on a global index that does not
// project them all.
func (r *reader) checkSelect(sel string) error {
	if sel == "ALL_ATTRIBUTES" && r.im != nil && r.ix.global && r.im.Projection.ProjectionType != "ALL" {
		return validationf("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", r.im.IndexName)
	}
	return nil
}

// indexProjection returns what the index holds of item: everything for ALL, keys
// plus the included attributes otherwise.
func (r *reader) indexProjection(item attr.Item) attr.Item {
	if r.im == nil || r.im.Projection.ProjectionType == "ALL" {
		return item
	}
	out := r.t.keyItem(item)
	for _, k := range []string{r.ix.def.hash, r.ix.def.rng} {
		if v, ok := item[k]; ok && k != "" {
			out[k] = v
		}
	}
	for _, a := range r.im.Projection.NonKeyAttributes {
		if v, ok := item[a]; ok {
			out[a] = v
		}
	}
	return out
}

// visit evaluates one item; it reports false when the page is full (Limit
// items evaluated or 1 MB read), which yields a LastEvaluatedKey.
func (r *reader) visit(e *entry) (bool, error) {
	r.scanned++
	r.bytes += int(e.size)
	r.page += int(e.page)
	r.last = e.enc
	if r.filter == nil && r.proj.all() && (r.im == nil || r.im.Projection.ProjectionType == "ALL") {
		// The whole item as stored: no need to decode it.
		r.n++
		if !r.count {
			r.matched = append(r.matched, e.enc)
		}
	} else if err := r.evaluate(e.load()); err != nil {
		return false, err
	}
	// The item that reaches 1 MB is read, then the page ends (pageSize).
	if (r.limit >= 0 && r.scanned >= r.limit) || r.page >= maxPage {
		r.stopped = true
		return false, nil
	}
	return true, nil
}

// evaluate filters and projects one decoded item.
func (r *reader) evaluate(item attr.Item) error {
	view := r.indexProjection(item)
	if r.filter != nil {
		ok, err := r.filter.Eval(view, r.names, r.values)
		if err != nil {
			return apiError(err)
		}
		if !ok {
			return nil
		}
	}
	r.n++
	if !r.count {
		b, err := encodeItem(nil, r.proj.apply(view))
		if err != nil {
			return err
		}
		r.matched = append(r.matched, b)
	}
	return nil
}

// lastKey is the LastEvaluatedKey for the last evaluated item: the table
// key plus, for an index, the index key.
func (r *reader) lastKey() attr.Item {
	last := decodeStored(r.last)
	k := r.t.keyItem(last)
	if r.im != nil {
		k[r.ix.def.hash] = last[r.ix.def.hash]
		if r.ix.def.rng != "" {
			k[r.ix.def.rng] = last[r.ix.def.rng]
		}
	}
	return k
}

// startKey decodes ExclusiveStartKey into index positions.
func (r *reader) startKey(esk attr.Item) (pk, sk, tie string, err error) {
	bad := validationf("The provided starting key is invalid: The provided key element does not match the schema")
	basePK, baseSK, ok := r.t.base.keys(esk)
	if !ok {
		return "", "", "", bad
	}
	if r.im == nil {
		want := 1
		if r.t.key.rng != "" {
			want = 2
		}
		if len(esk) != want {
			return "", "", "", bad
		}
		return basePK, baseSK, "", nil
	}
	ipk, isk, ok := r.ix.keys(esk)
	if !ok {
		return "", "", "", bad
	}
	return ipk, isk, tieOf(basePK, baseSK), nil
}

func (r *reader) output(ctx context.Context, mode string, consistent bool) map[string]any {
	out := map[string]any{"Count": r.n, "ScannedCount": r.scanned}
	if !r.count {
		items := r.matched
		if items == nil {
			items = []json.RawMessage{}
		}
		out["Items"] = items
	}
	if r.stopped && r.last != nil {
		out["LastEvaluatedKey"] = r.lastKey()
	}
	units := readUnits(r.bytes, consistent)
	c := capacity(ctx, mode, r.t, units, true)
	if c != nil && r.im != nil {
		// A read of an index consumes the index's capacity, not the
		// table's: INDEXES shows the table at 0 and the index's share.
		if mode == "INDEXES" {
			c["Table"] = map[string]any{"CapacityUnits": 0}
			member := "LocalSecondaryIndexes"
			if r.ix.global {
				member = "GlobalSecondaryIndexes"
			}
			c[member] = map[string]any{r.im.IndexName: map[string]any{"CapacityUnits": units}}
		}
	}
	if c != nil {
		out["ConsumedCapacity"] = c
	}
	return out
}

func (s *Service) query(ctx context.Context, body []byte) (any, error) {
	var in queryInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var kc expr.KeyCondition
	if in.KeyConditionExpression == nil {
		// KeyConditions, the legacy parameter (legacyParams checked it).
		var err error
		if kc, err = legacyKeyCondition(in.KeyConditions); err != nil {
			return nil, err
		}
	} else {
		if *in.KeyConditionExpression == "" {
			return nil, validationf("Invalid KeyConditionExpression: The expression can not be empty;")
		}
		// Parse the key condition with the raw placeholders; usage is checked
		// together with the other expressions.
		names := expr.Names(in.ExpressionAttributeNames)
		rawValues := expr.Values{}
		for k, v := range in.ExpressionAttributeValues {
			rawValues[k] = canonical(v)
		}
		var err error
		kc, err = expr.ParseKeyCondition(*in.KeyConditionExpression, names, rawValues)
		if err != nil {
			// The key condition's own errors come before the table lookup;
			// one about its shape as a key condition comes after the filter
			// and projection expressions are read.
			var ee *expr.Error
			if errors.As(err, &ee) && ee.KeyShape {
				if _, ferr := parseFilter(in.FilterExpression); ferr != nil {
					return nil, ferr
				}
				if _, perr := parseProjection(in.ProjectionExpression); perr != nil {
					return nil, perr
				}
			}
			return nil, apiError(err)
		}
	}
	r, err := in.setup(ctx, s, kc)
	if err != nil {
		return nil, err
	}
	t := r.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	if err := r.pickIndex(in.IndexName, in.ConsistentRead); err != nil {
		return nil, err
	}
	if in.ExclusiveStartKey != nil {
		if err := r.startKeyShape(in.ExclusiveStartKey); err != nil {
			return nil, err
		}
	}
	// A value of the wrong type for the partition key is refused before
	// an operator the partition key does not take (after one no index
	// serves).
	for _, c := range kc.Conditions() {
		for _, v := range c.Values {
			if c.Name == r.ix.def.hash && c.Indexable() && v.Kind != r.ix.def.hashKind {
				return nil, validationf("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
	}
	kc, err = kc.ForSchema(r.ix.def.hash, r.ix.def.rng)
	if err != nil {
		return nil, apiError(err)
	}
	if kc.Hash.Kind != r.ix.def.hashKind {
		return nil, validationf("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	if err := r.projectionKeyPaths(); err != nil {
		return nil, err
	}
	if in.FilterExpression != nil {
		if k := keyInFilter(*in.FilterExpression, in.ExpressionAttributeNames, r.ix.def.hash, r.ix.def.rng); k != "" {
			return nil, validationf("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", k)
		}
	}
	// Select ALL_ATTRIBUTES on an index that lacks them is refused after the
	// key condition, the starting key's shape and a key in the filter, and
	// before the filter's paths into key attributes.
	if err := r.checkSelect(in.Select); err != nil {
		return nil, err
	}
	if err := r.filterKeyPaths(); err != nil {
		return nil, err
	}
	lo, hi := 0, 0
	p := r.ix.parts[keyString(kc.Hash)]
	if p != nil {
		lo, hi, err = rangeBounds(p, kc.Range, r.ix.def.rngKind)
		if err != nil {
			return nil, err
		}
	} else if kc.Range != nil {
		if _, _, err := rangeBounds(&partition{}, kc.Range, r.ix.def.rngKind); err != nil {
			return nil, err
		}
	}
	if in.ExclusiveStartKey != nil {
		if err := r.startKeyBounds(in.ExclusiveStartKey, kc); err != nil {
			return nil, err
		}
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	if in.ExclusiveStartKey != nil && p != nil {
		_, ssk, stie, err := r.startKey(in.ExclusiveStartKey)
		if err != nil {
			return nil, err
		}
		// first entry strictly after (ssk, stie)
		after := sort.Search(len(p.entries), func(i int) bool {
			e := &p.entries[i]
			return e.sk > ssk || (e.sk == ssk && e.tie > stie)
		})
		if forward {
			lo = max(lo, after)
		} else {
			// last entry strictly before: entries before the start key
			before := sort.Search(len(p.entries), func(i int) bool {
				e := &p.entries[i]
				return e.sk > ssk || (e.sk == ssk && e.tie >= stie)
			})
			hi = min(hi, before)
		}
	} else if in.ExclusiveStartKey != nil {
		if _, _, _, err := r.startKey(in.ExclusiveStartKey); err != nil {
			return nil, err
		}
	}
	if p != nil && lo < hi {
		if forward {
			for i := lo; i < hi; i++ {
				ok, err := r.visit(&p.entries[i])
				if err != nil {
					return nil, err
				}
				if !ok {
					break
				}
			}
		} else {
			for i := hi - 1; i >= lo; i-- {
				ok, err := r.visit(&p.entries[i])
				if err != nil {
					return nil, err
				}
				if !ok {
					break
				}
			}
		}
	}
	return r.output(ctx, in.ReturnConsumedCapacity, in.ConsistentRead), nil
}

// rangeBounds returns the entries [lo, hi) of p that satisfy the sort key
// condition (all entries when rc is nil).
func rangeBounds(p *partition, rc *expr.RangeCondition, kind attr.Kind) (int, int, error) {
	n := len(p.entries)
	if rc == nil {
		return 0, n, nil
	}
	for _, v := range rc.Values {
		if v.Kind != kind {
			return 0, 0, validationf("One or more parameter values were invalid: Condition parameter type does not match schema type")
		}
	}
	first := func(pred func(sk string) bool) int {
		return sort.Search(n, func(i int) bool { return pred(p.entries[i].sk) })
	}
	v := keyString(rc.Values[0])
	switch rc.Op {
	case "=":
		return first(func(sk string) bool { return sk >= v }), first(func(sk string) bool { return sk > v }), nil
	case "<":
		return 0, first(func(sk string) bool { return sk >= v }), nil
	case "<=":
		return 0, first(func(sk string) bool { return sk > v }), nil
	case ">":
		return first(func(sk string) bool { return sk > v }), n, nil
	case ">=":
		return first(func(sk string) bool { return sk >= v }), n, nil
	case "BETWEEN":
		if len(rc.Values) != 2 {
			return 0, 0, validationf("Invalid KeyConditionExpression: BETWEEN needs two operands")
		}
		w := keyString(rc.Values[1])
		if v > w {
			a, _ := rc.Values[0].MarshalJSON()
			b, _ := rc.Values[1].MarshalJSON()
			return 0, 0, validationf("Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s", a, b)
		}
		return first(func(sk string) bool { return sk >= v }), first(func(sk string) bool { return sk > w }), nil
	case "begins_with", "BEGINS_WITH":
		if kind == attr.N {
			return 0, 0, validationf("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
		}
		lo := first(func(sk string) bool { return sk >= v })
		hi := lo
		for hi < n && strings.HasPrefix(p.entries[hi].sk, v) {
			hi++
		}
		return lo, hi, nil
	}
	return 0, 0, validationf("Invalid KeyConditionExpression: unsupported operator %s", rc.Op)
}

// keyInFilter returns the first key attribute (hash or rng) a Query's
// FilterExpression refers to at the top level, or "". DynamoDB rejects
// those: key conditions belong in the KeyConditionExpression. Top-level
// references are names not preceded by '.', ':' or '#' and not followed by
// '(' (functions), or #placeholders that name a key attribute.
func keyInFilter(filter string, names map[string]string, hash, rng string) string {
	isKey := func(n string) bool { return n != "" && (n == hash || n == rng) }
	isWord := func(c byte) bool {
		return c == '_' || c == '#' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	for i := 0; i < len(filter); {
		if !isWord(filter[i]) {
			i++
			continue
		}
		j := i
		for j < len(filter) && isWord(filter[j]) {
			j++
		}
		tok := filter[i:j]
		prev := byte(' ')
		for k := i - 1; k >= 0; k-- {
			if filter[k] != ' ' {
				prev = filter[k]
				break
			}
		}
		next := byte(' ')
		for k := j; k < len(filter); k++ {
			if filter[k] != ' ' {
				next = filter[k]
				break
			}
		}
		i = j
		if prev == '.' || next == '(' || tok[0] == ':' {
			continue
		}
		if tok[0] == '#' {
			if isKey(names[tok]) {
				return names[tok]
			}
			continue
		}
		if isKey(tok) {
			return tok
		}
	}
	return ""
}
