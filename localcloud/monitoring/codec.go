package monitoring

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// cborTree reads an rpcv2-cbor request body.
func cborTree(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, protocol.Errorf("SerializationException", "could not decode the CBOR request body: %v", err)
	}
	t, err := fromCBOR(v, 0)
	if err != nil {
		return nil, err
	}
	m, ok := t.(map[string]any)
	if !ok {
		return nil, protocol.Errorf("SerializationException", "the request body is not a CBOR map")
	}
	return m, nil
}

func fromCBOR(v cbor.Value, depth int) (any, error) {
	if depth > maxDepth {
		return nil, protocol.Errorf("SerializationException", "the request body is nested too deeply")
	}
	switch t := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(t))
		for k, e := range t {
			c, err := fromCBOR(e, depth+1)
			if err != nil {
				return nil, err
			}
			if c != nil {
				m[k] = c
			}
		}
		return m, nil
	case cbor.List:
		l := make([]any, 0, len(t))
		for _, e := range t {
			c, err := fromCBOR(e, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, c)
		}
		return l, nil
	case cbor.String:
		return string(t), nil
	case cbor.Uint:
		return float64(t), nil
	case cbor.NegInt:
		return -float64(t), nil
	case cbor.Float32:
		return float64(t), nil
	case cbor.Float64:
		return float64(t), nil
	case cbor.Bool:
		return bool(t), nil
	case *cbor.Tag:
		if t.ID == 1 {
			ts, err := cbor.AsTime(t)
			if err != nil {
				return nil, protocol.Errorf("SerializationException", "bad timestamp: %v", err)
			}
			return ts.UTC(), nil
		}
		return nil, protocol.Errorf("SerializationException", "unsupported CBOR tag %d", t.ID)
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case cbor.Slice:
		return string(t), nil
	}
	return nil, protocol.Errorf("SerializationException", "unsupported CBOR value %T", v)
}

func toCBOR(v any) cbor.Value {
	switch t := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range t {
			m[k] = toCBOR(e)
		}
		return m
	case kvMap:
		return toCBOR(map[string]any(t))
	case []any:
		l := make(cbor.List, len(t))
		for i, e := range t {
			l[i] = toCBOR(e)
		}
		return l
	case string:
		return cbor.String(t)
	case float64:
		return cbor.Float64(t)
	case int64:
		if t < 0 {
			return cbor.NegInt(uint64(-t))
		}
		return cbor.Uint(uint64(t))
	case bool:
		return cbor.Bool(t)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(epoch(t))}
	}
	return &cbor.Nil{}
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// toJSON prepares a tree for encoding/json: timestamps become epoch seconds.
func toJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = toJSON(e)
		}
	case kvMap:
		return toJSON(map[string]any(t))
	case []any:
		for i, e := range t {
			t[i] = toJSON(e)
		}
	case time.Time:
		return epoch(t)
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil
		}
	}
	return v
}

// writeXML writes a tree as the children of the current element: lists as
// <member> elements, maps as <entry><key/><value/></entry>.
func writeXML(enc *xml.Encoder, v any) error {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := xmlElement(enc, k, t[k]); err != nil {
				return err
			}
		}
		return nil
	case kvMap:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			start := xml.StartElement{Name: xml.Name{Local: "entry"}}
			enc.EncodeToken(start)
			xmlElement(enc, "key", k)
			xmlElement(enc, "value", t[k])
			if err := enc.EncodeToken(start.End()); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for _, e := range t {
			if err := xmlElement(enc, "member", e); err != nil {
				return err
			}
		}
		return nil
	}
	return enc.EncodeToken(xml.CharData(leafText(v)))
}

func xmlElement(enc *xml.Encoder, name string, v any) error {
	start := xml.StartElement{Name: xml.Name{Local: name}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if err := writeXML(enc, v); err != nil {
		return err
	}
	return enc.EncodeToken(start.End())
}

func leafText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	case bool:
		return strconv.FormatBool(t)
	case time.Time:
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return ""
}

// marshalJSON encodes a tree for the awsJson protocol.
func marshalJSON(v any) ([]byte, error) { return json.Marshal(toJSON(v)) }
