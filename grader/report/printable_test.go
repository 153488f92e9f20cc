package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
)

func TestPrintable(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "order 42 stored", "order 42 stored"},
		{"newline and tab kept", "a\n\tb", "a\n\tb"},
		{"unicode kept", "café ✓ 注文", "café ✓ 注文"},
		{"clear screen and home", "\x1b[2J\x1b[Horders", "orders"},
		{"fake green PASS", "\x1b[32mPASS\x1b[0m lab2/order-accepted", "PASS lab2/order-accepted"},
		{"conceal", "shown \x1b[8mhidden\x1b[28m", "shown hidden"},
		{"private CSI", "\x1b[?25lcursor\x1b[?1049h", "cursor"},
		{"OSC title with BEL", "\x1b]0;pwned\x07after", "after"},
		{"OSC hyperlink with ST", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"unterminated OSC keeps the text", "\x1b]0;still here", "0;still here"},
		{"DCS", "\x1bPq#0;2;0;0;0\x1b\\x", "x"},
		{"two-byte ESC (reset)", "\x1bcreset", "reset"},
		{"charset designation", "\x1b(Bascii", "ascii"},
		{"ESC at the end", "end\x1b", "end"},
		{"8-bit CSI", "\u009b2Jx", "x"},
		{"8-bit OSC", "\u009d0;t\u009cy", "y"},
		{"other C0", "a\rb\bc\x00d\x07e\x0bf\x0cg", "abcdefg"},
		{"DEL and C1", "a\x7fb\u0085c\u009fd", "abcd"},
		{"bidi overrides", "file\u202etxt.exe\u202c \u2066x\u2069 \u202ay\u202b", "filetxt.exe x y"},
		{"noncharacters", "a\ufffeb\uffffc", "abc"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"replacement char kept", "a\ufffdb", "a\ufffdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Printable(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, Printable(got), "Printable is not idempotent")
		})
	}
}

func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"\x1b[2J", "\x1b]0;x\x07", "\u009b1m", "a\u202eb", "\x1bP\x1b\\", "ok\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Printable(s)
		for _, r := range got {
			if r != '\n' && r != '\t' && drop(r) {
				t.Fatalf("Printable(%q) = %q keeps %U", s, got, r)
			}
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Printable(%q) = %q is not UTF-8", s, got)
		}
	})
}

// hostile is a result quoting a learner API that answered with escape
// sequences: clear screen, a fake green PASS line, concealed text, a window
// title, bidi reordering, and a byte XML forbids.
var hostile = grader.Result{Lab: "lab2", CheckID: "order-accepted", Title: "A valid order is accepted", Status: grader.Fail, Max: 3,
	Reason:   "a valid order got 500 \x1b[2J\x1b[H\x1b[32mPASS\x1b[0m all 14 checks passed\x1b[8m secret\x1b]0;pwned\x07 \u202egnp.exe\x00",
	Evidence: []string{"body \x1b[31mred\x1b[0m"},
	Hints:    []string{"table \x1b[8mShop\x1b[0mOrders"},
	Parts:    []grader.Part{{Name: "stored", Detail: "got \u009b2J\x7f"}}}

func TestReportsCarryNoControlCharacters(t *testing.T) {
	var text bytes.Buffer
	tx := &Text{W: &text, AllHints: true}
	tx.Result(hostile)
	var js bytes.Buffer
	require.NoError(t, JSON(&js, []grader.Result{hostile}))
	var ju bytes.Buffer
	require.NoError(t, JUnit(&ju, []grader.Result{hostile}))
	var gs bytes.Buffer
	require.NoError(t, Gradescope(&gs, []grader.Result{hostile}, 0))

	for name, out := range map[string]string{"text": text.String(), "json": js.String(), "junit": ju.String(), "gradescope": gs.String()} {
		assert.NotContains(t, out, "\x1b", "%s report holds an ESC byte", name)
		for _, bad := range []string{"\u009b", "\u202e", "\x00", "\x7f"} {
			assert.NotContains(t, out, bad, "%s report holds %q", name, bad)
		}
	}
	for _, want := range []string{"a valid order got 500 PASS all 14 checks passed secret gnp.exe", "table ShopOrders", "- stored got \n"} {
		assert.Contains(t, text.String(), want, "the text report lost the readable text")
	}
	var doc Document
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc), "the JSON report does not parse")
	assert.Equal(t, "body red", doc.Results[0].Evidence[0])
	var suites junitSuites
	require.NoError(t, xml.Unmarshal(ju.Bytes(), &suites), "the JUnit report is not XML")
	assert.True(t, strings.HasPrefix(suites.Suites[0].Cases[0].Failure.Message, "a valid order got 500 PASS"))
	assert.NotContains(t, ju.String(), "\ufffd", "the JUnit report replaced characters instead of leaving them out")
}
