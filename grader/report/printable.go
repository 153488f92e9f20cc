package report

import (
	"strings"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/grader"
)

// Printable returns s without anything a terminal would act on rather than
// show, so that text from the learner's side (an API's answer quoted in a
// reason, a name in a hint) cannot clear the screen, fake a green PASS, hide
// text or retitle the window of whoever reads the report:
//
//   - escape sequences, whole: CSI (ESC [ ... final), OSC, DCS, SOS, PM and
//     APC strings up to BEL or ST, and two-byte ESC sequences; their 8-bit
//     forms (U+009B CSI, U+009D OSC, ...) likewise;
//   - every other C0 control but \n and \t (a \r would overwrite the line),
//     DEL and the C1 controls U+0080-U+009F;
//   - the bidirectional overrides and isolates U+202A-U+202E and
//     U+2066-U+2069, which reorder what is shown;
//   - the noncharacters U+FFFE and U+FFFF (not allowed in XML).
//
// Invalid UTF-8 becomes U+FFFD. Text that needs none of this is returned as is.
func Printable(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b && i+n < len(s):
			i += n + escapeLen(s[i+n:])
			continue
		case r == 0x9b: // 8-bit CSI
			i += n + csiLen(s[i+n:])
			continue
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // 8-bit DCS, SOS, OSC, PM, APC
			i += n + stringLen(s[i+n:])
			continue
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case !drop(r):
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// clean reports whether s holds nothing Printable would change.
func clean(s string) bool {
	for i, r := range s {
		if drop(r) || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return false
		}
	}
	return true
}

// drop reports whether r is never shown.
func drop(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// escapeLen is the length of the escape sequence whose ESC was just read.
func escapeLen(s string) int {
	switch s[0] {
	case '[':
		return 1 + csiLen(s[1:])
	case ']', 'P', 'X', '^', '_':
		return 1 + stringLen(s[1:])
	}
	return seqLen(s, 0x2f, 0x30) // intermediates 0x20-0x2f, a final 0x30-0x7e
}

// csiLen is the length of a CSI sequence's parameters and intermediates
// (0x20-0x3f) and final byte (0x40-0x7e).
func csiLen(s string) int { return seqLen(s, 0x3f, 0x40) }

// seqLen is the length of a run of bytes from 0x20 to last, then one final
// byte from final to 0x7e if there is one; it stops early at anything else.
func seqLen(s string, last, final byte) int {
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= last {
		n++
	}
	if n < len(s) && s[n] >= final && s[n] <= 0x7e {
		n++
	}
	return n
}

// stringLen is the length of a control string (OSC and kin) up to and with
// its terminator, BEL, ESC \ or U+009C. An unterminated one drops nothing
// but its introducer: the terminal would swallow the rest, the report
// shows it.
func stringLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
	}
	return 0
}

// printableResult returns r with every text Printable.
func printableResult(r grader.Result) grader.Result {
	r.Lab, r.CheckID, r.Title, r.Step, r.Reason = Printable(r.Lab), Printable(r.CheckID), Printable(r.Title), Printable(r.Step), Printable(r.Reason)
	r.Evidence = printableAll(r.Evidence)
	r.Hints = printableAll(r.Hints)
	if r.Parts != nil {
		parts := make([]grader.Part, len(r.Parts))
		for i, p := range r.Parts {
			p.Name, p.Detail = Printable(p.Name), Printable(p.Detail)
			parts[i] = p
		}
		r.Parts = parts
	}
	return r
}

func printableAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Printable(s)
	}
	return out
}

// printableResults applies printableResult to each result.
func printableResults(rs []grader.Result) []grader.Result {
	out := make([]grader.Result, len(rs))
	for i, r := range rs {
		out[i] = printableResult(r)
	}
	return out
}
