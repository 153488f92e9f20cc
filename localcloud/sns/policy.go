package sns

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// policyAllows reports whether a topic's access policy lets another account
// perform action ("Publish", "Subscribe"...) on the topic. Callers in the
// topic's own account are not asked: the local cloud does not enforce IAM
// identity policies. A statement matches on its principal (*, an account id
// or an IAM ARN in the caller's account), action (SNS:<action> with
// wildcards), resource, and the condition keys aws:SourceAccount,
// AWS:SourceOwner, aws:PrincipalAccount and aws:SourceArn; a statement with
// another condition key never matches. Any matching Deny wins.
func policyAllows(policy, topicARN, account, action string) bool {
	values := map[string]string{"aws:sourceaccount": account, "aws:sourceowner": account, "aws:principalaccount": account, "aws:sourcearn": topicARN}
	return protocol.PolicyAllows(policy, func(st protocol.PolicyStatement) bool {
		return principalMatches(st["Principal"], account) &&
			st.Covers("sns:"+action, topicARN) &&
			st.ConditionsHold(func(op, key string, want []string) bool {
				got, known := values[strings.ToLower(key)]
				return known && protocol.ConditionHolds(op, got, want)
			})
	})
}

func principalMatches(p any, account string) bool {
	var names []string
	switch x := p.(type) {
	case string:
		names = []string{x}
	case map[string]any:
		names = protocol.PolicyStrings(x["AWS"])
	}
	for _, n := range names {
		if n == "*" || n == account {
			return true
		}
		if a, ok := protocol.ParseARN(n); ok && a.Service == "iam" && a.Account == account {
			return true
		}
	}
	return false
}

// policyDocument is a topic policy being edited by AddPermission and
// RemovePermission.
type policyDocument struct {
	Version   string           `json:"Version,omitempty"`
	ID        string           `json:"Id,omitempty"`
	Statement []map[string]any `json:"Statement"`
}

func (t *topic) policy() policyDocument {
	raw := t.attrs["Policy"]
	if raw == "" {
		raw = defaultPolicy(t.arn, t.account)
	}
	var doc policyDocument
	if json.Unmarshal([]byte(raw), &doc) != nil {
		var one struct {
			Version   string         `json:"Version,omitempty"`
			ID        string         `json:"Id,omitempty"`
			Statement map[string]any `json:"Statement"`
		}
		json.Unmarshal([]byte(raw), &one)
		doc = policyDocument{Version: one.Version, ID: one.ID}
		if one.Statement != nil {
			doc.Statement = []map[string]any{one.Statement}
		}
	}
	return doc
}

var labelRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

// snsActions are the actions AddPermission may grant.
var snsActions = map[string]bool{
	"Publish": true, "Subscribe": true, "Receive": true, "ListSubscriptionsByTopic": true, "GetTopicAttributes": true,
	"SetTopicAttributes": true, "DeleteTopic": true, "AddPermission": true, "RemovePermission": true,
}

func (s *Service) addPermission(ctx context.Context, form url.Values) (any, error) {
	label := form.Get("Label")
	var accounts, actions []string
	for _, m := range protocol.Members(form, "AWSAccountId.member") {
		accounts = append(accounts, m[""])
	}
	for _, m := range protocol.Members(form, "ActionName.member") {
		actions = append(actions, m[""])
	}
	if !labelRE.MatchString(label) {
		return nil, invalidParameter("Label")
	}
	if len(accounts) == 0 {
		return nil, invalidParameter("AWSAccountId")
	}
	if len(actions) == 0 {
		return nil, invalidParameter("ActionName")
	}
	principals := make([]string, 0, len(accounts))
	for _, a := range accounts {
		if !protocol.IsAccountID(a) {
			return nil, invalidParameter("AWSAccountId: %q is not an account id", a)
		}
		principals = append(principals, protocol.RootARN(protocol.IdentityFrom(ctx).Region, a))
	}
	names := make([]string, 0, len(actions))
	for _, a := range actions {
		if !snsActions[a] {
			return nil, invalidParameter("Policy statement action out of service scope!")
		}
		names = append(names, "SNS:"+a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic(ctx, form.Get("TopicArn"), "TopicArn", "AddPermission")
	if err != nil {
		return nil, err
	}
	doc := t.policy()
	for _, st := range doc.Statement {
		if st["Sid"] == label {
			return nil, invalidParameter("Statement already exists")
		}
	}
	doc.Statement = append(doc.Statement, map[string]any{"Sid": label, "Effect": "Allow", "Principal": map[string]any{"AWS": protocol.PolicyValue(principals)}, "Action": protocol.PolicyValue(names), "Resource": t.arn})
	return nil, s.savePolicy(ctx, t, doc)
}

func (s *Service) removePermission(ctx context.Context, form url.Values) (any, error) {
	label := form.Get("Label")
	if label == "" {
		return nil, invalidParameter("Label")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTopic(ctx, form.Get("TopicArn"), "TopicArn", "RemovePermission")
	if err != nil {
		return nil, err
	}
	doc := t.policy()
	kept := doc.Statement[:0:0]
	for _, st := range doc.Statement {
		if st["Sid"] != label {
			kept = append(kept, st)
		}
	}
	if len(kept) == len(doc.Statement) {
		return nil, nil // removing a label the policy lacks succeeds and changes nothing
	}
	doc.Statement = kept
	return nil, s.savePolicy(ctx, t, doc)
}

// savePolicy stores doc as t's Policy. Caller holds s.mu.
func (s *Service) savePolicy(ctx context.Context, t *topic, doc policyDocument) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	old, had := t.attrs["Policy"]
	t.attrs["Policy"] = string(b)
	if err := s.write(ctx, func(tx *sql.Tx) error { return saveTopic(ctx, tx, t) }); err != nil {
		if had {
			t.attrs["Policy"] = old
		} else {
			delete(t.attrs, "Policy")
		}
		return err
	}
	return nil
}
