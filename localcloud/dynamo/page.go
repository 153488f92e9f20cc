package dynamo

import "github.com/labkit-dev/labkit/localcloud/dynamo/attr"

// maxPage is the data a Query or Scan reads before it stops with a
// LastEvaluatedKey (1 MB), as DynamoDB does.
const maxPage = 1 << 20

// pageSize is an item's weight against the 1 MB a Query or Scan page
// reads. DynamoDB does not count the item's size there (names at their
// length, as for capacity and the 400 KB limit) but its stored form: each
// attribute name one byte, each value with its length prefix, and a
// per-item overhead that repeats the range key every 3 KB. This model
// reproduces the page boundary DynamoDB was measured to keep (a public
// conformance suite run against it: 24 items of about 43 KB whose stored
// size reaches exactly 1,048,576 bytes end the page; one byte less and the
// 25th item is read too). rangeKey is the table's range key ("" for none).
func pageSize(item attr.Item, rangeKey string) int {
	s, rk := 0, 0
	for name, v := range item {
		if name == rangeKey {
			rk = attr.Size(v)
			continue
		}
		s += storedSize(v) + 1
	}
	return 2 + s + (1+(1+s)/3072)*(18+rk)
}

// storedSize is a value's size with its type's length prefix.
func storedSize(v attr.Value) int {
	switch v.Kind {
	case attr.S:
		n := len(v.Str)
		switch {
		case n < 128:
			return n + 1
		case n < 16384:
			return n + 2
		}
		return n + 3
	case attr.N, attr.B:
		return attr.Size(v) + 1
	case attr.SS, attr.NS:
		return attr.Size(v) + len(v.Strs) + 1
	case attr.BS:
		return attr.Size(v) + len(v.Bins) + 1
	case attr.NULL:
		return 0
	case attr.BOOL:
		return 1
	case attr.L:
		n := 3
		for _, e := range v.List {
			n += 1 + storedSize(e)
		}
		return n
	case attr.M:
		n := 3 + len(v.Map)
		for _, e := range v.Map {
			n += storedSize(e) + 1
		}
		return n
	}
	return 0
}
