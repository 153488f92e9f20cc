package kit

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// policyName is the name of the one inline policy the kit puts on each role.
const policyName = "least-privilege"

// lambdaTrust lets Lambda assume a role.
var lambdaTrust = policyDoc{Version: "2012-10-17", Statement: []statement{{
	Effect: "Allow", Principal: map[string]any{"Service": "lambda.amazonaws.com"}, Action: []string{"sts:AssumeRole"}}}}

// ensureRole creates the role or converges it: the Lambda trust policy, the
// one inline policy doc and nothing else (other inline policies are deleted,
// managed policies detached). It returns the role's ARN.
func (k *Kit) ensureRole(ctx context.Context, name string, doc policyDoc) (string, error) {
	c := k.cl().iam
	var roleARN string
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	switch {
	case isNotFound(err):
		k.logf("  create role %s", name)
		out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(lambdaTrust.String()),
			Tags: []types.Tag{{Key: aws.String("course"), Value: aws.String("week1")}}})
		if err != nil {
			return "", fmt.Errorf("create role %s: %w", name, err)
		}
		roleARN = aws.ToString(out.Role.Arn)
	case err != nil:
		return "", fmt.Errorf("get role %s: %w", name, err)
	default:
		roleARN = aws.ToString(got.Role.Arn)
		if !sameJSON(decodeDoc(aws.ToString(got.Role.AssumeRolePolicyDocument)), lambdaTrust.String()) {
			k.logf("  role %s: trust policy -> lambda.amazonaws.com only", name)
			if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(lambdaTrust.String())}); err != nil {
				return "", fmt.Errorf("update trust policy of %s: %w", name, err)
			}
		}
		inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("list policies of %s: %w", name, err)
		}
		for _, p := range inline.PolicyNames {
			if p == policyName {
				continue
			}
			k.logf("  role %s: delete extra inline policy %s", name, p)
			if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil && !isNotFound(err) {
				return "", fmt.Errorf("delete policy %s of %s: %w", p, name, err)
			}
		}
		att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("list attached policies of %s: %w", name, err)
		}
		for _, p := range att.AttachedPolicies {
			k.logf("  role %s: detach %s", name, aws.ToString(p.PolicyArn))
			if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.PolicyArn}); err != nil && !isNotFound(err) {
				return "", fmt.Errorf("detach %s from %s: %w", aws.ToString(p.PolicyArn), name, err)
			}
		}
		cur, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policyName)})
		if err == nil && sameJSON(decodeDoc(aws.ToString(cur.PolicyDocument)), doc.String()) {
			return roleARN, nil
		}
		if err != nil && !isNotFound(err) {
			return "", fmt.Errorf("get policy of %s: %w", name, err)
		}
	}
	k.logf("  role %s: put policy %s", name, policyName)
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policyName),
		PolicyDocument: aws.String(doc.String())}); err != nil {
		return "", fmt.Errorf("put policy on %s: %w", name, err)
	}
	return roleARN, nil
}

// decodeDoc undoes the URL encoding IAM applies to policy documents.
func decodeDoc(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// deleteRole deletes the role with its inline and attached policies; a
// missing role is not an error. It reports whether it deleted one.
func (k *Kit) deleteRole(ctx context.Context, name string) (bool, error) {
	c := k.cl().iam
	inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("list policies of %s: %w", name, err)
	}
	for _, p := range inline.PolicyNames {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil && !isNotFound(err) {
			return false, fmt.Errorf("delete policy %s of %s: %w", p, name, err)
		}
	}
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err == nil {
		for _, p := range att.AttachedPolicies {
			if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.PolicyArn}); err != nil && !isNotFound(err) {
				return false, fmt.Errorf("detach %s from %s: %w", aws.ToString(p.PolicyArn), name, err)
			}
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("delete role %s: %w", name, err)
	}
	return true, nil
}

// logsStatement allows a function to write its own log group.
func (k *Kit) logsStatement(ctx context.Context, function string) (statement, error) {
	group := "/aws/lambda/" + function
	a1, err := k.arnOf(ctx, "logs", "log-group:"+group)
	if err != nil {
		return statement{}, err
	}
	a2, _ := k.arnOf(ctx, "logs", "log-group:"+group+":*")
	return allow([]string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, a1, a2), nil
}
