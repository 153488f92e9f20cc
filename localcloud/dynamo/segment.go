package dynamo

import (
	"crypto/md5"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// segmentOf is the parallel Scan segment (of total) that holds the items
// of partition key v, as DynamoDB splits a table: its key space is 4,096
// buckets, the first 12 bits of the MD5 of "Outliers" and the key's bytes
// (a public conformance suite's measurements on DynamoDB agree with this
// for every key it lists), and segment s of T holds the buckets from
// ceil(4096*s/T) to ceil(4096*(s+1)/T)-1. Items of one partition key are
// always in one segment, and the segments are disjoint and cover the table.
func segmentOf(v attr.Value, total int) int {
	h := md5.New()
	h.Write([]byte("Outliers"))
	h.Write(keyBytes(v))
	sum := h.Sum(nil)
	bucket := int(sum[0])<<4 | int(sum[1])>>4
	return bucket * total / 4096
}

// keyBytes is a key value as DynamoDB hashes it: a string's UTF-8, a
// binary's bytes, a number in DynamoDB's base-100 serialization.
func keyBytes(v attr.Value) []byte {
	switch v.Kind {
	case attr.S:
		return []byte(v.Str)
	case attr.B:
		return v.Bytes
	case attr.N:
		return numberBytes(v.Str)
	}
	return nil
}

// numberBytes serializes a number as DynamoDB does: an exponent byte (the
// power of 100, offset by 64 and inverted for negatives), then the
// mantissa two digits a byte (each plus 1, or 101 minus it for negatives),
// negatives of fewer than 20 mantissa bytes ending with 102.
func numberBytes(s string) []byte {
	neg, digits, exp := decimalParts(s)
	if digits == "" {
		return []byte{0x80}
	}
	exponent := exp + 1 // the power of ten just above the first digit
	pad := exponent & 1 // an odd exponent puts a 0 before the first digit
	if pad != 0 {
		digits = "0" + digits
	}
	n := (len(digits) + 1) / 2
	out := make([]byte, 1, n+2)
	first := (exponent+pad)/2 - 64
	if neg {
		first = ^first
	}
	out[0] = byte(first)
	for i := 0; i < len(digits); i += 2 {
		b := int(digits[i]-'0') * 10
		if i+1 < len(digits) {
			b += int(digits[i+1] - '0')
		}
		if neg {
			b = 101 - b
		} else {
			b++
		}
		out = append(out, byte(b))
	}
	if neg && n < 20 {
		out = append(out, 102)
	}
	return out
}

// decimalParts splits a DynamoDB number into its sign, its significant
// digits (no leading or trailing zeros; "" for zero) and the exponent e of
// its first digit (the number is d.ddd × 10^e).
func decimalParts(s string) (neg bool, digits string, e int) {
	s = strings.TrimPrefix(s, "+")
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, _ = strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		s = s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits = intPart + frac
	e += len(intPart) - 1
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		e--
	}
	digits = strings.TrimRight(digits, "0")
	return neg, digits, e
}
