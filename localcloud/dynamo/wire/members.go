package wire

import "bytes"

// Member is one member of a JSON object as the request holds it.
type Member struct {
	Name  string // unescaped
	Value []byte // raw JSON
}

// Members returns the members of the JSON object raw in document order,
// leaving out members whose value is null (DynamoDB treats them as absent);
// nil if raw is not an object. raw must be well formed (Check passed).
func Members(raw []byte) []Member {
	spans := members(raw)
	if spans == nil {
		return nil
	}
	out := make([]Member, 0, len(spans))
	for _, s := range spans {
		v := raw[s.start:s.end]
		if string(v) == "null" {
			continue
		}
		out = append(out, Member{Name: text(s.name, bytes.IndexByte(s.name, '\\') >= 0), Value: v})
	}
	return out
}

// EachMember calls fn with the raw name (escapes kept) and the raw value of
// every member of the JSON object raw whose value is not null, in document
// order, until fn returns false. It does not allocate.
func EachMember(raw []byte, fn func(name, value []byte) bool) {
	w := walker{b: raw}
	if w.peek() != '{' {
		return
	}
	w.i++
	if w.peek() == '}' {
		return
	}
	for {
		if w.peek() != '"' {
			return
		}
		name, _, err := w.str()
		if err != nil || w.peek() != ':' {
			return
		}
		w.i++
		w.peek()
		start := w.i
		if w.skip() != nil {
			return
		}
		if v := raw[start:w.i]; string(v) != "null" && !fn(name, v) {
			return
		}
		if w.peek() != ',' {
			return
		}
		w.i++
	}
}
