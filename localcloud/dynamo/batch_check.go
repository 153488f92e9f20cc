package dynamo

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/wire"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// checkBatchGet checks a BatchGetItem request before any table is looked
// up, table by table (in name order) as DynamoDB does: the Keys list's
// constraints, expression and non-expression parameters, AttributesToGet
// duplicates, each key's values, then duplicate keys.
func checkBatchGet(in *batchGetInput) error {
	names := sortedKeys(in.RequestItems)
	for _, name := range names {
		ka := in.RequestItems[name]
		switch {
		case ka.Keys == nil:
			return validationf("1 validation error detected: Value null at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must not be null", name)
		case len(ka.Keys) == 0:
			return validationf("1 validation error detected: Value '[]' at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name)
		}
	}
	for _, name := range names {
		ka := in.RequestItems[name]
		if ka.ProjectionExpression != nil && ka.AttributesToGet != nil {
			return validationf("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
		}
		if ka.ExpressionAttributeNames != nil && ka.ProjectionExpression == nil {
			return validationf("ExpressionAttributeNames can only be specified when using expressions")
		}
		for i, a := range ka.AttributesToGet {
			if slices.Contains(ka.AttributesToGet[:i], a) {
				return validationf("One or more parameter values were invalid: Duplicate value in attribute name: %s", a)
			}
		}
		seen := map[string]bool{}
		for _, k := range ka.Keys {
			if err := normalizeItem(k); err != nil {
				return err
			}
			id := itemIdentity(k)
			if seen[id] {
				return validationf("Provided list of item keys contains duplicates")
			}
			seen[id] = true
		}
	}
	return nil
}

// checkBatchWrite checks a BatchWriteItem request's values before any table
// is looked up: a request with neither put nor delete, then each item's or
// key's values and the item's size.
func checkBatchWrite(in *batchWriteInput) error {
	for _, name := range sortedKeys(in.RequestItems) {
		for _, r := range in.RequestItems[name] {
			if r.PutRequest == nil && r.DeleteRequest == nil {
				// DynamoDB's words for an empty WriteRequest.
				return validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
		for _, r := range in.RequestItems[name] {
			switch {
			case r.PutRequest != nil && r.PutRequest.Item != nil:
				item := attr.Item(r.PutRequest.Item)
				if err := normalizeItem(item); err != nil {
					return err
				}
				if err := checkItemSize(item); err != nil {
					return err
				}
			case r.DeleteRequest != nil && r.DeleteRequest.Key != nil:
				if err := normalizeItem(r.DeleteRequest.Key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// itemIdentity is a canonical text of a (normalized) key: its attributes
// in name order.
func itemIdentity(k attr.Item) string {
	var b strings.Builder
	for _, n := range sortedKeys(k) {
		b.WriteString(n)
		b.WriteByte(0)
		enc, _ := k[n].MarshalJSON()
		b.Write(enc)
		b.WriteByte(0)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// requestItemsConstraints is DynamoDB's constraint error for a batch's
// RequestItems map, or "": each key must be a table name (3 to 255 of
// [a-zA-Z0-9_.-]) and, when perTable > 0 (BatchWriteItem), each value a
// list of 1 to perTable requests. The map is quoted as given. The walk
// does not decode the map (it may be 16 MB).
func requestItemsConstraints(body []byte, perTable int) string {
	raw := topMember(body, "RequestItems")
	if raw == nil {
		return ""
	}
	const (
		badKey = 1 << iota
		badValue
	)
	var problems []int
	wire.EachMember(raw, func(name, value []byte) bool {
		p := 0
		if n := utf8.RuneCount(name); n < 3 || n > 255 || !tableNameRE.Match(name) {
			p |= badKey
		}
		if perTable > 0 && (string(bytes.TrimSpace(value)) == "[]" || protocol.CountOver(value, perTable)) {
			p |= badValue
		}
		if p != 0 {
			problems = append(problems, p)
		}
		return len(problems) < 10
	})
	if len(problems) == 0 {
		return ""
	}
	var compact bytes.Buffer
	json.Compact(&compact, raw)
	value := "Value '" + compact.String() + "' at 'requestItems' failed to satisfy constraint: "
	var pieces []string
	for _, p := range problems {
		if p&badKey != 0 {
			pieces = append(pieces, value+"Map keys must satisfy constraint: [Member must have length less than or equal to 255, "+
				"Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")
		}
		if p&badValue != 0 {
			pieces = append(pieces, value+"Map value must satisfy constraint: [Member must have length less than or equal to "+strconv.Itoa(perTable)+
				", Member must have length greater than or equal to 1]")
		}
	}
	n := min(len(pieces), 10)
	if n == 1 {
		return "1 validation error detected: " + pieces[0]
	}
	return strconv.Itoa(n) + " validation errors detected: " + strings.Join(pieces[:n], "; ")
}
