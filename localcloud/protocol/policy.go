package protocol

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// WildcardMatch reports whether s matches pattern as IAM matches ARNs,
// actions and condition values: * matches any run of characters (also
// none), ? exactly one character, and everything else itself, case
// sensitively (lower-case both sides for actions).
func WildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '?':
			_, w := utf8.DecodeRuneInString(s[i:])
			p++
			i += w
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			// Let the last * take one more character and retry from there.
			_, w := utf8.DecodeRuneInString(s[mark:])
			mark += w
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

// PolicyStatement is one statement of a resource policy (an SQS queue's or
// an SNS topic's Policy attribute) as JSON decodes it.
type PolicyStatement map[string]any

// PolicyAllows reports whether policy, a JSON policy document whose
// Statement is one statement or a list of them, allows a request: some
// statement that applies to it (applies says which) has Effect Allow and
// none that applies has Effect Deny. A policy that is not such JSON allows
// nothing.
func PolicyAllows(policy string, applies func(PolicyStatement) bool) bool {
	var doc struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	var stmts []PolicyStatement
	if json.Unmarshal(doc.Statement, &stmts) != nil {
		var one PolicyStatement
		if json.Unmarshal(doc.Statement, &one) != nil {
			return false
		}
		stmts = []PolicyStatement{one}
	}
	allowed := false
	for _, st := range stmts {
		if !applies(st) {
			continue
		}
		switch st["Effect"] {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// PolicyValue writes a policy value the way SQS and SNS write the statements
// AddPermission generates: a lone string as itself, several as a list.
func PolicyValue(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// PolicyStrings reads a policy value that is a string or a list of strings
// (Action, Resource, a principal, a condition's values); anything else is
// none.
func PolicyStrings(v any) []string {
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

// Covers reports whether the statement's Action names action ("sqs:SendMessage",
// matched with wildcards and without regard to case) and its Resource, when
// it has one, matches resource.
func (st PolicyStatement) Covers(action, resource string) bool {
	action = strings.ToLower(action)
	ok := false
	for _, a := range PolicyStrings(st["Action"]) {
		if WildcardMatch(strings.ToLower(a), action) {
			ok = true
		}
	}
	if !ok {
		return false
	}
	if res, present := st["Resource"]; present {
		for _, r := range PolicyStrings(res) {
			if WildcardMatch(r, resource) {
				return true
			}
		}
		return false
	}
	return true
}

// ConditionsHold reports whether every condition of the statement holds:
// holds is asked for each operator ("StringEquals"), key as written
// ("aws:SourceArn") and the values the policy gives.
func (st PolicyStatement) ConditionsHold(holds func(op, key string, want []string) bool) bool {
	cond, _ := st["Condition"].(map[string]any)
	for op, block := range cond {
		kv, _ := block.(map[string]any)
		for key, want := range kv {
			if !holds(op, key, PolicyStrings(want)) {
				return false
			}
		}
	}
	return true
}

// ConditionHolds evaluates a string or ARN condition operator: whether got
// equals (StringEquals, ArnEquals, StringEqualsIgnoreCase) or matches
// (StringLike, ArnLike) one of want, or for the Not operators none of them.
// Any other operator does not hold.
func ConditionHolds(op, got string, want []string) bool {
	for _, w := range want {
		switch op {
		case "StringEquals", "ArnEquals":
			if got == w {
				return true
			}
		case "StringEqualsIgnoreCase":
			if strings.EqualFold(got, w) {
				return true
			}
		case "StringLike", "ArnLike":
			if WildcardMatch(w, got) {
				return true
			}
		case "StringNotEquals", "ArnNotEquals":
			if got == w {
				return false
			}
		case "StringNotLike", "ArnNotLike":
			if WildcardMatch(w, got) {
				return false
			}
		default:
			return false
		}
	}
	return strings.Contains(op, "Not")
}
