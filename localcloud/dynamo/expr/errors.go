package expr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
)

// Error is a caller's mistake in an expression or its placeholders; the
// dynamo package answers it with a ValidationException carrying Msg.
type Error struct {
	Msg string
	// KeyShape marks a key condition that parses and validates as an
	// expression but is not a key condition DynamoDB serves; DynamoDB reads
	// the request's other expressions before it reports one.
	KeyShape bool
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// The expression kinds, as DynamoDB names them in its messages.
const (
	kindCondition  = "ConditionExpression"
	kindFilter     = "FilterExpression"
	kindKey        = "KeyConditionExpression"
	kindUpdate     = "UpdateExpression"
	kindProjection = "ProjectionExpression"
)

// invalidf returns an *Error for an expression of the given kind:
// "Invalid <kind>: <message>".
func invalidf(kind, format string, args ...any) *Error {
	return &Error{Msg: "Invalid " + kind + ": " + fmt.Sprintf(format, args...)}
}

// attrMessage returns the DynamoDB message inside an error from package attr.
func attrMessage(err error) string {
	msg := err.Error()
	if errors.Is(err, attr.ErrInvalid) {
		msg = strings.TrimPrefix(msg, attr.ErrInvalid.Error()+": ")
	}
	return msg
}

// Messages shared by several expression kinds.
const (
	msgIncorrectType = "An operand in the update expression has an incorrect data type"
	msgInvalidPath   = "The document path provided in the update expression is invalid for update"
	msgMissingAttr   = "The provided expression refers to an attribute that does not exist in the item"
)
