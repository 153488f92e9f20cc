package checks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// policyDocument is an IAM policy document (identity, trust or resource
// policy) as AWS accepts it: Statement, Action, Resource and condition
// values may each be one value or a list.
type policyDocument struct {
	Version   string          `json:"Version"`
	Statement statementList   `json:"Statement"`
	Extra     json.RawMessage `json:"-"`
}

type policyStatement struct {
	Sid          string                           `json:"Sid"`
	Effect       string                           `json:"Effect"`
	Principal    principal                        `json:"Principal"`
	NotPrincipal json.RawMessage                  `json:"NotPrincipal"`
	Action       stringList                       `json:"Action"`
	NotAction    stringList                       `json:"NotAction"`
	Resource     stringList                       `json:"Resource"`
	NotResource  stringList                       `json:"NotResource"`
	Condition    map[string]map[string]stringList `json:"Condition"`
}

// statementList is one statement or a list of them.
type statementList []policyStatement

func (l *statementList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var s policyStatement
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = statementList{s}
		return nil
	}
	var ss []policyStatement
	err := json.Unmarshal(b, &ss)
	*l = ss
	return err
}

// stringList is one string or a list of them (numbers and booleans are
// written as text, as IAM treats them).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*l = nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		*l = out
	default:
		*l = stringList{fmt.Sprint(x)}
	}
	return nil
}

// principal is a statement's Principal: "*" or {"AWS"|"Service"|...: one or many}.
type principal struct {
	Any bool // "*" or {"AWS": "*"}
	IDs map[string][]string
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.Any = s == "*"
		return nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	p.IDs = map[string][]string{}
	for k, v := range m {
		p.IDs[k] = v
		if k == "AWS" {
			for _, id := range v {
				if id == "*" {
					p.Any = true
				}
			}
		}
	}
	return nil
}

// services returns the service principals ("lambda.amazonaws.com").
func (p principal) services() []string { return p.IDs["Service"] }

// parsePolicy decodes a policy document, URL-decoding it first when it is
// encoded (IAM returns documents URL-encoded).
func parsePolicy(doc string) (policyDocument, error) {
	s := strings.TrimSpace(doc)
	if !strings.HasPrefix(s, "{") {
		if d, err := url.QueryUnescape(s); err == nil {
			s = d
		}
	}
	var p policyDocument
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, fmt.Errorf("the policy document is not valid JSON: %w", err)
	}
	return p, nil
}

// conditionValues returns the values a statement's condition gives key
// (case-insensitive) under any of the operators ops.
func (s policyStatement) conditionValues(key string, ops ...string) []string {
	var out []string
	for op, kv := range s.Condition {
		okOp := false
		for _, o := range ops {
			if strings.EqualFold(op, o) {
				okOp = true
			}
		}
		if !okOp {
			continue
		}
		for k, v := range kv {
			if strings.EqualFold(k, key) {
				out = append(out, v...)
			}
		}
	}
	return out
}

// allows reports whether the statement's actions cover action (with IAM's
// case-insensitive wildcards).
func (s policyStatement) allows(action string) bool {
	for _, a := range s.Action {
		if wildMatch(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// wildMatch reports whether s matches pattern, where * matches any run of
// characters and ? any one character (IAM's glob).
func wildMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
