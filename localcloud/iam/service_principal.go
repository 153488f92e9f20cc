package iam

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// roleByARN returns a copy of the role roleARN names (path included), if
// it exists.
func (s *Service) roleByARN(roleARN string) (role, bool) {
	roleARN = canonicalARN(roleARN) // Lambda's, in the partition of its request
	a, ok := protocol.ParseARN(roleARN)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return role{}, false
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.view(a.Account).roles[strings.ToLower(name)]
	if r == nil || r.arn() != roleARN {
		return role{}, false
	}
	return *r, true
}

// assumeStatements returns a trust policy's Allow statements that grant
// sts:AssumeRole; none when the document does not parse.
func assumeStatements(trust string) []statement {
	doc, err := parsePolicy(trust)
	if err != nil {
		return nil
	}
	var out []statement
	for _, st := range doc.Statement {
		if st.Effect == "Allow" && allowsAssumeRole(st.Action) {
			out = append(out, st)
		}
	}
	return out
}

// ServiceCanAssume reports whether the role roleARN exists and its trust
// policy lets the AWS service principal (such as "lambda.amazonaws.com")
// assume it: the check Lambda makes on CreateFunction and
// UpdateFunctionConfiguration before it accepts a role.
func (s *Service) ServiceCanAssume(ctx context.Context, roleARN, principal string) bool {
	_, trusted := s.RoleTrustsService(ctx, roleARN, principal)
	return trusted
}

// RoleTrustsService reports whether the role roleARN exists and whether its
// trust policy lets the AWS service principal assume it: an Allow
// statement for sts:AssumeRole naming the service, or everyone.
// Conditions are not evaluated.
func (s *Service) RoleTrustsService(ctx context.Context, roleARN, principal string) (exists, trusted bool) {
	r, ok := s.roleByARN(roleARN)
	if !ok {
		return false, false
	}
	for _, st := range assumeStatements(r.trust) {
		if servicePrincipalAllows(st.Principal, principal) {
			return true, true
		}
	}
	return true, false
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
