package dynamo

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/wire"
)

// condition is one entry of Expected, QueryFilter, ScanFilter or
// KeyConditions, as the request gives it.
type condition struct {
	name      string // the attribute
	op        string // ComparisonOperator; "" when absent
	list      [][]byte
	value     []byte
	hasList   bool
	hasExists bool
	exists    bool
	values    []attr.Value // the operands, once checked
}

// parseConditions reads a condition map in the request's order.
func parseConditions(raw []byte) ([]condition, error) {
	var out []condition
	for _, m := range wire.Members(raw) {
		c := condition{name: m.Name}
		for _, f := range wire.Members(m.Value) {
			switch f.Name {
			case "ComparisonOperator":
				json.Unmarshal(f.Value, &c.op)
			case "AttributeValueList":
				c.hasList = true
				var elems []json.RawMessage
				json.Unmarshal(f.Value, &elems)
				for _, e := range elems {
					c.list = append(c.list, e)
				}
			case "Value":
				c.value = f.Value
			case "Exists":
				c.hasExists = true
				c.exists = jsonTrue(f.Value)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// jsonTrue reads a Boolean member as DynamoDB does: true, or a fraction
// whose magnitude is at least 1 (the wire check lets fractions through).
func jsonTrue(raw []byte) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var f float64
	return json.Unmarshal(raw, &f) == nil && math.Abs(f) >= 1
}

// argCount is how many operands each ComparisonOperator takes (-1: one
// or more).
var argCount = map[string]int{
	"NULL": 0, "NOT_NULL": 0, "EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1,
	"CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "IN": -1, "BETWEEN": 2,
}

// argKinds are the operand types each ComparisonOperator accepts; EQ and
// NE accept every type.
var argKinds = map[string][]attr.Kind{
	"LE": {attr.S, attr.N, attr.B}, "LT": {attr.S, attr.N, attr.B}, "GE": {attr.S, attr.N, attr.B}, "GT": {attr.S, attr.N, attr.B},
	"IN": {attr.S, attr.N, attr.B}, "BETWEEN": {attr.S, attr.N, attr.B}, "BEGINS_WITH": {attr.S, attr.B},
	"CONTAINS": {attr.S, attr.N, attr.B, attr.BOOL, attr.NULL}, "NOT_CONTAINS": {attr.S, attr.N, attr.B, attr.BOOL, attr.NULL},
}

// legacyValues checks and decodes operands.
func legacyValues(raws [][]byte) ([]attr.Value, error) {
	vals := make([]attr.Value, 0, len(raws))
	for _, r := range raws {
		v, err := legacyValue(r)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// checkArgs applies DynamoDB's rules on a ComparisonOperator's operands:
// their number, one type for all, a type the operator takes, and BETWEEN's
// bounds in order.
func checkArgs(op string, vals []attr.Value, kinds bool) error {
	if n := argCount[op]; (n >= 0 && len(vals) != n) || (n < 0 && len(vals) == 0) {
		return validationf("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", op)
	}
	for _, v := range vals[min(1, len(vals)):] {
		if v.Kind != vals[0].Kind {
			return validationf("One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type")
		}
	}
	if ks, ok := argKinds[op]; ok && kinds {
		for _, v := range vals {
			if !kindIn(v.Kind, ks) {
				return validationf("One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type", op, v.Kind)
			}
		}
	}
	if op == "BETWEEN" {
		if c, ok := attr.Compare(vals[0], vals[1]); ok && c > 0 {
			return validationf("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
		}
	}
	return nil
}

func kindIn(k attr.Kind, ks []attr.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// checkConditions checks QueryFilter, ScanFilter or KeyConditions entries.
func checkConditions(conds []condition) error {
	for i := range conds {
		c := &conds[i]
		vals, err := legacyValues(c.list)
		if err != nil {
			return err
		}
		if err := checkArgs(c.op, vals, true); err != nil {
			return err
		}
		c.values = vals
	}
	return nil
}

// checkExpected checks Expected's entries: Value, Exists, ComparisonOperator
// and AttributeValueList in the combinations DynamoDB allows.
func checkExpected(conds []condition) error {
	for i := range conds {
		c := &conds[i]
		invalid := func(format string, args ...any) error {
			return validationf("One or more parameter values were invalid: "+format+" for Attribute: %s", append(args, c.name)...)
		}
		if c.hasList && c.value != nil {
			return invalid("Value and AttributeValueList cannot be used together")
		}
		switch {
		case c.op != "":
			if c.hasExists {
				return invalid("Exists and ComparisonOperator cannot be used together")
			}
			if c.op != "NULL" && c.op != "NOT_NULL" && !c.hasList && c.value == nil {
				return invalid("Value or AttributeValueList must be used with ComparisonOperator: %s", c.op)
			}
			raws := c.list
			if c.value != nil {
				raws = [][]byte{c.value}
			}
			vals, err := legacyValues(raws)
			if err != nil {
				return err
			}
			if err := checkArgs(c.op, vals, true); err != nil {
				return err
			}
			c.values = vals
		case c.hasList:
			return invalid("AttributeValueList can only be used with a ComparisonOperator")
		default:
			if (!c.hasExists || c.exists) && c.value == nil {
				state := "null"
				if c.hasExists {
					state = "true"
				}
				return invalid("Value must be provided when Exists is %s", state)
			}
			if c.hasExists && !c.exists && c.value != nil {
				return invalid("Value cannot be used when Exists is false")
			}
			if c.value != nil {
				v, err := legacyValue(c.value)
				if err != nil {
					return err
				}
				c.op, c.values = "EQ", []attr.Value{v}
			} else {
				c.op = "NULL"
			}
		}
	}
	return nil
}

// keyConditions checks a Query's KeyConditions and returns them as the
// conditions of an expr.LegacyKeyCondition.
func keyConditions(raw []byte) ([]expr.RangeCondition, error) {
	conds, err := parseConditions(raw)
	if err != nil {
		return nil, err
	}
	if err := checkConditions(conds); err != nil {
		return nil, err
	}
	if len(conds) != 1 && len(conds) != 2 {
		return nil, validationf("Conditions can be of length 1 or 2 only")
	}
	out := make([]expr.RangeCondition, len(conds))
	for i, c := range conds {
		out[i] = expr.RangeCondition{Name: c.name, Op: c.op, Values: c.values}
	}
	return out, nil
}

// legacyKeyCondition is Query's key condition when the request gives
// KeyConditions (legacyParams has checked them).
func legacyKeyCondition(raw json.RawMessage) (expr.KeyCondition, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return expr.KeyCondition{}, errNoKeyCondition
	}
	conds, err := keyConditions(raw)
	if err != nil {
		return expr.KeyCondition{}, err
	}
	return expr.LegacyKeyCondition(conds), nil
}

// update is one entry of AttributeUpdates.
type update struct {
	name   string
	action string // PUT (also when absent), ADD or DELETE
	value  *attr.Value
}

// parseUpdates reads and checks AttributeUpdates in the request's order.
func parseUpdates(raw []byte) ([]update, error) {
	var out []update
	for _, m := range wire.Members(raw) {
		u := update{name: m.Name, action: "PUT"}
		var rawValue []byte
		for _, f := range wire.Members(m.Value) {
			switch f.Name {
			case "Action":
				json.Unmarshal(f.Value, &u.action)
			case "Value":
				rawValue = f.Value
			}
		}
		if rawValue != nil {
			v, err := legacyValue(rawValue)
			if err != nil {
				return nil, err
			}
			u.value = &v
		}
		switch {
		case u.value == nil && u.action != "DELETE":
			return nil, validationf("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
		case u.value != nil && u.action == "DELETE" && !kindIn(u.value.Kind, []attr.Kind{attr.SS, attr.NS, attr.BS}):
			return nil, validationf("One or more parameter values were invalid: DELETE action with value is not supported for the type %s", u.value.Kind)
		case u.value != nil && u.action == "ADD" && !kindIn(u.value.Kind, []attr.Kind{attr.L, attr.SS, attr.NS, attr.BS, attr.N}):
			return nil, validationf("One or more parameter values were invalid: ADD action is not supported for the type %s", u.value.Kind)
		}
		out = append(out, u)
	}
	return out, nil
}

// attrTypes are the members of an AttributeValue; others are ignored, as
// DynamoDB ignores members its model does not know.
var attrTypes = map[string]bool{"S": true, "N": true, "B": true, "BOOL": true, "NULL": true, "M": true, "L": true, "SS": true, "NS": true, "BS": true}

// legacyValue decodes and checks one operand with DynamoDB's messages, in
// its order: each type's value, then the number of types.
func legacyValue(raw []byte) (attr.Value, error) {
	var v attr.Value
	n := 0
	for _, m := range wire.Members(raw) {
		if !attrTypes[m.Name] {
			continue
		}
		n++
		one := []byte(`{"` + m.Name + `":`)
		one = append(append(one, m.Value...), '}')
		var x attr.Value
		if err := x.UnmarshalJSON(one); err != nil {
			return attr.Value{}, attrDecodeError(err)
		}
		if err := attr.Validate(x); err != nil {
			return attr.Value{}, apiError(err)
		}
		if n == 1 {
			v = x
		}
	}
	switch {
	case n == 0:
		return attr.Value{}, validationf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case n > 1:
		return attr.Value{}, validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	return canonical(v), nil
}

// checkItemValues checks the values of an Item or Key.
func checkItemValues(raw []byte) (attr.Item, error) {
	var it fastItem
	if err := decode(raw, &it); err != nil {
		return nil, err
	}
	item := attr.Item(it)
	if err := normalizeItem(item); err != nil {
		return nil, err
	}
	return item, nil
}

func checkKey(raw []byte) error {
	_, err := checkItemValues(raw)
	return err
}

// checkPutItem checks what DynamoDB checks of a PutItem before Expected.
func checkPutItem(top map[string][]byte) error {
	item, err := checkItemValues(top["Item"])
	if err != nil {
		return err
	}
	if err := checkReturnValues(top["ReturnValues"]); err != nil {
		return err
	}
	return checkItemSize(item)
}

// checkAttributesToGet refuses a name given twice.
func checkAttributesToGet(raw []byte) error {
	if raw == nil {
		return nil
	}
	var names []string
	json.Unmarshal(raw, &names)
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return validationf("One or more parameter values were invalid: Duplicate value in attribute name: %s", n)
		}
		seen[n] = true
	}
	return nil
}

// checkStartKey checks ExclusiveStartKey's values. DynamoDB prefixes some
// of its messages with "The provided starting key is invalid: " and not
// others (numbers, empty number sets, duplicates).
func checkStartKey(raw []byte) error {
	for _, m := range wire.Members(raw) {
		if _, err := legacyValue(m.Value); err != nil {
			msg := errMessage(err)
			for _, bare := range []string{"number", "numeric", "Number", "duplicates"} {
				if strings.Contains(msg, bare) {
					return err
				}
			}
			return validationf("The provided starting key is invalid: %s", msg)
		}
	}
	return nil
}

// checkPlaceholders applies DynamoDB's checks on ExpressionAttributeNames
// and ExpressionAttributeValues themselves (given: nil when absent), which
// come before the expressions are parsed: not empty, well-formed keys
// (names, then values), valid values.
func checkPlaceholders(names, values []byte) error {
	var vals []wire.Member
	for _, m := range []struct {
		raw  []byte
		what string
		lead byte
	}{{names, "ExpressionAttributeNames", '#'}, {values, "ExpressionAttributeValues", ':'}} {
		if m.raw == nil {
			continue
		}
		ms := wire.Members(m.raw)
		if len(ms) == 0 {
			return validationf("%s must not be empty", m.what)
		}
		for _, e := range ms {
			if !expr.ValidPlaceholder(e.Name, m.lead) {
				return validationf("%s contains invalid key: Syntax error; key: \"%s\"", m.what, e.Name)
			}
		}
		if m.lead == ':' {
			vals = ms
		}
	}
	if it, ok := parseFastItem(values); ok && attr.ValidateItem(it) == nil {
		return nil // the common case, without a decoder per value
	}
	for _, e := range vals {
		if _, err := legacyValue(e.Value); err != nil {
			return validationf("ExpressionAttributeValues contains invalid value: %s for key %s", errMessage(err), e.Name)
		}
	}
	return nil
}
