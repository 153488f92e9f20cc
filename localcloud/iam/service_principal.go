package iam

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// ServiceCanAssume reports whether the role roleARN exists and its trust
// policy lets the AWS service principal (such as "lambda.amazonaws.com")
// assume it: the check Lambda makes on CreateFunction and
// UpdateFunctionConfiguration before it accepts a role.
func (s *Service) ServiceCanAssume(ctx context.Context, roleARN, principal string) bool {
	a, ok := protocol.ParseARN(roleARN)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return false
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	s.mu.RLock()
	r := s.view(a.Account).roles[strings.ToLower(name)]
	var c role
	if r != nil {
		c = *r
	}
	s.mu.RUnlock()
	if r == nil || c.arn() != roleARN {
		return false
	}
	doc, err := parsePolicy(c.trust)
	if err != nil {
		return false
	}
	for _, st := range doc.Statement {
		if st.Effect == "Allow" && allowsAssumeRole(st.Action) && servicePrincipalAllows(st.Principal, principal) {
			return true
		}
	}
	return false
}

// servicePrincipalAllows reports whether a statement's Principal names
// the service principal, or everyone.
func servicePrincipalAllows(raw json.RawMessage, principal string) bool {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var m map[string]stringList
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, p := range m["Service"] {
		if p == principal {
			return true
		}
	}
	for _, p := range m["AWS"] {
		if p == "*" {
			return true
		}
	}
	return false
}
