package s3

import (
	"context"
	"encoding/json"
	"strings"
)

// AllowsService reports whether bucket's policy lets one of the service
// principals (e.g. logs.amazonaws.com) do action on resource: a statement
// allows it (Principal "*" or {"Service": ...} naming one of them, Action
// and Resource matching, "*" and "?" wildcards as IAM's) and none denies
// it. Conditions are not evaluated. The local cloud otherwise enforces no
// bucket policy; the services AWS makes write through one (CloudWatch Logs
// exports) ask here first. A bucket that does not exist is NoSuchBucket.
func (s *Service) AllowsService(ctx context.Context, bucket string, services []string, action, resource string) (bool, error) {
	if _, ok, err := s.db.bucket(ctx, bucket); err != nil || !ok {
		if err == nil {
			err = errNoSuchBucket(bucket)
		}
		return false, err
	}
	body, ok, err := s.db.bucketDoc(ctx, bucket, docPolicy)
	if err != nil || !ok {
		return false, err
	}
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(body), &doc) != nil {
		return false, nil
	}
	var stmts []policyStatement
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one policyStatement
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false, nil
		}
		stmts = []policyStatement{one}
	}
	allowed := false
	for _, st := range stmts {
		if !st.principal(services) || !anyMatch(st.Action, action, true) || !anyMatch(st.Resource, resource, false) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false, nil
		case "Allow":
			allowed = true
		}
	}
	return allowed, nil
}

// policyStatement is what AllowsService reads of a policy statement.
type policyStatement struct {
	Effect    string
	Principal json.RawMessage
	Action    stringList
	Resource  stringList
}

// principal reports whether the statement names "*" or one of services.
func (st policyStatement) principal(services []string) bool {
	var star string
	if json.Unmarshal(st.Principal, &star) == nil {
		return star == "*"
	}
	var p struct {
		AWS     stringList
		Service stringList
	}
	if json.Unmarshal(st.Principal, &p) != nil {
		return false
	}
	for _, v := range append(p.AWS, p.Service...) {
		if v == "*" {
			return true
		}
		for _, s := range services {
			if strings.EqualFold(v, s) {
				return true
			}
		}
	}
	return false
}

// stringList is a policy element that is a string or a list of them.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// anyMatch reports whether one of patterns matches v (actions compared
// case-insensitively, as IAM does).
func anyMatch(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, v = strings.ToLower(p), strings.ToLower(v)
		}
		if wildcard(p, v) {
			return true
		}
	}
	return false
}

// wildcard matches IAM's "*" (any run of characters, "/" included) and
// "?" (one byte), backtracking only to the last "*" (linear in practice,
// O(len(pattern)*len(v)) at worst).
func wildcard(pattern, v string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(v) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == v[i]):
			p, i = p+1, i+1
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
