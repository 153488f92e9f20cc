// Package expr parses and evaluates DynamoDB expressions: condition and filter
// expressions, key condition expressions, update expressions and projection
// expressions. Expressions are parsed once and evaluated many times.
package expr

import "github.com/labkit-dev/labkit/localcloud/dynamo/attr"

// Names is ExpressionAttributeNames ("#n" -> "name").
type Names map[string]string

// Values is ExpressionAttributeValues (":v" -> value).
type Values map[string]attr.Value

// Error is a caller's mistake in an expression; the dynamo package answers
// it with a ValidationException carrying Msg.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Used is implemented by parsed expressions: the placeholders they use.
type Used interface {
	NamesUsed() []string
	ValuesUsed() []string
}

// Condition is a parsed ConditionExpression or FilterExpression.
type Condition struct{}

// ParseCondition parses a ConditionExpression.
func ParseCondition(s string) (*Condition, error) { return nil, &Error{Msg: "not implemented"} }

// ParseFilter parses a FilterExpression (errors name the FilterExpression).
func ParseFilter(s string) (*Condition, error) { return nil, &Error{Msg: "not implemented"} }

// Eval evaluates c against item.
func (c *Condition) Eval(item attr.Item, names Names, values Values) (bool, error) {
	return false, &Error{Msg: "not implemented"}
}

func (c *Condition) NamesUsed() []string  { return nil }
func (c *Condition) ValuesUsed() []string { return nil }

// KeyCondition is a parsed KeyConditionExpression.
type KeyCondition struct {
	HashName string
	Hash     attr.Value
	Range    *RangeCondition
}

// RangeCondition is the optional sort key condition of a KeyCondition.
type RangeCondition struct {
	Name   string
	Op     string
	Values []attr.Value
}

// ParseKeyCondition parses and resolves a KeyConditionExpression.
func ParseKeyCondition(s string, names Names, values Values) (KeyCondition, error) {
	return KeyCondition{}, &Error{Msg: "not implemented"}
}

func (k KeyCondition) NamesUsed() []string  { return nil }
func (k KeyCondition) ValuesUsed() []string { return nil }

// Update is a parsed UpdateExpression.
type Update struct{}

// ParseUpdate parses an UpdateExpression.
func ParseUpdate(s string) (*Update, error) { return nil, &Error{Msg: "not implemented"} }

// Apply returns a new item with u applied, and the top-level attribute names updated.
func (u *Update) Apply(item attr.Item, names Names, values Values) (attr.Item, []string, error) {
	return nil, nil, &Error{Msg: "not implemented"}
}

func (u *Update) NamesUsed() []string  { return nil }
func (u *Update) ValuesUsed() []string { return nil }

// Projection is a parsed ProjectionExpression.
type Projection struct{}

// ParseProjection parses a ProjectionExpression.
func ParseProjection(s string) (*Projection, error) { return nil, &Error{Msg: "not implemented"} }

// Apply returns a new item with only the projected paths.
func (p *Projection) Apply(item attr.Item, names Names) attr.Item { return item }

func (p *Projection) NamesUsed() []string  { return nil }
func (p *Projection) ValuesUsed() []string { return nil }

// CheckUsage checks that every name and value is used by some expression and
// every used one is defined.
func CheckUsage(names Names, values Values, exprs ...Used) error { return nil }

// ForSchema orders k for a table whose hash key is hash and range key is rng
// ("" if none): with two equality conditions the parser cannot know which is
// the hash key. It fails with DynamoDB's messages when k does not match.
func (k KeyCondition) ForSchema(hash, rng string) (KeyCondition, error) {
	return k, &Error{Msg: "not implemented"}
}
