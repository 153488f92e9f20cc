package conformance

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborBytes and cborTime are the CBOR values JSON has no type for: a byte
// string (a blob) and a tag-1 epoch time (a timestamp).
type (
	cborBytes []byte
	cborTime  struct{}
)

// CheckCBOR checks an rpcv2-cbor response body of op (CloudWatch's
// protocol in aws-sdk-go-v2) against op's output shape: keys are member
// names, blobs byte strings, timestamps tag-1 epoch seconds.
func (m *Model) CheckCBOR(op string, body []byte) []Violation {
	o, ok := m.Operations[op]
	if !ok {
		return []Violation{{op, "the operation is not in botocore's model"}}
	}
	var v any = map[string]any{}
	if len(body) > 0 {
		cv, err := cbor.Decode(body)
		if err != nil {
			return []Violation{{op, fmt.Sprintf("the body is not CBOR: %v", err)}}
		}
		v = fromCBOR(cv)
	}
	c := jsonCheck{m: m, cbor: true}
	if o.Output == nil {
		if obj, ok := v.(map[string]any); !ok || len(obj) != 0 {
			c.bad(op, "botocore has no output shape, the body is %s", jsonType(v))
		}
		return c.out
	}
	c.structure(o.Output.Shape, m.Shapes[o.Output.Shape], v, op)
	return c.out
}

// fromCBOR turns a decoded CBOR value into the tree the JSON checks read.
func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = fromCBOR(e)
		}
		return out
	case cbor.List:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = fromCBOR(e)
		}
		return out
	case cbor.String:
		return string(v)
	case cbor.Uint:
		return json.Number(strconv.FormatUint(uint64(v), 10))
	case cbor.NegInt:
		return json.Number("-" + strconv.FormatUint(uint64(v), 10))
	case cbor.Float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case cbor.Float64:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 64))
	case cbor.Bool:
		return bool(v)
	case cbor.Slice:
		return cborBytes(v)
	case *cbor.Tag:
		if v.ID == 1 {
			return cborTime{}
		}
		return fmt.Sprintf("CBOR tag %d", v.ID)
	}
	return nil
}
