package iam

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Quotas AWS enforces on policy documents (characters, whitespace included).
const (
	maxTrustPolicy   = 2048
	maxInlinePolicy  = 10240 // a role's inline policies together
	maxUserInline    = 2048  // a user's
	maxGroupInline   = 5120  // a group's
	maxManagedPolicy = 6144
	maxVersions      = 5
	maxAttached      = 10
	maxTags          = 50
)

// policyDoc is the part of a policy document the local cloud reads.
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"-"`
}

type statement struct {
	Effect    string                                `json:"Effect"`
	Action    stringList                            `json:"Action"`
	Principal json.RawMessage                       `json:"Principal"`
	Condition map[string]map[string]json.RawMessage `json:"Condition"`
}

// stringList decodes a JSON string or array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// parsePolicy checks that doc is a policy document: a JSON object with a
// Version and one or more statements, each with Effect Allow or Deny.
func parsePolicy(doc string) (*policyDoc, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, malformed("Syntax errors in policy.")
	}
	p := &policyDoc{}
	v, ok := raw["Version"]
	if !ok || json.Unmarshal(v, &p.Version) != nil {
		return nil, malformed("The policy must contain a valid version string")
	}
	if p.Version != "2012-10-17" && p.Version != "2008-10-17" {
		return nil, malformed("The policy must contain a valid version string")
	}
	st, ok := raw["Statement"]
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	var one statement
	if json.Unmarshal(st, &p.Statement) != nil {
		if err := json.Unmarshal(st, &one); err != nil || st[0] != '{' {
			return nil, malformed("Syntax errors in policy.")
		}
		p.Statement = []statement{one}
	}
	if len(p.Statement) == 0 {
		return nil, malformed("Syntax errors in policy.")
	}
	for _, s := range p.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, malformed("Syntax errors in policy.")
		}
	}
	return p, nil
}

func malformed(msg string) error {
	return protocol.Errorf("MalformedPolicyDocument", "%s", msg)
}

// policySize is a document's size as IAM counts it against its quotas:
// characters other than white space.
func policySize(doc string) int {
	n := 0
	for _, c := range doc {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			n++
		}
	}
	return n
}

// policyKind is a kind of policy document; kinds differ in the fields
// they require and the language versions they accept.
type policyKind int

const (
	identityPolicy policyKind = iota // a user's, group's or role's, inline or managed
	trustPolicy                      // a role's trust policy
	// sessionPolicy is an identity policy passed to STS for a session. The
	// policy grammar's Version is optional (absent, it is 2008-10-17, the
	// IAM User Guide's Version element): only IAM's own stored policies
	// must be 2012-10-17.
	sessionPolicy
)

// encodeDocument percent-encodes a policy document the way IAM returns it:
// every byte but the RFC 3986 unreserved characters is escaped, so that
// url.QueryUnescape, url.PathUnescape and Python's unquote all read it back.
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// decodeInputDocument accepts a document as sent; some tools send it
// percent-encoded, as IAM returns it.
func decodeInputDocument(doc string) string {
	t := strings.TrimSpace(doc)
	if strings.HasPrefix(t, "%7B") || strings.HasPrefix(t, "%7b") {
		if d, err := url.PathUnescape(t); err == nil {
			return d
		}
	}
	return doc
}

// newID returns an IAM unique id: prefix plus 17 upper-case base32 characters.
func newID(prefix string) string {
	return prefix + randomString(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// validName checks an IAM entity name: 1..max of [\w+=,.@-].
func validName(field, name string, max int) error {
	if name == "" || len(name) > max {
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length between 1 and %d", name, field, max)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+=,.@-", c)) {
			return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name, field)
		}
	}
	return nil
}

// validPath checks an IAM path, the request's param: "/" or "/a/b/", at
// most 512 characters.
func validPath(param, path string) error {
	if len(path) > 512 {
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 512", path, param)
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || strings.Contains(path, "//") && path != "/" {
		return validation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	for _, c := range path {
		if c < '!' || c > '~' {
			return validation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
		}
	}
	return nil
}

// tag is a resource tag.
type tag struct {
	Key   string `xml:"Key" json:"k"`
	Value string `xml:"Value" json:"v"`
}

// mergeTags sets add on top of tags, keeping key order of first appearance.
func mergeTags(tags, add []tag) []tag {
	out := append([]tag(nil), tags...)
	for _, a := range add {
		found := false
		for i := range out {
			if out[i].Key == a.Key {
				out[i].Value, found = a.Value, true
			}
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

func removeTags(tags []tag, keys []string) []tag {
	var out []tag
	for _, t := range tags {
		drop := false
		for _, k := range keys {
			drop = drop || t.Key == k
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

func tagsJSON(tags []tag) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

// list is an awsQuery list: its items are <member> elements.
type list[T any] struct {
	Member []T `xml:"member"`
}

// page cuts a sorted list of keys for Marker/MaxItems pagination: it returns
// the index range to answer and the marker for the next page ("" if none).
func page(keys []string, form map[string][]string) (start, end int, next string, err error) {
	max := 100
	if v := first(form, "MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, "", validation("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
		max = n
	}
	if m := first(form, "Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return 0, 0, "", validation("Invalid Marker.")
		}
		start = sort.SearchStrings(keys, string(b))
	}
	end = start + max
	if end >= len(keys) {
		return start, len(keys), "", nil
	}
	return start, end, base64.RawURLEncoding.EncodeToString([]byte(keys[end])), nil
}

func first(form map[string][]string, k string) string {
	if v := form[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// truncated is the IsTruncated/Marker pair of IAM list results.
type truncated struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

func parseBool(form map[string][]string, name string) (bool, error) {
	switch v := strings.ToLower(first(form, name)); v {
	case "":
		return false, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be a boolean", v, lowerFirst(name))
	}
}
