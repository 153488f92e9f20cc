package monitoring

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// CloudWatch's three client protocols carry the same shapes: the query
// protocol as form keys (MetricData.member.1.Value=2), rpcv2-cbor and
// awsJson1_0 as documents. Each request is first read into a tree of
// map[string]any, []any and leaves (string, float64, int64, bool,
// time.Time), then decoded into the operation's input struct by the field
// names, which are AWS's member names. Leaves are coerced to the field's
// type, so the strings of a form and the numbers of a document decode alike.
// Outputs go the other way: struct -> tree -> XML, CBOR or JSON.

// maxDepth bounds the nesting of a decoded request (CloudWatch's deepest
// input, a metric alarm's Metrics[].MetricStat.Metric.Dimensions[], is 6).
const maxDepth = 16

// kvMap marks a tree node that came from a Go map: XML writes it as
// <entry><key>..</key><value>..</value></entry>.
type kvMap map[string]any

// formTree turns query-protocol form keys into a tree. Lists are
// "Name.member.N[.rest]", maps "Name.entry.N.key/value".
func formTree(form url.Values) (map[string]any, error) {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Action" || k == "Version" || len(form[k]) == 0 {
			continue
		}
		parts := strings.Split(k, ".")
		if len(parts) > 3*maxDepth {
			return nil, invalidValue("the parameter %s is nested too deeply", k)
		}
		if err := setPath(root, parts, form[k][0]); err != nil {
			return nil, err
		}
	}
	return finishForm(root, 0).(map[string]any), nil
}

// indexed is a list or map under construction: index -> element.
type indexed struct {
	entry bool
	items map[int]any
}

func setPath(node map[string]any, parts []string, value string) error {
	name := parts[0]
	if len(parts) == 1 {
		node[name] = value
		return nil
	}
	if parts[1] == "member" || parts[1] == "entry" {
		if len(parts) < 3 {
			return invalidValue("the parameter %s has no index", strings.Join(parts, "."))
		}
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 || n > 100000 {
			return invalidValue("the parameter %s has a bad index", strings.Join(parts, "."))
		}
		ix, _ := node[name].(*indexed)
		if ix == nil {
			if _, taken := node[name]; taken {
				return invalidValue("the parameter %s is given twice", name)
			}
			ix = &indexed{entry: parts[1] == "entry", items: map[int]any{}}
			node[name] = ix
		}
		if len(parts) == 3 {
			ix.items[n] = value
			return nil
		}
		child, _ := ix.items[n].(map[string]any)
		if child == nil {
			child = map[string]any{}
			ix.items[n] = child
		}
		return setPath(child, parts[3:], value)
	}
	child, _ := node[name].(map[string]any)
	if child == nil {
		if _, taken := node[name]; taken {
			return invalidValue("the parameter %s is given twice", name)
		}
		child = map[string]any{}
		node[name] = child
	}
	return setPath(child, parts[1:], value)
}

func finishForm(v any, depth int) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = finishForm(c, depth+1)
		}
		return t
	case *indexed:
		idx := make([]int, 0, len(t.items))
		for i := range t.items {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		if t.entry {
			m := map[string]any{}
			for _, i := range idx {
				e, _ := t.items[i].(map[string]any)
				k, _ := e["key"].(string)
				m[k] = finishForm(e["value"], depth+1)
			}
			return m
		}
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, finishForm(t.items[i], depth+1))
		}
		return out
	}
	return v
}

// jsonTree reads an awsJson request body.
func jsonTree(body []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, protocol.Errorf("SerializationException", "could not decode the request body: %v", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// decode fills the struct dst points to from tree.
func decode(tree map[string]any, dst any) error {
	return decodeValue(tree, reflect.ValueOf(dst).Elem(), "", 0)
}

var timeType = reflect.TypeOf(time.Time{})

func decodeValue(v any, dst reflect.Value, path string, depth int) error {
	if v == nil {
		return nil
	}
	if depth > maxDepth {
		return invalidValue("the request is nested too deeply at %s", path)
	}
	if dst.Type() == timeType {
		t, err := asTime(v)
		if err != nil {
			return invalidValue("the value for parameter %s is not a valid timestamp", path)
		}
		dst.Set(reflect.ValueOf(t))
		return nil
	}
	switch dst.Kind() {
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := decodeValue(v, p.Elem(), path, depth+1); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return invalidValue("the value for parameter %s must be a string", path)
		}
		dst.SetString(s)
	case reflect.Bool:
		switch t := v.(type) {
		case bool:
			dst.SetBool(t)
		case string:
			b, err := strconv.ParseBool(t)
			if err != nil {
				return invalidValue("the value %q for parameter %s is not a boolean", t, path)
			}
			dst.SetBool(b)
		default:
			return invalidValue("the value for parameter %s must be a boolean", path)
		}
	case reflect.Float64:
		f, err := asFloat(v)
		if err != nil {
			return invalidValue("the value for parameter %s is not a number", path)
		}
		dst.SetFloat(f)
	case reflect.Int, reflect.Int64:
		f, err := asFloat(v)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return invalidValue("the value for parameter %s is not an integer", path)
		}
		dst.SetInt(int64(f))
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return invalidValue("the value for parameter %s must be a list", path)
		}
		s := reflect.MakeSlice(dst.Type(), len(list), len(list))
		for i, e := range list {
			if err := decodeValue(e, s.Index(i), fmt.Sprintf("%s.member.%d", path, i+1), depth+1); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return invalidValue("the value for parameter %s must be a map", path)
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(m))
		for k, e := range m {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := decodeValue(e, ev, path+"."+k, depth+1); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return invalidValue("the value for parameter %s must be a structure", path)
		}
		t := dst.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				// An embedded struct reads the same members.
				if err := decodeValue(m, dst.Field(i), path, depth+1); err != nil {
					return err
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			name := fieldName(f)
			e, ok := m[name]
			if !ok {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if err := decodeValue(e, dst.Field(i), p, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("monitoring: cannot decode into %s", dst.Type())
	}
	return nil
}

func fieldName(f reflect.StructField) string {
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
		return tag
	}
	return f.Name
}

func asFloat(v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		return t, nil
	case int64:
		return float64(t), nil
	case string:
		return strconv.ParseFloat(t, 64)
	}
	return 0, fmt.Errorf("not a number")
}

func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case float64, int64:
		f, _ := asFloat(t)
		if math.IsNaN(f) || math.Abs(f) > 1e11 {
			return time.Time{}, fmt.Errorf("out of range")
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	case string:
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			return asTime(f)
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
			if ts, err := time.Parse(layout, t); err == nil {
				return ts.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("not a timestamp")
}

// encode turns an output struct into a tree: json tags name members,
// "omitempty" drops zero values, nil pointers and nil slices are left out.
func encode(v any) any { return encodeValue(reflect.ValueOf(v)) }

func encodeValue(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return encodeValue(v.Elem())
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Float64, reflect.Float32:
		return v.Float()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int()
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = encodeValue(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := kvMap{}
		it := v.MapRange()
		for it.Next() {
			out[it.Key().String()] = encodeValue(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			fv := v.Field(i)
			if strings.Contains(f.Tag.Get("json"), ",omitempty") && fv.IsZero() {
				continue
			}
			if e := encodeValue(fv); e != nil {
				out[fieldName(f)] = e
			}
		}
		return out
	}
	return nil
}
