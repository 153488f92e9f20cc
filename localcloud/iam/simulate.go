package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// sourcePolicy is a policy document taking part in a simulation.
type sourcePolicy struct {
	id       string // the policy's name, or "PolicyInputList.N"
	kind     string // "role", "aws-managed", "user-managed", "none"
	document string
}

type matchedStatement struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

type evaluationResult struct {
	EvalActionName       string                 `xml:"EvalActionName"`
	EvalResourceName     string                 `xml:"EvalResourceName"`
	EvalDecision         string                 `xml:"EvalDecision"`
	MatchedStatements    list[matchedStatement] `xml:"MatchedStatements"`
	MissingContextValues list[string]           `xml:"MissingContextValues"`
}

// simStatement is one statement as the simulator reads it.
type simStatement struct {
	effect                  string
	actions, notActions     []string
	resources, notResources []string
	hasAction, hasResource  bool
	conditionKeys           []string
}

func simStatements(doc string) []simStatement {
	var raw struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &raw) != nil {
		return nil
	}
	var sts []map[string]json.RawMessage
	if json.Unmarshal(raw.Statement, &sts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw.Statement, &one) != nil {
			return nil
		}
		sts = []map[string]json.RawMessage{one}
	}
	var out []simStatement
	for _, st := range sts {
		var s simStatement
		json.Unmarshal(st["Effect"], &s.effect)
		var l stringList
		if v, ok := st["Action"]; ok && json.Unmarshal(v, &l) == nil {
			s.actions, s.hasAction = l, true
		}
		l = nil
		if v, ok := st["NotAction"]; ok && json.Unmarshal(v, &l) == nil {
			s.notActions, s.hasAction = l, true
		}
		l = nil
		if v, ok := st["Resource"]; ok && json.Unmarshal(v, &l) == nil {
			s.resources, s.hasResource = l, true
		}
		l = nil
		if v, ok := st["NotResource"]; ok && json.Unmarshal(v, &l) == nil {
			s.notResources, s.hasResource = l, true
		}
		var cond map[string]map[string]json.RawMessage
		if json.Unmarshal(st["Condition"], &cond) == nil {
			for _, kv := range cond {
				for k := range kv {
					s.conditionKeys = append(s.conditionKeys, k)
				}
			}
			sort.Strings(s.conditionKeys)
		}
		out = append(out, s)
	}
	return out
}

// globMatch matches s against an IAM pattern with * and ? wildcards, in
// O(len(p)*len(s)) at worst (backtracking only to the last star).
func globMatch(p, s string) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func anyGlob(patterns []string, s string, fold bool) bool {
	if fold {
		s = strings.ToLower(s)
	}
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		if globMatch(p, s) {
			return true
		}
	}
	return false
}

// applies reports whether st covers action on resource. Statements with
// conditions never apply: the simulator has no request context, and their
// keys are reported as missing, as IAM's simulator does.
func (st simStatement) applies(action, resource string) (bool, []string) {
	if st.actions != nil && !anyGlob(st.actions, action, true) || st.notActions != nil && anyGlob(st.notActions, action, true) {
		return false, nil
	}
	if st.resources != nil && !anyGlob(st.resources, resource, false) || st.notResources != nil && anyGlob(st.notResources, resource, false) {
		return false, nil
	}
	if len(st.conditionKeys) > 0 {
		return false, st.conditionKeys
	}
	return true, nil
}

// evaluate decides action on resource under policies: an explicit Deny
// wins, then any Allow, else the implicit deny.
func evaluate(policies []sourcePolicy, action, resource string) evaluationResult {
	res := evaluationResult{EvalActionName: action, EvalResourceName: resource, EvalDecision: "implicitDeny"}
	var allows, denies []matchedStatement
	missing := map[string]bool{}
	for _, p := range policies {
		for _, st := range simStatements(p.document) {
			ok, keys := st.applies(action, resource)
			for _, k := range keys {
				missing[k] = true
			}
			if !ok {
				continue
			}
			m := matchedStatement{SourcePolicyID: p.id, SourcePolicyType: p.kind}
			if st.effect == "Deny" {
				denies = append(denies, m)
			} else {
				allows = append(allows, m)
			}
		}
	}
	switch {
	case len(denies) > 0:
		res.EvalDecision, res.MatchedStatements.Member = "explicitDeny", denies
	case len(allows) > 0:
		res.EvalDecision, res.MatchedStatements.Member = "allowed", allows
	}
	for k := range missing {
		res.MissingContextValues.Member = append(res.MissingContextValues.Member, k)
	}
	sort.Strings(res.MissingContextValues.Member)
	return res
}

// simulate runs every action against every resource.
func simulate(form url.Values, policies []sourcePolicy) (any, error) {
	var actions, resources []string
	for _, m := range protocol.Members(form, "ActionNames.member") {
		actions = append(actions, m[""])
	}
	if len(actions) == 0 {
		return nil, validation("1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	for _, a := range actions {
		if a != "*" && !strings.Contains(a, ":") {
			return nil, invalidInput("Invalid action name %s: actions must be prefaced by a service, e.g. s3:GetObject", a)
		}
	}
	for _, m := range protocol.Members(form, "ResourceArns.member") {
		resources = append(resources, m[""])
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var results []evaluationResult
	for _, a := range actions {
		for _, r := range resources {
			results = append(results, evaluate(policies, a, r))
		}
	}
	keys := make([]string, len(results))
	for i := range results {
		keys[i] = fmt.Sprintf("%09d", i)
	}
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, err
	}
	return struct {
		EvaluationResults list[evaluationResult] `xml:"EvaluationResults"`
		truncated
	}{list[evaluationResult]{results[start:end]}, truncated{IsTruncated: next != "", Marker: next}}, nil
}

func policyInputs(form url.Values) ([]sourcePolicy, error) {
	var out []sourcePolicy
	for i, m := range protocol.Members(form, "PolicyInputList.member") {
		doc := decodeInputDocument(m[""])
		if _, err := parsePolicy(doc); err != nil {
			return nil, err
		}
		out = append(out, sourcePolicy{id: "PolicyInputList." + strconv.Itoa(i+1), kind: "none", document: doc})
	}
	return out, nil
}

func (s *Service) simulateCustomPolicy(ctx context.Context, form url.Values) (any, error) {
	policies, err := policyInputs(form)
	if err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		return nil, validation("1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	return simulate(form, policies)
}

func (s *Service) simulatePrincipalPolicy(ctx context.Context, form url.Values) (any, error) {
	policies, err := s.principalPolicies(ctx, form)
	if err != nil {
		return nil, err
	}
	inputs, err := policyInputs(form)
	if err != nil {
		return nil, err
	}
	return simulate(form, append(policies, inputs...))
}

// principalPolicies returns the identity policies of the role, user (with
// its groups') or group the form's PolicySourceArn names.
func (s *Service) principalPolicies(ctx context.Context, form url.Values) ([]sourcePolicy, error) {
	source, err := required(form, "PolicySourceArn")
	if err != nil {
		return nil, err
	}
	a, ok := protocol.ParseARN(source)
	if !ok || a.Service != "iam" {
		return nil, invalidInput("Invalid ARN %s.", source)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	kind, rest, _ := strings.Cut(a.Resource, "/")
	name := rest[strings.LastIndex(rest, "/")+1:]
	s.mu.RLock()
	defer s.mu.RUnlock()
	view := s.view(acct)
	var holders []*holder
	var arn string
	switch kind {
	case "role":
		if r := view.roles[strings.ToLower(name)]; r != nil {
			holders, arn = []*holder{&r.holder}, r.arn()
		}
	case "user":
		if u := view.users[strings.ToLower(name)]; u != nil {
			holders, arn = []*holder{&u.holder}, u.arn()
			for _, g := range s.groupsOf(u) {
				holders = append(holders, &g.holder)
			}
		}
	case "group":
		if g := view.groups[strings.ToLower(name)]; g != nil {
			holders, arn = []*holder{&g.holder}, g.arn()
		}
	default:
		return nil, invalidInput("Invalid ARN %s: the principal must be a user, group or role.", source)
	}
	if a.Account != acct || arn != source {
		return nil, noSuchEntity("The %s with name %s cannot be found.", kind, name)
	}
	var policies []sourcePolicy
	for _, h := range holders {
		policies = append(policies, s.holderPolicies(acct, kind, h)...)
	}
	return policies, nil
}

// holderPolicies returns a holder's inline documents, by name, then its
// managed policies' default versions; s.mu must be held.
func (s *Service) holderPolicies(acct, kind string, h *holder) []sourcePolicy {
	var policies []sourcePolicy
	names := make([]string, 0, len(h.inline))
	for n := range h.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		policies = append(policies, sourcePolicy{id: n, kind: kind, document: h.inline[n]})
	}
	for _, arn := range h.attached {
		p := awsPolicies[arn]
		pkind := "aws-managed"
		if p == nil {
			pkind = "user-managed"
			pa, _ := protocol.ParseARN(arn)
			pn := pa.Resource[strings.LastIndex(pa.Resource, "/")+1:]
			p = s.view(acct).policies[strings.ToLower(pn)]
		}
		if p == nil || p.versions[p.defaultVersion] == nil {
			continue
		}
		policies = append(policies, sourcePolicy{id: p.name, kind: pkind, document: p.versions[p.defaultVersion].document})
	}
	return policies
}

// contextKeys answers GetContextKeysFor*Policy: the condition keys the
// policies use, each once.
func contextKeys(policies []sourcePolicy) any {
	seen := map[string]bool{}
	var keys []string
	for _, p := range policies {
		for _, st := range simStatements(p.document) {
			for _, k := range st.conditionKeys {
				if !seen[strings.ToLower(k)] {
					seen[strings.ToLower(k)] = true
					keys = append(keys, k)
				}
			}
		}
	}
	sort.Strings(keys)
	return struct {
		ContextKeyNames list[string] `xml:"ContextKeyNames"`
	}{list[string]{keys}}
}

func (s *Service) getContextKeysForCustomPolicy(ctx context.Context, form url.Values) (any, error) {
	policies, err := policyInputs(form)
	if err != nil {
		return nil, err
	}
	if len(policies) == 0 {
		return nil, validation("1 validation error detected: Value null at 'policyInputList' failed to satisfy constraint: Member must not be null")
	}
	return contextKeys(policies), nil
}

func (s *Service) getContextKeysForPrincipalPolicy(ctx context.Context, form url.Values) (any, error) {
	policies, err := s.principalPolicies(ctx, form)
	if err != nil {
		return nil, err
	}
	inputs, err := policyInputs(form)
	if err != nil {
		return nil, err
	}
	return contextKeys(append(policies, inputs...)), nil
}
