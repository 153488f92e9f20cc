package dynamo

// The expressions and their names and values that the item operations
// share: parsed once per request, checked against what they use.

import (
	"encoding/json"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/expr"
)

// exprFields are the request members shared by the item operations.
type exprFields struct {
	ExpressionAttributeNames            map[string]string     `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues           map[string]attr.Value `json:"ExpressionAttributeValues"`
	ReturnConsumedCapacity              string                `json:"ReturnConsumedCapacity"`
	ReturnItemCollectionMetrics         string                `json:"ReturnItemCollectionMetrics"`
	ReturnValuesOnConditionCheckFailure string                `json:"ReturnValuesOnConditionCheckFailure"`
	// KeyConditions is Query's legacy key condition (see legacy.go); the
	// other legacy parameters arrive translated into expressions.
	KeyConditions json.RawMessage `json:"KeyConditions"`
}

// prepare validates the names and values against the parsed expressions
// and returns them in expr's types, values in canonical form.
func (f *exprFields) prepare(used ...expr.Used) (expr.Names, expr.Values, error) {
	var present []expr.Used
	for _, u := range used {
		if u != nil {
			present = append(present, u)
		}
	}
	// Without expressions, empty maps count as absent here: legacyParams
	// refuses present ones, as DynamoDB does, for the operations that take
	// expressions at the top level.
	if len(present) == 0 {
		if len(f.ExpressionAttributeNames) > 0 {
			return nil, nil, validationf("ExpressionAttributeNames can only be specified when using expressions")
		}
		if len(f.ExpressionAttributeValues) > 0 {
			return nil, nil, validationf("ExpressionAttributeValues can only be specified when using expressions")
		}
		return nil, nil, nil
	}
	// With expressions, an empty map is DynamoDB's "must not be empty".
	var values expr.Values
	if f.ExpressionAttributeValues != nil {
		values = make(expr.Values, len(f.ExpressionAttributeValues))
	}
	for k, v := range f.ExpressionAttributeValues {
		if err := attr.Validate(v); err != nil {
			return nil, nil, validationf("ExpressionAttributeValues contains invalid value: %s for key %s", errMessage(apiError(err)), k)
		}
		values[k] = canonical(v)
	}
	var names expr.Names
	if f.ExpressionAttributeNames != nil {
		names = expr.Names(f.ExpressionAttributeNames)
	}
	if err := expr.CheckUsage(names, values, present...); err != nil {
		return nil, nil, apiError(err)
	}
	return names, values, nil
}

// used wraps a possibly nil parsed expression as expr.Used (nil stays nil).
func usedCond(c *expr.Condition) expr.Used {
	if c == nil {
		return nil
	}
	return c
}

func usedProj(p *expr.Projection) expr.Used {
	if p == nil {
		return nil
	}
	return p
}

func usedUpdate(u *expr.Update) expr.Used {
	if u == nil {
		return nil
	}
	return u
}

// parseOptional parses an optional expression parameter: absent is nil,
// empty is DynamoDB's validation error naming the parameter.
func parseOptional[T any](s *string, param string, parse func(string) (*T, error)) (*T, error) {
	if s == nil {
		return nil, nil
	}
	if *s == "" {
		return nil, validationf("Invalid %s: The expression can not be empty;", param)
	}
	v, err := parse(*s)
	return v, apiError(err)
}

func parseCondition(s *string) (*expr.Condition, error) {
	return parseOptional(s, "ConditionExpression", expr.ParseCondition)
}

func parseFilter(s *string) (*expr.Condition, error) {
	return parseOptional(s, "FilterExpression", expr.ParseFilter)
}

func parseLegacyFilter(s *string) (*expr.Condition, error) {
	return parseOptional(s, "FilterExpression", expr.ParseLegacyFilter)
}

func parseProjection(s *string) (*expr.Projection, error) {
	return parseOptional(s, "ProjectionExpression", expr.ParseProjection)
}
