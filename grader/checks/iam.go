package checks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/internal/plural"
)

// wildcardResourceActions may be granted on "*": the log-writing actions of
// AWS's own AWSLambdaBasicExecutionRole, and ListStreams, which has no
// resource-level permissions in IAM. This is the one rule for log actions,
// and lab 2's text says the same: AWSLambdaBasicExecutionRole, or the
// three log actions on "*", pass; so does the tighter own-log-group policy.
var wildcardResourceActions = map[string]bool{
	"logs:createloggroup": true, "logs:createlogstream": true, "logs:putlogevents": true,
	"dynamodb:liststreams": true,
}

// neededDetail says which needed actions are missing, and which are
// granted only through a wildcard (granted, but not as the lab asks).
func neededDetail(missing, onlyWild []string) string {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(onlyWild) > 0 {
		parts = append(parts, strings.Join(onlyWild, ", ")+" granted only through a wildcard")
	}
	if len(parts) == 0 {
		return "all granted"
	}
	return strings.Join(parts, "; ")
}

func iamKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "iam.role-trust",
			Doc:  "the role exists and its trust policy lets a service (Lambda) assume it, and nobody else",
			Params: []grader.Param{{Name: "role", Required: true, Doc: "the role's name"},
				{Name: "service", Doc: "the service principal (default lambda.amazonaws.com)"}},
			Calls: []string{"iam:GetRole"},
			Run:   runRoleTrust,
		},
		{
			Name: "iam.role-scope",
			Doc: "every policy of the role (inline and attached) grants only the lab's actions on the lab's resources, " +
				"with no \"*\" action or resource, and grants the actions the function needs",
			Params: []grader.Param{{Name: "role", Required: true, Doc: "the role's name"},
				{Name: "grants", Required: true, Doc: `what may be granted: "ACTION[,ACTION...] on REF[,REF...]"; REF is table:NAME, stream:TABLE, topic:NAME, queue:NAME, log-group:NAME or function:NAME`},
				{Name: "require", Doc: "actions that must be granted (default: every action in grants, except logs ones)"}},
			Calls:    []string{"iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion", "sts:GetCallerIdentity"},
			Validate: func(p grader.Params) error { _, err := parseGrants(p.Strings("grants")); return err },
			Run:      runRoleScope,
		},
	}
}

func runRoleTrust(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	name, svc := p.String("role", ""), p.String("service", "lambda.amazonaws.com")
	out, err := iam.NewFromConfig(env.AWS).GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	if isNotFound(err) {
		return grader.Failf("there is no IAM role named %q", name)
	}
	if err != nil {
		return undecided("get role "+name, err)
	}
	doc, err := parsePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return grader.Failf("role %s's trust policy cannot be read: %v", name, err)
	}
	trusted, open := false, false
	for _, s := range doc.Statement {
		if !strings.EqualFold(s.Effect, "Allow") || !s.allows("sts:AssumeRole") {
			continue
		}
		if s.Principal.Any {
			open = true
		}
		if slices.Contains(s.Principal.services(), svc) {
			trusted = true
		}
	}
	switch {
	case open:
		return grader.Failf("role %s's trust policy lets any principal (\"*\") assume it; trust only %s", name, svc)
	case !trusted:
		return grader.Failf("role %s's trust policy does not let %s assume it", name, svc)
	}
	return grader.Passf("role %s trusts %s", name, svc)
}

// grant is one "ACTIONS on REFS" line of an iam.role-scope check.
type grant struct {
	actions []string // as written in the manifest
	refs    []string
}

func parseGrants(lines []string) ([]grant, error) {
	if len(lines) == 0 {
		return nil, fmt.Errorf("grants is empty")
	}
	var out []grant
	for _, l := range lines {
		a, r, ok := strings.Cut(l, " on ")
		if !ok {
			return nil, fmt.Errorf("grant %q: want \"ACTION[,ACTION] on REF[,REF]\"", l)
		}
		var g grant
		for _, x := range strings.Split(a, ",") {
			if x = strings.TrimSpace(x); x != "" {
				g.actions = append(g.actions, x)
			}
		}
		for _, x := range strings.Split(r, ",") {
			x = strings.TrimSpace(x)
			kind, _, ok := strings.Cut(x, ":")
			if !ok || !slices.Contains([]string{"table", "stream", "topic", "queue", "log-group", "function"}, kind) {
				return nil, fmt.Errorf("grant %q: resource %q must be table:, stream:, topic:, queue:, log-group: or function: NAME", l, x)
			}
			g.refs = append(g.refs, x)
		}
		out = append(out, g)
	}
	return out, nil
}

// resourcePatterns turns a grant's reference into the ARN patterns that
// count as scoped to it.
func resourcePatterns(region, acct, part, ref string) []string {
	kind, name, _ := strings.Cut(ref, ":")
	pre := func(svc string) string { return "arn:" + part + ":" + svc + ":" + region + ":" + acct + ":" }
	switch kind {
	case "table":
		return []string{pre("dynamodb") + "table/" + name}
	case "stream":
		return []string{pre("dynamodb") + "table/" + name + "/stream/*"}
	case "topic":
		return []string{pre("sns") + name}
	case "queue":
		return []string{pre("sqs") + name}
	case "function":
		return []string{pre("lambda") + "function:" + name, pre("lambda") + "function:" + name + ":*"}
	case "log-group":
		g := pre("logs") + "log-group:" + name
		return []string{g, g + ":*", g + ":log-stream:*", g + ":*:*", pre("logs") + "*"}
	}
	return nil
}

// roleStatements returns every statement of the role's inline and attached
// policies, each with where it came from.
type sourcedStatement struct {
	policyStatement
	from string
}

func roleStatements(ctx context.Context, c *iam.Client, role string) ([]sourcedStatement, error) {
	var out []sourcedStatement
	add := func(from, doc string) error {
		d, err := parsePolicy(doc)
		if err != nil {
			return missingf("policy %s of role %s cannot be read: %v", from, role, err)
		}
		for _, s := range d.Statement {
			out = append(out, sourcedStatement{s, from})
		}
		return nil
	}
	inline := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: &role})
	for inline.HasMorePages() {
		pg, err := inline.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range pg.PolicyNames {
			rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: aws.String(n)})
			if err != nil {
				return nil, err
			}
			if err := add("inline policy "+n, aws.ToString(rp.PolicyDocument)); err != nil {
				return nil, err
			}
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
	for attached.HasMorePages() {
		pg, err := attached.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ap := range pg.AttachedPolicies {
			pol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: ap.PolicyArn})
			if err != nil {
				return nil, err
			}
			v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: ap.PolicyArn, VersionId: pol.Policy.DefaultVersionId})
			if err != nil {
				return nil, err
			}
			if err := add("attached policy "+aws.ToString(ap.PolicyName), aws.ToString(v.PolicyVersion.Document)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func runRoleScope(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	role := p.String("role", "")
	grants, err := parseGrants(p.Strings("grants"))
	if err != nil {
		return grader.Errorf("the check is misconfigured: %v", err)
	}
	c := iam.NewFromConfig(env.AWS)
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: &role}); isNotFound(err) {
		return grader.Failf("there is no IAM role named %q", role)
	} else if err != nil {
		return undecided("get role "+role, err)
	}
	acct, part, err := account(ctx, env)
	if err != nil {
		return undecided("who am I", err)
	}
	stmts, err := roleStatements(ctx, c, role)
	if err != nil {
		return lookupOutcome("read the policies of role "+role, err)
	}
	// allowed: action -> resource patterns.
	allowed := map[string][]string{} // lower-case action -> resource patterns
	var named []string               // the grants' actions as written
	for _, g := range grants {
		for _, a := range g.actions {
			la := strings.ToLower(a)
			if _, seen := allowed[la]; !seen {
				named = append(named, a)
			}
			for _, r := range g.refs {
				allowed[la] = append(allowed[la], resourcePatterns(env.AWS.Region, acct, part, r)...)
			}
		}
	}
	required := p.Strings("require")
	if len(required) == 0 {
		for _, a := range named {
			if !strings.HasPrefix(strings.ToLower(a), "logs:") {
				required = append(required, a)
			}
		}
		sort.Strings(required)
	}

	var wildActions, wildResources, extraActions, extraResources []string
	granted := map[string]bool{}     // lower-case action -> granted on an allowed resource
	grantedWild := map[string]bool{} // lower-case action -> granted by a wildcard action or resource
	for _, s := range stmts {
		if !strings.EqualFold(s.Effect, "Allow") {
			continue // a Deny only takes away
		}
		if len(s.NotAction) > 0 {
			wildActions = append(wildActions, fmt.Sprintf("NotAction in %s grants every other action", s.from))
			continue
		}
		if len(s.NotResource) > 0 {
			wildResources = append(wildResources, fmt.Sprintf("NotResource in %s grants every other resource", s.from))
			continue
		}
		for _, a := range s.Action {
			la := strings.ToLower(a)
			if strings.ContainsAny(la, "*?") {
				wildActions = append(wildActions, fmt.Sprintf("%q in %s", a, s.from))
				for _, req := range required {
					if wildMatch(la, strings.ToLower(req)) {
						grantedWild[strings.ToLower(req)] = true
					}
				}
				continue
			}
			pats, ok := allowed[la]
			if !ok {
				extraActions = append(extraActions, fmt.Sprintf("%s (in %s)", a, s.from))
				continue
			}
			for _, r := range s.Resource {
				switch {
				case r == "*" && wildcardResourceActions[la]:
					granted[la] = true
				case r == "*":
					wildResources = append(wildResources, fmt.Sprintf("%s on \"*\" in %s", a, s.from))
					grantedWild[la] = true
				case matchesAny(pats, r):
					granted[la] = true
				default:
					extraResources = append(extraResources, fmt.Sprintf("%s on %s (in %s)", a, r, s.from))
				}
			}
		}
	}
	var missing, onlyWild []string
	for _, a := range required {
		switch la := strings.ToLower(a); {
		case granted[la]:
		case grantedWild[la]:
			onlyWild = append(onlyWild, a)
		default:
			missing = append(missing, a)
		}
	}
	detail := func(list []string, none string) string {
		if len(list) == 0 {
			return none
		}
		return strings.Join(dedupe(list), "; ")
	}
	parts := []grader.Part{
		{Name: "no wildcard actions", Passed: len(wildActions) == 0, Detail: detail(wildActions, "none")},
		{Name: "no wildcard resources", Passed: len(wildResources) == 0, Detail: detail(wildResources, "none")},
		{Name: "only the actions the function needs", Passed: len(extraActions) == 0, Detail: detail(extraActions, "none extra")},
		{Name: "only the lab's resources", Passed: len(extraResources) == 0, Detail: detail(extraResources, "all scoped")},
		{Name: "the actions the function needs are granted on the lab's resources", Passed: len(missing)+len(onlyWild) == 0, Detail: neededDetail(missing, onlyWild)},
	}
	o := grader.FromParts(parts)
	if o.Status == grader.Pass {
		return o.With(fmt.Sprintf("role %s: %s, all scoped to the lab's resources", role, plural.Count(len(stmts), "statement", "statements")))
	}
	var why []string
	for _, pt := range parts {
		if !pt.Passed {
			why = append(why, pt.Name+": "+pt.Detail)
		}
	}
	o.Reason = fmt.Sprintf("role %s grants more (or less) than its function needs: %s", role, strings.Join(why, " | "))
	return o
}

func matchesAny(patterns []string, r string) bool {
	for _, p := range patterns {
		if wildMatch(p, r) {
			return true
		}
	}
	return false
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
