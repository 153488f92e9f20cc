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
		"SendMessageBatch":             jsonOp(s.sendMessageBatch),
		"ReceiveMessage":               jsonOp(s.receiveMessage),
		"DeleteMessage":                jsonOp(s.deleteMessage),
		"DeleteMessageBatch":           jsonOp(s.deleteMessageBatch),
		"ChangeMessageVisibility":      jsonOp(s.changeMessageVisibility),
		"ChangeMessageVisibilityBatch": jsonOp(s.changeMessageVisibilityBatch),
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
