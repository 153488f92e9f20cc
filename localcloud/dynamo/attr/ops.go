package attr

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// invalidPrefix starts DynamoDB's messages for bad parameter values.
const invalidPrefix = "One or more parameter values were invalid: "

// Validate checks v recursively against DynamoDB's rules: numbers are valid
// DynamoDB numbers (syntax, at most 38 significant digits, magnitude within
// 1E-130..9.9999999999999999999999999999999999999E+125), sets are non-empty
// and hold no duplicates (NS elements compared numerically), maps and lists
// nest at most 32 deep, and every value has a type. Empty strings and
// binaries are allowed (Validate does not know which attributes are keys;
// see ValidateKey). Errors wrap ErrInvalid and carry DynamoDB's message.
func Validate(v Value) error { return validate(v, 1) }

// maxNesting is how deep DynamoDB nests maps and lists.
const maxNesting = 32

func validate(v Value, depth int) error {
	if (v.Kind == M || v.Kind == L) && depth > maxNesting {
		return fmt.Errorf("%w: Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit", ErrInvalid)
	}
	switch v.Kind {
	case NULL:
		if v.Bool { // decoded from {"NULL": false}
			return fmt.Errorf("%w: %sNull attribute value types must have the value of true", ErrInvalid, invalidPrefix)
		}
		return nil
	case S, B, BOOL:
		return nil
	case N:
		_, err := parseNumber(v.Str)
		return err
	case M:
		for _, e := range v.Map {
			if err := validate(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case L:
		for _, e := range v.List {
			if err := validate(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case SS:
		if len(v.Strs) == 0 {
			return fmt.Errorf("%w: %sAn string set  may not be empty", ErrInvalid, invalidPrefix)
		}
		if dupStrings(v.Strs, func(s string) string { return s }) {
			return fmt.Errorf("%w: %sInput collection [%s] contains duplicates.", ErrInvalid, invalidPrefix, strings.Join(v.Strs, ", "))
		}
		return nil
	case NS:
		if len(v.Strs) == 0 {
			return fmt.Errorf("%w: %sAn number set  may not be empty", ErrInvalid, invalidPrefix)
		}
		for _, s := range v.Strs {
			if _, err := parseNumber(s); err != nil {
				return err
			}
		}
		if dupStrings(v.Strs, numKey) {
			return fmt.Errorf("%w: Input collection contains duplicates", ErrInvalid)
		}
		return nil
	case BS:
		if len(v.Bins) == 0 {
			return fmt.Errorf("%w: %sBinary sets should not be empty", ErrInvalid, invalidPrefix)
		}
		strs := make([]string, len(v.Bins))
		for i, b := range v.Bins {
			strs[i] = string(b)
		}
		if dupStrings(strs, func(s string) string { return s }) {
			enc := make([]string, len(v.Bins))
			for i, b := range v.Bins {
				enc[i] = base64.StdEncoding.EncodeToString(b)
			}
			return fmt.Errorf("%w: %sInput collection [%s]of type BS contains duplicates.", ErrInvalid, invalidPrefix, strings.Join(enc, ", "))
		}
		return nil
	}
	return fmt.Errorf("%w: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes", ErrInvalid)
}

// dupStrings reports whether two elements have the same key.
func dupStrings(elems []string, key func(string) string) bool {
	seen := make(map[string]bool, len(elems))
	for _, e := range elems {
		k := key(e)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// ValidateItem validates every attribute of it (see Validate).
func ValidateItem(it Item) error {
	for _, v := range it {
		if err := Validate(v); err != nil {
			return err
		}
	}
	return nil
}

// ValidateKey checks v as the value of the key attribute name: of kind S, N
// or B, valid, and not an empty string or binary. It does not compare the
// kind with the table's schema. Errors wrap ErrInvalid.
func ValidateKey(name string, v Value) error {
	switch v.Kind {
	case S:
		if v.Str == "" {
			return fmt.Errorf("%w: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", ErrInvalid, name)
		}
	case B:
		if len(v.Bytes) == 0 {
			return fmt.Errorf("%w: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", ErrInvalid, name)
		}
	case N:
		return Validate(v)
	default:
		return fmt.Errorf("%w: %sType mismatch for key %s expected: S, N or B actual: %s", ErrInvalid, invalidPrefix, name, v.Kind)
	}
	return nil
}

// Equal reports whether a and b are equal under DynamoDB's semantics: the
// same kind, numbers compared numerically, sets compared as sets, maps and
// lists compared deeply.
func Equal(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case S:
		return a.Str == b.Str
	case N:
		return CompareNumbers(a.Str, b.Str) == 0
	case B:
		return bytes.Equal(a.Bytes, b.Bytes)
	case BOOL:
		return a.Bool == b.Bool
	case NULL:
		return true
	case M:
		if len(a.Map) != len(b.Map) {
			return false
		}
		for k, av := range a.Map {
			bv, ok := b.Map[k]
			if !ok || !Equal(av, bv) {
				return false
			}
		}
		return true
	case L:
		if len(a.List) != len(b.List) {
			return false
		}
		for i := range a.List {
			if !Equal(a.List[i], b.List[i]) {
				return false
			}
		}
		return true
	case SS, NS, BS:
		return sameSet(setKeys(a), setKeys(b))
	}
	return false
}

// setKeys returns the distinct element keys of a set value (numbers in
// canonical form).
func setKeys(v Value) map[string]bool {
	m := map[string]bool{}
	switch v.Kind {
	case SS:
		for _, s := range v.Strs {
			m[s] = true
		}
	case NS:
		for _, s := range v.Strs {
			m[numKey(s)] = true
		}
	case BS:
		for _, b := range v.Bins {
			m[string(b)] = true
		}
	}
	return m
}

func numKey(s string) string {
	if c, err := CanonicalNumber(s); err == nil {
		return c
	}
	return s
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// Compare orders two values of the same scalar kind: S bytewise on UTF-8, N
// numerically, B bytewise. ok is false for other or mismatched kinds.
func Compare(a, b Value) (int, bool) {
	if a.Kind != b.Kind {
		return 0, false
	}
	switch a.Kind {
	case S:
		return strings.Compare(a.Str, b.Str), true
	case N:
		return CompareNumbers(a.Str, b.Str), true
	case B:
		return bytes.Compare(a.Bytes, b.Bytes), true
	}
	return 0, false
}

// Kind tags that start KeyBytes encodings.
const (
	tagS = 'S'
	tagN = 'N'
	tagB = 'B'
)

// Sign bytes of the N encoding.
const (
	numNeg  = 0x01
	numZero = 0x02
	numPos  = 0x03
)

// KeyBytes returns an order-preserving encoding of a key value of kind S, N
// or B: for two values a and b of the same kind,
// bytes.Compare(KeyBytes(a), KeyBytes(b)) equals Compare(a, b), and equal
// numbers ("1.50", "1.5") encode identically, so the encoding also serves as
// a map key. The first byte tags the kind, so values of different kinds
// never collide. Numbers encode as sign, biased exponent and mantissa digits
// (complemented for negatives). Other kinds return nil.
func KeyBytes(v Value) []byte {
	switch v.Kind {
	case S:
		return append([]byte{tagS}, v.Str...)
	case B:
		return append([]byte{tagB}, v.Bytes...)
	case N:
		d, ok := parseDecimal(v.Str)
		if !ok {
			// Not a number: sort after every number, bytewise.
			return append([]byte{tagN, 0xFF}, v.Str...)
		}
		return appendNumberKey([]byte{tagN}, d)
	}
	return nil
}

// KeyValue decodes a KeyBytes encoding back to its value; a number comes
// back in the form "0.ddd" or "0.dddE<n>" (its value, not its spelling).
// ok is false for anything KeyBytes does not produce.
func KeyValue(key []byte) (v Value, ok bool) {
	if len(key) == 0 {
		return Value{}, false
	}
	switch key[0] {
	case tagS:
		return Value{Kind: S, Str: string(key[1:])}, true
	case tagB:
		return Value{Kind: B, Bytes: append([]byte(nil), key[1:]...)}, true
	case tagN:
	default:
		return Value{}, false
	}
	if len(key) == 2 && key[1] == numZero {
		return Value{Kind: N, Str: "0"}, true
	}
	if len(key) < 6 || key[1] != numNeg && key[1] != numPos {
		return Value{}, false
	}
	neg := key[1] == numNeg
	e := binary.BigEndian.Uint32(key[2:6])
	digits := key[6:]
	if neg {
		e = ^e
		if len(digits) == 0 || digits[len(digits)-1] != 0xFF {
			return Value{}, false
		}
		digits = digits[:len(digits)-1]
	}
	exp := int32(e ^ 0x80000000)
	out := make([]byte, 0, len(digits)+16)
	if neg {
		out = append(out, '-')
	}
	out = append(out, '0', '.')
	for _, c := range digits {
		if neg {
			c = '9' + 1 - c
		} else {
			c = c - 1 + '0'
		}
		if c < '0' || c > '9' {
			return Value{}, false
		}
		out = append(out, c)
	}
	if exp != 0 {
		out = append(out, 'E')
		out = strconv.AppendInt(out, int64(exp), 10)
	}
	return Value{Kind: N, Str: string(out)}, true
}

func appendNumberKey(b []byte, d decimal) []byte {
	if d.isZero() {
		return append(b, numZero)
	}
	// Exponents of parsed numbers stay within about ±1e8, well inside int32.
	e := uint32(int32(d.exp)) ^ 0x80000000
	if d.neg {
		b = append(b, numNeg)
		b = binary.BigEndian.AppendUint32(b, ^e)
		for i := 0; i < len(d.digits); i++ {
			b = append(b, '9'-d.digits[i]+1) // 1..10, reversed
		}
		// A shorter mantissa is a larger negative number: end above every digit.
		return append(b, 0xFF)
	}
	b = append(b, numPos)
	b = binary.BigEndian.AppendUint32(b, e)
	for i := 0; i < len(d.digits); i++ {
		b = append(b, d.digits[i]-'0'+1)
	}
	return b
}

// Size returns v's size in bytes as DynamoDB counts it toward the 400 KB
// item limit: strings and binaries their length in bytes, numbers one byte
// per pair of significant digits plus one (see numSize), BOOL and NULL one
// byte, lists and maps three bytes plus one per element plus their elements
// (and, for maps, the keys), sets the sum of their elements.
func Size(v Value) int {
	switch v.Kind {
	case S:
		return len(v.Str)
	case N:
		return numSize(v.Str)
	case B:
		return len(v.Bytes)
	case BOOL, NULL:
		return 1
	case M:
		n := 3
		for k, e := range v.Map {
			n += len(k) + Size(e) + 1
		}
		return n
	case L:
		n := 3
		for _, e := range v.List {
			n += Size(e) + 1
		}
		return n
	case SS:
		n := 0
		for _, s := range v.Strs {
			n += len(s)
		}
		return n
	case NS:
		n := 0
		for _, s := range v.Strs {
			n += numSize(s)
		}
		return n
	case BS:
		n := 0
		for _, b := range v.Bins {
			n += len(b)
		}
		return n
	}
	return 0
}

// numSize is a number's stored size: one byte of exponent, one byte per
// base-100 digit (digit pairs aligned on the decimal point, zero pairs at
// either end dropped) and one more byte for a negative number. This matches
// sizes measured against DynamoDB ("1.5" costs 3, "15" costs 2, "-42" 3).
func numSize(s string) int {
	d, ok := parseDecimal(s)
	if !ok {
		return len(s)
	}
	if d.isZero() {
		return 1
	}
	// Digit i has weight 10^(exp-1-i); its base-100 digit is floor(weight/2).
	hi := floorHalf(d.exp - 1)
	lo := floorHalf(d.exp - len(d.digits))
	n := 1 + hi - lo + 1
	if d.neg {
		n++
	}
	return n
}

func floorHalf(n int) int {
	if n >= 0 {
		return n / 2
	}
	return -((-n + 1) / 2)
}

// ItemSize returns the size of an item: the sum over its attributes of the
// name's length in bytes plus Size of the value.
func ItemSize(it Item) int {
	n := 0
	for k, v := range it {
		n += len(k) + Size(v)
	}
	return n
}

// Clone returns a deep copy of v: no slice or map is shared with v.
func Clone(v Value) Value {
	c := Value{Kind: v.Kind, Str: v.Str, Bool: v.Bool}
	if v.Bytes != nil {
		c.Bytes = bytes.Clone(v.Bytes)
	}
	if v.Map != nil {
		c.Map = make(map[string]Value, len(v.Map))
		for k, e := range v.Map {
			c.Map[k] = Clone(e)
		}
	}
	if v.List != nil {
		c.List = make([]Value, len(v.List))
		for i, e := range v.List {
			c.List[i] = Clone(e)
		}
	}
	if v.Strs != nil {
		c.Strs = append([]string{}, v.Strs...)
	}
	if v.Bins != nil {
		c.Bins = make([][]byte, len(v.Bins))
		for i, b := range v.Bins {
			c.Bins[i] = bytes.Clone(b)
		}
	}
	return c
}

// CloneItem returns a deep copy of it.
func CloneItem(it Item) Item {
	if it == nil {
		return nil
	}
	c := make(Item, len(it))
	for k, v := range it {
		c[k] = Clone(v)
	}
	return c
}
