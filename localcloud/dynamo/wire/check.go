package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SerializationError is a request DynamoDB would not deserialize; Msg is
// DynamoDB's message.
type SerializationError struct{ Msg string }

func (e *SerializationError) Error() string { return e.Msg }

// ErrMalformed is a body that is not well-formed JSON; DynamoDB answers it
// with a SerializationException without a message.
var ErrMalformed = errors.New("wire: malformed JSON")

// errSyntax stops the walk at JSON that is not well formed.
var errSyntax = ErrMalformed

// Check walks body, the request of operation op, against the operation's
// input shape. It returns a *SerializationError for the first value of the
// wrong type, ErrMalformed when the walk meets JSON that is not well
// formed, and nil for a well-typed body or an operation the model does not
// know. The walk is not a full JSON validator: the decoder still is.
func Check(op string, body []byte) error {
	in, ok := operations[op]
	if !ok {
		return nil
	}
	w := walker{b: body}
	if err := w.value(in, field); err != nil {
		return err
	}
	if w.peek() != 0 {
		return ErrMalformed
	}
	return nil
}

type walker struct {
	b []byte
	i int
}

func (w *walker) peek() byte {
	for w.i < len(w.b) {
		switch c := w.b[w.i]; c {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return c
		}
	}
	return 0
}

// place is where a value sits: a structure's member, a list's element or
// a map's value. DynamoDB's deserializer words some errors by it.
type place uint8

const (
	field place = iota
	element
	mapValue
)

// castMsg is DynamoDB's answer to a scalar where a list inside a map or a
// map inside a list belongs.
const castMsg = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')"

// nested reports whether a container at p is a type parameter of another
// container (a map's list value, a list's map element).
func nested(s *shape, p place) bool {
	return s.kind == kList && p == mapValue || s.kind == kMap && p == element || s.kind == kList && p == element
}

// value checks the value at the cursor against shape sh, which sits at p,
// and consumes it.
func (w *walker) value(sh int, p place) error {
	s := &shapes[sh]
	switch c := w.peek(); c {
	case 'n':
		return w.lit("null")
	case '{':
		if s.kind != kStruct && s.kind != kMap {
			return fail("Start of structure or map found where not expected")
		}
		return w.object(s)
	case '[':
		if s.kind != kList {
			return fail("Unrecognized collection type " + javaClass(sh))
		}
		w.i++
		if w.peek() == ']' {
			w.i++
			return nil
		}
		for {
			if err := w.value(s.elem, element); err != nil {
				return err
			}
			switch w.peek() {
			case ',':
				w.i++
			case ']':
				w.i++
				return nil
			default:
				return errSyntax
			}
		}
	case '"':
		raw, escaped, err := w.str()
		if err != nil {
			return err
		}
		if s.kind == kString || s.kind == kTimestamp {
			return nil // the common case, without making the text
		}
		if s.kind == kBoolean && looseBool(text(raw, escaped)) {
			return nil // "true", "no", "1"...: DynamoDB reads these as booleans
		}
		if s.kind == kBlob {
			if msg := base64Problem(text(raw, escaped)); msg != "" {
				return fail(msg)
			}
			return nil
		}
		return scalar(s, p, "STRING_VALUE")
	case 't', 'f':
		word := "true"
		if c == 'f' {
			word = "false"
		}
		if err := w.lit(word); err != nil {
			return err
		}
		if s.kind == kBoolean {
			return nil
		}
		return scalar(s, p, strings.ToUpper(word)+"_VALUE")
	default:
		frac, err := w.number()
		if err != nil {
			return err
		}
		if s.kind == kInteger || s.kind == kLong || s.kind == kDouble || s.kind == kTimestamp {
			return nil // fractions are truncated
		}
		token := "NUMBER_VALUE"
		if frac {
			token = "DECIMAL_VALUE"
		}
		return scalar(s, p, token)
	}
}

// scalar answers a scalar JSON value, of Jackson token token (STRING_VALUE,
// TRUE_VALUE, NUMBER_VALUE, ...), sent for a member of shape s at p.
func scalar(s *shape, p place, token string) error {
	switch s.kind {
	case kList, kMap:
		if nested(s, p) {
			return fail(castMsg)
		}
		return fail("Unexpected field type")
	case kStruct:
		if p == field {
			return fail("Unexpected field type")
		}
		return fail("Unexpected value type in payload")
	case kBlob:
		return fail("only base-64-encoded strings are convertible to bytes")
	case kBoolean:
		if token == "STRING_VALUE" {
			return fail("Unexpected token received from parser")
		}
	}
	return fail(token + " cannot be converted to " + javaName[s.kind])
}

var javaName = map[kind]string{kString: "String", kBoolean: "Boolean", kInteger: "Integer", kLong: "Long", kDouble: "Double", kTimestamp: "Date"}

// javaClass is how DynamoDB's deserializer names the Java type of shape sh
// when a list is sent for it.
func javaClass(sh int) string {
	s := &shapes[sh]
	switch s.kind {
	case kMap:
		return "java.util.Map<java.lang.String, " + javaType(s.elem) + ">"
	case kStruct:
		return "class " + javaType(sh)
	case kBlob:
		return "class java.nio.ByteBuffer"
	}
	return "class " + javaType(sh)
}

// javaType is the Java type DynamoDB's model classes give shape sh.
func javaType(sh int) string {
	s := &shapes[sh]
	switch s.kind {
	case kStruct:
		return "com.amazonaws.dynamodb.v20120810." + s.name
	case kList:
		return "java.util.List<" + javaType(s.elem) + ">"
	case kMap:
		return "java.util.Map<java.lang.String, " + javaType(s.elem) + ">"
	case kBlob:
		return "java.nio.ByteBuffer"
	}
	return "java.lang." + javaName[s.kind]
}

func fail(msg string) error { return &SerializationError{Msg: msg} }

// base64Problem is DynamoDB's complaint about s as standard base64, or "".
func base64Problem(s string) string {
	if len(s)%4 != 0 {
		return "Base64 encoded length is expected a multiple of 4 bytes but found: " + strconv.Itoa(len(s))
	}
	pad := 0
	for pad < 2 && pad < len(s) && s[len(s)-1-pad] == '=' {
		pad++
	}
	body := s[:len(s)-pad]
	for _, r := range body {
		if b64Value(r) < 0 {
			return "Invalid last non-pad Base64 character dectected"
		}
	}
	if len(body) > 0 && pad > 0 {
		// The bits after the last full byte must be zero.
		if v := b64Value(rune(body[len(body)-1])); v&(1<<(2*pad)-1) != 0 {
			return "Invalid last non-pad Base64 character dectected"
		}
	}
	return ""
}

func b64Value(r rune) int {
	switch {
	case r >= 'A' && r <= 'Z':
		return int(r - 'A')
	case r >= 'a' && r <= 'z':
		return int(r-'a') + 26
	case r >= '0' && r <= '9':
		return int(r-'0') + 52
	case r == '+':
		return 62
	case r == '/':
		return 63
	}
	return -1
}

// object walks {"name": value, ...}: a structure's members by their
// shapes (others skipped), a map's values by its value shape, or anything
// when s is nil.
func (w *walker) object(s *shape) error {
	w.i++ // '{'
	if w.peek() == '}' {
		w.i++
		return nil
	}
	for {
		if w.peek() != '"' {
			return errSyntax
		}
		name, _, err := w.str()
		if err != nil {
			return err
		}
		if w.peek() != ':' {
			return errSyntax
		}
		w.i++
		sub, at := -1, field
		switch {
		case s == nil:
		case s.kind == kMap:
			sub, at = s.elem, mapValue
		default:
			for _, m := range s.members {
				if string(name) == m.name {
					sub = m.shape
					break
				}
			}
		}
		if sub >= 0 {
			err = w.value(sub, at)
		} else {
			err = w.skip()
		}
		if err != nil {
			return err
		}
		switch w.peek() {
		case ',':
			w.i++
		case '}':
			w.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// skip consumes any value.
func (w *walker) skip() error {
	switch c := w.peek(); c {
	case '{':
		return w.object(nil)
	case '[':
		w.i++
		if w.peek() == ']' {
			w.i++
			return nil
		}
		for {
			if err := w.skip(); err != nil {
				return err
			}
			switch w.peek() {
			case ',':
				w.i++
			case ']':
				w.i++
				return nil
			default:
				return errSyntax
			}
		}
	case '"':
		_, _, err := w.str()
		return err
	case 't':
		return w.lit("true")
	case 'f':
		return w.lit("false")
	case 'n':
		return w.lit("null")
	}
	_, err := w.number()
	return err
}

func (w *walker) lit(word string) error {
	if w.i+len(word) > len(w.b) || string(w.b[w.i:w.i+len(word)]) != word {
		return errSyntax
	}
	w.i += len(word)
	return nil
}

// str reads a string token at the cursor: its raw bytes between the
// quotes, and whether they hold escapes.
func (w *walker) str() (raw []byte, escaped bool, err error) {
	start := w.i
	w.i++
	// Fast path: the closing quote with no backslash before it.
	if q := bytes.IndexByte(w.b[w.i:], '"'); q >= 0 && bytes.IndexByte(w.b[w.i:w.i+q], '\\') < 0 {
		w.i += q + 1
		return w.b[start+1 : w.i-1], false, nil
	}
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case '\\':
			escaped = true
			w.i += 2
			continue
		case '"':
			w.i++
			return w.b[start+1 : w.i-1], escaped, nil
		}
		w.i++
	}
	return nil, false, errSyntax
}

// text is the string a token's raw bytes stand for, as messages quote it.
func text(raw []byte, escaped bool) string {
	if escaped {
		var s string
		if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s) == nil {
			return s
		}
	}
	if !utf8.Valid(raw) {
		return string([]rune(string(raw)))
	}
	return string(raw)
}

// number reads a number token and reports whether it is a decimal
// (fraction or exponent), which Jackson calls DECIMAL_VALUE.
func (w *walker) number() (bool, error) {
	start := w.i
	frac := false
	for w.i < len(w.b) {
		c := w.b[w.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' {
			w.i++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' {
			frac = true
			w.i++
			continue
		}
		break
	}
	if tok := string(w.b[start:w.i]); tok == "" || tok == "-" {
		return false, errSyntax
	}
	return frac, nil
}

// looseBool reports whether DynamoDB's deserializer reads the string s as a
// boolean: true/false, 1/0, yes/no in any case.
func looseBool(s string) bool {
	switch strings.ToUpper(s) {
	case "TRUE", "1", "YES", "FALSE", "0", "NO":
		return true
	}
	return false
}
