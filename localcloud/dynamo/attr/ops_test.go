package attr

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    Value
		err  string
	}{
		{name: "string", v: Str("")},
		{name: "binary", v: Bin(nil)},
		{name: "number", v: Num("1.5")},
		{name: "bad number", v: Num("1.5x"), err: msgNotNumber},
		{name: "nested bad number", v: Map(map[string]Value{"a": List(Num("1"), Num("x"))}), err: msgNotNumber},
		{name: "empty NS", v: NumSet(), err: "One or more parameter values were invalid: An number set  may not be empty"},
		{name: "empty SS", v: StrSet(), err: "One or more parameter values were invalid: An string set  may not be empty"},
		{name: "empty BS", v: BinSet(), err: "One or more parameter values were invalid: Binary sets should not be empty"},
		{name: "SS dup", v: StrSet("a", "a"), err: "Input collection [a, a] contains duplicates."},
		{name: "NS dup numerically", v: NumSet("1", "1.0"), err: "Input collection contains duplicates"},
		{name: "BS dup", v: BinSet([]byte("b"), []byte("b")), err: "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates."},
		{name: "bad number text", v: Num("b"), err: "The parameter cannot be converted to a numeric value: b"},
		{name: "NS ok", v: NumSet("1", "2")},
		{name: "NS bad element", v: NumSet("1", "two"), err: msgNotNumber},
		{name: "no type", v: Value{}, err: "Supplied AttributeValue is empty"},
		{name: "nested set in list", v: List(StrSet()), err: "may not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.v)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want error containing %q", err, tt.err)
			}
		})
	}
}

func TestValidateNesting(t *testing.T) {
	t.Parallel()
	nest := func(n int) Value {
		v := Str("leaf")
		for range n {
			v = List(v)
		}
		return v
	}
	if err := Validate(nest(32)); err != nil {
		t.Errorf("32 levels: got %v, want nil", err)
	}
	if err := Validate(nest(33)); err == nil || !strings.Contains(err.Error(), "Nesting Levels have exceeded supported limits") {
		t.Errorf("33 levels: got %v", err)
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	if err := ValidateKey("pk", Str("")); err == nil || !strings.Contains(err.Error(), "cannot contain an empty string value. Key: pk") {
		t.Errorf("empty S key: got %v", err)
	}
	if err := ValidateKey("pk", Bin(nil)); err == nil || !strings.Contains(err.Error(), "empty binary value") {
		t.Errorf("empty B key: got %v", err)
	}
	if err := ValidateKey("pk", Bool(true)); err == nil {
		t.Error("BOOL key: got nil error")
	}
	if err := ValidateKey("pk", Num("3")); err != nil {
		t.Errorf("N key: got %v", err)
	}
}

func TestEqual(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b Value
		want bool
	}{
		{Num("1.50"), Num("1.5"), true},
		{Num("1"), Str("1"), false},
		{StrSet("a", "b"), StrSet("b", "a"), true},
		{NumSet("1", "2"), NumSet("2.0", "1"), true},
		{NumSet("1", "2"), NumSet("1"), false},
		{BinSet([]byte("a")), BinSet([]byte("a")), true},
		{Map(map[string]Value{"x": List(Num("1"), Null())}), Map(map[string]Value{"x": List(Num("1.0"), Null())}), true},
		{Map(map[string]Value{"x": Num("1")}), Map(map[string]Value{"y": Num("1")}), false},
		{List(Num("1"), Num("2")), List(Num("2"), Num("1")), false},
		{Bool(true), Bool(false), false},
		{Null(), Null(), true},
		{Bin([]byte("ab")), Bin([]byte("ab")), true},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%+v, %+v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCompareKinds(t *testing.T) {
	t.Parallel()
	if c, ok := Compare(Str("a"), Str("b")); !ok || c != -1 {
		t.Errorf("Compare(a, b) = %d, %v", c, ok)
	}
	if _, ok := Compare(Str("1"), Num("1")); ok {
		t.Error("Compare(S, N): got ok")
	}
	if _, ok := Compare(Bool(true), Bool(true)); ok {
		t.Error("Compare(BOOL, BOOL): got ok")
	}
	if c, ok := Compare(Bin([]byte{1}), Bin([]byte{1, 0})); !ok || c != -1 {
		t.Errorf("Compare(B) = %d, %v", c, ok)
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    Value
		want int
	}{
		{Str("héllo"), 6},
		{Num("123"), 3},
		{Num("-1"), 3},
		{Num("1234"), 3},
		{Num("1000"), 2},
		{Bin([]byte("abc")), 3},
		{Bool(true), 1},
		{Null(), 1},
		{List(), 3},
		{List(Str("ab"), Null()), 3 + 3 + 2},
		{Map(map[string]Value{"k": Str("vv")}), 3 + 1 + 2 + 1},
		{StrSet("a", "bc"), 3},
	}
	for _, tt := range tests {
		if got := Size(tt.v); got != tt.want {
			t.Errorf("Size(%+v) = %d, want %d", tt.v, got, tt.want)
		}
	}
	if got := ItemSize(Item{"id": Str("abc"), "n": Num("12")}); got != 2+3+1+2 {
		t.Errorf("ItemSize = %d, want 8", got)
	}
}

// TestNumberSize checks number sizes measured against DynamoDB with
// accept/reject pairs at the 400 KB item limit.
func TestNumberSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    string
		want int
	}{
		{"0", 1}, {"-0", 1}, {"1", 2}, {"12", 2}, {"123", 3}, {"1234", 3},
		{"12345678901234567890123456789012345678", 20}, {"0042", 2}, {"100", 2},
		{"1010", 3}, {"0.0000001", 2}, {"1E125", 2}, {"1E-100", 2}, {"1.5", 3},
		{"15", 2}, {"1.2", 3}, {"1.200", 3}, {"1.234", 4}, {"3.14159", 5},
		{"123456", 4}, {"100.5", 4}, {"0.15", 2}, {"-42", 3},
	}
	for _, tt := range tests {
		if got := Size(Num(tt.n)); got != tt.want {
			t.Errorf("Size(N %s) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// TestNullMustBeTrue: DynamoDB refuses {"NULL": false} (and "no", which
// its deserializer reads as false) with its own message, as the newest
// public conformance suite records; booleans may be sent as the strings
// true/false, 1/0, yes/no.
func TestNullMustBeTrue(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`{"NULL": false}`, `{"NULL": "no"}`, `{"NULL": "0"}`} {
		var v Value
		if err := v.UnmarshalJSON([]byte(raw)); err != nil || v.Kind != NULL {
			t.Fatalf("%s: got %+v, %v; want NULL", raw, v, err)
		}
		err := Validate(v)
		if err == nil || !strings.HasSuffix(err.Error(), "One or more parameter values were invalid: Null attribute value types must have the value of true") {
			t.Errorf("%s: Validate = %v", raw, err)
		}
	}
	for raw, want := range map[string]Value{`{"NULL": true}`: Null(), `{"NULL": "Yes"}`: Null(), `{"BOOL": "yes"}`: Bool(true), `{"BOOL": "FALSE"}`: Bool(false), `{"BOOL": "1"}`: Bool(true)} {
		var v Value
		if err := v.UnmarshalJSON([]byte(raw)); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if err := Validate(v); err != nil || !Equal(v, want) {
			t.Errorf("%s: got %+v (%v), want %+v", raw, v, err, want)
		}
	}
	var v Value
	if err := v.UnmarshalJSON([]byte(`{"BOOL": "maybe"}`)); err == nil {
		t.Errorf(`{"BOOL": "maybe"} decoded to %+v`, v)
	}
}

func TestClone(t *testing.T) {
	t.Parallel()
	orig := Map(map[string]Value{
		"l":  List(Str("a"), Bin([]byte("b"))),
		"ss": StrSet("x"),
		"bs": BinSet([]byte("y")),
	})
	c := Clone(orig)
	if !Equal(orig, c) {
		t.Fatal("clone differs")
	}
	c.Map["l"].List[0] = Str("changed")
	c.Map["l"].List[1].Bytes[0] = 'z'
	c.Map["ss"].Strs[0] = "changed"
	c.Map["bs"].Bins[0][0] = 'z'
	c.Map["new"] = Null()
	if orig.Map["l"].List[0].Str != "a" || orig.Map["l"].List[1].Bytes[0] != 'b' ||
		orig.Map["ss"].Strs[0] != "x" || orig.Map["bs"].Bins[0][0] != 'y' || len(orig.Map) != 3 {
		t.Fatalf("mutating the clone changed the original: %+v", orig)
	}
}
