package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type addPermissionInput struct {
	QueueUrl      string   `json:"QueueUrl"`
	Label         string   `json:"Label"`
	AWSAccountIds []string `json:"AWSAccountIds"`
	Actions       []string `json:"Actions"`
}

// addPermission implements AddPermission: adds a statement labelled Label to the queue's policy.
func (s *Service) addPermission(ctx context.Context, in *addPermissionInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, missingParam("Label")
	}
	if len(in.AWSAccountIds) == 0 {
		return nil, missingParam("AWSAccountId")
	}
	if len(in.Actions) == 0 {
		return nil, missingParam("ActionName")
	}
	if len(in.Actions) > maxPermissionActions {
		return nil, &protocol.Error{Code: "OverLimit", QueryCode: "OverLimit", Status: 403, Message: fmt.Sprintf("%d Actions were found, maximum allowed is %d.", len(in.Actions), maxPermissionActions)}
	}
	var principals, actions []string
	for _, a := range in.AWSAccountIds {
		principals = append(principals, protocol.RootARN(protocol.IdentityFrom(ctx).Region, a))
	}
	for _, a := range in.Actions {
		if grantable, known := grantableActions[a]; !known {
			return nil, invalidParam("Value SQS:%s for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions. ", a) // SQS ends it with a space
		} else if !grantable {
			return nil, invalidParam("Value SQS:%s for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action.", a)
		}
		actions = append(actions, "SQS:"+a)
	}
	return nil, s.editPolicy(ctx, q, func(p *policyDoc) error {
		for _, st := range p.Statement {
			if st["Sid"] == in.Label {
				return invalidParam("Value %s for parameter Label is invalid. Reason: Already exists.", in.Label)
			}
		}
		if len(p.Statement) >= maxPolicyStatements {
			return &protocol.Error{Code: "OverLimit", QueryCode: "OverLimit", Status: 403, Message: fmt.Sprintf("%d Statements were found, maximum allowed is %d.", len(p.Statement)+1, maxPolicyStatements)}
		}
		p.Statement = append(p.Statement, map[string]any{"Sid": in.Label, "Effect": "Allow", "Principal": map[string]any{"AWS": protocol.PolicyValue(principals)}, "Action": protocol.PolicyValue(actions), "Resource": q.arn})
		return nil
	})
}

// SQS's policy quotas: 7 actions per statement, 20 statements per policy.
const (
	maxPermissionActions = 7
	maxPolicyStatements  = 20
)

// grantableActions maps each action name AddPermission knows to whether it
// can be shared with another account (the developer guide's list, "*" for all
// of them); the others (AddPermission, SetQueueAttributes, DeleteQueue ...)
// stay the queue owner's. SendMessage, DeleteMessage and
// ChangeMessageVisibility cover their batch versions, which cannot be named.
var grantableActions = map[string]bool{
	"*": true, "ChangeMessageVisibility": true, "DeleteMessage": true, "GetQueueAttributes": true,
	"GetQueueUrl": true, "ListDeadLetterSourceQueues": true, "PurgeQueue": true, "ReceiveMessage": true,
	"SendMessage":   true,
	"AddPermission": false, "RemovePermission": false, "CreateQueue": false, "DeleteQueue": false,
	"ListQueues": false, "SetQueueAttributes": false, "TagQueue": false, "UntagQueue": false,
	"ListQueueTags": false, "StartMessageMoveTask": false, "CancelMessageMoveTask": false, "ListMessageMoveTasks": false,
}

type removePermissionInput struct {
	QueueUrl string `json:"QueueUrl"`
	Label    string `json:"Label"`
}

// removePermission implements RemovePermission: removes the statement labelled Label.
func (s *Service) removePermission(ctx context.Context, in *removePermissionInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, missingParam("Label")
	}
	return nil, s.editPolicy(ctx, q, func(p *policyDoc) error {
		for i, st := range p.Statement {
			if st["Sid"] == in.Label {
				p.Statement = append(p.Statement[:i], p.Statement[i+1:]...)
				return nil
			}
		}
		return invalidParam("Value %s for parameter Label is invalid. Reason: can't find label on existing policy.", in.Label)
	})
}

type policyDoc struct {
	Version   string           `json:"Version"`
	ID        string           `json:"Id,omitempty"`
	Statement []map[string]any `json:"Statement"`
}

func (s *Service) editPolicy(ctx context.Context, q *queue, edit func(*policyDoc) error) error {
	var (
		done <-chan error
		err  error
	)
	q.locked(func() { done, err = s.editPolicyLocked(q, edit) })
	if err != nil {
		return err
	}
	return wait(ctx, done)
}

// editPolicyLocked applies edit to q's policy and saves it. Callers hold q.mu.
func (s *Service) editPolicyLocked(q *queue, edit func(*policyDoc) error) (<-chan error, error) {
	p := policyDoc{Version: "2012-10-17", ID: q.arn + "/SQSDefaultPolicy"}
	if cur := q.attrs["Policy"]; cur != "" {
		var raw struct {
			Version   string          `json:"Version"`
			ID        string          `json:"Id"`
			Statement json.RawMessage `json:"Statement"`
		}
		if err := json.Unmarshal([]byte(cur), &raw); err == nil {
			if raw.Version != "" {
				p.Version = raw.Version
			}
			p.ID = raw.ID
			if json.Unmarshal(raw.Statement, &p.Statement) != nil {
				var one map[string]any
				if json.Unmarshal(raw.Statement, &one) == nil {
					p.Statement = []map[string]any{one}
				}
			}
		}
	}
	if err := edit(&p); err != nil {
		return nil, err
	}
	if len(p.Statement) == 0 {
		delete(q.attrs, "Policy")
	} else {
		b, _ := json.Marshal(p)
		q.attrs["Policy"] = string(b)
	}
	q.modified = time.Now().Unix()
	return s.w.enqueue(saveQueue(q)), nil
}
