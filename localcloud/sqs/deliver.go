package sqs

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// DeliverFromService enqueues a message that another service (SNS) sends on
// its own behalf. The queue's access policy must allow d.SourcePrincipal to
// sqs:SendMessage with d.SourceARN, as on AWS; a queue without such a policy
// refuses with AccessDenied. The message is committed before it returns.
func (s *Service) DeliverFromService(ctx context.Context, d protocol.ServiceDelivery) error {
	q := s.queueByARN(d.QueueARN)
	if q == nil {
		return nonExistent()
	}
	q.mu.Lock()
	policy := q.attrs["Policy"]
	q.mu.Unlock()
	req := policyRequest{
		principalService: d.SourcePrincipal,
		action:           "sqs:SendMessage",
		resource:         q.arn,
		context:          map[string]string{"aws:sourcearn": d.SourceARN, "aws:sourceaccount": d.SourceAccount},
	}
	if d.SourceAccount == "" {
		if a, ok := protocol.ParseARN(d.SourceARN); ok {
			req.context["aws:sourceaccount"] = a.Account
		}
	}
	if !evaluatePolicy(policy, req) {
		return &protocol.Error{Code: "AccessDenied", QueryCode: "AccessDenied", Status: 403, Message: "The queue " + q.arn + " does not allow " + d.SourcePrincipal + " to send messages from " + d.SourceARN + " (check the queue policy)."}
	}
	body := d.Body
	e := sendEntry{MessageBody: &body, MessageGroupId: d.MessageGroupID, MessageDeduplicationId: d.DeduplicationID}
	if len(d.Attributes) > 0 {
		e.MessageAttributes = map[string]MessageAttributeValue{}
		for k, v := range d.Attributes {
			mv := MessageAttributeValue{DataType: v.DataType}
			if strings.HasPrefix(v.DataType, "Binary") {
				mv.BinaryValue = v.BinaryValue
			} else {
				sv := v.StringValue
				mv.StringValue = &sv
			}
			e.MessageAttributes[k] = mv
		}
	}
	now := time.Now()
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nonExistent()
	}
	m, err := q.prepare(&e, d.SourcePrincipal, now)
	if err != nil {
		q.mu.Unlock()
		return err
	}
	_, done := s.enqueueLocked(q, []*message{m}, now)
	q.mu.Unlock()
	if err := wait(ctx, done); err != nil {
		return err
	}
	s.publishDepth(q, false)
	return nil
}

type policyRequest struct {
	principalService string // "sns.amazonaws.com"
	action           string
	resource         string
	context          map[string]string // lower-cased condition keys
}

// evaluatePolicy reports whether policy allows req: some statement allows
// it and none denies it.
func evaluatePolicy(policy string, req policyRequest) bool {
	if policy == "" {
		return false
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	var stmts []map[string]any
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one map[string]any
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []map[string]any{one}
	}
	allowed := false
	for _, st := range stmts {
		if !statementMatches(st, req) {
			continue
		}
		if effect, _ := st["Effect"].(string); effect == "Deny" {
			return false
		} else if effect == "Allow" {
			allowed = true
		}
	}
	return allowed
}

// strs reads a policy value that is a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func statementMatches(st map[string]any, req policyRequest) bool {
	// Principal: "*", {"AWS": "*"}, {"Service": "sns.amazonaws.com"}.
	principalOK := false
	switch p := st["Principal"].(type) {
	case string:
		principalOK = p == "*"
	case map[string]any:
		for _, a := range strs(p["AWS"]) {
			if a == "*" {
				principalOK = true
			}
		}
		for _, svc := range strs(p["Service"]) {
			if svc == "*" || strings.EqualFold(svc, req.principalService) {
				principalOK = true
			}
		}
	}
	if !principalOK {
		return false
	}
	actionOK := false
	for _, a := range strs(st["Action"]) {
		if protocol.WildcardMatch(strings.ToLower(a), strings.ToLower(req.action)) {
			actionOK = true
		}
	}
	if !actionOK {
		return false
	}
	if res, ok := st["Resource"]; ok {
		resOK := false
		for _, r := range strs(res) {
			if protocol.WildcardMatch(r, req.resource) {
				resOK = true
			}
		}
		if !resOK {
			return false
		}
	}
	cond, _ := st["Condition"].(map[string]any)
	for op, block := range cond {
		kv, _ := block.(map[string]any)
		for key, want := range kv {
			if !conditionMatches(op, strings.ToLower(key), strs(want), req.context) {
				return false
			}
		}
	}
	return true
}

func conditionMatches(op, key string, want []string, ctx map[string]string) bool {
	got, present := ctx[key]
	if got == "" {
		present = false
	}
	base, ifExists := strings.CutSuffix(op, "IfExists")
	if !present {
		return ifExists || base == "Null"
	}
	for _, w := range want {
		switch base {
		case "ArnEquals", "StringEquals":
			if got == w {
				return true
			}
		case "StringEqualsIgnoreCase":
			if strings.EqualFold(got, w) {
				return true
			}
		case "ArnLike", "StringLike":
			if protocol.WildcardMatch(w, got) {
				return true
			}
		case "ArnNotEquals", "StringNotEquals":
			if got == w {
				return false
			}
		case "ArnNotLike", "StringNotLike":
			if protocol.WildcardMatch(w, got) {
				return false
			}
		default:
			return false
		}
	}
	return strings.Contains(base, "Not")
}
