package labs_test

import (
	"fmt"
	"regexp"
	"strings"
)

// This file reads the labs' code blocks and judges them without running
// them: which POSIX shell blocks a Windows learner cannot paste into
// PowerShell, and whether a PowerShell block would parse and behave there.
// No PowerShell runs on the project's machines (Debian and npm ship none), so
// the rules below are the mistakes that break a pasted command in PowerShell
// 7 or Windows PowerShell 5.1, each one written down from PowerShell's
// parsing rules (about_Parsing, about_Quoting_Rules, about_Variables).

// block is a fenced code block of a lab's markdown.
type block struct {
	lang string
	code string // dedented by the fence's indentation, as the page shows it
	line int    // of the opening fence in the file
}

var fenceRE = regexp.MustCompile("^( *)```([a-z]*) *$")

// codeBlocks returns md's fenced blocks in order; lineOffset is the file
// line md starts on.
func codeBlocks(md string, lineOffset int) []block {
	lines := strings.Split(md, "\n")
	var out []block
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil || m[2] == "" {
			continue
		}
		indent := len(m[1])
		b := block{lang: m[2], line: lineOffset + i}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			l := lines[i]
			n := 0
			for n < indent && n < len(l) && l[n] == ' ' {
				n++
			}
			body = append(body, l[n:])
		}
		b.code = strings.Join(body, "\n")
		out = append(out, b)
	}
	return out
}

// shellOnly names what makes a POSIX shell block fail when pasted into
// PowerShell, or returns "" when the block works there as printed (apart
// from a trailing `\`, which the labs tell Windows learners to replace by a
// backtick, as lab 1 says).
func shellOnly(code string) string {
	for _, r := range shellOnlyRules {
		if r.re.MatchString(code) {
			return r.why
		}
	}
	return ""
}

var shellOnlyRules = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`(?m)^\s*[A-Za-z_][A-Za-z0-9_]*=`), "a shell variable assignment (NAME=...)"},
	{regexp.MustCompile(`\$\(`), "command substitution $(...)"},
	{regexp.MustCompile(`\$\{`), "parameter expansion ${...}"},
	{regexp.MustCompile(`<<`), "a heredoc"},
	{regexp.MustCompile(`(?m)^\s*(for|while|if) `), "a shell loop or test"},
	{regexp.MustCompile(`(?m)^\s*(export|alias) `), "export/alias"},
	{regexp.MustCompile(`/dev/null`), "/dev/null"},
	{regexp.MustCompile(`\|\s*(sed|cut|tr|head|tail|grep|awk)\b|(?m)^\s*grep `), "a Unix text tool"},
	{regexp.MustCompile(`\b(openssl|uname|seq)\b`), "a Unix program"},
	{regexp.MustCompile(`(?m)(^|[\s;(])curl `), "curl (an alias of Invoke-WebRequest in Windows PowerShell 5.1: use curl.exe)"},
	{regexp.MustCompile(`'[^'\n]*"[^'\n]*'|\\"`), `an argument with double quotes inside (Windows PowerShell 5.1 strips them before the AWS CLI sees them)`},
	{regexp.MustCompile(`"[^"\n]*\$[A-Za-z_][A-Za-z0-9_]*:[^"\n]*"`), `"$NAME:" in a string (PowerShell reads it as a drive-qualified variable)`},
}

// lintPowerShell returns what would break the PowerShell block code, one
// message per problem, with the block's line number.
func lintPowerShell(code string) []string {
	s := psScanner{src: code}
	s.scan()
	if len(s.stack) > 0 {
		s.errorf("unclosed %q", string(s.stack[len(s.stack)-1]))
	}
	for i, masked := range strings.Split(s.masked.String(), "\n") {
		for _, r := range psBashisms {
			if r.re.MatchString(masked) {
				s.problems = append(s.problems, fmt.Sprintf("line %d: %s", i+1, r.why))
			}
		}
	}
	s.checkVariables(code)
	return s.problems
}

var psBashisms = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`^\s*(export|alias|unset) `), "export/alias/unset are shell commands"},
	{regexp.MustCompile(`<<`), "a heredoc: use a here-string @\"...\"@"},
	{regexp.MustCompile(`/dev/null`), "/dev/null: use $null"},
	{regexp.MustCompile(`(^|[\s;])(do|done|then|fi|esac)(\s|;|$)`), "a shell keyword"},
	{regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*=`), "a shell assignment: PowerShell's is $NAME = ..."},
	{regexp.MustCompile(`\|\s*(sed|cut|tr|head|tail|grep|awk|xargs)\b|^\s*(grep|sed|cat) `), "a Unix text tool"},
	{regexp.MustCompile(`\b(openssl|uname|seq)\b`), "a Unix program"},
	{regexp.MustCompile(`(^|[\s;(|])curl\s`), "curl is Invoke-WebRequest in Windows PowerShell 5.1: call curl.exe"},
	{regexp.MustCompile(`&&|\|\|`), "&& and || need PowerShell 7: use if or ;"},
	{regexp.MustCompile(`\[\s+-[a-z]+\s`), "a shell test [ -n ... ]"},
	{regexp.MustCompile(`(^|[^2])>\s*[^$\s]|(^|[^2])>\s*$`), "> writes UTF-16 in Windows PowerShell 5.1: use Set-Content"},
	{regexp.MustCompile(`(^|\s)@[A-Za-z]`), "a bare @word is splatting: quote it"},
}

// psScanner walks PowerShell source: strings, here-strings, brackets and
// line continuations, and keeps a copy of the code with every string's
// contents blanked (masked) for the line rules.
type psScanner struct {
	src      string
	pos      int
	line     int
	stack    []byte
	masked   strings.Builder
	problems []string
	// native is the name of the command the scanner is in, when it is a
	// program rather than a cmdlet, and cmdStart whether the next word
	// starts a command.
	native   string
	cmdStart bool
	// doubles are the expandable strings' contents (for $NAME: checks).
	doubles []string
}

func (s *psScanner) errorf(format string, a ...any) {
	s.problems = append(s.problems, fmt.Sprintf("line %d: ", s.line+1)+fmt.Sprintf(format, a...))
}

// nativeCommands are the programs the labs call; PowerShell 5.1 passes
// their arguments with embedded double quotes broken.
var nativeCommands = map[string]bool{"aws": true, "curl.exe": true, "lab": true, "go": true}

var closing = map[byte]byte{')': '(', '}': '{', ']': '['}

func (s *psScanner) scan() {
	s.cmdStart = true
	for s.pos < len(s.src) {
		c := s.src[s.pos]
		switch {
		case c == '\n':
			s.newline()
		case c == '#' && (s.pos == 0 || s.src[s.pos-1] == ' ' || s.src[s.pos-1] == '\n'):
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		case c == '`':
			s.backtick()
		case c == '\\' && strings.TrimRight(s.restOfLine(), " \t") == "\\":
			s.errorf("a line ending in \\ does not continue in PowerShell: end it with a backtick")
			s.put(c)
		case c == '@' && s.pos+1 < len(s.src) && (s.src[s.pos+1] == '"' || s.src[s.pos+1] == '\''):
			s.hereString()
		case c == '\'' || c == '"':
			s.quoted(c)
		case c == '(' || c == '{' || c == '[':
			s.stack = append(s.stack, c)
			s.cmdStart = c != '['
			s.put(c)
		case c == ')' || c == '}' || c == ']':
			if len(s.stack) == 0 || s.stack[len(s.stack)-1] != closing[c] {
				s.errorf("unbalanced %q", string(c))
			} else {
				s.stack = s.stack[:len(s.stack)-1]
			}
			s.put(c)
		case c == ';' || c == '|' || c == '=':
			s.cmdStart, s.native = true, ""
			s.put(c)
		case c == ' ' || c == '\t':
			s.put(c)
		default:
			s.word()
		}
	}
}

func (s *psScanner) put(c byte) {
	s.masked.WriteByte(c)
	s.pos++
}

func (s *psScanner) restOfLine() string {
	rest := s.src[s.pos:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		return rest[:i]
	}
	return rest
}

func (s *psScanner) newline() {
	s.line++
	s.put('\n')
	s.cmdStart, s.native = true, ""
}

// backtick is a line continuation before a newline, else an escape.
func (s *psScanner) backtick() {
	rest := s.restOfLine()
	switch {
	case rest == "`":
		s.masked.WriteString("`\n")
		s.pos += 2
		s.line++
	case strings.TrimRight(rest, " \t") == "`":
		s.errorf("a backtick followed by spaces does not continue the line")
		s.pos += len(rest)
	default:
		s.masked.WriteString("  ")
		s.pos += 2
	}
}

// word reads a bare word; the first one of a command names it.
func (s *psScanner) word() {
	start := s.pos
	for s.pos < len(s.src) && !strings.ContainsRune(" \t\n;|(){}[]'\"`", rune(s.src[s.pos])) {
		s.pos++
	}
	if s.pos == start { // a lone special character
		s.pos++
	}
	w := s.src[start:s.pos]
	s.masked.WriteString(w)
	if s.cmdStart && !strings.HasPrefix(w, "$") {
		s.cmdStart = false
		s.native = ""
		if nativeCommands[strings.ToLower(w)] {
			s.native = w
		}
	}
}

// quoted reads a '...' or "..." string.
func (s *psScanner) quoted(q byte) {
	startLine := s.line
	s.pos++
	var body strings.Builder
	for {
		if s.pos >= len(s.src) {
			s.line = startLine
			s.errorf("unterminated %c string", q)
			return
		}
		c := s.src[s.pos]
		if c == q {
			if s.pos+1 < len(s.src) && s.src[s.pos+1] == q { // '' or "" is the quote itself
				body.WriteByte(q)
				s.pos += 2
				continue
			}
			s.pos++
			break
		}
		if c == '`' && q == '"' && s.pos+1 < len(s.src) {
			body.WriteByte(s.src[s.pos+1])
			s.pos += 2
			continue
		}
		if c == '\n' {
			s.line++
		}
		body.WriteByte(c)
		s.pos++
	}
	b := body.String()
	if q == '"' {
		s.doubles = append(s.doubles, b)
	}
	if s.native != "" && strings.Contains(b, `"`) {
		s.errorf("%s gets an argument with double quotes inside, which Windows PowerShell 5.1 breaks: write it to a file (file://) with Set-Content", s.native)
	}
	s.masked.WriteString(string(q) + strings.Repeat(" ", len(strings.ReplaceAll(b, "\n", ""))) + strings.Repeat("\n", strings.Count(b, "\n")) + string(q))
	if s.cmdStart {
		s.cmdStart = false
	}
}

// hereString reads @"..."@ or @'...'@: the opening must end its line and
// the closing must start one.
func (s *psScanner) hereString() {
	q := s.src[s.pos+1]
	startLine := s.line
	s.pos += 2
	if rest := s.restOfLine(); strings.TrimRight(rest, " \t") != "" {
		s.errorf("a here-string's @%c must end its line", q)
	}
	s.pos += len(s.restOfLine())
	s.masked.WriteString("@" + string(q))
	var body []string
	for {
		if s.pos >= len(s.src) {
			s.line = startLine
			s.errorf("here-string @%c is never closed by %c@ at the start of a line", q, q)
			return
		}
		s.pos++ // the newline
		s.line++
		s.masked.WriteByte('\n')
		l := s.restOfLine()
		if strings.HasPrefix(l, string(q)+"@") {
			s.pos += 2
			s.masked.WriteString(string(q) + "@")
			break
		}
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), string(q)+"@") {
			s.errorf("a here-string's closing %c@ must be at the very start of its line", q)
		}
		body = append(body, l)
		s.pos += len(l)
	}
	if q == '"' {
		s.doubles = append(s.doubles, strings.Join(body, "\n"))
	}
}

var (
	psVarRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	// A name followed by a colon inside an expandable string is read as
	// scope:name or drive:name ("$REGION:$ACCOUNT" is a parse error).
	psDriveRE    = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*):`)
	psAssignRE   = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)\s*=[^=]|foreach\s*\(\s*\$([A-Za-z_][A-Za-z0-9_]*)`)
	psScopeNames = map[string]bool{"env": true, "global": true, "script": true, "local": true, "private": true, "using": true, "variable": true, "function": true}
	// PowerShell's automatic variables a script must not assign.
	psAutomatic = map[string]bool{"args": true, "input": true, "host": true, "pid": true, "home": true, "error": true,
		"matches": true, "event": true, "this": true, "true": true, "false": true, "null": true, "profile": true,
		"pwd": true, "sender": true, "ofs": true, "lastexitcode": true, "psitem": true}
)

// checkVariables finds variables that collide (PowerShell's names ignore
// case: $i and $I are one variable), assignments to automatic variables,
// and $NAME: inside expandable strings.
func (s *psScanner) checkVariables(code string) {
	for _, d := range s.doubles {
		for _, m := range psDriveRE.FindAllStringSubmatch(d, -1) {
			if !psScopeNames[strings.ToLower(m[1])] {
				s.problems = append(s.problems, fmt.Sprintf(`"$%s:" in a string is read as a drive or scope: write ${%s}:`, m[1], m[1]))
			}
		}
	}
	spelled := map[string]string{}
	for _, m := range psVarRE.FindAllStringSubmatch(code, -1) {
		low := strings.ToLower(m[1])
		if prev, ok := spelled[low]; ok && prev != m[1] {
			s.problems = append(s.problems, fmt.Sprintf("$%s and $%s are the same variable in PowerShell", prev, m[1]))
		}
		spelled[low] = m[1]
	}
	for _, m := range psAssignRE.FindAllStringSubmatch(code, -1) {
		name := m[1] + m[2]
		if psAutomatic[strings.ToLower(name)] {
			s.problems = append(s.problems, fmt.Sprintf("$%s is an automatic variable", name))
		}
	}
}
