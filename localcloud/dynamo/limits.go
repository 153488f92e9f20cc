package dynamo

import "github.com/labkit-dev/labkit/localcloud/protocol"

// DynamoDB's per-call element limits are checked on the raw body before it
// is decoded (protocol.CountOver): a 10.8 MB BatchGetItem with 400,000 keys
// decoded into items first cost about 300 MB.

const (
	maxBatchGetKeys      = 100
	maxBatchWriteItems   = 25
	maxTransactItems     = 100
	errTooManyBatchGet   = "Too many items requested for the BatchGetItem call"
	errTooManyBatchWrite = "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
	errTooManyTransact   = "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1"
)

// overBatchGet reports whether a BatchGetItem body asks for more than 100
// keys over all its tables, or names more than 100 tables.
func overBatchGet(body []byte) bool {
	// Keys first: counting tables skips each table's value whole.
	return protocol.CountOver(body, maxBatchGetKeys, "RequestItems", "*", "Keys") || protocol.CountOver(body, maxBatchGetKeys, "RequestItems")
}

// overBatchWrite reports whether a BatchWriteItem body has more than 25
// requests over all its tables, or names more than 25 tables.
func overBatchWrite(body []byte) bool {
	return protocol.CountOver(body, maxBatchWriteItems, "RequestItems", "*") || protocol.CountOver(body, maxBatchWriteItems, "RequestItems")
}

// overTransact reports whether a TransactWriteItems or TransactGetItems
// body has more than 100 items.
func overTransact(body []byte) bool {
	return protocol.CountOver(body, maxTransactItems, "TransactItems")
}
