package expr

import (
	"sort"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// Names is a request's ExpressionAttributeNames ("#n" -> "name").
type Names map[string]string

// Values is a request's ExpressionAttributeValues (":v" -> value).
type Values map[string]attr.Value

// Used is implemented by parsed expressions (*Condition, *Update,
// *Projection, KeyCondition): the placeholders they use.
type Used interface {
	NamesUsed() []string
	ValuesUsed() []string
}

// kinded is implemented by this package's expressions so that CheckUsage
// can name the expression in its messages.
type kinded interface{ exprKind() string }

// checker is implemented by this package's expressions: their validation
// against the request's placeholders, in DynamoDB's order.
type checker interface {
	Check(names Names, values Values) error
}

// CheckUsage checks a request's placeholders against its parsed expressions
// the way DynamoDB does, in its order: names and values are only given with
// expressions, are not empty maps, have well-formed keys (#name, :value) and
// valid values; then each expression is validated in turn (undefined
// placeholders, operand types, overlapping paths...); finally every given
// placeholder must be used by some expression. Pass the expressions in the
// order DynamoDB validates them: UpdateExpression, ConditionExpression,
// KeyConditionExpression, FilterExpression, ProjectionExpression. Nil
// expressions are skipped. Errors are *Error.
func CheckUsage(names Names, values Values, exprs ...Used) error {
	var live []Used
	for _, x := range exprs {
		if x != nil && !isNilUsed(x) {
			live = append(live, x)
		}
	}
	if len(live) == 0 {
		if names != nil {
			return &Error{Msg: "ExpressionAttributeNames can only be specified when using expressions"}
		}
		if values != nil {
			return &Error{Msg: "ExpressionAttributeValues can only be specified when using expressions"}
		}
		return nil
	}
	if names != nil && len(names) == 0 {
		return &Error{Msg: "ExpressionAttributeNames must not be empty"}
	}
	for _, k := range sortedKeys(names) {
		if !validPlaceholder(k, '#') {
			return &Error{Msg: "ExpressionAttributeNames contains invalid key: Syntax error; key: \"" + k + "\""}
		}
	}
	if values != nil && len(values) == 0 {
		return &Error{Msg: "ExpressionAttributeValues must not be empty"}
	}
	for _, k := range sortedKeys(values) {
		if !validPlaceholder(k, ':') {
			return &Error{Msg: "ExpressionAttributeValues contains invalid key: Syntax error; key: \"" + k + "\""}
		}
	}
	for _, k := range sortedKeys(values) {
		if err := attr.Validate(values[k]); err != nil {
			return &Error{Msg: "ExpressionAttributeValues contains invalid value: " + attrMessage(err) + " for key " + k}
		}
	}
	usedNames, usedValues := map[string]bool{}, map[string]bool{}
	for _, x := range live {
		if c, ok := x.(checker); ok {
			if err := c.Check(names, values); err != nil {
				return err
			}
		}
		kind := ""
		if k, ok := x.(kinded); ok {
			kind = k.exprKind()
		}
		for _, n := range x.NamesUsed() {
			if _, ok := names[n]; !ok {
				return undefined(kind, "An expression attribute name used in the document path is not defined; attribute name: "+n)
			}
			usedNames[n] = true
		}
		for _, v := range x.ValuesUsed() {
			if _, ok := values[v]; !ok {
				return undefined(kind, "An expression attribute value used in expression is not defined; attribute value: "+v)
			}
			usedValues[v] = true
		}
	}
	if unused := unusedKeys(names, usedNames); unused != "" {
		return &Error{Msg: "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + unused + "}"}
	}
	if unused := unusedKeys(values, usedValues); unused != "" {
		return &Error{Msg: "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + unused + "}"}
	}
	return nil
}

func isNilUsed(x Used) bool {
	switch v := x.(type) {
	case *Condition:
		return v == nil
	case *Update:
		return v == nil
	case *Projection:
		return v == nil
	case *KeyCondition:
		return v == nil
	}
	return false
}

func undefined(kind, msg string) *Error {
	if kind == "" {
		return &Error{Msg: msg}
	}
	return invalidf(kind, "%s", msg)
}

func validPlaceholder(k string, lead byte) bool {
	if len(k) < 2 || k[0] != lead {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isWordByte(k[i]) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unusedKeys[V any](m map[string]V, used map[string]bool) string {
	var out []string
	for _, k := range sortedKeys(m) {
		if !used[k] {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}
