package sqs

import (
	"context"
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
	var policy string
	q.locked(func() { policy = q.attrs["Policy"] })
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
	var (
		done <-chan error
		err  error
	)
	err = q.lockedLive(func() error {
		m, err := q.prepare(&e, d.SourcePrincipal, now)
		if err == nil {
			_, done = s.enqueueLocked(q, []*message{m}, now)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := wait(ctx, done); err != nil {
		return err
	}
	s.publishDepth(q, false)
	s.publishCount(q, "NumberOfMessagesSent", 1)
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
	return protocol.PolicyAllows(policy, func(st protocol.PolicyStatement) bool {
		return principalMatches(st["Principal"], req.principalService) &&
			st.Covers(req.action, req.resource) &&
			st.ConditionsHold(func(op, key string, want []string) bool {
				return conditionMatches(op, strings.ToLower(key), want, req.context)
			})
	})
}

// principalMatches reports whether a statement's Principal names everyone
// ("*", {"AWS": "*"}) or the service ({"Service": "sns.amazonaws.com"}).
func principalMatches(p any, service string) bool {
	switch p := p.(type) {
	case string:
		return p == "*"
	case map[string]any:
		for _, a := range protocol.PolicyStrings(p["AWS"]) {
			if a == "*" {
				return true
			}
		}
		for _, svc := range protocol.PolicyStrings(p["Service"]) {
			if svc == "*" || strings.EqualFold(svc, service) {
				return true
			}
		}
	}
	return false
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
	return protocol.ConditionHolds(base, got, want)
}
