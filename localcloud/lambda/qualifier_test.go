package lambda

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// putEventConfig puts the event invoke config of a function's qualifier
// ("" for the function): MaximumRetryAttempts and an OnFailure queue.
func (w *destWorld) putEventConfig(t *testing.T, name, qualifier string, retries int32, onFailure string) {
	t.Helper()
	in := &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String(name), MaximumRetryAttempts: aws.Int32(retries),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(onFailure)}}}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if _, err := w.lc.PutFunctionEventInvokeConfig(context.Background(), in); err != nil {
		t.Fatalf("PutFunctionEventInvokeConfig %s:%s: %v", name, qualifier, err)
	}
}

// TestQualifiedEventInvokeConfig: PutFunctionEventInvokeConfig configures
// "a function, version, or alias", each on its own: an Event invocation
// through an alias follows the alias's config (its MaximumRetryAttempts and
// OnFailure destination, its MaximumEventAgeInSeconds), one of a version
// the version's, one of the function its unqualified ($LATEST) config; an
// alias without a config of its own, the version's it runs.
func TestQualifiedEventInvokeConfig(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	fnURL, fnARN := w.queue(t, "fn-failures")
	verURL, verARN := w.queue(t, "version-failures")
	aliasURL, aliasARN := w.queue(t, "alias-failures")
	createFunction(t, w.lc, "staged", zipOf(t, "panic"), nil)
	if _, err := w.lc.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("staged")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.lc.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("staged"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	w.putEventConfig(t, "staged", "", 0, fnARN)
	w.putEventConfig(t, "staged", "1", 0, verARN)
	w.putEventConfig(t, "staged", "live", 1, aliasARN)
	// An alias without a config runs under its version's.
	if _, err := w.lc.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("staged"), Name: aws.String("bare"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, url string
		invokes   int
	}{
		{"staged:live", aliasURL, 2}, // the alias's one retry
		{"staged:1", verURL, 1},
		{"staged:bare", verURL, 1},
		{"staged", fnURL, 1},
	} {
		w.invokeEvent(t, tc.name, `{"error":"boom"}`)
		rc := decodeRecord(t, aws.ToString(w.receive(t, tc.url).Body)).RequestContext
		if rc.Condition != "RetriesExhausted" || rc.ApproximateInvokeCount != tc.invokes {
			t.Errorf("%s: requestContext = %+v, want RetriesExhausted after %d invokes", tc.name, rc, tc.invokes)
		}
	}

	// The alias's MaximumEventAgeInSeconds, not the function's (none: six
	// hours), expires an event queued through the alias two minutes ago.
	if _, err := w.lc.UpdateFunctionEventInvokeConfig(ctx, &awslambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("staged"),
		Qualifier: aws.String("live"), MaximumEventAgeInSeconds: aws.Int32(60)}); err != nil {
		t.Fatal(err)
	}
	f := w.lam.current(fnKey{cloudtest.Account, "us-east-1", "staged"})
	old := time.Now().Add(-2 * time.Minute)
	w.lam.async.requeue(&asyncEvent{id: "5f1c0a57-2b7e-4d0c-9f5e-0c2b9d1e7a31", key: f.key(), version: "1", qualifier: "live",
		payload: []byte(`{"late":true}`), nextAt: old, queued: old})
	rc := decodeRecord(t, aws.ToString(w.receive(t, aliasURL).Body)).RequestContext
	if rc.Condition != "EventAgeExceeded" || rc.RequestID != "5f1c0a57-2b7e-4d0c-9f5e-0c2b9d1e7a31" {
		t.Errorf("expired alias event: requestContext = %+v", rc)
	}
}

// TestZeroReservedConcurrencyAsync: "When you set reserved concurrency to
// zero for an asynchronously invoked function, Lambda begins sending new
// events to the configured dead-letter queue or the on-failure event
// destination, without any retries": the event is never run, its record
// (condition ZeroReservedConcurrency, no invocation, so no response) goes to
// OnFailure and the event itself to the dead-letter queue.
func TestZeroReservedConcurrencyAsync(t *testing.T) {
	w := newDestWorld(t)
	ctx := context.Background()
	failURL, failARN := w.queue(t, "throttled-failures")
	dlqURL, dlqARN := w.queue(t, "throttled-dlq")
	createFunction(t, w.lc, "paused", zipOf(t, "echo"), func(in *awslambda.CreateFunctionInput) {
		in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String(dlqARN)}
	})
	w.putEventConfig(t, "paused", "", 2, failARN)
	if _, err := w.lc.PutFunctionConcurrency(ctx, &awslambda.PutFunctionConcurrencyInput{FunctionName: aws.String("paused"),
		ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	w.invokeEvent(t, "paused", `{"n":1}`)

	r := decodeRecord(t, aws.ToString(w.receive(t, failURL).Body))
	if rc := r.RequestContext; rc.Condition != "ZeroReservedConcurrency" || rc.ApproximateInvokeCount != 0 {
		t.Errorf("requestContext = %+v, want ZeroReservedConcurrency after no invocation", rc)
	}
	if string(r.RequestPayload) != `{"n":1}` || r.ResponseContext != nil || r.ResponsePayload != nil {
		t.Errorf("record = %+v, want the event and no response", r)
	}
	m := w.receive(t, dlqURL)
	if aws.ToString(m.Body) != `{"n":1}` || aws.ToString(m.MessageAttributes["RequestID"].StringValue) != r.RequestContext.RequestID {
		t.Errorf("dead-letter message = %q %v", aws.ToString(m.Body), m.MessageAttributes)
	}
	waitFor(t, 30*time.Second, "the event to leave the queue", func() bool { return w.lam.async.depth() == 0 })
}

// TestQualifiedResourcePolicy: each version and alias has a policy of its
// own. A service invoking an alias's ARN needs a statement added with that
// qualifier ("If you use a qualifier, the invoker must use the full ARN of
// that version or alias"); the function's statements allow the function's
// ARN and $LATEST only, and an alias's allow neither the function nor the
// version it points to.
func TestQualifiedResourcePolicy(t *testing.T) {
	s, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	fnArn := aws.ToString(createFunction(t, c, "gated", zipOf(t, "echo"), nil).FunctionArn)
	if _, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("gated")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("gated"), Name: aws.String("prod"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	topic := "arn:aws:sns:us-east-1:" + cloudtest.Account + ":orders"
	allow := func(sid, qualifier string) {
		t.Helper()
		in := &awslambda.AddPermissionInput{FunctionName: aws.String("gated"), StatementId: aws.String(sid), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("sns.amazonaws.com"), SourceArn: aws.String(topic)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		if _, err := c.AddPermission(ctx, in); err != nil {
			t.Fatalf("AddPermission %s: %v", sid, err)
		}
	}
	check := func(when string, want map[string]bool) {
		t.Helper()
		for arn, ok := range want {
			res, err := s.InvokeFromService(ctx, protocol.ServiceInvocation{FunctionARN: arn, SourcePrincipal: "sns.amazonaws.com", SourceARN: topic, Payload: []byte(`{"q":1}`)})
			var pe *protocol.Error
			switch {
			case ok && (err != nil || string(res.Payload) != `{"q":1}`):
				t.Errorf("%s: invoking %s: %s, %v; want the echo", when, arn, res.Payload, err)
			case !ok && (!errors.As(err, &pe) || pe.Code != "AccessDeniedException"):
				t.Errorf("%s: invoking %s: %v, want AccessDeniedException", when, arn, err)
			}
		}
	}
	// "Lambda does not support adding policies to version $LATEST."
	_, err := c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: aws.String("gated"), Qualifier: aws.String("$LATEST"), StatementId: aws.String("latest"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")})
	wantCode(t, err, "InvalidParameterValueException")
	allow("alias-only", "prod")
	check("alias statement", map[string]bool{fnArn + ":prod": true, fnArn: false, fnArn + ":$LATEST": false, fnArn + ":1": false})
	allow("function", "")
	check("alias and function statements", map[string]bool{fnArn + ":prod": true, fnArn: true, fnArn + ":$LATEST": true, fnArn + ":1": false})
	if _, err := c.RemovePermission(ctx, &awslambda.RemovePermissionInput{FunctionName: aws.String("gated"), StatementId: aws.String("alias-only"),
		Qualifier: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	check("function statement", map[string]bool{fnArn + ":prod": false, fnArn: true})
}

// TestDeleteAliasDropsItsSettings: an alias's resource policy, event invoke
// config and function URL go with it; the same name created again starts
// without them, and the function's lists no longer show them.
func TestDeleteAliasDropsItsSettings(t *testing.T) {
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	createFunction(t, c, "aliased", zipOf(t, "echo"), nil)
	if _, err := c.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("aliased")}); err != nil {
		t.Fatal(err)
	}
	alias := func() {
		t.Helper()
		if _, err := c.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("aliased"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
	alias()
	live := aws.String("live")
	if _, err := c.AddPermission(ctx, &awslambda.AddPermissionInput{FunctionName: aws.String("aliased"), Qualifier: live, StatementId: aws.String("sns"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("sns.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutFunctionEventInvokeConfig(ctx, &awslambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("aliased"), Qualifier: live,
		MaximumRetryAttempts: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFunctionUrlConfig(ctx, &awslambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("aliased"), Qualifier: live,
		AuthType: types.FunctionUrlAuthTypeAwsIam}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteAlias(ctx, &awslambda.DeleteAliasInput{FunctionName: aws.String("aliased"), Name: live}); err != nil {
		t.Fatal(err)
	}
	if out, err := c.ListFunctionEventInvokeConfigs(ctx, &awslambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("aliased")}); err != nil || len(out.FunctionEventInvokeConfigs) != 0 {
		t.Errorf("ListFunctionEventInvokeConfigs after DeleteAlias: %v, %+v; want none", err, out)
	}
	if out, err := c.ListFunctionUrlConfigs(ctx, &awslambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("aliased")}); err != nil || len(out.FunctionUrlConfigs) != 0 {
		t.Errorf("ListFunctionUrlConfigs after DeleteAlias: %v, %+v; want none", err, out)
	}
	alias()
	_, err := c.GetPolicy(ctx, &awslambda.GetPolicyInput{FunctionName: aws.String("aliased"), Qualifier: live})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.GetFunctionEventInvokeConfig(ctx, &awslambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("aliased"), Qualifier: live})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.GetFunctionUrlConfig(ctx, &awslambda.GetFunctionUrlConfigInput{FunctionName: aws.String("aliased"), Qualifier: live})
	wantCode(t, err, "ResourceNotFoundException")
}

// TestCrossAccountInvoke: another account invokes a function by its ARN
// when the policy of the ARN it invokes grants that account
// lambda:InvokeFunction ("Granting function access to other accounts"); a
// grant on the function covers the function, not its aliases.
func TestCrossAccountInvoke(t *testing.T) {
	_, url := testService(t, nil)
	owner := client(url, cloudtest.Account)
	other := client(url, "210987654321")
	ctx := context.Background()
	fnArn := aws.ToString(createFunction(t, owner, "shared", zipOf(t, "echo"), nil).FunctionArn)
	if _, err := owner.PublishVersion(ctx, &awslambda.PublishVersionInput{FunctionName: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.CreateAlias(ctx, &awslambda.CreateAliasInput{FunctionName: aws.String("shared"), Name: aws.String("prod"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	grant := func(qualifier string) {
		t.Helper()
		in := &awslambda.AddPermissionInput{FunctionName: aws.String("shared"), StatementId: aws.String("other-account"), Action: aws.String("lambda:InvokeFunction"),
			Principal: aws.String("210987654321")}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		if _, err := owner.AddPermission(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string, want map[string]bool) {
		t.Helper()
		for arn, ok := range want {
			out, err := tryInvoke(other, arn, `{"from":"other"}`, nil)
			switch {
			case ok && (err != nil || string(out.Payload) != `{"from":"other"}`):
				t.Errorf("%s: invoking %s: %v; want the echo", when, arn, err)
			case !ok:
				wantCode(t, err, "AccessDeniedException")
			}
		}
	}
	check("no grant", map[string]bool{fnArn: false, fnArn + ":prod": false})
	grant("")
	check("function grant", map[string]bool{fnArn: true, fnArn + ":$LATEST": true, fnArn + ":prod": false, fnArn + ":1": false})
	grant("prod")
	check("function and alias grants", map[string]bool{fnArn + ":prod": true, fnArn + ":1": false})
	if _, err := tryInvoke(other, fnArn+":prod", `{}`, func(in *awslambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent }); err != nil {
		t.Errorf("Event invocation of the alias: %v", err)
	}
	// By name the caller names its own account's function.
	_, err := tryInvoke(other, "shared", `{}`, nil)
	wantCode(t, err, "ResourceNotFoundException")
}
