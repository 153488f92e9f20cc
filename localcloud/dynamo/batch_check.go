package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
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
// up, once its constraints passed (requestItemsPieces), table by table (in
// name order) as DynamoDB does: expression and non-expression parameters,
// AttributesToGet duplicates, the projection expression and its names, each
// key's values, then duplicate keys.
func checkBatchGet(in *batchGetInput) error {
	names := sortedKeys(in.RequestItems)
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
		// The names map itself, then the projection and its names, before
		// the keys.
		if ka.ExpressionAttributeNames != nil {
			raw, _ := json.Marshal(ka.ExpressionAttributeNames)
			if err := checkPlaceholders(raw, nil); err != nil {
				return err
			}
		}
		if _, _, _, err := newProjector(ka.ProjectionExpression, ka.AttributesToGet, &ka.exprFields); err != nil {
			return err
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

// requestItemsPieces is what DynamoDB lists against a batch's RequestItems
// among a request's constraint failures, after the top-level members':
// the map's keys (table names, 3 to 255 of [a-zA-Z0-9_.-]) and, for
// BatchWriteItem, its values (1 to 25 requests), the map quoted as given;
// then each table's required members (BatchGetItem's Keys, at least one;
// BatchWriteItem's Key of a DeleteRequest, then Item of a PutRequest).
// The walk does not decode the map (it may be 16 MB).
func requestItemsPieces(op string, body []byte) []string {
	raw := topMember(body, "RequestItems")
	if raw == nil {
		return nil
	}
	perTable := 0
	if op == "BatchWriteItem" {
		perTable = maxBatchWriteItems
	}
	var compact bytes.Buffer
	value := func() string {
		if compact.Len() == 0 {
			json.Compact(&compact, raw)
		}
		return "Value '" + compact.String() + "' at 'requestItems' failed to satisfy constraint: "
	}
	var pieces, members []string
	wire.EachMember(raw, func(name, v []byte) bool {
		if n := utf8.RuneCount(name); n < 3 || n > 255 || !tableNameRE.Match(name) {
			pieces = append(pieces, value()+"Map keys must satisfy constraint: [Member must have length less than or equal to 255, "+
				"Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")
		}
		if perTable > 0 && (string(bytes.TrimSpace(v)) == "[]" || protocol.CountOver(v, perTable)) {
			pieces = append(pieces, value()+"Map value must satisfy constraint: [Member must have length less than or equal to "+strconv.Itoa(perTable)+
				", Member must have length greater than or equal to 1]")
		}
		if len(members) < maxPieces {
			members = append(members, requiredMembers(op, string(name), v)...)
		}
		return len(pieces) < maxPieces
	})
	return append(pieces, members...)
}

// quotedKeysMax bounds the Keys list a constraint failure quotes.
const quotedKeysMax = 1 << 20

// maxPieces is how many constraint failures DynamoDB lists at most.
const maxPieces = 10

// requiredMembers is the failures of one table's entry v in a batch's
// RequestItems: a missing or empty Keys, a request without its Key or Item.
func requiredMembers(op, name string, v []byte) []string {
	path := "Value %s at 'requestItems." + name + ".member.%s' failed to satisfy constraint: Member must %s"
	if op == "BatchGetItem" {
		switch keys := topMember(v, "Keys"); {
		case keys == nil:
			return []string{fmt.Sprintf(path, "null", "keys", "not be null")}
		case string(bytes.TrimSpace(keys)) == "[]":
			return []string{fmt.Sprintf(path, "'[]'", "keys", "have length greater than or equal to 1")}
		case len(keys) <= quotedKeysMax && protocol.CountOver(keys, maxBatchGetKeys):
			// A longer list is refused as too many items, unquoted
			// (overBatchGet), so that its answer stays small.
			elems := wire.Elements(keys)
			texts := make([]string, len(elems))
			for i, e := range elems {
				var b bytes.Buffer
				json.Compact(&b, e)
				texts[i] = b.String()
			}
			return []string{fmt.Sprintf(path, "'["+strings.Join(texts, ", ")+"]'", "keys", "have length less than or equal to "+strconv.Itoa(maxBatchGetKeys))}
		}
		return nil
	}
	if protocol.CountOver(v, maxBatchWriteItems) {
		return nil // over the limit: not read
	}
	var out []string
	for i, r := range wire.Elements(v) {
		for _, m := range []struct{ request, member string }{{"DeleteRequest", "Key"}, {"PutRequest", "Item"}} {
			if req := topMember(r, m.request); req != nil && topMember(req, m.member) == nil {
				out = append(out, fmt.Sprintf(path, "null", strconv.Itoa(i+1)+".member."+lowerFirst(m.request)+"."+lowerFirst(m.member), "not be null"))
			}
		}
	}
	return out
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// validationMessage is DynamoDB's message listing constraint failures, at
// most maxPieces of them.
func validationMessage(pieces []string) string {
	return protocol.ValidationMessage(pieces[:min(len(pieces), maxPieces)])
}
