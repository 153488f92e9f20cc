package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/labkit-dev/labkit/grader"
)

var functionParam = grader.Param{Name: "function", Required: true, Doc: "the function's name, e.g. ${intakeFunction}"}

func lambdaKinds() []grader.Kind {
	return []grader.Kind{
		{
			Name: "lambda.function",
			Doc:  "the function exists with the runtime, handler, role, architecture and timeout the lab asks for, and its environment names what it needs",
			Params: []grader.Param{functionParam,
				{Name: "runtime", Doc: "acceptable runtimes (default provided.al2023)"},
				{Name: "handler", Doc: "the handler (default bootstrap)"},
				{Name: "role", Doc: "the execution role's name; empty accepts any"},
				{Name: "architectures", Doc: "acceptable architectures (default x86_64, arm64)"},
				{Name: "maxTimeout", Doc: "the longest acceptable timeout in seconds (default 30)"},
				{Name: "env", Doc: "environment variables that must be set (their values are never shown)"}},
			Calls: []string{"lambda:GetFunctionConfiguration"},
			Run:   runFunction,
		},
		{
			Name: "lambda.apigw-permission",
			Doc:  "each function's resource policy lets API Gateway invoke it, only from the lab's API",
			Params: []grader.Param{{Name: "functions", Required: true, Doc: "the functions' names"},
				{Name: "api", Required: true, Doc: "the API's name, e.g. ${api}"}},
			Calls: []string{"lambda:GetPolicy", "apigateway:GET"},
			Run:   runAPIPermission,
		},
	}
}

func runFunction(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	name := p.String("function", "")
	fc, err := functionConfig(ctx, env, name)
	if err != nil {
		return lookupOutcome("get function "+name, err)
	}
	runtimes := p.Strings("runtime")
	if len(runtimes) == 0 {
		runtimes = []string{"provided.al2023"}
	}
	archs := p.Strings("architectures")
	if len(archs) == 0 {
		archs = []string{"x86_64", "arm64"}
	}
	handler, role, maxTimeout := p.String("handler", "bootstrap"), p.String("role", ""), p.Int("maxTimeout", 30)
	gotArch := "x86_64"
	if len(fc.Architectures) > 0 {
		gotArch = string(fc.Architectures[0])
	}
	gotRole := aws.ToString(fc.Role)
	timeout := int(aws.ToInt32(fc.Timeout))
	parts := []grader.Part{
		{Name: "runtime", Passed: slices.Contains(runtimes, string(fc.Runtime)), Detail: fmt.Sprintf("is %q, want %s", fc.Runtime, strings.Join(runtimes, " or "))},
		{Name: "handler", Passed: aws.ToString(fc.Handler) == handler, Detail: fmt.Sprintf("is %q, want %q", aws.ToString(fc.Handler), handler)},
		{Name: "architecture", Passed: slices.Contains(archs, gotArch), Detail: fmt.Sprintf("is %s, want %s", gotArch, strings.Join(archs, " or "))},
		{Name: "timeout", Passed: timeout > 0 && timeout <= maxTimeout, Detail: fmt.Sprintf("is %d s, want at most %d s", timeout, maxTimeout)},
	}
	if role != "" {
		parts = append(parts, grader.Part{Name: "execution role", Passed: strings.HasSuffix(gotRole, "/"+role),
			Detail: fmt.Sprintf("is %s, want the role %s", gotRole, role)})
	}
	if want := p.Strings("env"); len(want) > 0 {
		var vars map[string]string
		if fc.Environment != nil {
			vars = fc.Environment.Variables
		}
		var missing []string
		for _, v := range want {
			if vars[v] == "" {
				missing = append(missing, v)
			}
		}
		parts = append(parts, grader.Part{Name: "environment", Passed: len(missing) == 0,
			Detail: fmt.Sprintf("missing %s", strings.Join(missing, ", "))})
	}
	o := grader.FromParts(parts)
	if o.Status == grader.Pass {
		return o.With(fmt.Sprintf("function %s: %s, handler %s, %s, timeout %d s, role %s", name, fc.Runtime, handler, gotArch, timeout, gotRole))
	}
	o.Reason = fmt.Sprintf("function %s is not configured as the lab asks: %s", name, failedDetails(parts))
	return o
}

// failedDetails lists the failed parts as "name detail".
func failedDetails(parts []grader.Part) string {
	var out []string
	for _, pt := range parts {
		if !pt.Passed {
			out = append(out, pt.Name+" "+pt.Detail)
		}
	}
	return strings.Join(out, "; ")
}

func runAPIPermission(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	apiName := p.String("api", "")
	a, err := findAPI(ctx, env, apiName)
	if err != nil {
		return lookupOutcome("find API "+apiName, err)
	}
	apiID := aws.ToString(a.ApiId)
	var parts []grader.Part
	for _, fn := range p.Strings("functions") {
		out, err := lambda.NewFromConfig(env.AWS).GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn)})
		if isNotFound(err) {
			// No function, or a function without a resource policy: AWS says the same.
			parts = append(parts, grader.Part{Name: fn, Passed: false, Detail: "has no resource policy letting apigateway.amazonaws.com invoke it (or does not exist)"})
			continue
		}
		if err != nil {
			return undecided("get the resource policy of "+fn, err)
		}
		doc, err := parsePolicy(aws.ToString(out.Policy))
		if err != nil {
			return undecided("read the resource policy of "+fn, err)
		}
		admitted, scoped := false, false
		for _, s := range doc.Statement {
			if !strings.EqualFold(s.Effect, "Allow") || !s.allows("lambda:InvokeFunction") || !slices.Contains(s.Principal.services(), "apigateway.amazonaws.com") {
				continue
			}
			admitted = true
			for _, src := range s.conditionValues("aws:SourceArn", "ArnLike", "ArnEquals", "StringEquals", "StringLike") {
				if strings.Contains(src, ":"+apiID+"/") || strings.HasSuffix(src, ":"+apiID) {
					scoped = true
				}
			}
		}
		switch {
		case !admitted:
			parts = append(parts, grader.Part{Name: fn, Detail: "its resource policy does not let apigateway.amazonaws.com invoke it"})
		case !scoped:
			parts = append(parts, grader.Part{Name: fn, Detail: fmt.Sprintf("API Gateway may invoke it, but not limited to API %s (%s) with an aws:SourceArn condition", apiName, apiID)})
		default:
			parts = append(parts, grader.Part{Name: fn, Passed: true, Detail: "invocable by API " + apiID})
		}
	}
	o := grader.FromParts(parts)
	if o.Status == grader.Pass {
		return o.With(fmt.Sprintf("API %s (%s) may invoke %s", apiName, apiID, strings.Join(p.Strings("functions"), " and ")))
	}
	o.Reason = "API Gateway cannot invoke every function it needs: " + failedDetails(parts)
	return o
}
