package sqs

import (
	"context"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// jsonOp adapts a typed operation to the awsJson protocol.
func jsonOp[I, O any](fn func(context.Context, *I) (*O, error)) protocol.JSONOp {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(I)
		if err := protocol.DecodeJSON(body, in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, nil
		}
		return out, nil
	}
}

// batchOp refuses a batch of more than 10 entries before decoding any
// (protocol.CountOver, then protocol.Count for the number SQS names): 4
// concurrent 15 MB SendMessageBatch calls of tiny entries took 608 MB and
// 6 s each when the entries were decoded first.
func batchOp(op protocol.JSONOp) protocol.JSONOp {
	return func(ctx context.Context, body []byte) (any, error) {
		if protocol.CountOver(body, maxBatchEntries, "Entries") {
			return nil, errTooManyEntries(protocol.Count(body, "Entries"))
		}
		return op(ctx, body)
	}
}

func (s *Service) jsonOps() map[string]protocol.JSONOp {
	return map[string]protocol.JSONOp{
		"CreateQueue":                  jsonOp(s.createQueue),
		"DeleteQueue":                  jsonOp(s.deleteQueue),
		"PurgeQueue":                   jsonOp(s.purgeQueue),
		"GetQueueUrl":                  jsonOp(s.getQueueURL),
		"ListQueues":                   jsonOp(s.listQueues),
		"GetQueueAttributes":           jsonOp(s.getQueueAttributes),
		"SetQueueAttributes":           jsonOp(s.setQueueAttributes),
		"SendMessage":                  jsonOp(s.sendMessage),
		"SendMessageBatch":             batchOp(jsonOp(s.sendMessageBatch)),
		"ReceiveMessage":               jsonOp(s.receiveMessage),
		"DeleteMessage":                jsonOp(s.deleteMessage),
		"DeleteMessageBatch":           batchOp(jsonOp(s.deleteMessageBatch)),
		"ChangeMessageVisibility":      jsonOp(s.changeMessageVisibility),
		"ChangeMessageVisibilityBatch": batchOp(jsonOp(s.changeMessageVisibilityBatch)),
		"ListDeadLetterSourceQueues":   jsonOp(s.listDeadLetterSourceQueues),
		"TagQueue":                     jsonOp(s.tagQueue),
		"UntagQueue":                   jsonOp(s.untagQueue),
		"ListQueueTags":                jsonOp(s.listQueueTags),
		"AddPermission":                jsonOp(s.addPermission),
		"RemovePermission":             jsonOp(s.removePermission),
		"StartMessageMoveTask":         jsonOp(s.startMessageMoveTask),
		"ListMessageMoveTasks":         jsonOp(s.listMessageMoveTasks),
		"CancelMessageMoveTask":        jsonOp(s.cancelMessageMoveTask),
	}
}
