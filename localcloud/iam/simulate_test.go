package iam_test

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestSimulatePrincipalPolicy(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	role := createRole(t, c, "order-intake", trustLambda)
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"
	scoped := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:GetItem"],"Resource":"` + table + `"},
		{"Effect":"Deny","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/Secrets"},
		{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`
	if _, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("order-intake"), PolicyName: aws.String("orders"), PolicyDocument: aws.String(scoped)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("order-intake"), PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action, resource string
		want             types.PolicyEvaluationDecisionType
		source           string
	}{
		{"dynamodb:PutItem", table, types.PolicyEvaluationDecisionTypeAllowed, "orders"},
		{"DynamoDB:getitem", table, types.PolicyEvaluationDecisionTypeAllowed, "orders"},
		{"dynamodb:DeleteItem", table, types.PolicyEvaluationDecisionTypeImplicitDeny, ""},
		{"dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Other", types.PolicyEvaluationDecisionTypeImplicitDeny, ""},
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Secrets", types.PolicyEvaluationDecisionTypeExplicitDeny, "orders"},
		{"logs:PutLogEvents", "*", types.PolicyEvaluationDecisionTypeAllowed, "AWSLambdaBasicExecutionRole"},
		{"sqs:SendMessage", "*", types.PolicyEvaluationDecisionTypeImplicitDeny, ""},
	}
	for _, tt := range tests {
		out, err := c.SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: role.Arn, ActionNames: []string{tt.action}, ResourceArns: []string{tt.resource}})
		if err != nil {
			t.Fatalf("SimulatePrincipalPolicy: %v", err)
		}
		if len(out.EvaluationResults) != 1 {
			t.Fatalf("got %d results, want 1", len(out.EvaluationResults))
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != tt.want {
			t.Errorf("%s on %s: got %s, want %s", tt.action, tt.resource, r.EvalDecision, tt.want)
		}
		if tt.source != "" && (len(r.MatchedStatements) == 0 || aws.ToString(r.MatchedStatements[0].SourcePolicyId) != tt.source) {
			t.Errorf("%s on %s: got matched %+v, want from %s", tt.action, tt.resource, r.MatchedStatements, tt.source)
		}
		if tt.action == "sqs:SendMessage" && !reflect.DeepEqual(r.MissingContextValues, []string{"aws:SourceAccount"}) {
			t.Errorf("got missing context %v, want [aws:SourceAccount]", r.MissingContextValues)
		}
	}

	all, err := c.SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: role.Arn, ActionNames: []string{"dynamodb:PutItem", "dynamodb:Scan"}, ResourceArns: []string{table, "*"}})
	if err != nil || len(all.EvaluationResults) != 4 {
		t.Errorf("got %+v %v, want 4 results", all, err)
	}
	_, err = c.SimulatePrincipalPolicy(ctx, &awsiam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/nope"), ActionNames: []string{"s3:GetObject"}})
	if got := apiCode(err); got != "NoSuchEntity" {
		t.Errorf("missing role: got %v, want NoSuchEntity", err)
	}

	custom, err := c.SimulateCustomPolicy(ctx, &awsiam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::bucket-?/*"}}`},
		ActionNames:     []string{"s3:GetObject", "iam:CreateUser"},
		ResourceArns:    []string{"arn:aws:s3:::bucket-a/key"},
	})
	if err != nil {
		t.Fatalf("SimulateCustomPolicy: %v", err)
	}
	got := []types.PolicyEvaluationDecisionType{custom.EvaluationResults[0].EvalDecision, custom.EvaluationResults[1].EvalDecision}
	if want := []types.PolicyEvaluationDecisionType{"allowed", "implicitDeny"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	aliases, err := c.ListAccountAliases(ctx, &awsiam.ListAccountAliasesInput{})
	if err != nil || len(aliases.AccountAliases) != 0 {
		t.Errorf("ListAccountAliases: got %+v %v, want none", aliases, err)
	}
}
