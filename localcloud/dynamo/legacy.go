package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/dynamo/wire"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// DynamoDB's legacy (non-expression) parameters: Expected, AttributeUpdates,
// ConditionalOperator, KeyConditions, QueryFilter, ScanFilter and
// AttributesToGet. legacyParams checks them with DynamoDB's rules and
// messages before the operation runs (after the wire checks, before the
// table lookup, as DynamoDB orders its checks), then translates the
// conditions and updates into the expressions the operations evaluate.
// KeyConditions is handed to Query as is (legacyKeyCondition) and
// AttributesToGet is served by the operations' projector.

// param is one top-level request member the rules look at.
type param uint16

const (
	pExpected param = 1 << iota
	pAttributeUpdates
	pConditionalOperator
	pKeyConditions
	pQueryFilter
	pScanFilter
	pAttributesToGet
	pConditionExpression
	pUpdateExpression
	pKeyConditionExpression
	pFilterExpression
	pProjectionExpression
	pNames
	pValues
	pStartKey // ExclusiveStartKey: not a legacy parameter, but checked with them
)

// legacyMask holds the non-expression parameters.
const legacyMask = pExpected | pAttributeUpdates | pConditionalOperator | pKeyConditions | pQueryFilter | pScanFilter | pAttributesToGet

var paramNames = map[param]string{
	pExpected: "Expected", pAttributeUpdates: "AttributeUpdates", pConditionalOperator: "ConditionalOperator",
	pKeyConditions: "KeyConditions", pQueryFilter: "QueryFilter", pScanFilter: "ScanFilter",
	pAttributesToGet: "AttributesToGet", pConditionExpression: "ConditionExpression",
	pUpdateExpression: "UpdateExpression", pKeyConditionExpression: "KeyConditionExpression",
	pFilterExpression: "FilterExpression", pProjectionExpression: "ProjectionExpression",
}

func paramOf(name []byte) param {
	switch string(name) {
	case "Expected":
		return pExpected
	case "AttributeUpdates":
		return pAttributeUpdates
	case "ConditionalOperator":
		return pConditionalOperator
	case "KeyConditions":
		return pKeyConditions
	case "QueryFilter":
		return pQueryFilter
	case "ScanFilter":
		return pScanFilter
	case "AttributesToGet":
		return pAttributesToGet
	case "ConditionExpression":
		return pConditionExpression
	case "UpdateExpression":
		return pUpdateExpression
	case "KeyConditionExpression":
		return pKeyConditionExpression
	case "FilterExpression":
		return pFilterExpression
	case "ProjectionExpression":
		return pProjectionExpression
	case "ExpressionAttributeNames":
		return pNames
	case "ExpressionAttributeValues":
		return pValues
	case "ExclusiveStartKey":
		return pStartKey
	}
	return 0
}

// presentParams returns the parameters body holds with a value other than
// null (DynamoDB treats null as absent, and {} or "" as present).
func presentParams(body []byte) param {
	var p param
	wire.EachMember(body, func(name, _ []byte) bool {
		p |= paramOf(name)
		return true
	})
	return p
}

// paramRule is an operation's expression and non-expression parameters, in
// the order DynamoDB lists them in its messages, and the condition map its
// ConditionalOperator combines.
type paramRule struct {
	exprs, legacy []param
	conds         param
}

var paramRules = map[string]paramRule{
	"PutItem":    {exprs: []param{pConditionExpression}, legacy: []param{pExpected, pConditionalOperator}, conds: pExpected},
	"DeleteItem": {exprs: []param{pConditionExpression}, legacy: []param{pExpected, pConditionalOperator}, conds: pExpected},
	"UpdateItem": {exprs: []param{pUpdateExpression, pConditionExpression}, legacy: []param{pAttributeUpdates, pExpected, pConditionalOperator}, conds: pExpected},
	"GetItem":    {exprs: []param{pProjectionExpression}, legacy: []param{pAttributesToGet}},
	"Query": {exprs: []param{pProjectionExpression, pFilterExpression, pKeyConditionExpression},
		legacy: []param{pAttributesToGet, pQueryFilter, pConditionalOperator, pKeyConditions}, conds: pQueryFilter},
	"Scan": {exprs: []param{pProjectionExpression, pFilterExpression}, legacy: []param{pAttributesToGet, pScanFilter, pConditionalOperator}, conds: pScanFilter},
}

func joinParams(ps []param, has param) string {
	var names []string
	for _, p := range ps {
		if has&p != 0 {
			names = append(names, paramNames[p])
		}
	}
	return strings.Join(names, ", ")
}

// mixing applies DynamoDB's rules on which parameters go together: no
// expression with a non-expression parameter (KeyConditions excepted when
// there is no KeyConditionExpression), and placeholders only with
// expressions.
func (r paramRule) mixing(has param) error {
	var exprs param
	for _, p := range r.exprs {
		exprs |= p
	}
	if has&exprs != 0 {
		legacy := has & legacyMask
		if has&pKeyConditionExpression == 0 {
			legacy &^= pKeyConditions
		}
		if legacy != 0 {
			return validationf("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}",
				joinParams(r.legacy, legacy), joinParams(r.exprs, has))
		}
	}
	if has&pNames != 0 && has&exprs == 0 {
		return validationf("ExpressionAttributeNames can only be specified when using expressions")
	}
	var valueExprs []string
	for _, p := range r.exprs {
		if p != pProjectionExpression {
			valueExprs = append(valueExprs, paramNames[p])
		}
	}
	if has&pValues != 0 && len(valueExprs) > 0 && has&(exprs&^pProjectionExpression) == 0 {
		verb := "is"
		if len(valueExprs) > 1 {
			verb = "are"
		}
		return validationf("ExpressionAttributeValues can only be specified when using expressions: %s %s null", strings.Join(valueExprs, " and "), verb)
	}
	return nil
}

// conditionalOperator checks that ConditionalOperator comes with at least
// two conditions to combine; n is how many the condition map holds.
func conditionalOperator(has param, n int) error {
	if has&pConditionalOperator == 0 {
		return nil
	}
	switch n {
	case 0:
		return validationf("ConditionalOperator cannot be used without Filter or Expected")
	case 1:
		return validationf("ConditionalOperator can only be used when Filter or Expected has two or more elements")
	}
	return nil
}

var errNoKeyCondition = validationf("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")

// legacyParams wraps the operations that take legacy parameters.
func legacyParams(ops map[string]protocol.JSONOp) map[string]protocol.JSONOp {
	for name, rule := range paramRules {
		op := ops[name]
		ops[name] = func(ctx context.Context, body []byte) (any, error) {
			has := presentParams(body)
			if err := rule.mixing(has); err != nil {
				return nil, err
			}
			if has&(legacyMask|pNames|pValues) == 0 {
				if name == "Query" && has&pKeyConditionExpression == 0 {
					return nil, errNoKeyCondition
				}
				if has&pStartKey != 0 {
					if err := checkStartKey(topMember(body, "ExclusiveStartKey")); err != nil {
						return nil, err
					}
				}
				return op(ctx, body)
			}
			l, err := translate(name, rule, has, body)
			if err != nil {
				return nil, err
			}
			if l.filter {
				ctx = context.WithValue(ctx, legacyFilterKey{}, true)
			}
			out, err := op(ctx, l.body)
			return out, l.adapt(err)
		}
	}
	return ops
}

// legacyRequest is a request whose legacy parameters were checked and
// translated: body is what the operation runs.
type legacyRequest struct {
	body        []byte
	updates     bool // AttributeUpdates became the UpdateExpression
	queryFilter bool // QueryFilter became the FilterExpression
	filter      bool // QueryFilter or ScanFilter became the FilterExpression
}

// legacyFilterKey marks a context whose request's FilterExpression was
// translated from QueryFilter or ScanFilter.
type legacyFilterKey struct{}

// adapt gives the operation's errors the words DynamoDB uses for the
// legacy parameters they came from.
func (l *legacyRequest) adapt(err error) error {
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != "ValidationException" {
		return err
	}
	switch {
	case l.updates && pe.Message == "An operand in the update expression has an incorrect data type":
		return validationf("Type mismatch for attribute to update")
	case l.queryFilter && strings.HasPrefix(pe.Message, "Filter Expression can only contain"):
		return validationf("QueryFilter%s", strings.TrimPrefix(pe.Message, "Filter Expression"))
	}
	return err
}

// translate checks the request's legacy parameters and placeholder maps in
// DynamoDB's order, with what comes before them (the item or key, the
// starting key), and returns the request the operation runs.
func translate(op string, rule paramRule, has param, body []byte) (*legacyRequest, error) {
	top := map[string][]byte{}
	for _, m := range wire.Members(body) {
		top[m.Name] = m.Value
	}
	var conds []condition
	if rule.conds != 0 {
		var err error
		if conds, err = parseConditions(top[paramNames[rule.conds]]); err != nil {
			return nil, err
		}
	}
	if err := conditionalOperator(has, len(conds)); err != nil {
		return nil, err
	}
	l := &legacyRequest{body: body}
	x := newExprBuilder(top["ConditionalOperator"])
	switch op {
	case "PutItem":
		if err := checkPutItem(top); err != nil {
			return nil, err
		}
	case "UpdateItem", "DeleteItem", "GetItem":
		if err := checkKey(top["Key"]); err != nil {
			return nil, err
		}
		if op == "UpdateItem" {
			ups, err := parseUpdates(top["AttributeUpdates"])
			if err != nil {
				return nil, err
			}
			l.updates = x.updates(ups)
		}
		if op == "DeleteItem" {
			if err := checkReturnValues(top["ReturnValues"]); err != nil {
				return nil, err
			}
		}
	case "Query":
		if err := checkConditions(conds); err != nil {
			return nil, err
		}
	}
	if op == "Scan" || op == "Query" || op == "GetItem" {
		if err := checkAttributesToGet(top["AttributesToGet"]); err != nil {
			return nil, err
		}
	}
	switch op {
	case "Scan":
		if err := checkConditions(conds); err != nil {
			return nil, err
		}
		fallthrough
	case "Query":
		if err := checkStartKey(top["ExclusiveStartKey"]); err != nil {
			return nil, err
		}
		if op == "Scan" {
			var seg, total *int
			json.Unmarshal(top["Segment"], &seg)
			json.Unmarshal(top["TotalSegments"], &total)
			if _, _, err := segments(seg, total); err != nil {
				return nil, err // before the expressions' placeholders
			}
		}
	case "PutItem", "UpdateItem", "DeleteItem":
		if err := checkExpected(conds); err != nil {
			return nil, err
		}
	}
	if op == "Query" {
		if has&(pKeyConditions|pKeyConditionExpression) == 0 {
			return nil, errNoKeyCondition
		}
		if has&pKeyConditions != 0 {
			if _, err := keyConditions(top["KeyConditions"]); err != nil {
				return nil, err
			}
		}
	}
	if len(conds) > 0 {
		member := "ConditionExpression"
		if op == "Query" || op == "Scan" {
			member = "FilterExpression"
		}
		x.conditions(conds, member)
		l.queryFilter = op == "Query"
		l.filter = member == "FilterExpression"
	}
	if has&(pNames|pValues) != 0 {
		values := top["ExpressionAttributeValues"]
		if op == "GetItem" {
			values = nil // not a GetItem parameter: ignored, as DynamoDB ignores unknown members
		}
		if err := checkPlaceholders(top["ExpressionAttributeNames"], values); err != nil {
			return nil, err
		}
	}
	if len(x.set) > 0 || has&(pExpected|pAttributeUpdates|pConditionalOperator|pQueryFilter|pScanFilter) != 0 {
		l.body = x.rewrite(body)
	}
	return l, nil
}

// checkReturnValues is DeleteItem's and PutItem's rule on ReturnValues.
func checkReturnValues(raw []byte) error {
	if raw == nil {
		return nil
	}
	var rv string
	json.Unmarshal(raw, &rv)
	switch rv {
	case "", "NONE", "ALL_OLD":
		return nil
	}
	return validationf("ReturnValues can only be ALL_OLD or NONE")
}

// topMember is the raw value of body's top-level member name, or nil.
func topMember(body []byte, name string) []byte {
	var v []byte
	wire.EachMember(body, func(n, value []byte) bool {
		if string(n) == name {
			v = value
			return false
		}
		return true
	})
	return v
}
