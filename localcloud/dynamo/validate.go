package dynamo

import (
	"errors"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// maxItemSize is DynamoDB's item size limit (400 KB).
const maxItemSize = 400 * 1024

func validationf(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ValidationException", format, args...)
}

// apiError turns errors of the attr and expr packages into the
// ValidationException DynamoDB answers; other errors pass through.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var ee *expr.Error
	if errors.As(err, &ee) {
		return validationf("%s", ee.Msg)
	}
	if errors.Is(err, attr.ErrInvalid) {
		msg := strings.TrimPrefix(err.Error(), attr.ErrInvalid.Error()+": ")
		return validationf("%s", msg)
	}
	return err
}

// normalizeItem validates every value of item and rewrites numbers to their
// canonical text, as DynamoDB stores them.
func normalizeItem(item attr.Item) error {
	if err := attr.ValidateItem(item); err != nil {
		return apiError(err)
	}
	for name, v := range item {
		item[name] = canonical(v)
	}
	return nil
}

// canonical returns v with every number in canonical form; v is valid.
func canonical(v attr.Value) attr.Value {
	switch v.Kind {
	case attr.N:
		if c, err := attr.CanonicalNumber(v.Str); err == nil {
			v.Str = c
		}
	case attr.NS:
		out := make([]string, len(v.Strs))
		for i, s := range v.Strs {
			out[i] = s
			if c, err := attr.CanonicalNumber(s); err == nil {
				out[i] = c
			}
		}
		v.Strs = out
	case attr.M:
		m := make(map[string]attr.Value, len(v.Map))
		for k, e := range v.Map {
			m[k] = canonical(e)
		}
		v.Map = m
	case attr.L:
		l := make([]attr.Value, len(v.List))
		for i, e := range v.List {
			l[i] = canonical(e)
		}
		v.List = l
	}
	return v
}

func itemSize(item attr.Item) int { return attr.ItemSize(item) }

// checkItemSize answers DynamoDB's error for items over 400 KB.
func checkItemSize(item attr.Item) error {
	if itemSize(item) > maxItemSize {
		return validationf("Item size has exceeded the maximum allowed size")
	}
	return nil
}
