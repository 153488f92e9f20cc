package dynamo

import (
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// fastItem is an attr.Item that decodes in one pass over its bytes. The
// attr package's decoder unmarshals every value through a map of raw
// messages, which made decoding half of PutItem's handler time; this one
// reads the common shapes (S, N, BOOL, NULL, M, L, SS, NS) directly and hands
// anything else (B, BS, type errors, odd shapes) to attr's decoder, so the
// result and the errors are attr's. encoding/json has validated the whole
// body before UnmarshalJSON is called, so the bytes are well-formed JSON.
type fastItem attr.Item

// UnmarshalJSON implements json.Unmarshaler.
func (f *fastItem) UnmarshalJSON(b []byte) error {
	if it, ok := parseFastItem(b); ok {
		*f = fastItem(it)
		return nil
	}
	var it attr.Item
	if err := json.Unmarshal(b, &it); err != nil {
		return err
	}
	*f = fastItem(it)
	return nil
}

// decodeStored decodes an item stored by encodeItem.
func decodeStored(b []byte) attr.Item {
	var f fastItem
	if err := f.UnmarshalJSON(b); err != nil || f == nil {
		// encodeItem's output always decodes; an empty item beats a crash.
		return attr.Item{}
	}
	return attr.Item(f)
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads a string token.
func (s *scanner) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '\\':
			escaped = true
			s.i += 2
			continue
		case c == '"':
			s.i++
			if raw := s.b[start+1 : s.i-1]; !escaped && utf8.Valid(raw) {
				return string(raw), true
			}
			// encoding/json's rules: escapes, and U+FFFD for invalid UTF-8
			var out string
			if json.Unmarshal(s.b[start:s.i], &out) != nil {
				return "", false
			}
			return out, true
		}
		s.i++
	}
	return "", false
}

func (s *scanner) lit(word string) bool {
	s.ws()
	if s.i+len(word) <= len(s.b) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

func parseFastItem(b []byte) (attr.Item, bool) {
	s := &scanner{b: b}
	it, ok := s.object()
	if !ok || s.peek() != 0 {
		return nil, false
	}
	return it, true
}

// object reads {"name": value, ...}; ok is false for anything the fast
// path does not handle.
func (s *scanner) object() (attr.Item, bool) {
	if s.peek() != '{' {
		return nil, false
	}
	s.i++
	it := attr.Item{}
	if s.peek() == '}' {
		s.i++
		return it, true
	}
	for {
		name, ok := s.str()
		if !ok || s.peek() != ':' {
			return nil, false
		}
		s.i++
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		it[name] = v
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return it, true
		default:
			return nil, false
		}
	}
}

// value reads {"T": payload} with exactly one member.
func (s *scanner) value() (attr.Value, bool) {
	var v attr.Value
	if s.peek() != '{' {
		return v, false
	}
	s.i++
	typ, ok := s.str()
	if !ok || s.peek() != ':' {
		return v, false
	}
	s.i++
	switch typ {
	case "S", "N":
		str, ok := s.str()
		if !ok {
			return v, false
		}
		v = attr.Value{Kind: attr.S, Str: str}
		if typ == "N" {
			v.Kind = attr.N
		}
	case "BOOL":
		switch {
		case s.lit("true"):
			v = attr.Bool(true)
		case s.lit("false"):
			v = attr.Bool(false)
		default:
			return v, false
		}
	case "NULL":
		if !s.lit("true") {
			return v, false
		}
		v = attr.Null()
	case "M":
		m, ok := s.object()
		if !ok {
			return v, false
		}
		v = attr.Value{Kind: attr.M, Map: m}
	case "L":
		if s.peek() != '[' {
			return v, false
		}
		s.i++
		list := []attr.Value{}
		if s.peek() == ']' {
			s.i++
		} else {
			for {
				e, ok := s.value()
				if !ok {
					return v, false
				}
				list = append(list, e)
				if s.peek() == ',' {
					s.i++
					continue
				}
				if s.peek() != ']' {
					return v, false
				}
				s.i++
				break
			}
		}
		v = attr.Value{Kind: attr.L, List: list}
	case "SS", "NS":
		if s.peek() != '[' {
			return v, false
		}
		s.i++
		strs := []string{}
		if s.peek() == ']' {
			s.i++
		} else {
			for {
				e, ok := s.str()
				if !ok {
					return v, false
				}
				strs = append(strs, e)
				if s.peek() == ',' {
					s.i++
					continue
				}
				if s.peek() != ']' {
					return v, false
				}
				s.i++
				break
			}
		}
		v = attr.Value{Kind: attr.SS, Strs: strs}
		if typ == "NS" {
			v.Kind = attr.NS
		}
	default:
		return v, false
	}
	if s.peek() != '}' {
		return v, false
	}
	s.i++
	return v, true
}

// encodeItem writes item as DynamoDB JSON with its attribute names sorted,
// appending each value's own encoding without encoding/json's reflection.
func encodeItem(buf []byte, item attr.Item) ([]byte, error) {
	keys := make([]string, 0, len(item))
	for k := range item {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = attr.AppendString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = item[k].AppendJSON(buf); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

// itemJSON is an item in a response, encoded by encodeItem.
type itemJSON attr.Item

// MarshalJSON implements json.Marshaler.
func (it itemJSON) MarshalJSON() ([]byte, error) {
	if it == nil {
		return []byte("null"), nil
	}
	return encodeItem(make([]byte, 0, 256), attr.Item(it))
}
