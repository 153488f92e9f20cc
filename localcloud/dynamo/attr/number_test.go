package attr

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCanonicalNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		err      string // substring of the error, "" for none
	}{
		{in: "1.50", want: "1.5"},
		{in: "0010", want: "10"},
		{in: "1e2", want: "100"},
		{in: "1E+2", want: "100"},
		{in: "-0", want: "0"},
		{in: "0.000", want: "0"},
		{in: "+7", want: "7"},
		{in: ".5", want: "0.5"},
		{in: "5.", want: "5"},
		{in: "-12.3400", want: "-12.34"},
		{in: "1.5e-3", want: "0.0015"},
		{in: "123.456e1", want: "1234.56"},
		{in: "0.00100", want: "0.001"},
		{in: "1E-130", want: "0." + strings.Repeat("0", 129) + "1"},
		{in: "9.9999999999999999999999999999999999999E+125", want: "99999999999999999999999999999999999999" + strings.Repeat("0", 88)},
		{in: "12345678901234567890123456789012345678", want: "12345678901234567890123456789012345678"},
		{in: "1234567890123456789012345678901234567800000", want: "1234567890123456789012345678901234567800000"},
		{in: "123456789012345678901234567890123456789", err: msgDigits},
		{in: "1E126", err: msgOverflow},
		{in: "1E-131", err: msgUnderflow},
		{in: "", err: msgNotNumber},
		{in: "abc", err: msgNotNumber},
		{in: "1..2", err: msgNotNumber},
		{in: "--1", err: msgNotNumber},
		{in: "+-1", err: msgNotNumber},
		{in: " 1", err: msgNotNumber},
		{in: "1 ", err: msgNotNumber},
		{in: "1e", err: msgNotNumber},
		{in: ".", err: msgNotNumber},
		{in: "-", err: msgNotNumber},
		{in: "0x10", err: msgNotNumber},
		{in: "NaN", err: msgNotNumber},
		{in: "Infinity", err: msgNotNumber},
		{in: "1e999999999999999999999", err: msgOverflow},
	}
	for _, tt := range tests {
		got, err := CanonicalNumber(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalid) {
				t.Errorf("CanonicalNumber(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CanonicalNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCompareNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1", "1.0", 0}, {"1", "2", -1}, {"10", "9", 1}, {"-1", "1", -1}, {"-10", "-9", -1},
		{"0", "-0", 0}, {"0.1", "0.09", 1}, {"1e2", "100", 0}, {"-0.12", "-0.123", 1},
		{"99999999999999999999999999999999999999", "1e38", -1}, {"0", "1E-130", -1}, {"-1E-130", "0", -1},
	}
	for _, tt := range tests {
		if got := CompareNumbers(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareNumbers(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareNumbers(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareNumbers(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestAddSubNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b, sum, diff string
		err             string
	}{
		{a: "1", b: "2", sum: "3", diff: "-1"},
		{a: "0.1", b: "0.2", sum: "0.3", diff: "-0.1"},
		{a: "1.5", b: "1.5", sum: "3", diff: "0"},
		{a: "-5", b: "0", sum: "-5", diff: "-5"},
		{a: "0", b: "5", sum: "5", diff: "-5"},
		{a: "0", b: "0", sum: "0", diff: "0"},
		{a: "1e10", b: "1e-10", sum: "10000000000.0000000001", diff: "9999999999.9999999999"},
		{a: "99999999999999999999999999999999999999", b: "-1", sum: "99999999999999999999999999999999999998", diff: "100000000000000000000000000000000000000"},
		{a: "1e30", b: "1e-30", err: msgDigits},
		{a: "9.9999999999999999999999999999999999999E+125", b: "9E+125", err: msgOverflow},
		{a: "x", b: "1", err: msgNotNumber},
	}
	for _, tt := range tests {
		sum, err := AddNumbers(tt.a, tt.b)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("AddNumbers(%s, %s) = %s, %v; want error %q", tt.a, tt.b, sum, err, tt.err)
			}
			continue
		}
		if err != nil || sum != tt.sum {
			t.Errorf("AddNumbers(%s, %s) = %s, %v; want %s", tt.a, tt.b, sum, err, tt.sum)
		}
		diff, err := SubNumbers(tt.a, tt.b)
		if err != nil || diff != tt.diff {
			t.Errorf("SubNumbers(%s, %s) = %s, %v; want %s", tt.a, tt.b, diff, err, tt.diff)
		}
	}
}

// randomNumber returns a random valid number in assorted notations.
func randomNumber(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(2) == 0 {
		b.WriteByte('-')
	}
	n := 1 + r.IntN(12)
	for range n {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	if r.IntN(2) == 0 {
		b.WriteByte('.')
		for range r.IntN(6) {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	if r.IntN(3) == 0 {
		fmt.Fprintf(&b, "e%d", r.IntN(40)-20)
	}
	return b.String()
}

func TestKeyBytesNumberOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a, b := randomNumber(r), randomNumber(r)
		if r.IntN(10) == 0 {
			b = a + "0" // same value, different text, when a has a point
		}
		want := CompareNumbers(a, b)
		got := bytes.Compare(KeyBytes(Num(a)), KeyBytes(Num(b)))
		if got != want {
			t.Fatalf("bytes.Compare(KeyBytes(%s), KeyBytes(%s)) = %d, CompareNumbers = %d", a, b, got, want)
		}
		if c, ok := Compare(Num(a), Num(b)); !ok || c != want {
			t.Fatalf("Compare(%s, %s) = %d, %v; want %d", a, b, c, ok, want)
		}
	}
}

func TestKeyBytesStringsAndBinaries(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	rnd := func() string {
		b := make([]byte, r.IntN(5))
		for i := range b {
			b[i] = byte(r.IntN(4)) * 60
		}
		return string(b)
	}
	for range 5000 {
		a, b := rnd(), rnd()
		want := strings.Compare(a, b)
		if got := bytes.Compare(KeyBytes(Str(a)), KeyBytes(Str(b))); got != want {
			t.Fatalf("S %q vs %q: got %d, want %d", a, b, got, want)
		}
		if got := bytes.Compare(KeyBytes(Bin([]byte(a))), KeyBytes(Bin([]byte(b)))); got != want {
			t.Fatalf("B %q vs %q: got %d, want %d", a, b, got, want)
		}
	}
	if bytes.Equal(KeyBytes(Str("1")), KeyBytes(Num("1"))) {
		t.Error("KeyBytes of S 1 and N 1 collide")
	}
	if !bytes.Equal(KeyBytes(Num("1.50")), KeyBytes(Num("15e-1"))) {
		t.Error("KeyBytes of 1.50 and 15e-1 differ")
	}
}

func FuzzCanonicalNumber(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "0.0", "1e-130", "abc", "1e126", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalNumber(s)
		if err != nil {
			return
		}
		c2, err := CanonicalNumber(c)
		if err != nil || c2 != c {
			t.Fatalf("CanonicalNumber(%q) = %q, not a fixed point: %q, %v", s, c, c2, err)
		}
		if CompareNumbers(s, c) != 0 {
			t.Fatalf("CompareNumbers(%q, %q) != 0", s, c)
		}
	})
}

func FuzzKeyBytesOrder(f *testing.F) {
	for _, p := range [][2]string{{"1", "2"}, {"-1.5", "-1.50"}, {"0", "-0.0001"}, {"1e10", "9999999999"}, {"-12", "-120"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if _, err := CanonicalNumber(a); err != nil {
			return
		}
		if _, err := CanonicalNumber(b); err != nil {
			return
		}
		want := CompareNumbers(a, b)
		if got := bytes.Compare(KeyBytes(Num(a)), KeyBytes(Num(b))); got != want {
			t.Fatalf("bytes.Compare(KeyBytes(%s), KeyBytes(%s)) = %d, CompareNumbers = %d", a, b, got, want)
		}
		sum, err := AddNumbers(a, b)
		if err != nil {
			return
		}
		if diff, err := SubNumbers(sum, b); err == nil && CompareNumbers(diff, a) != 0 {
			t.Fatalf("(%s + %s) - %s = %s, want %s", a, b, b, diff, a)
		}
	})
}
