package dynamo

import (
	"bytes"
	"encoding/json"
	"errors"
)

// DynamoDB's per-call element limits are checked on the raw body before it
// is decoded: a 10.8 MB BatchGetItem with 400,000 keys decoded into items
// first cost about 300 MB. The counters below walk the JSON with a
// streaming decoder and stop at the first element over the limit, so a
// refused call allocates next to nothing beyond its body. A body the
// counters cannot walk is left to the full decode, which reports it.

const (
	maxBatchGetKeys      = 100
	maxBatchWriteItems   = 25
	maxTransactItems     = 100
	errTooManyBatchGet   = "Too many items requested for the BatchGetItem call"
	errTooManyBatchWrite = "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
	errTooManyTransact   = "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1"
)

// errOverLimit unwinds a count that passed its limit.
var errOverLimit = errors.New("over the limit")

// overBatchGet reports whether a BatchGetItem body asks for more than 100
// keys over all its tables, or names more than 100 tables.
func overBatchGet(body []byte) bool {
	n, tables := 0, 0
	return overLimit(body, "RequestItems", func(dec *json.Decoder) error {
		return eachMember(dec, func(string) error {
			if tables++; tables > maxBatchGetKeys {
				return errOverLimit
			}
			return eachMember(dec, func(field string) error {
				if field != "Keys" {
					return skip(dec)
				}
				return countElements(dec, &n, maxBatchGetKeys)
			})
		})
	})
}

// overBatchWrite reports whether a BatchWriteItem body has more than 25
// requests over all its tables, or names more than 25 tables.
func overBatchWrite(body []byte) bool {
	n, tables := 0, 0
	return overLimit(body, "RequestItems", func(dec *json.Decoder) error {
		return eachMember(dec, func(string) error {
			if tables++; tables > maxBatchWriteItems {
				return errOverLimit
			}
			return countElements(dec, &n, maxBatchWriteItems)
		})
	})
}

// overTransact reports whether a TransactWriteItems or TransactGetItems
// body has more than 100 items.
func overTransact(body []byte) bool {
	n := 0
	return overLimit(body, "TransactItems", func(dec *json.Decoder) error { return countElements(dec, &n, maxTransactItems) })
}

// overLimit walks body's top-level object, handing field's value to count.
func overLimit(body []byte, field string, count func(*json.Decoder) error) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	err := eachMember(dec, func(name string) error {
		if name != field {
			return skip(dec)
		}
		return count(dec)
	})
	return errors.Is(err, errOverLimit)
}

// eachMember reads an object, calling fn with each member's name; fn must
// consume the member's value.
func eachMember(dec *json.Decoder, fn func(name string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		if err := fn(name); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

// countElements reads an array, adding its length to *n and stopping with
// errOverLimit as soon as *n passes limit.
func countElements(dec *json.Decoder, n *int, limit int) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if *n++; *n > limit {
			return errOverLimit
		}
		if err := skip(dec); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func skip(dec *json.Decoder) error {
	var v json.RawMessage
	return dec.Decode(&v)
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return errors.New("unexpected JSON")
	}
	return nil
}
