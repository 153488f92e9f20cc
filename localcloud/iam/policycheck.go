package iam

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/labkit-dev/labkit/internal/partition"
)

// IAM checks a policy document in phases and answers the first failure of
// the earliest phase, whatever statement it is in:
//
//  1. grammar (policySyntax): the document is a JSON object of the policy
//     language's elements with their types, or "Syntax errors in policy.";
//  2. the language version (2012-10-17 for the identity policies IAM
//     stores; trust and session policies may be 2008-10-17);
//  3. "legacy parsing" (legacyParse): values the grammar allows but the
//     policy engine cannot read (an Effect in the wrong case, a date it cannot
//     parse, an ARN of the aws partitions with missing fields);
//  4. statement ids, then each statement's content: actions, resources.

// checkPolicy validates a document and its size against max characters.
// Trust policies need a Principal and may not name a Resource; identity
// policies are the reverse, as IAM enforces.
func checkPolicy(doc string, max int, quota string, kind policyKind) error {
	if policySize(doc) > max {
		return limitExceeded("Cannot exceed quota for %s: %d", quota, max)
	}
	version, sts, err := policySyntax(doc)
	if err != nil {
		return err
	}
	trust := kind == trustPolicy
	switch {
	case kind == identityPolicy && version != "2012-10-17":
		return malformed("Policy document must be version 2012-10-17 or greater.")
	case trust && version == "":
		return malformed("The policy must contain a valid version string")
	}
	for _, st := range sts {
		if err := legacyParse(st, trust); err != nil {
			return err
		}
	}
	if !trust {
		if err := checkSids(sts); err != nil {
			return err
		}
	}
	for _, st := range sts {
		if err := checkStatement(st, trust); err != nil {
			return err
		}
	}
	return nil
}

// policyStatement is a statement that passed the grammar: each member
// present is of its type.
type policyStatement struct {
	sid, effect       string
	hasSid            bool
	actions           []string // Action or NotAction
	hasAction         bool
	resources         []string // Resource or NotResource
	hasResource       bool
	principal         bool // Principal or NotPrincipal
	conditions        map[string]map[string][]string
	conditionsPresent bool
}

var errSyntax = malformed("Syntax errors in policy.")

// policySyntax applies the policy grammar: a JSON object with Version
// (2008-10-17 or 2012-10-17), a string Id and Statement, one statement or a
// non-empty list of them. It returns the version ("" when absent).
func policySyntax(doc string) (string, []policyStatement, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &top); err != nil || top == nil {
		return "", nil, errSyntax
	}
	var version string
	for k, v := range top {
		var s string
		switch k {
		case "Version":
			if json.Unmarshal(v, &s) != nil || s != "2012-10-17" && s != "2008-10-17" {
				return "", nil, errSyntax
			}
			version = s
		case "Id":
			if !isJSONString(v) {
				return "", nil, errSyntax
			}
		case "Statement":
		default:
			return "", nil, errSyntax
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return "", nil, errSyntax
	}
	var objs []map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		var one map[string]json.RawMessage
		if json.Unmarshal(raw, &one) != nil {
			return "", nil, errSyntax
		}
		objs = append(objs, one)
	} else if json.Unmarshal(raw, &objs) != nil || len(objs) == 0 {
		return "", nil, errSyntax
	}
	sts := make([]policyStatement, 0, len(objs))
	for _, o := range objs {
		st, err := statementSyntax(o)
		if err != nil {
			return "", nil, err
		}
		sts = append(sts, st)
	}
	return version, sts, nil
}

// statementSyntax applies the grammar of one statement: its members are
// the language's, Effect is Allow or Deny (in any case: the case is
// checked later), Action/NotAction, Resource/NotResource and
// Principal/NotPrincipal exclude each other, and each has its type.
func statementSyntax(o map[string]json.RawMessage) (policyStatement, error) {
	var st policyStatement
	if o == nil {
		return st, errSyntax
	}
	for k := range o {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return st, errSyntax
		}
	}
	var ok bool
	if st.hasSid, ok = stringMember(o, "Sid", &st.sid); !ok {
		return st, errSyntax
	}
	if has, ok := stringMember(o, "Effect", &st.effect); !has || !ok ||
		!strings.EqualFold(st.effect, "Allow") && !strings.EqualFold(st.effect, "Deny") {
		return st, errSyntax
	}
	if st.actions, st.hasAction, ok = exclusiveList(o, "Action", "NotAction"); !ok {
		return st, errSyntax
	}
	if st.resources, st.hasResource, ok = exclusiveList(o, "Resource", "NotResource"); !ok {
		return st, errSyntax
	}
	_, p := o["Principal"]
	_, np := o["NotPrincipal"]
	if p && np {
		return st, errSyntax
	}
	st.principal = p || np
	if raw, has := o["Condition"]; has {
		conds, err := conditionSyntax(raw)
		if err != nil {
			return st, err
		}
		st.conditions, st.conditionsPresent = conds, true
	}
	return st, nil
}

// stringMember reads o[name] into s; it reports whether the member is
// present and whether it is a string (or absent).
func stringMember(o map[string]json.RawMessage, name string, s *string) (has, ok bool) {
	raw, has := o[name]
	if !has {
		return false, true
	}
	return true, isJSONString(raw) && json.Unmarshal(raw, s) == nil
}

// isJSONString reports whether raw is a JSON string (null is not).
func isJSONString(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '"'
}

// exclusiveList reads whichever of name and notName is present, a string
// or a list of strings; ok is false if both are, or the value is of
// another type.
func exclusiveList(o map[string]json.RawMessage, name, notName string) (l []string, has, ok bool) {
	raw, a := o[name]
	notRaw, b := o[notName]
	switch {
	case a && b:
		return nil, true, false
	case b:
		raw = notRaw
	case !a:
		return nil, false, true
	}
	var list stringList
	if json.Unmarshal(raw, &list) != nil {
		return nil, true, false
	}
	return list, true, true
}

// conditionOperators are the condition operators of the policy language,
// without the ForAllValues:/ForAnyValue: qualifiers and the IfExists suffix.
var conditionOperators = map[string]bool{}

func init() {
	for _, op := range strings.Fields(`StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase
		StringLike StringNotLike NumericEquals NumericNotEquals NumericLessThan NumericLessThanEquals
		NumericGreaterThan NumericGreaterThanEquals DateEquals DateNotEquals DateLessThan DateLessThanEquals
		DateGreaterThan DateGreaterThanEquals Bool BinaryEquals IpAddress NotIpAddress
		ArnEquals ArnLike ArnNotEquals ArnNotLike Null`) {
		conditionOperators[strings.ToLower(op)] = true
	}
}

// conditionOperator strips an operator's qualifier and IfExists suffix and
// returns its base operator, lower case, or "" if it is not one.
func conditionOperator(op string) string {
	l := strings.ToLower(op)
	for _, q := range []string{"forallvalues:", "foranyvalue:"} {
		l = strings.TrimPrefix(l, q)
	}
	l = strings.TrimSuffix(l, "ifexists")
	if !conditionOperators[l] {
		return ""
	}
	return l
}

// conditionSyntax applies the grammar of a Condition block: an object of
// operators, each an object of condition keys whose values are scalars or
// lists of scalars. An operator is checked by name only when it has keys.
func conditionSyntax(raw json.RawMessage) (map[string]map[string][]string, error) {
	var ops map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &ops) != nil || ops == nil {
		return nil, errSyntax
	}
	out := make(map[string]map[string][]string, len(ops))
	for op, keys := range ops {
		if keys == nil {
			return nil, errSyntax
		}
		if len(keys) > 0 && conditionOperator(op) == "" {
			return nil, errSyntax
		}
		out[op] = make(map[string][]string, len(keys))
		for k, v := range keys {
			vals, ok := conditionValues(v)
			if !ok {
				return nil, errSyntax
			}
			out[op][k] = vals
		}
	}
	return out, nil
}

// conditionValues reads a condition value: a string, number or boolean,
// or a list of them, as strings.
func conditionValues(raw json.RawMessage) ([]string, bool) {
	var many []json.RawMessage
	if json.Unmarshal(raw, &many) != nil {
		many = []json.RawMessage{raw}
	}
	out := make([]string, 0, len(many))
	for _, v := range many {
		var x any
		if json.Unmarshal(v, &x) != nil {
			return nil, false
		}
		switch x.(type) {
		case string:
			out = append(out, x.(string))
		case float64, bool:
			out = append(out, string(bytes.TrimSpace(v)))
		default:
			return nil, false
		}
	}
	return out, true
}

var errLegacy = malformed("The policy failed legacy parsing")

// legacyParse applies the checks IAM answers with "The policy failed
// legacy parsing": Effect exactly Allow or Deny, date condition values that
// are dates, and resources of a known partition with all their fields.
func legacyParse(st policyStatement, trust bool) error {
	if st.effect != "Allow" && st.effect != "Deny" {
		return errLegacy
	}
	for op, keys := range st.conditions {
		if !strings.HasPrefix(conditionOperator(op), "date") {
			continue
		}
		for _, vals := range keys {
			for _, v := range vals {
				if !isPolicyDate(v) {
					return errLegacy
				}
			}
		}
	}
	if trust {
		return nil
	}
	for _, r := range st.resources {
		parts := strings.Split(r, ":")
		if len(parts) < 3 || parts[0] != "arn" || !partition.Valid(parts[1]) {
			continue
		}
		if parts[2] == "" || len(parts) == 4 || len(parts) == 5 {
			return errLegacy
		}
	}
	return nil
}

var sidRE = regexp.MustCompile(`^[0-9A-Za-z]*$`)

// checkSids applies IAM's rules for an identity policy's statement ids:
// alphanumeric, and unique in the document.
func checkSids(sts []policyStatement) error {
	seen := map[string]bool{}
	for _, st := range sts {
		if !st.hasSid {
			continue
		}
		if !sidRE.MatchString(st.sid) {
			return malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
		}
		if st.sid != "" && seen[st.sid] {
			return malformed("Statement IDs (SID) in a single policy must be unique.")
		}
		seen[st.sid] = true
	}
	return nil
}

// checkStatement checks one statement's content, in IAM's order: it has
// actions; a trust policy's has a principal and no resource, an identity
// policy's no principal; its resources are ARNs; its actions name a vendor;
// an identity policy's has resources.
func checkStatement(st policyStatement, trust bool) error {
	switch {
	case len(st.actions) == 0:
		return malformed("Policy statement must contain actions.")
	case trust && !st.principal:
		return malformed("Missing required field Principal")
	case trust && st.hasResource:
		return malformed("Has prohibited field Resource")
	case !trust && st.principal:
		return malformed("Policy document should not specify a principal.")
	}
	if !trust {
		for _, r := range st.resources {
			if err := checkResource(r); err != nil {
				return err
			}
		}
	}
	for _, a := range st.actions {
		if err := checkAction(a); err != nil {
			return err
		}
	}
	if !trust && len(st.resources) == 0 {
		return malformed("Policy statement must contain resources.")
	}
	return nil
}

// checkAction applies IAM's rules for an action name: vendor:action, one
// colon, a vendor of letters, digits, '-' and '.'.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	parts := strings.Split(a, ":")
	switch {
	case len(parts) == 1:
		return malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
	case len(parts) > 2:
		return malformed("Actions/Condition can contain only one colon.")
	}
	for _, c := range parts[0] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '*') {
			return malformed("Vendor " + parts[0] + " is not valid")
		}
	}
	return nil
}

// iamResourceTypes are the paths an IAM resource ARN may start with.
var iamResourceTypes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/",
	"policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

// checkResource applies IAM's rules for a resource: "*" or an ARN. IAM
// reads anything with a colon as arn:partition:service:region:account:resource,
// its first field taken as "arn" and missing fields as "*"; the partition
// must be one of AWS's, the service named, an IAM resource has no region
// and a path that names an IAM resource type, an S3 bucket no region.
func checkResource(r string) error {
	if r == "*" {
		return nil
	}
	if !strings.Contains(r, ":") {
		return malformed(`Resource ` + r + ` must be in ARN format or "*".`)
	}
	parts := strings.SplitN(r, ":", 6)
	parts[0] = "arn"
	for len(parts) < 6 {
		parts = append(parts, "*")
	}
	if !partition.Valid(parts[1]) {
		return malformed(`Partition "` + parts[1] + `" is not valid for resource "` + strings.Join(parts, ":") + `".`)
	}
	service, region, account, resource := parts[2], parts[3], parts[4], parts[5]
	switch {
	case strings.ContainsAny(service, "*?"):
		return malformed("Resource vendor must be fully qualified and cannot contain regexes.")
	case service == "iam" && region != "":
		return malformed("IAM resource " + r + " cannot contain region information.")
	case service == "iam" && resource != "*" && !hasAnyPrefix(resource, iamResourceTypes):
		return malformed(`IAM resource path must either be "*" or start with ` + strings.Join(iamResourceTypes, ", ") + ".")
	case service == "s3" && region != "" && account == "":
		return malformed("Resource " + r + " can not contain region information.")
	}
	return nil
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
