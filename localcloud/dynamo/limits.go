package dynamo

import (
	"context"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

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

// maxSingleBody bounds the body of every call but the batch and transaction
// ones, before it is decoded: a 400 KB item takes at most about 2.4 MB as
// JSON (every character an escape), and 4 concurrent 15 MB PutItem calls of
// 400,000 attributes took 756 MB to decode and refuse.
const maxSingleBody = 4 << 20

// bulkOps may carry up to the 16 MB DynamoDB takes in one request.
var bulkOps = map[string]bool{"BatchGetItem": true, "BatchWriteItem": true, "TransactWriteItems": true, "TransactGetItems": true}

// capSingleCalls wraps every op of ops but the bulk ones with maxSingleBody.
func capSingleCalls(ops map[string]protocol.JSONOp) map[string]protocol.JSONOp {
	for name, op := range ops {
		if bulkOps[name] {
			continue
		}
		ops[name] = func(ctx context.Context, body []byte) (any, error) {
			if len(body) > maxSingleBody {
				return nil, validationf("Item size has exceeded the maximum allowed size")
			}
			return op(ctx, body)
		}
	}
	return ops
}
