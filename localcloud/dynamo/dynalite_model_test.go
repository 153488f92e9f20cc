package dynamo

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// botocoreModel is where Debian's python3-botocore keeps DynamoDB's service
// model, the ground truth for request and response shapes.
const botocoreModel = "/usr/lib/python3/dist-packages/botocore/data/dynamodb/2012-08-10/service-2.json"

type modelRef struct {
	Shape string `json:"shape"`
}

type modelShape struct {
	Type     string              `json:"type"`
	Members  map[string]modelRef `json:"members"`
	Member   *modelRef           `json:"member"`
	Key      *modelRef           `json:"key"`
	Value    *modelRef           `json:"value"`
	Required []string            `json:"required"`
	Min      *json.Number        `json:"min"`
	Max      *json.Number        `json:"max"`
	Pattern  string              `json:"pattern"`
	Enum     []string            `json:"enum"`
	// order is the members' order in the model file.
	order []string
}

type serviceModel struct {
	Operations map[string]struct {
		Input  *modelRef `json:"input"`
		Output *modelRef `json:"output"`
	} `json:"operations"`
	Shapes map[string]*modelShape `json:"shapes"`
}

// loadModel reads botocore's DynamoDB model, or skips the test when the
// machine has none (apt-get install python3-botocore).
func loadModel(t testing.TB) *serviceModel {
	t.Helper()
	raw, err := os.ReadFile(botocoreModel)
	if os.IsNotExist(err) {
		t.Skipf("no botocore model at %s (apt-get install python3-botocore)", botocoreModel)
	}
	if err != nil {
		t.Fatal(err)
	}
	var m serviceModel
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", botocoreModel, err)
	}
	// Member order: decode each structure's members as a token stream.
	var order struct {
		Shapes map[string]struct {
			Members json.RawMessage `json:"members"`
		} `json:"shapes"`
	}
	json.Unmarshal(raw, &order)
	for name, s := range order.Shapes {
		if len(s.Members) == 0 {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(s.Members))
		d.Token() // {
		for d.More() {
			tok, _ := d.Token()
			m.Shapes[name].order = append(m.Shapes[name].order, tok.(string))
			var skip json.RawMessage
			d.Decode(&skip)
		}
	}
	return &m
}

// dynaliteOps are the operations dynalite serves.
var dynaliteOps = []string{"BatchGetItem", "BatchWriteItem", "CreateTable", "DeleteItem", "DeleteTable",
	"DescribeTable", "DescribeTimeToLive", "GetItem", "ListTables", "ListTagsOfResource", "PutItem",
	"Query", "Scan", "TagResource", "UntagResource", "UpdateItem", "UpdateTable"}

type diffCase struct {
	cat, name, op, body string
	before              func(t *testing.T, url string)
}

// wrongValues are JSON values of every type, as the conformance suite sends
// them to a member of another type.
var wrongValues = []string{`"23"`, `true`, `false`, `23`, `-2147483648`, `2147483648`, `34.56`, `[]`, `{}`}

// modelCases derives, from the model, a request per member path and wrong
// JSON type (category "type") and per constraint a value that breaks it
// (category "constraint").
func modelCases(m *serviceModel, ops []string) []diffCase {
	var cases []diffCase
	for _, op := range ops {
		in := m.Shapes[m.Operations[op].Input.Shape]
		known := dynaliteValidations(op)
		base := map[string]string{}
		if _, ok := in.Members["TableName"]; ok {
			base["TableName"] = `"abc"`
		}
		cases = append(cases, diffCase{cat: "constraint", name: op + " {}", op: op, body: "{}"})
		for _, name := range in.order {
			cat := "type"
			if !strings.Contains(known, name+":") {
				cat = "type-unknown-to-dynalite"
			}
			m.walk(in.Members[name].Shape, []string{name}, 0, func(path []string, sh *modelShape) {
				for _, v := range wrongValues {
					if accepts(sh, v) {
						continue
					}
					cases = append(cases, diffCase{cat: cat, name: op + " " + strings.Join(path, ".") + "=" + v, op: op, body: nest(path, v)})
				}
				if sh.Type == "blob" {
					for _, v := range []string{`"23456"`, `"=+/="`, `"+/+="`} {
						cases = append(cases, diffCase{cat: cat, name: op + " " + strings.Join(path, ".") + "=" + v, op: op, body: nest(path, v)})
					}
				}
			})
			ccat := "constraint"
			if cat != "type" {
				ccat = "constraint-unknown-to-dynalite"
			}
			for _, bad := range m.breaks(in.Members[name].Shape) {
				body := map[string]string{}
				for k, v := range base {
					body[k] = v
				}
				body[name] = bad
				cases = append(cases, diffCase{cat: ccat, name: op + " " + name + "=" + bad, op: op, body: object(in.order, body)})
			}
		}
	}
	return cases
}

// walk calls fn for every member path under shape name, list elements as
// "0" and map values as "a", no deeper than 6 and entering AttributeValue
// at most twice on a path.
func (m *serviceModel) walk(name string, path []string, avDepth int, fn func([]string, *modelShape)) {
	sh := m.Shapes[name]
	fn(path, sh)
	if len(path) >= 6 {
		return
	}
	if name == "AttributeValue" {
		if avDepth >= 2 {
			return
		}
		avDepth++
	}
	switch sh.Type {
	case "structure":
		for _, mem := range sh.order {
			m.walk(sh.Members[mem].Shape, append(append([]string{}, path...), mem), avDepth, fn)
		}
	case "list":
		m.walk(sh.Member.Shape, append(append([]string{}, path...), "0"), avDepth, fn)
	case "map":
		m.walk(sh.Value.Shape, append(append([]string{}, path...), "a"), avDepth, fn)
	}
}

// accepts reports whether a member of shape sh takes JSON value v as its own type.
func accepts(sh *modelShape, v string) bool {
	switch sh.Type {
	case "string", "blob":
		return v[0] == '"'
	case "boolean":
		return v == "true" || v == "false"
	case "integer", "long", "double":
		return v[0] == '-' || v[0] >= '0' && v[0] <= '9'
	case "timestamp":
		return v[0] == '"' || v[0] == '-' || v[0] >= '0' && v[0] <= '9'
	case "list":
		return v == "[]"
	case "structure", "map":
		return v == "{}"
	}
	return false
}

// nest builds the request {"a":[{"b": v}]} for the path a.0.b.
func nest(path []string, v string) string {
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == "0" {
			v = "[" + v + "]"
		} else {
			v = "{" + strconv.Quote(path[i]) + ":" + v + "}"
		}
	}
	return "{" + strconv.Quote(path[0]) + ":" + v + "}"
}

func object(order []string, members map[string]string) string {
	var b strings.Builder
	b.WriteByte('{')
	for _, k := range order {
		if v, ok := members[k]; ok {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k) + ":" + v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// breaks are values of shape name that break one of its constraints.
func (m *serviceModel) breaks(name string) []string {
	sh := m.Shapes[name]
	num := func(n *json.Number) (int64, bool) {
		if n == nil {
			return 0, false
		}
		v, err := n.Int64()
		return v, err == nil
	}
	var out []string
	switch sh.Type {
	case "string":
		if v, ok := num(sh.Min); ok && v > 0 {
			out = append(out, strconv.Quote(strings.Repeat("a", int(v-1))))
		}
		if v, ok := num(sh.Max); ok && v < 4096 {
			out = append(out, strconv.Quote(strings.Repeat("a", int(v+1))))
		}
		if sh.Pattern != "" {
			out = append(out, `"abc;"`)
		}
		if len(sh.Enum) > 0 {
			out = append(out, `"hi"`, `""`)
		}
	case "integer", "long":
		if v, ok := num(sh.Min); ok {
			out = append(out, strconv.FormatInt(v-1, 10))
		}
		if v, ok := num(sh.Max); ok {
			out = append(out, strconv.FormatInt(v+1, 10))
		}
	case "list", "map":
		if v, ok := num(sh.Min); ok && v > 0 {
			out = append(out, map[string]string{"list": "[]", "map": "{}"}[sh.Type])
		}
		if v, ok := num(sh.Max); ok && v < 200 {
			elems := make([]string, v+1)
			for i := range elems {
				if sh.Type == "list" {
					elems[i] = m.sample(sh.Member.Shape, i)
				} else {
					elems[i] = strconv.Quote("k"+strconv.Itoa(i)) + ":" + m.sample(sh.Value.Shape, i)
				}
			}
			if sh.Type == "list" {
				out = append(out, "["+strings.Join(elems, ",")+"]")
			} else {
				out = append(out, "{"+strings.Join(elems, ",")+"}")
			}
		}
		// One element breaking its own constraints.
		if sh.Type == "list" {
			for _, bad := range m.breaks(sh.Member.Shape) {
				out = append(out, "["+bad+"]")
			}
		}
	case "structure":
		for _, mem := range sh.order {
			for _, bad := range m.breaks(sh.Members[mem].Shape) {
				out = append(out, "{"+strconv.Quote(mem)+":"+bad+"}")
			}
		}
		if name != "AttributeValue" {
			out = append(out, "{}")
		}
	}
	return out
}

// sample is a distinct, valid-looking value of shape name.
func (m *serviceModel) sample(name string, i int) string {
	sh := m.Shapes[name]
	switch sh.Type {
	case "string":
		if len(sh.Enum) > 0 {
			return strconv.Quote(sh.Enum[0])
		}
		return strconv.Quote("abc" + strconv.Itoa(i))
	case "integer", "long":
		return "1"
	case "boolean":
		return "true"
	case "list":
		return "[]"
	}
	return "{}"
}
