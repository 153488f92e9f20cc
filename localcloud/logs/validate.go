package logs

import (
	"fmt"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// violations collects the constraint failures of a request's members the way
// CloudWatch Logs words them: "N validation error(s) detected: Value 'v' at
// 'field' failed to satisfy constraint: Member must ...", one clause per
// failed constraint, joined by "; ". A range names only the bound that was
// crossed ("Member must have length less than or equal to 512").
type violations []string

func (v *violations) add(value, field, constraint string) {
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", value, field, constraint))
}

// length checks a string member's length against [min, max]; max 0 means
// no upper bound.
func (v *violations) length(field, s string, min, max int) {
	switch {
	case len(s) < min:
		v.add(quote(s), field, fmt.Sprintf("have length greater than or equal to %d", min))
	case max > 0 && len(s) > max:
		v.add(quote(s), field, fmt.Sprintf("have length less than or equal to %d", max))
	}
}

// count checks a list member's length; Logs leaves the list itself out of
// the message ("Value at 'logEvents'").
func (v *violations) count(field string, n, min, max int) {
	switch {
	case n < min:
		*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", field, min))
	case n > max:
		*v = append(*v, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", field, max))
	}
}

// value checks an integer member against [min, max].
func (v *violations) value(field string, n, min, max int) {
	switch {
	case n < min:
		v.add(fmt.Sprintf("'%d'", n), field, fmt.Sprintf("have value greater than or equal to %d", min))
	case n > max:
		v.add(fmt.Sprintf("'%d'", n), field, fmt.Sprintf("have value less than or equal to %d", max))
	}
}

// pattern records that s does not match the member's pattern unless ok.
func (v *violations) pattern(field, s string, ok bool, pattern string) {
	if !ok {
		v.add(quote(s), field, "satisfy regular expression pattern: "+pattern)
	}
}

// err is the InvalidParameterException of the collected failures, or nil.
func (v violations) err() error { return v.errAs(invalidParam) }

// errAs builds the error with newErr (the delivery APIs answer
// ValidationException).
func (v violations) errAs(newErr func(string, ...any) error) error {
	if len(v) == 0 {
		return nil
	}
	return newErr("%s", protocol.ValidationMessage(v))
}

func quote(s string) string { return "'" + s + "'" }

// noneOf reports whether s contains none of the characters in chars (the
// patterns "[^:*]*" and "[^:*$]*").
func noneOf(s, chars string) bool { return !strings.ContainsAny(s, chars) }

// checkMaxResults checks a maxResults member of 1 to 1000.
func checkMaxResults(n *int) error {
	var v violations
	if n != nil {
		v.value("maxResults", *n, 1, 1000)
	}
	return v.err()
}
