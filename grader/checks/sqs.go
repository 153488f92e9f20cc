package checks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

var queuesParam = grader.Param{Name: "queues", Required: true, Doc: "the queues' names"}

func sqsKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name:   "sqs.queue-policy",
			Doc:    "each queue's policy lets the topic send to it (sns.amazonaws.com with an aws:SourceArn condition) and admits nobody else",
			Params: []grader.Param{queuesParam, topicParam},
			Calls:  []string{"sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sns:ListTopics", "sts:GetCallerIdentity"},
			Run:    runQueuePolicy,
		},
		{
			Name: "sqs.redrive",
			Doc:  "each queue sends messages that keep failing to its dead-letter queue, after at least minReceives receives",
			Params: []grader.Param{{Name: "queue", Required: true, Doc: "the queue's name"},
				{Name: "dlq", Required: true, Doc: "the dead-letter queue's name"},
				{Name: "minReceives", Doc: "the smallest maxReceiveCount accepted (default 5)"}},
			Calls: []string{"sqs:GetQueueUrl", "sqs:GetQueueAttributes"},
			Run:   runRedrive,
		},
		{
			Name: "sqs.visibility",
			Doc:  "the queue's visibility timeout is at least factor times its consumer function's timeout",
			Params: []grader.Param{{Name: "queue", Required: true, Doc: "the queue's name"},
				{Name: "function", Required: true, Doc: "the consumer function"},
				{Name: "factor", Doc: "default 6 (AWS's recommendation for Lambda consumers)"},
				{Name: "functionTimeout", Doc: "the timeout to assume while the function does not exist yet (default 10)"}},
			Calls: []string{"sqs:GetQueueUrl", "sqs:GetQueueAttributes", "lambda:GetFunctionConfiguration"},
			Run:   runVisibility,
		},
	}
}

func runQueuePolicy(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	tn := p.String("topic", "")
	topic, err := findTopic(ctx, env, tn)
	if err != nil {
		return lookupOutcome("find topic "+tn, err)
	}
	acct, _, err := account(ctx, env)
	if err != nil {
		return undecided("who am I", err)
	}
	var parts []grader.Part
	for _, qn := range p.Strings("queues") {
		q, err := findQueue(ctx, env, qn)
		if err != nil {
			return lookupOutcome("find queue "+qn, err)
		}
		doc := q.attrs["Policy"]
		if doc == "" {
			parts = append(parts, grader.Part{Name: qn, Detail: "has no queue policy, so the topic cannot deliver to it"})
			continue
		}
		pol, err := parsePolicy(doc)
		if err != nil {
			parts = append(parts, grader.Part{Name: qn, Detail: err.Error()})
			continue
		}
		admits, others := false, []string(nil)
		for _, s := range pol.Statement {
			if !strings.EqualFold(s.Effect, "Allow") {
				continue
			}
			srcs := s.conditionValues("aws:SourceArn", "ArnEquals", "ArnLike", "StringEquals", "StringLike")
			onlyTopic := len(srcs) > 0 && !slices.ContainsFunc(srcs, func(v string) bool { return v != topic })
			isSNS := slices.Contains(s.Principal.services(), "sns.amazonaws.com")
			owner := !s.Principal.Any && len(s.Principal.services()) == 0 && ownerOnly(s.Principal.IDs["AWS"], acct)
			switch {
			case (isSNS || s.Principal.Any) && onlyTopic && s.allows("sqs:SendMessage"):
				admits = true
			case owner:
				// The account itself: no wider than IAM already allows.
			case s.Principal.Any && !onlyTopic:
				others = append(others, statementName(s)+" admits any principal (\"*\") without an aws:SourceArn condition for the topic")
			default:
				others = append(others, fmt.Sprintf("%s admits %v beyond the topic", statementName(s), principalText(s.Principal)))
			}
		}
		switch {
		case len(others) > 0:
			parts = append(parts, grader.Part{Name: qn, Detail: strings.Join(others, "; ")})
		case !admits:
			parts = append(parts, grader.Part{Name: qn, Detail: "no statement lets sns.amazonaws.com SendMessage with aws:SourceArn " + topic})
		default:
			parts = append(parts, grader.Part{Name: qn, Passed: true, Detail: "admits only " + tn})
		}
	}
	return partsOutcome(parts, "not every queue admits the topic and only the topic",
		fmt.Sprintf("%s admit only %s", strings.Join(p.Strings("queues"), " and "), topic))
}

// statementName names a statement in a reason.
func statementName(s policyStatement) string {
	if s.Sid == "" {
		return "a statement"
	}
	return fmt.Sprintf("statement %q", s.Sid)
}

// ownerOnly reports whether every AWS principal is the account itself.
func ownerOnly(ids []string, acct string) bool {
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if id != acct && !strings.HasSuffix(id, ":"+acct+":root") {
			return false
		}
	}
	return true
}

func principalText(p principal) string {
	if p.Any {
		return "*"
	}
	b, _ := json.Marshal(p.IDs)
	return string(b)
}

func runRedrive(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	qn, dn, minReceives := p.String("queue", ""), p.String("dlq", ""), p.Int("minReceives", 5)
	q, err := findQueue(ctx, env, qn)
	if err != nil {
		return lookupOutcome("find queue "+qn, err)
	}
	raw := q.attrs["RedrivePolicy"]
	if raw == "" {
		return grader.Failf("queue %s has no redrive policy: a message that always fails would be retried until it expires, and nothing would tell you", qn)
	}
	var rp struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(raw), &rp); err != nil {
		return grader.Failf("the redrive policy of queue %s is not valid JSON: %v", qn, err)
	}
	maxReceives, _ := strconv.Atoi(strings.Trim(string(rp.Max), `"`))
	d, derr := findQueue(ctx, env, dn)
	dPart := grader.Part{Name: "dead-letter queue", Passed: derr == nil && rp.Target == d.arn()}
	switch {
	case derr != nil:
		var me *missingError
		if !asType(derr, &me) {
			return undecided("find queue "+dn, derr)
		}
		dPart.Detail = fmt.Sprintf("%s does not exist", dn)
	case rp.Target != d.arn():
		dPart.Detail = fmt.Sprintf("is %s, want %s", rp.Target, d.arn())
	}
	parts := []grader.Part{dPart,
		{Name: "maxReceiveCount", Passed: maxReceives >= minReceives, Detail: fmt.Sprintf("is %d, want at least %d so that a throttled or briefly failing consumer does not dead-letter good messages", maxReceives, minReceives)},
	}
	return partsOutcome(parts, "the redrive policy of queue "+qn+" is not as the lab asks",
		fmt.Sprintf("%s redrives to %s after %s", qn, dn, plural.Count(maxReceives, "receive", "receives")))
}

func runVisibility(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	qn, fn, factor := p.String("queue", ""), p.String("function", ""), p.Int("factor", 6)
	q, err := findQueue(ctx, env, qn)
	if err != nil {
		return lookupOutcome("find queue "+qn, err)
	}
	vis, _ := strconv.Atoi(q.attrs["VisibilityTimeout"])
	timeout, source := p.Int("functionTimeout", 10), "the lab's function timeout, as "+fn+" does not exist yet"
	fc, err := functionConfig(ctx, env, fn)
	var me *missingError
	switch {
	case err == nil:
		timeout, source = int(aws.ToInt32(fc.Timeout)), fn+"'s timeout"
	case !asType(err, &me):
		return undecided("get function "+fn, err)
	}
	if vis < factor*timeout {
		return grader.Failf("the visibility timeout of queue %s is %d s; want at least %d s (%d x %d s, %s) so a message is not handed to a second worker while the first still runs",
			qn, vis, factor*timeout, factor, timeout, source)
	}
	return grader.Passf("the visibility timeout of queue %s, %d s, is at least %d x %d s (%s)", qn, vis, factor, timeout, source)
}
