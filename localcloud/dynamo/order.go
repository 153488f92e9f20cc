package dynamo

import (
	"crypto/md5"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// DynamoDB returns a Scan's partitions, and the items that share an index
// key, in the order of a hash of their key: the MD5 of "Outliers" and the
// key's bytes (keyBytes), which is also how it splits a table into
// parallel-scan segments (segmentOf). dynalite's test suite, recorded from
// DynamoDB, lists items in this order; its first three bytes decide it, as
// there.

// hashPrefixLen is how many bytes of the hash order keys: dynalite's six
// hex digits.
const hashPrefixLen = 3

// hashPrefix is the order prefix of the key whose values encode (keyString)
// as keys: the first bytes of MD5("Outliers" + their keyBytes).
func hashPrefix(keys ...string) string {
	h := md5.New()
	h.Write([]byte("Outliers"))
	for _, k := range keys {
		if k == "" {
			continue
		}
		if v, ok := attr.KeyValue([]byte(k)); ok {
			h.Write(keyBytes(v))
		}
	}
	return string(h.Sum(nil)[:hashPrefixLen])
}

// scanKey is where partition pk sorts in a Scan: by its hash prefix, then
// by its key.
func (ix *index) scanKey(pk string) string {
	if p := ix.parts[pk]; p != nil {
		if p.prefix == "" {
			p.prefix = hashPrefix(pk)
		}
		return p.prefix + pk
	}
	return hashPrefix(pk) + pk
}
