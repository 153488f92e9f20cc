package dynamo

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/wire"
)

// exprBuilder writes checked legacy conditions and updates as the
// expressions DynamoDB documents as their equivalents, with placeholders
// for every name and value (legacy names are plain attribute names, dots
// and all). A request with legacy parameters has no expressions or
// placeholders of its own (the mixing rules refuse them), so the
// placeholders are free to choose.
type exprBuilder struct {
	join   string // " AND " or " OR "
	names  map[string]string
	values map[string]attr.Value
	byName map[string]string
	// the members to add, in order
	set []struct{ key, text string }
}

func newExprBuilder(condOp []byte) *exprBuilder {
	x := &exprBuilder{join: " AND "}
	if string(condOp) == `"OR"` {
		x.join = " OR "
	}
	return x
}

func (x *exprBuilder) init() {
	if x.byName == nil {
		x.names, x.values, x.byName = map[string]string{}, map[string]attr.Value{}, map[string]string{}
	}
}

func (x *exprBuilder) name(n string) string {
	x.init()
	if p, ok := x.byName[n]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(x.byName))
	x.byName[n] = p
	x.names[p] = n
	return p
}

func (x *exprBuilder) value(v attr.Value) string {
	x.init()
	p := ":v" + strconv.Itoa(len(x.values))
	x.values[p] = v
	return p
}

// conditions adds the conditions as the ConditionExpression (Expected) or
// FilterExpression (QueryFilter, ScanFilter).
func (x *exprBuilder) conditions(conds []condition, member string) {
	terms := make([]string, 0, len(conds))
	for _, c := range conds {
		n := x.name(c.name)
		var t string
		switch c.op {
		case "NULL":
			t = "attribute_not_exists(" + n + ")"
		case "NOT_NULL":
			t = "attribute_exists(" + n + ")"
		case "CONTAINS":
			t = "contains(" + n + ", " + x.value(c.values[0]) + ")"
		case "NOT_CONTAINS":
			t = "NOT contains(" + n + ", " + x.value(c.values[0]) + ")"
		case "BEGINS_WITH":
			t = "begins_with(" + n + ", " + x.value(c.values[0]) + ")"
		case "IN":
			vs := make([]string, len(c.values))
			for i, v := range c.values {
				vs[i] = x.value(v)
			}
			t = n + " IN (" + strings.Join(vs, ", ") + ")"
		case "BETWEEN":
			t = n + " BETWEEN " + x.value(c.values[0]) + " AND " + x.value(c.values[1])
		default:
			t = n + " " + comparisonOps[c.op] + " " + x.value(c.values[0])
		}
		terms = append(terms, t)
	}
	x.set = append(x.set, struct{ key, text string }{member, strings.Join(terms, x.join)})
}

var comparisonOps = map[string]string{"EQ": "=", "NE": "<>", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}

// updates adds AttributeUpdates as the UpdateExpression: PUT is SET,
// DELETE without a value REMOVE, DELETE with a set DELETE, ADD of a
// number or set ADD, and ADD of a list appends to it. It reports whether
// there was anything to update.
func (x *exprBuilder) updates(ups []update) bool {
	var set, remove, add, del []string
	for _, u := range ups {
		n := x.name(u.name)
		switch {
		case u.action == "PUT":
			set = append(set, n+" = "+x.value(*u.value))
		case u.action == "DELETE" && u.value == nil:
			remove = append(remove, n)
		case u.action == "DELETE":
			del = append(del, n+" "+x.value(*u.value))
		case u.value.Kind == attr.L:
			set = append(set, n+" = list_append(if_not_exists("+n+", "+x.value(attr.List())+"), "+x.value(*u.value)+")")
		default:
			add = append(add, n+" "+x.value(*u.value))
		}
	}
	var clauses []string
	for _, c := range []struct {
		word  string
		parts []string
	}{{"SET", set}, {"REMOVE", remove}, {"ADD", add}, {"DELETE", del}} {
		if len(c.parts) > 0 {
			clauses = append(clauses, c.word+" "+strings.Join(c.parts, ", "))
		}
	}
	if len(clauses) == 0 {
		return false
	}
	x.set = append(x.set, struct{ key, text string }{"UpdateExpression", strings.Join(clauses, " ")})
	return true
}

// translated are the legacy members the builder's expressions replace.
var translated = map[string]bool{"Expected": true, "AttributeUpdates": true, "ConditionalOperator": true, "QueryFilter": true, "ScanFilter": true}

// rewrite returns body without the translated legacy members and with the
// built expressions and their placeholders.
func (x *exprBuilder) rewrite(body []byte) []byte {
	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	member := func(name string, value []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = attr.AppendString(out, name)
		out = append(out, ':')
		out = append(out, value...)
	}
	for _, m := range wire.Members(body) {
		if !translated[m.Name] {
			member(m.Name, m.Value)
		}
	}
	for _, s := range x.set {
		member(s.key, attr.AppendString(nil, s.text))
	}
	if len(x.names) > 0 {
		b, _ := json.Marshal(x.names)
		member("ExpressionAttributeNames", b)
	}
	if len(x.values) > 0 {
		b, _ := json.Marshal(x.values)
		member("ExpressionAttributeValues", b)
	}
	return append(out, '}')
}
