package submission

import (
	"regexp"
	"strings"
)

// Names the importing local cloud would accept anyway, checked here first
// so a hostile archive is refused with a message before anything is built.
var (
	tableName    = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	resourceName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) // queues, topics, functions
	roleName     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	logGroupName = regexp.MustCompile(`^[\w#/.-]{1,512}$`)
	envKey       = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// maxResources bounds each kind of resource in one archive: the labs build
// a handful of each.
const maxResources = 50

// maxString bounds any one exported string (policy documents included).
const maxString = 64 << 10

// validateAccount checks every resource of a before anything is imported.
func validateAccount(a *Account, code map[string][]byte) error {
	counts := map[string]int{"tables": len(a.Tables), "queues": len(a.Queues), "topics": len(a.Topics), "policies": len(a.Policies),
		"roles": len(a.Roles), "functions": len(a.Functions), "mappings": len(a.Mappings), "apis": len(a.APIs), "log groups": len(a.LogGroups),
		"alarms": len(a.Alarms), "dashboards": len(a.Dashboards)}
	for kind, n := range counts {
		if n > maxResources {
			return invalidf("account.json holds %d %s, over %d", n, kind, maxResources)
		}
	}
	for _, t := range a.Tables {
		if !tableName.MatchString(t.Name) {
			return invalidf("table name %q is not a DynamoDB table name", t.Name)
		}
	}
	for _, q := range a.Queues {
		if !resourceName.MatchString(strings.TrimSuffix(q.Name, ".fifo")) {
			return invalidf("queue name %q is not an SQS queue name", q.Name)
		}
	}
	for _, t := range a.Topics {
		if !resourceName.MatchString(strings.TrimSuffix(t.Name, ".fifo")) {
			return invalidf("topic name %q is not an SNS topic name", t.Name)
		}
		for _, s := range t.Subscriptions {
			if s.Protocol != "sqs" && s.Protocol != "lambda" {
				return invalidf("topic %s: subscription protocol %q: a submission may only subscribe queues and functions (no HTTP or e-mail endpoints)", t.Name, s.Protocol)
			}
		}
	}
	for _, r := range a.Roles {
		if !roleName.MatchString(r.Name) {
			return invalidf("role name %q is not an IAM role name", r.Name)
		}
	}
	for _, p := range a.Policies {
		if !roleName.MatchString(p.Name) {
			return invalidf("policy name %q is not an IAM policy name", p.Name)
		}
	}
	if err := validateFunctions(a.Functions, code); err != nil {
		return err
	}
	for _, api := range a.APIs {
		for _, in := range api.Integrations {
			if in.Type != "AWS_PROXY" || !strings.Contains(in.URI, ":lambda:") {
				return invalidf("API %s: integration %s is %s %q: a submission may only integrate Lambda functions", api.Name, in.ID, in.Type, in.URI)
			}
		}
		for _, au := range api.Authorizers {
			if au.Type != "REQUEST" || !strings.Contains(au.URI, ":lambda:") {
				return invalidf("API %s: authorizer %s must be a Lambda REQUEST authorizer", api.Name, au.Name)
			}
		}
	}
	for _, g := range a.LogGroups {
		if !logGroupName.MatchString(g.Name) {
			return invalidf("log group name %q is not a log group name", g.Name)
		}
	}
	if err := validateCloudWatch(a); err != nil {
		return err
	}
	return checkStrings(a)
}

func validateFunctions(fns []Function, code map[string][]byte) error {
	used := map[string]bool{}
	for _, f := range fns {
		if !resourceName.MatchString(f.Name) {
			return invalidf("function name %q is not a Lambda function name", f.Name)
		}
		if f.Runtime != "provided.al2023" && f.Runtime != "provided.al2" {
			return invalidf("function %s: runtime %q: the labs' functions are provided.al2023 (a Go bootstrap)", f.Name, f.Runtime)
		}
		if f.Code != codeFile(f.Name) {
			return invalidf("function %s: code %q, want %q", f.Name, f.Code, codeFile(f.Name))
		}
		b, ok := code[f.Code]
		if !ok {
			return invalidf("function %s: its code %s is not in the archive", f.Name, f.Code)
		}
		if used[f.Code] {
			return invalidf("function %s is in account.json twice", f.Name)
		}
		used[f.Code] = true
		if err := checkCode(f.Name, b); err != nil {
			return err
		}
		size := 0
		for k, v := range f.Env {
			if !envKey.MatchString(k) {
				return invalidf("function %s: environment variable name %q", f.Name, k)
			}
			size += len(k) + len(v)
		}
		if size > 4096 {
			return invalidf("function %s: environment variables take %d bytes, over Lambda's 4 KB", f.Name, size)
		}
		for _, k := range f.Redacted {
			if !envKey.MatchString(k) {
				return invalidf("function %s: redacted variable name %q", f.Name, k)
			}
		}
	}
	for name := range code {
		if !used[name] {
			return invalidf("%s belongs to no function in account.json", name)
		}
	}
	return nil
}

// checkStrings bounds every string of a (names, policies, attributes).
func checkStrings(a *Account) error {
	var bad string
	walkStrings(a, func(s string) string {
		if len(s) > maxString && bad == "" {
			bad = s[:40]
		}
		return s
	})
	if bad != "" {
		return invalidf("account.json has a value over %d bytes (%q...)", maxString, bad)
	}
	return nil
}
