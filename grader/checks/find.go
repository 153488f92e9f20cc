package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/labkit-dev/labkit/grader"
)

// missingError says a resource the check looks for is not in the account;
// checks turn it into a Fail naming the resource, never an Error.
type missingError struct{ what string }

func (e *missingError) Error() string { return e.what }

func missingf(format string, args ...any) error {
	return &missingError{fmt.Sprintf(format, args...)}
}

// lookupOutcome turns the error of a lookup into an outcome: a Fail for a
// missing resource, an Error for anything else.
func lookupOutcome(what string, err error) grader.Outcome {
	var me *missingError
	if asType(err, &me) {
		return grader.Failf("%s", me.what)
	}
	return undecided(what, err)
}

// account returns the caller's account id and partition.
func account(ctx context.Context, env *grader.Env) (id, partition string, err error) {
	type who struct{ id, partition string }
	w, err := grader.Fact(env, "sts.identity", func() (who, error) {
		out, err := sts.NewFromConfig(env.AWS).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return who{}, err
		}
		p := "aws"
		if parts := strings.SplitN(aws.ToString(out.Arn), ":", 3); len(parts) == 3 && parts[0] == "arn" {
			p = parts[1]
		}
		return who{aws.ToString(out.Account), p}, nil
	})
	return w.id, w.partition, err
}

// findAPI returns the HTTP API named name.
func findAPI(ctx context.Context, env *grader.Env, name string) (apitypes.Api, error) {
	return grader.Fact(env, "apigw.api/"+name, func() (apitypes.Api, error) {
		c := apigatewayv2.NewFromConfig(env.AWS)
		in := &apigatewayv2.GetApisInput{}
		for {
			out, err := c.GetApis(ctx, in)
			if err != nil {
				return apitypes.Api{}, err
			}
			for _, a := range out.Items {
				if aws.ToString(a.Name) == name {
					return a, nil
				}
			}
			if aws.ToString(out.NextToken) == "" {
				return apitypes.Api{}, missingf("there is no API named %q in %s", name, env.AWS.Region)
			}
			in.NextToken = out.NextToken
		}
	})
}

// apiParts is what the API checks read about an API: its routes,
// integrations, authorizers, keyed for lookup.
type apiParts struct {
	api          apitypes.Api
	routes       map[string]apitypes.Route // by route key
	integrations map[string]apitypes.Integration
	authorizers  map[string]apitypes.Authorizer
}

func describeAPI(ctx context.Context, env *grader.Env, name string) (*apiParts, error) {
	return grader.Fact(env, "apigw.parts/"+name, func() (*apiParts, error) {
		a, err := findAPI(ctx, env, name)
		if err != nil {
			return nil, err
		}
		c := apigatewayv2.NewFromConfig(env.AWS)
		p := &apiParts{api: a, routes: map[string]apitypes.Route{}, integrations: map[string]apitypes.Integration{}, authorizers: map[string]apitypes.Authorizer{}}
		for tok := (*string)(nil); ; {
			out, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: a.ApiId, NextToken: tok})
			if err != nil {
				return nil, fmt.Errorf("get routes: %w", err)
			}
			for _, r := range out.Items {
				p.routes[normalizeRouteKey(aws.ToString(r.RouteKey))] = r
			}
			if tok = out.NextToken; aws.ToString(tok) == "" {
				break
			}
		}
		for tok := (*string)(nil); ; {
			out, err := c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: a.ApiId, NextToken: tok})
			if err != nil {
				return nil, fmt.Errorf("get integrations: %w", err)
			}
			for _, i := range out.Items {
				p.integrations[aws.ToString(i.IntegrationId)] = i
			}
			if tok = out.NextToken; aws.ToString(tok) == "" {
				break
			}
		}
		for tok := (*string)(nil); ; {
			out, err := c.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: a.ApiId, NextToken: tok})
			if err != nil {
				return nil, fmt.Errorf("get authorizers: %w", err)
			}
			for _, z := range out.Items {
				p.authorizers[aws.ToString(z.AuthorizerId)] = z
			}
			if tok = out.NextToken; aws.ToString(tok) == "" {
				break
			}
		}
		return p, nil
	})
}

// normalizeRouteKey collapses the spaces of a route key ("POST  /orders").
func normalizeRouteKey(k string) string { return strings.Join(strings.Fields(k), " ") }

// functionOf returns the function name an integration or authorizer URI
// invokes ("arn:aws:apigateway:...:path/2015-03-31/functions/arn:aws:lambda:
// r:a:function:NAME/invocations" or the function ARN itself), or "".
func functionOf(uri string) string {
	_, rest, ok := strings.Cut(uri, ":function:")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, ":/"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// functionConfig reads a function's configuration once per run.
func functionConfig(ctx context.Context, env *grader.Env, name string) (*lambda.GetFunctionConfigurationOutput, error) {
	return grader.Fact(env, "lambda.config/"+name, func() (*lambda.GetFunctionConfigurationOutput, error) {
		return freshFunctionConfig(ctx, env, name)
	})
}

// freshFunctionConfig reads a function's configuration now.
func freshFunctionConfig(ctx context.Context, env *grader.Env, name string) (*lambda.GetFunctionConfigurationOutput, error) {
	out, err := lambda.NewFromConfig(env.AWS).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &name})
	if isNotFound(err) {
		return nil, missingf("there is no Lambda function named %q in %s", name, env.AWS.Region)
	}
	return out, err
}

// mappings lists the event source mappings of a function once per run.
func mappings(ctx context.Context, env *grader.Env, function string) ([]lambdatypes.EventSourceMappingConfiguration, error) {
	return grader.Fact(env, "lambda.mappings/"+function, func() ([]lambdatypes.EventSourceMappingConfiguration, error) {
		return listMappings(ctx, env, &lambda.ListEventSourceMappingsInput{FunctionName: &function})
	})
}

func listMappings(ctx context.Context, env *grader.Env, in *lambda.ListEventSourceMappingsInput) ([]lambdatypes.EventSourceMappingConfiguration, error) {
	c := lambda.NewFromConfig(env.AWS)
	var all []lambdatypes.EventSourceMappingConfiguration
	for {
		out, err := c.ListEventSourceMappings(ctx, in)
		if isNotFound(err) && in.FunctionName != nil {
			return nil, missingf("there is no Lambda function named %q in %s", *in.FunctionName, env.AWS.Region)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, out.EventSourceMappings...)
		if aws.ToString(out.NextMarker) == "" {
			return all, nil
		}
		in.Marker = out.NextMarker
	}
}

// queueInfo is a queue's URL and attributes.
type queueInfo struct {
	name  string
	url   string
	attrs map[string]string
}

func (q queueInfo) arn() string { return q.attrs[string(sqstypes.QueueAttributeNameQueueArn)] }

// findQueue reads a queue's URL and attributes once per run.
func findQueue(ctx context.Context, env *grader.Env, name string) (queueInfo, error) {
	return grader.Fact(env, "sqs.queue/"+name, func() (queueInfo, error) {
		c := sqs.NewFromConfig(env.AWS)
		u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
		if isNotFound(err) {
			return queueInfo{}, missingf("there is no SQS queue named %q in %s", name, env.AWS.Region)
		}
		if err != nil {
			return queueInfo{}, err
		}
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			return queueInfo{}, err
		}
		return queueInfo{name: name, url: aws.ToString(u.QueueUrl), attrs: a.Attributes}, nil
	})
}

// findTopic returns the ARN of the topic named name.
func findTopic(ctx context.Context, env *grader.Env, name string) (string, error) {
	return grader.Fact(env, "sns.topic/"+name, func() (string, error) {
		c := sns.NewFromConfig(env.AWS)
		in := &sns.ListTopicsInput{}
		for {
			out, err := c.ListTopics(ctx, in)
			if err != nil {
				return "", err
			}
			for _, t := range out.Topics {
				if strings.HasSuffix(aws.ToString(t.TopicArn), ":"+name) {
					return aws.ToString(t.TopicArn), nil
				}
			}
			if aws.ToString(out.NextToken) == "" {
				return "", missingf("there is no SNS topic named %q in %s", name, env.AWS.Region)
			}
			in.NextToken = out.NextToken
		}
	})
}

// tableArns returns a table's ARN and its current stream's ARN ("" when it
// has no stream).
func tableArns(ctx context.Context, env *grader.Env, name string) (table, stream string, err error) {
	t, err := describeTable(ctx, env, name)
	if isNotFound(err) {
		return "", "", missingf("there is no DynamoDB table named %q in %s", name, env.AWS.Region)
	}
	if err != nil {
		return "", "", err
	}
	return aws.ToString(t.TableArn), aws.ToString(t.LatestStreamArn), nil
}
