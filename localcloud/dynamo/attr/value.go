// Package attr is DynamoDB's attribute value model: the typed values of the
// wire format ({"S": "x"}, {"N": "1.5"}, {"M": {...}} ...), their JSON
// encoding, and the comparisons DynamoDB defines on them.
package attr

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind is the type of a Value.
type Kind uint8

// The kinds of DynamoDB attribute values.
const (
	Invalid Kind = iota
	S
	N
	B
	BOOL
	NULL
	M
	L
	SS
	NS
	BS
)

var kindNames = [...]string{"", "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}

// String returns the wire name of k ("S", "NS"...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Value is one DynamoDB attribute value. Which fields are meaningful depends
// on Kind: Str for S and N (numbers are kept as their decimal text),
// Bytes for B, Bool for BOOL, Map for M, List for L, Strs for SS and NS,
// Bins for BS. NULL has no payload.
type Value struct {
	Kind  Kind
	Str   string
	Bytes []byte
	Bool  bool
	Map   map[string]Value
	List  []Value
	Strs  []string
	Bins  [][]byte
}

// Item is a DynamoDB item: attribute names to values.
type Item map[string]Value

// String constructors for tests and code that builds values.
func Str(s string) Value           { return Value{Kind: S, Str: s} }
func Num(n string) Value           { return Value{Kind: N, Str: n} }
func Bin(b []byte) Value           { return Value{Kind: B, Bytes: b} }
func Bool(b bool) Value            { return Value{Kind: BOOL, Bool: b} }
func Null() Value                  { return Value{Kind: NULL} }
func Map(m map[string]Value) Value { return Value{Kind: M, Map: m} }
func List(l ...Value) Value        { return Value{Kind: L, List: l} }
func StrSet(s ...string) Value     { return Value{Kind: SS, Strs: s} }
func NumSet(s ...string) Value     { return Value{Kind: NS, Strs: s} }
func BinSet(b ...[]byte) Value     { return Value{Kind: BS, Bins: b} }

// ErrInvalid is wrapped by every decoding error; DynamoDB answers these with
// ValidationException (SerializationException for JSON that is not JSON).
var ErrInvalid = errors.New("invalid attribute value")

// MarshalJSON encodes v in DynamoDB's JSON wire format.
func (v Value) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(nil)
}

// AppendJSON appends v's wire encoding (the bytes MarshalJSON returns) to
// buf: map keys sorted, strings escaped as encoding/json escapes them.
func (v Value) AppendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, `{"`...)
	buf = append(buf, v.Kind.String()...)
	buf = append(buf, `":`...)
	var payload any
	switch v.Kind {
	case S, N:
		return append(AppendString(buf, v.Str), '}'), nil
	case BOOL:
		if v.Bool {
			return append(buf, "true}"...), nil
		}
		return append(buf, "false}"...), nil
	case NULL:
		return append(buf, "true}"...), nil
	case M:
		keys := make([]string, 0, len(v.Map))
		for k := range v.Map {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = v.Map[k].AppendJSON(buf); err != nil {
				return nil, err
			}
		}
		return append(buf, "}}"...), nil
	case L:
		buf = append(buf, '[')
		for i, e := range v.List {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = e.AppendJSON(buf); err != nil {
				return nil, err
			}
		}
		return append(buf, "]}"...), nil
	case SS, NS:
		buf = append(buf, '[')
		for i, e := range v.Strs {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, e)
		}
		return append(buf, "]}"...), nil
	case B:
		payload = v.Bytes
	case BS:
		if v.Bins == nil {
			payload = [][]byte{}
		} else {
			payload = v.Bins
		}
	default:
		return nil, fmt.Errorf("%w: value has no type", ErrInvalid)
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	buf = append(buf, b...)
	return append(buf, '}'), nil
}

// AppendString appends s as encoding/json writes a string: plain ASCII is
// copied as is, anything that needs escaping goes through encoding/json.
func AppendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UnmarshalJSON decodes DynamoDB's JSON wire format. Exactly one type key
// must be present. Numbers and sets are checked by Validate, not here, so
// that the caller can name the attribute in its error.
func (v *Value) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(raw) > 1 {
		// DynamoDB reads each member before it counts them: a number that
		// does not parse is reported ahead of the extra data types.
		if err := unparsedNumber(raw); err != nil {
			return err
		}
	}
	if len(raw) != 1 {
		return fmt.Errorf("%w: an attribute value must have exactly one data type, got %d", ErrInvalid, len(raw))
	}
	for k, p := range raw {
		var err error
		switch k {
		case "S":
			v.Kind = S
			err = json.Unmarshal(p, &v.Str)
		case "N":
			v.Kind = N
			err = json.Unmarshal(p, &v.Str)
		case "B":
			v.Kind = B
			err = json.Unmarshal(p, &v.Bytes)
		case "BOOL":
			v.Kind = BOOL
			v.Bool, err = looseBool(p)
		case "NULL":
			v.Kind = NULL
			// {"NULL": false} decodes (Validate refuses it): Bool marks it.
			var t bool
			t, err = looseBool(p)
			v.Bool = !t
		case "M":
			v.Kind = M
			err = json.Unmarshal(p, &v.Map)
			if err == nil && v.Map == nil {
				v.Map = map[string]Value{}
			}
		case "L":
			v.Kind = L
			err = json.Unmarshal(p, &v.List)
			if err == nil && v.List == nil {
				v.List = []Value{}
			}
		case "SS":
			v.Kind = SS
			err = json.Unmarshal(p, &v.Strs)
		case "NS":
			v.Kind = NS
			err = json.Unmarshal(p, &v.Strs)
		case "BS":
			v.Kind = BS
			err = json.Unmarshal(p, &v.Bins)
		default:
			return fmt.Errorf("%w: unknown data type %q", ErrInvalid, k)
		}
		if err != nil {
			if errors.Is(err, ErrInvalid) {
				return err
			}
			return fmt.Errorf("%w: %s: %v", ErrInvalid, k, err)
		}
	}
	return nil
}

// unparsedNumber returns the error for the first N or NS member of raw
// that is not a number DynamoDB can store.
func unparsedNumber(raw map[string]json.RawMessage) error {
	var nums []string
	if p, ok := raw["N"]; ok {
		var n string
		if json.Unmarshal(p, &n) == nil {
			nums = append(nums, n)
		}
	}
	if p, ok := raw["NS"]; ok {
		var ns []string
		if json.Unmarshal(p, &ns) == nil {
			nums = append(nums, ns...)
		}
	}
	for _, n := range nums {
		if _, err := parseNumber(n); err != nil {
			return err
		}
	}
	return nil
}

// looseBool reads a JSON boolean, or one of the strings DynamoDB's
// deserializer takes for one: true/false, 1/0, yes/no in any case.
func looseBool(p []byte) (bool, error) {
	var b bool
	if err := json.Unmarshal(p, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(p, &s); err != nil {
		return false, err
	}
	switch strings.ToUpper(s) {
	case "TRUE", "1", "YES":
		return true, nil
	case "FALSE", "0", "NO":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}
