package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// authResult is what an authorizer answered, parsed.
type authResult struct {
	simple      bool
	allowed     bool
	statements  []statement
	principalID string
	context     map[string]any
}

// allows reports whether the result lets routeArn through.
func (a *authResult) allows(routeArn string) bool {
	if a.simple {
		return a.allowed
	}
	allowed := false
	for _, st := range a.statements {
		if !st.matches(routeArn) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// stringList is an IAM policy element that may be a string or a list.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = stringList{s}
		return nil
	}
	var xs []string
	if err := json.Unmarshal(b, &xs); err != nil {
		return err
	}
	*l = xs
	return nil
}

type statement struct {
	Effect   string     `json:"Effect"`
	Action   stringList `json:"Action"`
	Resource stringList `json:"Resource"`
}

func (st *statement) matches(routeArn string) bool {
	actionOK := false
	for _, a := range st.Action {
		if a == "*" || strings.EqualFold(a, "execute-api:Invoke") || strings.EqualFold(a, "execute-api:*") || protocol.WildcardMatch(strings.ToLower(a), "execute-api:invoke") {
			actionOK = true
			break
		}
	}
	if !actionOK {
		return false
	}
	for _, r := range st.Resource {
		if protocol.WildcardMatch(r, routeArn) {
			return true
		}
	}
	return false
}

// statements decodes a policy's Statement, an object or a list of them.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one statement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// parseAuthResponse reads an authorizer's answer: the simple format when
// simple responses are enabled (an IAM policy is accepted there too),
// otherwise an IAM policy.
func parseAuthResponse(payload []byte, simple bool) (*authResult, error) {
	var raw struct {
		IsAuthorized   *bool       `json:"isAuthorized"`
		PrincipalID    *flexString `json:"principalId"`
		PolicyDocument *struct {
			Statement statements `json:"Statement"`
		} `json:"policyDocument"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("authorizer response is not a JSON object: %v", err)
	}
	res := &authResult{context: raw.Context}
	if raw.PrincipalID != nil {
		res.principalID = string(*raw.PrincipalID)
	}
	if simple && raw.IsAuthorized != nil {
		res.simple, res.allowed = true, *raw.IsAuthorized
		return res, nil
	}
	if raw.PolicyDocument == nil {
		if simple {
			return nil, fmt.Errorf("authorizer response has neither isAuthorized nor policyDocument")
		}
		return nil, fmt.Errorf("authorizer response has no policyDocument (simple responses are not enabled)")
	}
	res.statements = raw.PolicyDocument.Statement
	return res, nil
}

// authCache keeps authorizer results for their TTL, keyed by api, stage,
// authorizer and the identity source values.
type authCache struct {
	mu sync.Mutex
	m  map[authKey]authEntry
}

type authKey struct{ api, stage, authorizer, identity string }

type authEntry struct {
	expires time.Time
	res     *authResult
}

func newAuthCache() *authCache { return &authCache{m: map[authKey]authEntry{}} }

func (c *authCache) get(k authKey, now time.Time) *authResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return nil
	}
	if !now.Before(e.expires) {
		delete(c.m, k)
		return nil
	}
	return e.res
}

func (c *authCache) put(k authKey, res *authResult, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= 10000 {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
	}
	c.m[k] = authEntry{expires: expires, res: res}
}

func (c *authCache) forget(apiID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.api == apiID {
			delete(c.m, k)
		}
	}
}

func (c *authCache) forgetStage(apiID, stage string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.api == apiID && k.stage == stage {
			delete(c.m, k)
		}
	}
}
