// Package expr parses and evaluates DynamoDB expressions: condition and
// filter expressions, key condition expressions, update expressions and
// projection expressions, following the grammar, the validation order and
// the error messages of DynamoDB.
//
// Expressions are parsed once and evaluated many times. DynamoDB validates
// an expression in phases and reports the first failure of the earliest
// phase; this package does the same:
//
//   - ParseCondition, ParseFilter, ParseUpdate and ParseProjection report
//     what does not depend on the request's placeholders: syntax, redundant
//     parentheses, unknown or misplaced functions, reserved words used as
//     attribute names, repeated update clauses.
//   - CheckUsage, given the request's ExpressionAttributeNames and
//     ExpressionAttributeValues and the parsed expressions in DynamoDB's
//     order (update, condition, key condition, filter, projection), checks
//     the maps themselves, then validates each expression (undefined
//     placeholders, operand counts and types, overlapping paths), then
//     reports unused placeholders. The Check methods perform one
//     expression's part of it.
//   - Condition.Eval, Update.Apply and Projection.Apply then work on items.
//
// ParseKeyCondition needs the placeholders at once, since a Query cannot
// run without resolving its key condition; KeyCondition.ForSchema then
// matches it to the table's or index's key schema.
//
// Every error caused by the caller is an *Error whose Msg is what DynamoDB
// puts in its ValidationException.
package expr
