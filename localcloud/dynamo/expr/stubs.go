package expr

import "github.com/labkit-dev/labkit/localcloud/dynamo/attr"

// Update is a parsed UpdateExpression.
type Update struct{ usage }

// ParseUpdate parses an UpdateExpression.
func ParseUpdate(s string) (*Update, error) { return nil, &Error{Msg: "not implemented"} }

// Apply returns a new item with u applied, and the top-level attribute names updated.
func (u *Update) Apply(item attr.Item, names Names, values Values) (attr.Item, []string, error) {
	return nil, nil, &Error{Msg: "not implemented"}
}

// Projection is a parsed ProjectionExpression.
type Projection struct{ usage }

// ParseProjection parses a ProjectionExpression.
func ParseProjection(s string) (*Projection, error) { return nil, &Error{Msg: "not implemented"} }

// Apply returns a new item with only the projected paths.
func (p *Projection) Apply(item attr.Item, names Names) attr.Item { return item }

func (p *Projection) check(names Names) error { return nil }
