package sqs

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// MessageAttributeValue is a message attribute as the API carries it.
type MessageAttributeValue struct {
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
	DataType         string   `json:"DataType"`
}

// message is one message of a queue, in memory.
type message struct {
	seq          int64 // position in the queue, unique per queue
	id           string
	body         string
	attrs        map[string]MessageAttributeValue
	sysAttrs     map[string]MessageAttributeValue // AWSTraceHeader
	senderID     string
	groupID      string
	dedupID      string
	dlqSource    string // DeadLetterQueueSourceArn, set when redriven to a DLQ
	sent         int64  // unix ms
	visibleAt    int64  // unix ms: not receivable before
	receiveCount int
	firstReceive int64 // unix ms, 0 before the first receive
	deleted      bool
	md5Body      string
}

// inFlight reports whether m has been received and its visibility timeout
// has not yet run out.
func (m *message) inFlight(now int64) bool { return m.receiveCount > 0 && m.visibleAt > now }

// messageSize is what counts against MaximumMessageSize: the body plus every
// attribute's name, type and value.
func messageSize(body string, attrs map[string]MessageAttributeValue) int {
	n := len(body)
	for k, v := range attrs {
		n += len(k) + len(v.DataType)
		if v.StringValue != nil {
			n += len(*v.StringValue)
		}
		n += len(v.BinaryValue)
	}
	return n
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// md5OfAttributes is AWS's documented digest of message attributes: for each
// attribute in name order, the length-prefixed (4-byte big-endian) name and
// data type, one transport byte (1 string, 2 binary, 3 string list, 4
// binary list), then the length-prefixed value(s).
func md5OfAttributes(attrs map[string]MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	var buf []byte
	put := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, name := range names {
		v := attrs[name]
		put([]byte(name))
		put([]byte(v.DataType))
		switch {
		case v.StringValue != nil:
			buf = append(buf, 1)
			put([]byte(*v.StringValue))
		case v.BinaryValue != nil:
			buf = append(buf, 2)
			put(v.BinaryValue)
		case len(v.StringListValues) > 0:
			buf = append(buf, 3)
			for _, s := range v.StringListValues {
				put([]byte(s))
			}
		case len(v.BinaryListValues) > 0:
			buf = append(buf, 4)
			for _, b := range v.BinaryListValues {
				put(b)
			}
		default:
			buf = append(buf, 1)
			put(nil)
		}
	}
	return md5Hex(buf)
}

// validChars reports whether s holds only the characters SQS accepts:
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
func validChars(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func invalidParam(format string, args ...any) *protocol.Error {
	return &protocol.Error{Code: "InvalidParameterValue", QueryCode: "InvalidParameterValue", Message: sprintf(format, args...)}
}

func missingParam(name string) *protocol.Error {
	return &protocol.Error{Code: "MissingParameter", QueryCode: "MissingParameter", Message: "The request must contain the parameter " + name + "."}
}

// validateAttributes checks user message attributes (system=false) or
// message system attributes (system=true).
func validateAttributes(attrs map[string]MessageAttributeValue, system bool) error {
	kind := "user"
	if system {
		kind = "system"
	}
	if len(attrs) > 10 {
		return invalidParam("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	for name, v := range attrs {
		if system {
			if name != "AWSTraceHeader" {
				return invalidParam("Message system attribute name '%s' is invalid.", name)
			}
			if v.DataType != "String" {
				return invalidParam("Message system attribute '%s' must be of type 'String'.", name)
			}
		} else if err := validateAttributeName(name); err != nil {
			return err
		}
		base, custom, _ := strings.Cut(v.DataType, ".")
		if v.DataType == "" {
			return invalidParam("The message (%s) attribute '%s' must contain a non-empty attribute type.", kind, name)
		}
		if len(v.DataType) > 256 || (strings.Contains(v.DataType, ".") && custom == "") {
			return invalidParam("The type of message (%s) attribute '%s' is invalid.", kind, name)
		}
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return invalidParam("Message (%s) attribute list values in '%s' are not supported.", kind, name)
		}
		switch base {
		case "String", "Number":
			if v.StringValue == nil || *v.StringValue == "" {
				return invalidParam("Message (%s) attribute '%s' must contain a non-empty value of message attribute type '%s'.", kind, name, base)
			}
			if v.BinaryValue != nil {
				return invalidParam("Message (%s) attribute '%s' with type '%s' must use field 'String'.", kind, name, base)
			}
			if !validChars(*v.StringValue) {
				return &protocol.Error{Code: "InvalidMessageContents", QueryCode: "InvalidMessageContents", Message: sprintf("Message (%s) attribute '%s' contains invalid characters.", kind, name)}
			}
			if base == "Number" {
				if _, err := strconv.ParseFloat(strings.TrimSpace(*v.StringValue), 64); err != nil {
					return invalidParam("Can't cast the value of message (%s) attribute '%s' to a number.", kind, name)
				}
			}
		case "Binary":
			if len(v.BinaryValue) == 0 {
				return invalidParam("Message (%s) attribute '%s' must contain a non-empty value of message attribute type 'Binary'.", kind, name)
			}
			if v.StringValue != nil {
				return invalidParam("Message (%s) attribute '%s' with type 'Binary' must use field 'Binary'.", kind, name)
			}
		default:
			return invalidParam("The type of message (%s) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", kind, name)
		}
	}
	return nil
}

func validateAttributeName(name string) error {
	bad := name == "" || len(name) > 256 || strings.Contains(name, "..") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".")
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		bad = true
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			bad = true
		}
	}
	if bad {
		return invalidParam("Message (user) attribute name '%s' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.", name)
	}
	return nil
}

// selectAttributes returns the attributes whose names the receiver asked
// for: "All", ".*", exact names, or prefixes ending in ".*".
func selectAttributes(attrs map[string]MessageAttributeValue, names []string) map[string]MessageAttributeValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]MessageAttributeValue{}
	for k, v := range attrs {
		for _, n := range names {
			if n == "All" || n == ".*" || n == k {
				out[k] = v
				break
			}
			if p, ok := strings.CutSuffix(n, ".*"); ok && strings.HasPrefix(k, p+".") {
				out[k] = v
				break
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// msgAttrMap is a map of message attributes; in XML each entry is a
// <MessageAttribute><Name/><Value>...</Value></MessageAttribute> element
// (the element name comes from the field).
type msgAttrMap map[string]MessageAttributeValue

// MarshalXML implements xml.Marshaler.
func (m msgAttrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := m[k]
		type value struct {
			StringValue      *string  `xml:"StringValue,omitempty"`
			BinaryValue      string   `xml:"BinaryValue,omitempty"`
			StringListValues []string `xml:"StringListValue,omitempty"`
			BinaryListValues []string `xml:"BinaryListValue,omitempty"`
			DataType         string   `xml:"DataType"`
		}
		val := value{StringValue: v.StringValue, StringListValues: v.StringListValues, DataType: v.DataType}
		if v.BinaryValue != nil {
			val.BinaryValue = base64.StdEncoding.EncodeToString(v.BinaryValue)
		}
		for _, b := range v.BinaryListValues {
			val.BinaryListValues = append(val.BinaryListValues, base64.StdEncoding.EncodeToString(b))
		}
		entry := struct {
			Name  string `xml:"Name"`
			Value value  `xml:"Value"`
		}{k, val}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: start.Name.Local}}); err != nil {
			return err
		}
	}
	return nil
}

// pairMap is a string map; in XML each entry is <Field><K/><V/></Field>.
type pairMap struct {
	m          map[string]string
	key, value string
}

func nameValues(m map[string]string) *pairMap {
	if len(m) == 0 {
		return nil
	}
	return &pairMap{m: m, key: "Name", value: "Value"}
}

func keyValues(m map[string]string) *pairMap {
	if len(m) == 0 {
		return nil
	}
	return &pairMap{m: m, key: "Key", value: "Value"}
}

// MarshalJSON encodes the plain map.
func (p *pairMap) MarshalJSON() ([]byte, error) { return jsonMarshal(p.m) }

// MarshalXML implements xml.Marshaler.
func (p *pairMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	keys := make([]string, 0, len(p.m))
	for k := range p.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		el := xml.StartElement{Name: xml.Name{Local: start.Name.Local}}
		if err := e.EncodeToken(el); err != nil {
			return err
		}
		if err := e.EncodeElement(k, xml.StartElement{Name: xml.Name{Local: p.key}}); err != nil {
			return err
		}
		if err := e.EncodeElement(p.m[k], xml.StartElement{Name: xml.Name{Local: p.value}}); err != nil {
			return err
		}
		if err := e.EncodeToken(el.End()); err != nil {
			return err
		}
	}
	return nil
}
