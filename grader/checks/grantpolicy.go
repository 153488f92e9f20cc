package checks

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/labkit-dev/labkit/grader"
)

// PolicyOptions scope the grader's policy.
type PolicyOptions struct {
	// Account and Region narrow the resource ARNs; empty means any ("*").
	Account, Region string
	// ReadOnly leaves out the actions only functional checks need (they
	// change the account: delete test orders, flip the failure switch...).
	ReadOnly bool
}

// Policy is an IAM policy document.
type Policy struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one Allow statement of a Policy.
type PolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// actionResources says which resources an action of the grader can be
// limited to; "*" where IAM has no resource-level permission for it.
// {p} {r} {a} are the partition, region and account.
var actionResources = map[string][]string{
	"dynamodb:DescribeTable":             {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"dynamodb:DescribeContinuousBackups": {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"dynamodb:ListTagsOfResource":        {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"dynamodb:Scan":                      {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"dynamodb:GetItem":                   {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"dynamodb:DeleteItem":                {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"dynamodb:UpdateItem":                {"arn:{p}:dynamodb:{r}:{a}:table/*"},
	"iam:GetRole":                        {"arn:{p}:iam::{a}:role/*"},
	"iam:ListRolePolicies":               {"arn:{p}:iam::{a}:role/*"},
	"iam:GetRolePolicy":                  {"arn:{p}:iam::{a}:role/*"},
	"iam:ListAttachedRolePolicies":       {"arn:{p}:iam::{a}:role/*"},
	"iam:GetPolicy":                      {"arn:{p}:iam::{a}:policy/*", "arn:{p}:iam::aws:policy/*"},
	"iam:GetPolicyVersion":               {"arn:{p}:iam::{a}:policy/*", "arn:{p}:iam::aws:policy/*"},
	"lambda:GetFunctionConfiguration":    {"arn:{p}:lambda:{r}:{a}:function:*"},
	"lambda:GetPolicy":                   {"arn:{p}:lambda:{r}:{a}:function:*"},
	"lambda:UpdateFunctionConfiguration": {"arn:{p}:lambda:{r}:{a}:function:*"},
	"lambda:InvokeFunction":              {"arn:{p}:lambda:{r}:{a}:function:*"},
	"apigateway:GET":                     {"arn:{p}:apigateway:{r}::/apis", "arn:{p}:apigateway:{r}::/apis/*"},
	"sns:ListSubscriptionsByTopic":       {"arn:{p}:sns:{r}:{a}:*"},
	"sqs:GetQueueUrl":                    {"arn:{p}:sqs:{r}:{a}:*"},
	"sqs:GetQueueAttributes":             {"arn:{p}:sqs:{r}:{a}:*"},
	"sqs:ReceiveMessage":                 {"arn:{p}:sqs:{r}:{a}:*"},
	"sqs:DeleteMessage":                  {"arn:{p}:sqs:{r}:{a}:*"},
	"sqs:ChangeMessageVisibility":        {"arn:{p}:sqs:{r}:{a}:*"},
	"sqs:SendMessage":                    {"arn:{p}:sqs:{r}:{a}:*"},
	"logs:DescribeLogGroups":             {"arn:{p}:logs:{r}:{a}:log-group:*"},
	"logs:FilterLogEvents":               {"arn:{p}:logs:{r}:{a}:log-group:*"},
	"cloudwatch:GetDashboard":            {"arn:{p}:cloudwatch::{a}:dashboard/*"},
	// No resource-level permissions: lambda:ListEventSourceMappings,
	// sns:ListTopics, sns:GetSubscriptionAttributes, sts:GetCallerIdentity,
	// cloudwatch:DescribeAlarmsForMetric, cloudwatch:DescribeAlarms (the
	// grader lists every alarm to find metric-math ones),
	// cloudwatch:DescribeAlarmHistory, cloudwatch:GetMetricData.
}

// readOnly reports whether an action only reads.
func readOnly(action string) bool {
	_, op, _ := strings.Cut(action, ":")
	for _, p := range []string{"Get", "List", "Describe", "Filter", "Scan", "Query", "GET"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// Actions returns the union of the kinds' Calls, sorted; with readOnly,
// only the actions that read, from kinds that send no test traffic.
func Actions(lib *grader.Library, readOnlyOnly bool) []string {
	set := map[string]bool{}
	for _, k := range lib.Kinds() {
		if readOnlyOnly && k.Functional {
			continue
		}
		for _, c := range k.Calls {
			if !readOnlyOnly || readOnly(c) {
				set[c] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// GraderPolicy returns the least-privilege policy the grader needs to run
// every check of lib: one statement per service and resource scope.
func GraderPolicy(lib *grader.Library, o PolicyOptions) Policy {
	fill := func(s string) string {
		p, r, a := "aws", o.Region, o.Account
		if strings.HasPrefix(r, "cn-") {
			p = "aws-cn"
		} else if strings.HasPrefix(r, "us-gov-") {
			p = "aws-us-gov"
		} else if r == "" {
			r = "*"
		}
		if a == "" {
			a = "*"
		}
		return strings.NewReplacer("{p}", p, "{r}", r, "{a}", a).Replace(s)
	}
	type group struct {
		svc       string
		resources []string
		actions   []string
	}
	groups := map[string]*group{}
	var keys []string
	for _, a := range Actions(lib, o.ReadOnly) {
		svc, _, _ := strings.Cut(a, ":")
		res := actionResources[a]
		if res == nil {
			res = []string{"*"}
		}
		var filled []string
		for _, r := range res {
			filled = append(filled, fill(r))
		}
		key := svc + " " + strings.Join(filled, ",")
		g, ok := groups[key]
		if !ok {
			g = &group{svc: svc, resources: filled}
			groups[key] = g
			keys = append(keys, key)
		}
		g.actions = append(g.actions, a)
	}
	sort.Strings(keys)
	p := Policy{Version: "2012-10-17"}
	n := map[string]int{}
	for _, k := range keys {
		g := groups[k]
		n[g.svc]++
		sid := "Grader" + sidWord(g.svc)
		if n[g.svc] > 1 {
			sid += fmt.Sprint(n[g.svc])
		}
		p.Statement = append(p.Statement, PolicyStatement{Sid: sid, Effect: "Allow", Action: g.actions, Resource: g.resources})
	}
	return p
}

func sidWord(svc string) string {
	switch svc {
	case "dynamodb":
		return "DynamoDB"
	case "iam", "sns", "sqs", "sts":
		return strings.ToUpper(svc)
	case "apigateway":
		return "APIGateway"
	}
	return strings.ToUpper(svc[:1]) + svc[1:]
}

// Allows reports whether the policy allows action on some resource.
func (p Policy) Allows(action string) bool {
	for _, s := range p.Statement {
		for _, a := range s.Action {
			if wildMatch(strings.ToLower(a), strings.ToLower(action)) {
				return true
			}
		}
	}
	return false
}

// CrossAccountTemplate returns a CloudFormation template (JSON) for a
// read-only role the grader's account may assume with an external id.
func CrossAccountTemplate(lib *grader.Library) ([]byte, error) {
	pol := GraderPolicy(lib, PolicyOptions{ReadOnly: true})
	for i := range pol.Statement {
		for j, r := range pol.Statement[i].Resource {
			// The role lives in the learner's account: scope to it.
			r = strings.Replace(r, "arn:aws:", "arn:${AWS::Partition}:", 1)
			pol.Statement[i].Resource[j] = strings.NewReplacer(":*:*:", ":*:${AWS::AccountId}:", "::*:", "::${AWS::AccountId}:").Replace(r)
		}
	}
	tmpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description": "Read-only role that lets the course grader check your lab resources (resource checks only; " +
			"functional checks send test traffic and run with your own credentials).",
		"Parameters": map[string]any{
			"GraderAccountId": map[string]any{"Type": "String", "AllowedPattern": "^[0-9]{12}$", "Description": "the AWS account the grader runs in"},
			"ExternalId":      map[string]any{"Type": "String", "MinLength": 8, "NoEcho": true, "Description": "the external id your course gave you"},
		},
		"Resources": map[string]any{
			"GraderRole": map[string]any{
				"Type": "AWS::IAM::Role",
				"Properties": map[string]any{
					"RoleName":           "labkit-grader-readonly",
					"MaxSessionDuration": 3600,
					"AssumeRolePolicyDocument": map[string]any{
						"Version": "2012-10-17",
						"Statement": []any{map[string]any{
							"Effect":    "Allow",
							"Principal": map[string]any{"AWS": map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${GraderAccountId}:root"}},
							"Action":    "sts:AssumeRole",
							"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": map[string]any{"Ref": "ExternalId"}}},
						}},
					},
					"Policies": []any{map[string]any{"PolicyName": "labkit-grader-readonly", "PolicyDocument": subPolicy(pol)}},
				},
			},
		},
		"Outputs": map[string]any{
			"RoleArn": map[string]any{"Value": map[string]any{"Fn::GetAtt": []string{"GraderRole", "Arn"}}},
		},
	}
	return json.MarshalIndent(tmpl, "", "  ")
}

// subPolicy turns resources with ${AWS::AccountId} into Fn::Sub values.
func subPolicy(p Policy) map[string]any {
	var stmts []any
	for _, s := range p.Statement {
		var res []any
		for _, r := range s.Resource {
			if strings.Contains(r, "${") {
				res = append(res, map[string]any{"Fn::Sub": r})
			} else {
				res = append(res, r)
			}
		}
		stmts = append(stmts, map[string]any{"Sid": s.Sid, "Effect": s.Effect, "Action": s.Action, "Resource": res})
	}
	return map[string]any{"Version": p.Version, "Statement": stmts}
}
