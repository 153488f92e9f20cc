package sqs

import (
	"context"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// The awsQuery adapter: each operation's form (flattened lists and maps as
// botocore serialises them: Attribute.N.Name, MessageAttribute.N.Value.*,
// SendMessageBatchRequestEntry.N.*, AttributeName.N ...) is decoded into the
// same input the JSON adapter builds.

func queryOp[I, O any](decode func(url.Values) (*I, error), fn func(context.Context, *I) (*O, error)) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		in, err := decode(form)
		if err != nil {
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

func (s *Service) queryOps() map[string]protocol.QueryOp {
	return map[string]protocol.QueryOp{
		"CreateQueue":                  queryOp(decodeCreateQueue, s.createQueue),
		"DeleteQueue":                  queryOp(decodeQueueURL, s.deleteQueue),
		"PurgeQueue":                   queryOp(decodeQueueURL, s.purgeQueue),
		"GetQueueUrl":                  queryOp(decodeGetQueueURL, s.getQueueURL),
		"ListQueues":                   queryOp(decodeListQueues, s.listQueues),
		"GetQueueAttributes":           queryOp(decodeGetQueueAttributes, s.getQueueAttributes),
		"SetQueueAttributes":           queryOp(decodeSetQueueAttributes, s.setQueueAttributes),
		"SendMessage":                  queryOp(decodeSendMessage, s.sendMessage),
		"SendMessageBatch":             queryOp(decodeSendMessageBatch, s.sendMessageBatch),
		"ReceiveMessage":               queryOp(decodeReceiveMessage, s.receiveMessage),
		"DeleteMessage":                queryOp(decodeDeleteMessage, s.deleteMessage),
		"DeleteMessageBatch":           queryOp(decodeBatch("DeleteMessageBatchRequestEntry"), s.deleteMessageBatch),
		"ChangeMessageVisibility":      queryOp(decodeChangeVisibility, s.changeMessageVisibility),
		"ChangeMessageVisibilityBatch": queryOp(decodeBatch("ChangeMessageVisibilityBatchRequestEntry"), s.changeMessageVisibilityBatch),
		"ListDeadLetterSourceQueues":   queryOp(decodeListQueues, s.listDeadLetterSourceQueues),
		"TagQueue":                     queryOp(decodeTags, s.tagQueue),
		"UntagQueue":                   queryOp(decodeTags, s.untagQueue),
		"ListQueueTags":                queryOp(decodeQueueURL, s.listQueueTags),
		"AddPermission":                queryOp(decodeAddPermission, s.addPermission),
		"RemovePermission":             queryOp(decodeRemovePermission, s.removePermission),
		"StartMessageMoveTask":         queryOp(decodeStartMove, s.startMessageMoveTask),
		"ListMessageMoveTasks":         queryOp(decodeListMoves, s.listMessageMoveTasks),
		"CancelMessageMoveTask":        queryOp(decodeCancelMove, s.cancelMessageMoveTask),
	}
}

// formInt reads an optional integer parameter.
func formInt(form url.Values, name string) (*int32, error) {
	v := form.Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return nil, invalidParam("Value %s for parameter %s is invalid. Reason: Must be an integer.", v, name)
	}
	i := int32(n)
	return &i, nil
}

// pairs reads a flattened map (prefix.N.key / prefix.N.value) from the
// first of prefixes present.
func pairs(form url.Values, key, value string, prefixes ...string) map[string]string {
	for _, p := range prefixes {
		ms := protocol.Members(form, p)
		if len(ms) == 0 {
			continue
		}
		out := map[string]string{}
		for _, m := range ms {
			if k, ok := m[key]; ok {
				out[k] = m[value]
			}
		}
		return out
	}
	return nil
}

// list reads a flattened list (prefix.N) from the first of prefixes present.
func list(form url.Values, prefixes ...string) []string {
	for _, p := range prefixes {
		ms := protocol.Members(form, p)
		if len(ms) == 0 {
			continue
		}
		var out []string
		for _, m := range ms {
			if v, ok := m[""]; ok {
				out = append(out, v)
			}
		}
		return out
	}
	return nil
}

// sub turns the members of one list entry back into a form.
func sub(m map[string]string) url.Values {
	v := url.Values{}
	for k, x := range m {
		v.Set(k, x)
	}
	return v
}

func decodeQueueURL(form url.Values) (*queueURLInput, error) {
	return &queueURLInput{QueueUrl: form.Get("QueueUrl")}, nil
}

func decodeCreateQueue(form url.Values) (*createQueueInput, error) {
	return &createQueueInput{
		QueueName:  form.Get("QueueName"),
		Attributes: pairs(form, "Name", "Value", "Attribute", "Attributes"),
		Tags:       pairs(form, "Key", "Value", "Tag", "Tags"),
	}, nil
}

func decodeGetQueueURL(form url.Values) (*getQueueURLInput, error) {
	return &getQueueURLInput{QueueName: form.Get("QueueName"), QueueOwnerAWSAccountId: form.Get("QueueOwnerAWSAccountId")}, nil
}

func decodeListQueues(form url.Values) (*listQueuesInput, error) {
	max, err := formInt(form, "MaxResults")
	if err != nil {
		return nil, err
	}
	return &listQueuesInput{QueueNamePrefix: form.Get("QueueNamePrefix"), NextToken: form.Get("NextToken"), MaxResults: max, QueueUrl: form.Get("QueueUrl")}, nil
}

func decodeGetQueueAttributes(form url.Values) (*getQueueAttributesInput, error) {
	return &getQueueAttributesInput{QueueUrl: form.Get("QueueUrl"), AttributeNames: list(form, "AttributeName", "AttributeNames")}, nil
}

func decodeSetQueueAttributes(form url.Values) (*setQueueAttributesInput, error) {
	return &setQueueAttributesInput{QueueUrl: form.Get("QueueUrl"), Attributes: pairs(form, "Name", "Value", "Attribute", "Attributes")}, nil
}

// messageAttributes reads MessageAttribute.N.Name / .Value.{StringValue,
// BinaryValue, DataType, StringListValue.M, BinaryListValue.M}.
func messageAttributes(form url.Values, prefixes ...string) (map[string]MessageAttributeValue, error) {
	for _, p := range prefixes {
		ms := protocol.Members(form, p)
		if len(ms) == 0 {
			continue
		}
		out := map[string]MessageAttributeValue{}
		for _, m := range ms {
			name := m["Name"]
			v := MessageAttributeValue{DataType: m["Value.DataType"]}
			if s, ok := m["Value.StringValue"]; ok {
				v.StringValue = &s
			}
			if b, ok := m["Value.BinaryValue"]; ok {
				raw, err := base64.StdEncoding.DecodeString(b)
				if err != nil {
					return nil, invalidParam("The message attribute '%s' has an invalid binary value (not base64).", name)
				}
				v.BinaryValue = raw
			}
			f := sub(m)
			v.StringListValues = list(f, "Value.StringListValue", "Value.StringListValues")
			for _, b := range list(f, "Value.BinaryListValue", "Value.BinaryListValues") {
				raw, err := base64.StdEncoding.DecodeString(b)
				if err != nil {
					return nil, invalidParam("The message attribute '%s' has an invalid binary value (not base64).", name)
				}
				v.BinaryListValues = append(v.BinaryListValues, raw)
			}
			out[name] = v
		}
		return out, nil
	}
	return nil, nil
}

func decodeSendEntry(form url.Values, e *sendEntry) error {
	e.Id = form.Get("Id")
	if _, ok := form["MessageBody"]; ok {
		b := form.Get("MessageBody")
		e.MessageBody = &b
	}
	var err error
	if e.DelaySeconds, err = formInt(form, "DelaySeconds"); err != nil {
		return err
	}
	if e.MessageAttributes, err = messageAttributes(form, "MessageAttribute", "MessageAttributes"); err != nil {
		return err
	}
	if e.MessageSystemAttributes, err = messageAttributes(form, "MessageSystemAttribute", "MessageSystemAttributes"); err != nil {
		return err
	}
	e.MessageDeduplicationId = form.Get("MessageDeduplicationId")
	e.MessageGroupId = form.Get("MessageGroupId")
	return nil
}

func decodeSendMessage(form url.Values) (*sendMessageInput, error) {
	in := &sendMessageInput{QueueUrl: form.Get("QueueUrl")}
	if err := decodeSendEntry(form, &in.sendEntry); err != nil {
		return nil, err
	}
	in.Id = ""
	return in, nil
}

func decodeSendMessageBatch(form url.Values) (*sendMessageBatchInput, error) {
	in := &sendMessageBatchInput{QueueUrl: form.Get("QueueUrl")}
	ms := protocol.Members(form, "SendMessageBatchRequestEntry")
	if len(ms) == 0 {
		ms = protocol.Members(form, "Entries")
	}
	for _, m := range ms {
		var e sendEntry
		if err := decodeSendEntry(sub(m), &e); err != nil {
			return nil, err
		}
		in.Entries = append(in.Entries, e)
	}
	return in, nil
}

func decodeReceiveMessage(form url.Values) (*receiveMessageInput, error) {
	in := &receiveMessageInput{
		QueueUrl:                    form.Get("QueueUrl"),
		AttributeNames:              list(form, "AttributeName", "AttributeNames"),
		MessageSystemAttributeNames: list(form, "MessageSystemAttributeName", "MessageSystemAttributeNames"),
		MessageAttributeNames:       list(form, "MessageAttributeName", "MessageAttributeNames"),
		ReceiveRequestAttemptId:     form.Get("ReceiveRequestAttemptId"),
	}
	var err error
	if in.MaxNumberOfMessages, err = formInt(form, "MaxNumberOfMessages"); err != nil {
		return nil, err
	}
	if in.VisibilityTimeout, err = formInt(form, "VisibilityTimeout"); err != nil {
		return nil, err
	}
	if in.WaitTimeSeconds, err = formInt(form, "WaitTimeSeconds"); err != nil {
		return nil, err
	}
	return in, nil
}

func decodeDeleteMessage(form url.Values) (*deleteMessageInput, error) {
	return &deleteMessageInput{QueueUrl: form.Get("QueueUrl"), ReceiptHandle: form.Get("ReceiptHandle")}, nil
}

func decodeChangeVisibility(form url.Values) (*changeVisibilityInput, error) {
	vis, err := formInt(form, "VisibilityTimeout")
	if err != nil {
		return nil, err
	}
	return &changeVisibilityInput{QueueUrl: form.Get("QueueUrl"), ReceiptHandle: form.Get("ReceiptHandle"), VisibilityTimeout: vis}, nil
}

func decodeBatch(prefix string) func(url.Values) (*batchInput, error) {
	return func(form url.Values) (*batchInput, error) {
		in := &batchInput{QueueUrl: form.Get("QueueUrl")}
		ms := protocol.Members(form, prefix)
		if len(ms) == 0 {
			ms = protocol.Members(form, "Entries")
		}
		for _, m := range ms {
			f := sub(m)
			vis, err := formInt(f, "VisibilityTimeout")
			if err != nil {
				return nil, err
			}
			in.Entries = append(in.Entries, batchEntry{Id: f.Get("Id"), ReceiptHandle: f.Get("ReceiptHandle"), VisibilityTimeout: vis})
		}
		return in, nil
	}
}

func decodeTags(form url.Values) (*tagQueueInput, error) {
	return &tagQueueInput{QueueUrl: form.Get("QueueUrl"), Tags: pairs(form, "Key", "Value", "Tag", "Tags"), TagKeys: list(form, "TagKey", "TagKeys")}, nil
}

func decodeAddPermission(form url.Values) (*addPermissionInput, error) {
	return &addPermissionInput{QueueUrl: form.Get("QueueUrl"), Label: form.Get("Label"), AWSAccountIds: list(form, "AWSAccountId", "AWSAccountIds"), Actions: list(form, "ActionName", "Actions")}, nil
}

func decodeRemovePermission(form url.Values) (*removePermissionInput, error) {
	return &removePermissionInput{QueueUrl: form.Get("QueueUrl"), Label: form.Get("Label")}, nil
}

func decodeStartMove(form url.Values) (*startMoveInput, error) {
	rate, err := formInt(form, "MaxNumberOfMessagesPerSecond")
	if err != nil {
		return nil, err
	}
	return &startMoveInput{SourceArn: form.Get("SourceArn"), DestinationArn: form.Get("DestinationArn"), MaxNumberOfMessagesPerSecond: rate}, nil
}

func decodeListMoves(form url.Values) (*listMovesInput, error) {
	max, err := formInt(form, "MaxResults")
	if err != nil {
		return nil, err
	}
	return &listMovesInput{SourceArn: form.Get("SourceArn"), MaxResults: max}, nil
}

func decodeCancelMove(form url.Values) (*cancelMoveInput, error) {
	return &cancelMoveInput{TaskHandle: form.Get("TaskHandle")}, nil
}
