package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// CheckJSON checks a JSON response body of op against op's output shape.
// A model of the query protocol answered in JSON (SQS's AWS JSON 1.0 mode)
// is read with member names as keys, as its JSON protocol has them.
func (m *Model) CheckJSON(op string, body []byte) []Violation {
	o, ok := m.Operations[op]
	if !ok {
		return []Violation{{op, "the operation is not in botocore's model"}}
	}
	var v any
	if len(bytes.TrimSpace(body)) == 0 {
		v = map[string]any{}
	} else {
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return []Violation{{op, fmt.Sprintf("the body is not JSON: %v: %.200s", err, body)}}
		}
	}
	c := jsonCheck{m: m, locationNames: m.Metadata.Protocol != "query"}
	if o.Output == nil {
		if obj, ok := v.(map[string]any); !ok || len(obj) != 0 {
			c.bad(op, "botocore has no output shape, the body is %.200s", body)
		}
		return c.out
	}
	out := m.Shapes[o.Output.Shape]
	if out.Payload != "" {
		ref := out.Members[out.Payload]
		if m.Shapes[ref.Shape].Type == "structure" {
			c.value(ref, v, op)
		}
		return c.out
	}
	c.structure(o.Output.Shape, out, v, op)
	return c.out
}

type jsonCheck struct {
	m             *Model
	locationNames bool
	cbor          bool // rpcv2-cbor: blobs are byte strings, timestamps tag 1
	out           []Violation
}

func (c *jsonCheck) bad(path, format string, args ...any) {
	c.out = append(c.out, Violation{path, fmt.Sprintf(format, args...)})
}

func (c *jsonCheck) key(name string, ref *Ref) string {
	if c.locationNames && ref.LocationName != "" {
		return ref.LocationName
	}
	return name
}

func (c *jsonCheck) structure(name string, sh *Shape, v any, path string) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.bad(path, "%s where botocore has structure %s", jsonType(v), name)
		return
	}
	byKey := map[string]string{}
	for mem, ref := range sh.Members {
		if ref.Location != "" {
			byKey[mem] = mem // its locationName names a header
			continue
		}
		byKey[c.key(mem, ref)] = mem
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		mem, ok := byKey[k]
		switch {
		case !ok && c.m.newer(name, k):
		case !ok:
			c.bad(path+"."+k, "not a member of %s: AWS never sends it", name)
		case sh.Members[mem].Location != "":
			c.bad(path+"."+k, "%s.%s is bound to the %s %s, not the body", name, mem, sh.Members[mem].Location, sh.Members[mem].LocationName)
		default:
			c.value(sh.Members[mem], obj[k], path+"."+k)
		}
	}
	for _, r := range sh.Required {
		ref, ok := sh.Members[r]
		if !ok || ref.Location != "" {
			continue
		}
		if _, ok := obj[c.key(r, ref)]; !ok {
			c.bad(path, "required member %s of %s is missing", c.key(r, ref), name)
		}
	}
	if sh.Union && len(obj) != 1 {
		c.bad(path, "%d members of union %s are set, want exactly one", len(obj), name)
	}
}

func (c *jsonCheck) value(ref *Ref, v any, path string) {
	sh := c.m.Shapes[ref.Shape]
	if v == nil {
		c.bad(path, "null where botocore has %s %s: AWS leaves the key out", sh.Type, ref.Shape)
		return
	}
	switch sh.Type {
	case "structure":
		c.structure(ref.Shape, sh, v, path)
	case "list":
		arr, ok := v.([]any)
		if !ok {
			c.bad(path, "%s where botocore has list %s", jsonType(v), ref.Shape)
			return
		}
		for i, e := range arr {
			c.value(sh.Member, e, fmt.Sprintf("%s[%d]", path, i))
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			c.bad(path, "%s where botocore has map %s", jsonType(v), ref.Shape)
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !c.m.inEnum(sh.Key.Shape, k) {
				c.bad(path+"."+k, "key %q is not one of %s's values %v", k, sh.Key.Shape, c.m.Shapes[sh.Key.Shape].Enum)
			}
			c.value(sh.Value, obj[k], path+"."+k)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			c.bad(path, "%s where botocore has string %s", jsonType(v), ref.Shape)
		} else if !c.m.inEnum(ref.Shape, s) {
			c.bad(path, "%q is not one of %s's values %v", s, ref.Shape, sh.Enum)
		}
	case "blob":
		if c.cbor {
			if _, ok := v.(cborBytes); !ok {
				c.bad(path, "%s where botocore has blob %s (a CBOR byte string)", jsonType(v), ref.Shape)
			}
			return
		}
		s, ok := v.(string)
		if !ok {
			c.bad(path, "%s where botocore has blob %s (base64 text)", jsonType(v), ref.Shape)
		} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			c.bad(path, "blob %s is not base64: %v", ref.Shape, err)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.bad(path, "%s where botocore has boolean %s", jsonType(v), ref.Shape)
		}
	case "integer", "long":
		if n, ok := v.(json.Number); !ok {
			c.bad(path, "%s where botocore has %s %s", jsonType(v), sh.Type, ref.Shape)
		} else if _, err := n.Int64(); err != nil {
			c.bad(path, "%s is not a whole number, botocore has %s %s", n, sh.Type, ref.Shape)
		}
	case "double", "float":
		if _, ok := v.(json.Number); !ok {
			c.bad(path, "%s where botocore has %s %s", jsonType(v), sh.Type, ref.Shape)
		}
	case "timestamp":
		c.timestamp(ref, sh, v, path)
	}
}

func (c *jsonCheck) timestamp(ref *Ref, sh *Shape, v any, path string) {
	if c.cbor {
		if _, ok := v.(cborTime); !ok {
			c.bad(path, "%s where botocore has timestamp %s (CBOR tag 1, epoch seconds)", jsonType(v), ref.Shape)
		}
		return
	}
	switch f := c.m.timestampFormat(ref, sh, false); f {
	case "unixTimestamp":
		if _, ok := v.(json.Number); !ok {
			c.bad(path, "%s where botocore has timestamp %s in epoch seconds (a JSON number)", jsonType(v), ref.Shape)
		}
	default:
		s, ok := v.(string)
		if !ok {
			c.bad(path, "%s where botocore has timestamp %s as %s text", jsonType(v), ref.Shape, f)
		} else if problem := badTimeText(s, f); problem != "" {
			c.bad(path, "%s", problem)
		}
	}
}

// badTimeText says what is wrong with s as a timestamp in format f
// (iso8601 or rfc822), or "".
func badTimeText(s, f string) string {
	if f == "rfc822" {
		if _, err := time.Parse(time.RFC1123, s); err != nil {
			return fmt.Sprintf("%q is not an rfc822 date", s)
		}
		return ""
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Sprintf("%q is not an iso8601 timestamp", s)
	}
	return ""
}

func jsonType(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return fmt.Sprintf("string %q", strings.TrimSpace(v[:min(len(v), 40)]))
	case json.Number:
		return "number " + v.String()
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case nil:
		return "null"
	case cborBytes:
		return "a byte string"
	case cborTime:
		return "a tag-1 time"
	}
	return fmt.Sprintf("%T", v)
}
