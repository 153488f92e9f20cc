package attr

import (
	"encoding/json"
	"testing"
)

// reference encodes v the slow, obvious way: encoding/json over plain Go
// values, which sorts map keys and escapes strings as the wire format needs.
func reference(t *testing.T, v Value) string {
	t.Helper()
	var conv func(v Value) map[string]any
	conv = func(v Value) map[string]any {
		switch v.Kind {
		case S, N:
			return map[string]any{v.Kind.String(): v.Str}
		case B:
			return map[string]any{"B": v.Bytes}
		case BOOL:
			return map[string]any{"BOOL": v.Bool}
		case NULL:
			return map[string]any{"NULL": true}
		case M:
			m := map[string]any{}
			for k, e := range v.Map {
				m[k] = conv(e)
			}
			return map[string]any{"M": m}
		case L:
			l := []any{}
			for _, e := range v.List {
				l = append(l, conv(e))
			}
			return map[string]any{"L": l}
		case SS, NS:
			return map[string]any{v.Kind.String(): nonNil(v.Strs)}
		case BS:
			if v.Bins == nil {
				return map[string]any{"BS": [][]byte{}}
			}
			return map[string]any{"BS": v.Bins}
		}
		t.Fatalf("no reference for kind %v", v.Kind)
		return nil
	}
	b, err := json.Marshal(conv(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	tricky := []string{"", "plain", `quote " and \ backslash`, "tab\tnewline\n", "<b>&amp;</b>",
		"caf\u00e9", "line\u2028sep\u2029", "bad utf8 \xff\xfe", "ctrl \x01\x1f", "emoji \U0001F600", "del \x7f"}
	var values []Value
	for _, s := range tricky {
		values = append(values, Str(s), Num("12.5"), Map(map[string]Value{s: Str(s), "z": Bool(false), "a": Null()}))
	}
	values = append(values,
		Bool(true), Bool(false), Null(), Bin([]byte{0, 1, 2, 255}), Bin(nil),
		StrSet(tricky...), StrSet(), NumSet("1", "-2.5e3"), BinSet([]byte("x"), []byte{0xff}), BinSet(),
		List(), List(Str("a"), List(Num("1"), Map(map[string]Value{})), Map(map[string]Value{"k": StrSet("x")})),
		Map(map[string]Value{"lines": List(Map(map[string]Value{"sku": Str("SOAP-1"), "quantity": Num("2")}))}),
	)
	for _, v := range values {
		got, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if want := reference(t, v); string(got) != want {
			t.Errorf("encoding of %#v:\n got %s\nwant %s", v, got, want)
		}
		// AppendJSON appends: what was in the buffer stays.
		if b, _ := v.AppendJSON([]byte("prefix")); string(b) != "prefix"+string(got) {
			t.Errorf("AppendJSON did not append: %s", b)
		}
	}
	if _, err := (Value{}).MarshalJSON(); err == nil {
		t.Error("a value without a kind encoded without error")
	}
}
