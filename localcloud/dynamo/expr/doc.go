// Package expr parses and evaluates DynamoDB expressions: condition and
// filter expressions, key condition expressions, update expressions and
// projection expressions, following the grammar and error messages of the
// DynamoDB Developer Guide.
//
// Expressions are parsed once (ParseCondition, ParseFilter, ParseUpdate,
// ParseProjection, ParseKeyCondition) and evaluated many times against items
// with the request's ExpressionAttributeNames and ExpressionAttributeValues.
// Every error caused by the caller is an *Error whose Msg is what DynamoDB
// puts in its ValidationException.
package expr
