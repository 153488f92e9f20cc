package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// FilterPolicy is a compiled SNS subscription filter policy, as AWS documents
// it under "Amazon SNS message filtering". It is immutable once compiled and
// safe for concurrent use.
//
// A policy is a JSON object whose keys name message attributes (scope
// MessageAttributes) or fields of a JSON message body (scope MessageBody,
// where objects nest). Each key holds an array of conditions, any of which
// may match (OR); every key must match (AND); a "$or" key holds an array of
// sub-policies of which one must match. Conditions are exact strings,
// numbers, booleans or null, or objects with one operator: "prefix",
// "suffix", "equals-ignore-case", "anything-but" (a value, a list of values,
// or {"prefix": ...} / {"suffix": ...}), "numeric" (["=", 5] or ranges like
// [">", 0, "<=", 10]) and "exists" (true or false).
type FilterPolicy struct {
	root   *filterNode
	nested bool
}

// filterNode is one level of a policy: every leaf must match, and for every
// $or group one of its branches must.
type filterNode struct {
	leaves []filterLeaf
	ors    [][]*filterNode
}

// filterLeaf is the conditions on one field, by its path from the top.
type filterLeaf struct {
	path  []string
	conds []condition
}

type condKind int

const (
	condExact condKind = iota
	condPrefix
	condSuffix
	condEqualsIgnoreCase
	condAnythingBut
	condAnythingButPrefix
	condAnythingButSuffix
	condNumeric
	condExists
)

// condition is one entry of a leaf's array.
type condition struct {
	kind condKind
	val  scalar      // condExact, condPrefix/Suffix (string), condEqualsIgnoreCase
	list []scalar    // condAnythingBut
	cmps []numericOp // condNumeric
	b    bool        // condExists
}

type numericOp struct {
	op string
	n  float64
}

type scalarKind int

const (
	kindString scalarKind = iota
	kindNumber
	kindBool
	kindNull
)

// scalar is a value of a message: a string, a number, a boolean or null.
type scalar struct {
	kind scalarKind
	s    string
	n    float64
	b    bool
}

func (a scalar) equal(b scalar) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kindString:
		return a.s == b.s
	case kindNumber:
		return a.n == b.n
	case kindBool:
		return a.b == b.b
	}
	return true
}

// maxFilterCombinations is AWS's limit on the total combination of values a
// policy may express.
const maxFilterCombinations = 150

// maxFilterKeys is AWS's limit on the keys (leaf fields) of a policy.
const maxFilterKeys = 5

// maxFilterPolicySize is AWS's limit on a policy's size in bytes.
const maxFilterPolicySize = 256 * 1024

// maxNumeric bounds numbers in policies, as AWS does (±1,000,000,000).
const maxNumeric = 1e9

// CompileFilterPolicy parses and validates a filter policy. The error says
// what is wrong in the words AWS uses after "Invalid parameter: FilterPolicy: ".
func CompileFilterPolicy(policy string) (*FilterPolicy, error) {
	if len(policy) > maxFilterPolicySize {
		return nil, errors.New("Filter policy is too long")
	}
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("failed to parse JSON: %v", err)
	}
	if dec.More() {
		return nil, errors.New("failed to parse JSON: trailing data after the policy")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("Filter policy must be a JSON object")
	}
	fp := &FilterPolicy{}
	root, err := fp.compileNode(obj, nil, 0)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	root.leafKeys(keys)
	if len(keys) > maxFilterKeys {
		return nil, fmt.Errorf("Filter policy can not have more than %d keys", maxFilterKeys)
	}
	if root.combinations() > maxFilterCombinations {
		return nil, errors.New("Filter policy is too complex") // SNS names no count
	}
	fp.root = root
	return fp, nil
}

// Nested reports whether the policy has nested objects, which only the
// MessageBody scope accepts.
func (p *FilterPolicy) Nested() bool { return p.nested }

const maxFilterDepth = 16

func (p *FilterPolicy) compileNode(obj map[string]any, path []string, depth int) (*filterNode, error) {
	if depth > maxFilterDepth {
		return nil, errors.New("Filter policy is nested too deeply")
	}
	n := &filterNode{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		if k == "$or" {
			arr, ok := v.([]any)
			if !ok || len(arr) < 2 {
				return nil, errors.New("$or must be an array of at least two filter policies")
			}
			var group []*filterNode
			for _, b := range arr {
				bo, ok := b.(map[string]any)
				if !ok || len(bo) == 0 {
					return nil, errors.New("$or must be an array of non-empty JSON objects")
				}
				child, err := p.compileNode(bo, path, depth+1)
				if err != nil {
					return nil, err
				}
				group = append(group, child)
			}
			n.ors = append(n.ors, group)
			continue
		}
		if k == "" {
			return nil, errors.New("Filter policy keys must not be empty")
		}
		sub := append(append([]string(nil), path...), k)
		switch vv := v.(type) {
		case map[string]any:
			if len(vv) == 0 {
				return nil, fmt.Errorf("Key %s: nested objects must not be empty", k)
			}
			p.nested = true
			child, err := p.compileNode(vv, sub, depth+1)
			if err != nil {
				return nil, err
			}
			n.leaves = append(n.leaves, child.leaves...)
			n.ors = append(n.ors, child.ors...)
		case []any:
			if len(vv) == 0 {
				return nil, fmt.Errorf("Key %s: Empty arrays are not allowed", k)
			}
			conds := make([]condition, 0, len(vv))
			for _, c := range vv {
				cond, err := compileCondition(k, c)
				if err != nil {
					return nil, err
				}
				conds = append(conds, cond)
			}
			n.leaves = append(n.leaves, filterLeaf{path: sub, conds: conds})
		default:
			return nil, fmt.Errorf("Key %s: the value of a filter policy key must be an array or an object", k)
		}
	}
	return n, nil
}

// leafKeys adds the paths of n's leaves, $or branches included, to keys.
func (n *filterNode) leafKeys(keys map[string]bool) {
	for _, l := range n.leaves {
		keys[strings.Join(l.path, "\x00")] = true
	}
	for _, g := range n.ors {
		for _, b := range g {
			b.leafKeys(keys)
		}
	}
}

func (n *filterNode) combinations() int {
	total := 1
	for _, l := range n.leaves {
		total = mulCap(total, len(l.conds))
	}
	for _, g := range n.ors {
		sum := 0
		for _, b := range g {
			sum += b.combinations()
			if sum > maxFilterCombinations {
				sum = maxFilterCombinations + 1
			}
		}
		total = mulCap(total, sum)
	}
	return total
}

func mulCap(a, b int) int {
	if a > maxFilterCombinations || b > maxFilterCombinations || a*b > maxFilterCombinations {
		return maxFilterCombinations + 1
	}
	return a * b
}

func compileScalar(key string, v any) (scalar, error) {
	switch x := v.(type) {
	case string:
		return scalar{kind: kindString, s: x}, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return scalar{}, fmt.Errorf("Key %s: invalid number %s", key, x)
		}
		if math.Abs(f) > maxNumeric {
			return scalar{}, fmt.Errorf("Key %s: numbers must be between -1000000000 and 1000000000", key)
		}
		return scalar{kind: kindNumber, n: fivePlaces(f)}, nil
	case bool:
		return scalar{kind: kindBool, b: x}, nil
	case nil:
		return scalar{kind: kindNull}, nil
	}
	return scalar{}, errors.New("Match value must be String, number, true, false, or null")
}

func compileCondition(key string, v any) (condition, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		s, err := compileScalar(key, v)
		if err != nil {
			return condition{}, err
		}
		return condition{kind: condExact, val: s}, nil
	}
	if len(obj) != 1 {
		return condition{}, fmt.Errorf("Key %s: a match object must hold exactly one operator", key)
	}
	for op, arg := range obj {
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
			s, ok := arg.(string)
			if !ok {
				return condition{}, fmt.Errorf("Key %s: %s match pattern must be a string", key, op)
			}
			if s == "" && op != "equals-ignore-case" {
				return condition{}, fmt.Errorf("Key %s: %s match pattern must not be empty", key, op)
			}
			kind := map[string]condKind{"prefix": condPrefix, "suffix": condSuffix, "equals-ignore-case": condEqualsIgnoreCase}[op]
			return condition{kind: kind, val: scalar{kind: kindString, s: s}}, nil
		case "exists":
			b, ok := arg.(bool)
			if !ok {
				return condition{}, errors.New("exists match pattern must be either true or false.")
			}
			return condition{kind: condExists, b: b}, nil
		case "anything-but":
			return compileAnythingBut(key, arg)
		case "numeric":
			return compileNumeric(key, arg)
		default:
			return condition{}, fmt.Errorf("Unrecognized match type %s", op)
		}
	}
	panic("unreachable")
}

func compileAnythingBut(key string, arg any) (condition, error) {
	switch x := arg.(type) {
	case map[string]any:
		if len(x) != 1 {
			return condition{}, fmt.Errorf("Key %s: anything-but object must hold exactly one of prefix or suffix", key)
		}
		for op, a := range x {
			s, ok := a.(string)
			if !ok || s == "" {
				return condition{}, fmt.Errorf("Key %s: anything-but %s must be a non-empty string", key, op)
			}
			switch op {
			case "prefix":
				return condition{kind: condAnythingButPrefix, val: scalar{kind: kindString, s: s}}, nil
			case "suffix":
				return condition{kind: condAnythingButSuffix, val: scalar{kind: kindString, s: s}}, nil
			}
			return condition{}, fmt.Errorf("Key %s: Unsupported anything-but pattern: %s", key, op)
		}
	case []any:
		if len(x) == 0 {
			return condition{}, fmt.Errorf("Key %s: Empty arrays are not allowed", key)
		}
		list := make([]scalar, 0, len(x))
		for _, e := range x {
			s, err := compileScalar(key, e)
			if err != nil || (s.kind != kindString && s.kind != kindNumber) {
				return condition{}, fmt.Errorf("Key %s: anything-but list must contain only strings or numbers", key)
			}
			list = append(list, s)
		}
		return condition{kind: condAnythingBut, list: list}, nil
	default:
		s, err := compileScalar(key, x)
		if err != nil || (s.kind != kindString && s.kind != kindNumber) {
			return condition{}, fmt.Errorf("Key %s: anything-but must be a string, a number, a list of them, or a prefix or suffix", key)
		}
		return condition{kind: condAnythingBut, list: []scalar{s}}, nil
	}
	panic("unreachable")
}

func compileNumeric(key string, arg any) (condition, error) {
	arr, ok := arg.([]any)
	if !ok || (len(arr) != 2 && len(arr) != 4) {
		return condition{}, fmt.Errorf("Key %s: Value of numeric must be an array of one or two operator and number pairs", key)
	}
	var cmps []numericOp
	for i := 0; i < len(arr); i += 2 {
		op, ok := arr[i].(string)
		if !ok {
			return condition{}, fmt.Errorf("Key %s: Unrecognized numeric range operator: %v", key, arr[i])
		}
		switch op {
		case "=", "<", "<=", ">", ">=":
		default:
			return condition{}, fmt.Errorf("Key %s: Unrecognized numeric range operator: %s", key, op)
		}
		s, err := compileScalar(key, arr[i+1])
		if err != nil || s.kind != kindNumber {
			return condition{}, fmt.Errorf("Key %s: Value of %s must be numeric", key, op)
		}
		cmps = append(cmps, numericOp{op: op, n: s.n})
	}
	if len(cmps) == 2 {
		lo, hi := cmps[0], cmps[1]
		if (lo.op != ">" && lo.op != ">=") || (hi.op != "<" && hi.op != "<=") {
			return condition{}, fmt.Errorf("Key %s: Bad numeric range operator: a range needs a lower bound (> or >=) then an upper bound (< or <=)", key)
		}
		if lo.n >= hi.n {
			return condition{}, fmt.Errorf("Key %s: Bottom must be less than top", key)
		}
	}
	return condition{kind: condNumeric, cmps: cmps}, nil
}

// MatchAttributes reports whether a message with these message attributes
// passes the policy (scope MessageAttributes). String and Number attributes
// match as their type; a String.Array attribute matches when any element
// does; Binary attributes only count for "exists".
func (p *FilterPolicy) MatchAttributes(attrs map[string]protocol.MessageAttributeValue) bool {
	return p.root.match(func(path []string) ([]scalar, bool) {
		if len(path) != 1 {
			return nil, false
		}
		a, ok := attrs[path[0]]
		if !ok {
			return nil, false
		}
		return attributeScalars(a), true
	})
}

// attributeScalars returns the values an attribute offers to conditions.
func attributeScalars(a protocol.MessageAttributeValue) []scalar {
	base, _, _ := strings.Cut(a.DataType, ".")
	switch {
	case a.DataType == "String.Array":
		dec := json.NewDecoder(strings.NewReader(a.StringValue))
		dec.UseNumber()
		var arr []any
		if err := dec.Decode(&arr); err != nil {
			return nil
		}
		var out []scalar
		for _, e := range arr {
			out = appendScalars(out, e)
		}
		return out
	case base == "String":
		return []scalar{{kind: kindString, s: a.StringValue}}
	case base == "Number":
		f, err := strconv.ParseFloat(strings.TrimSpace(a.StringValue), 64)
		if err != nil {
			return nil
		}
		return []scalar{{kind: kindNumber, n: fivePlaces(f)}}
	}
	return nil
}

// MatchBody reports whether a message body passes the policy (scope
// MessageBody). A body that is not a JSON object matches nothing. Arrays in
// the body are flattened: a field matches when any of its elements does.
func (p *FilterPolicy) MatchBody(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return false
	}
	if _, ok := doc.(map[string]any); !ok {
		return false
	}
	return p.root.match(func(path []string) ([]scalar, bool) {
		var out []scalar
		present := collect(doc, path, &out)
		return out, present
	})
}

// collect appends the scalars found at path under v, descending into
// arrays, and reports whether the path exists.
func collect(v any, path []string, out *[]scalar) bool {
	if arr, ok := v.([]any); ok {
		found := false
		for _, e := range arr {
			if collect(e, path, out) {
				found = true
			}
		}
		return found
	}
	if len(path) == 0 {
		*out = appendScalars(*out, v)
		return true
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	child, ok := obj[path[0]]
	if !ok {
		return false
	}
	return collect(child, path[1:], out)
}

func appendScalars(out []scalar, v any) []scalar {
	switch x := v.(type) {
	case string:
		return append(out, scalar{kind: kindString, s: x})
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return append(out, scalar{kind: kindNumber, n: fivePlaces(f)})
		}
	case bool:
		return append(out, scalar{kind: kindBool, b: x})
	case nil:
		return append(out, scalar{kind: kindNull})
	case []any:
		for _, e := range x {
			out = appendScalars(out, e)
		}
	}
	return out
}

func (n *filterNode) match(lookup func(path []string) ([]scalar, bool)) bool {
	for _, l := range n.leaves {
		vals, present := lookup(l.path)
		if !l.match(vals, present) {
			return false
		}
	}
	for _, g := range n.ors {
		ok := false
		for _, b := range g {
			if b.match(lookup) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (l *filterLeaf) match(vals []scalar, present bool) bool {
	for i := range l.conds {
		c := &l.conds[i]
		if c.kind == condExists {
			if c.b == present {
				return true
			}
			continue
		}
		for _, v := range vals {
			if c.match(v) {
				return true
			}
		}
	}
	return false
}

func (c *condition) match(v scalar) bool {
	switch c.kind {
	case condExact:
		return c.val.equal(v)
	case condPrefix:
		return v.kind == kindString && strings.HasPrefix(v.s, c.val.s)
	case condSuffix:
		return v.kind == kindString && strings.HasSuffix(v.s, c.val.s)
	case condEqualsIgnoreCase:
		return v.kind == kindString && strings.EqualFold(v.s, c.val.s)
	case condAnythingBut:
		if v.kind != kindString && v.kind != kindNumber {
			return false
		}
		for _, x := range c.list {
			if x.equal(v) {
				return false
			}
		}
		return true
	case condAnythingButPrefix:
		return v.kind == kindString && !strings.HasPrefix(v.s, c.val.s)
	case condAnythingButSuffix:
		return v.kind == kindString && !strings.HasSuffix(v.s, c.val.s)
	case condNumeric:
		if v.kind != kindNumber {
			return false
		}
		for _, cmp := range c.cmps {
			if !cmp.holds(v.n) {
				return false
			}
		}
		return true
	}
	return false
}

// fivePlaces rounds a number to the five digits after the decimal point
// SNS compares numbers at, in policies and in messages alike, so 1.000001
// equals 1 and 0.1+0.2 equals 0.3 as they do on SNS.
func fivePlaces(f float64) float64 { return math.Round(f*1e5) / 1e5 }

func (o numericOp) holds(x float64) bool {
	switch o.op {
	case "=":
		return x == o.n
	case "<":
		return x < o.n
	case "<=":
		return x <= o.n
	case ">":
		return x > o.n
	case ">=":
		return x >= o.n
	}
	return false
}
