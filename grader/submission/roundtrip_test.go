package submission_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/submission"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/labs"
)

// TestRoundTrip exports three accounts (the reference of every lab as
// `lab solve all` builds it, the same with configuration mutations, and the
// reference with the starter's functions), imports each into a fresh
// account of another local cloud and grades it: check by check, the
// verdicts are the original's.
func TestRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	ctx := context.Background()
	src := startCloud(t)
	k := solved(t, src, "all")
	list, err := submission.Checks([]string{"all"})
	require.NoError(t, err)
	stages := []struct {
		name     string
		change   func(t *testing.T)
		mustFail []string
	}{
		{"solved", func(*testing.T) {}, nil},
		{"mutated", func(t *testing.T) { mutate(t, src.config(learnerAccount)) },
			[]string{"lab1/table-pitr", "lab2/routes-authorized", "lab2/api-authorizer", "lab3/subscriptions", "lab4/accounting-mapping"}},
		{"starter", func(t *testing.T) {
			require.NoError(t, k.Solve(ctx, "all"))
			for _, fn := range []string{"order-intake", "order-publisher", "inventory-worker", "accounting-worker"} {
				require.NoError(t, k.Deploy(ctx, fn, "starter"))
			}
		}, []string{"lab2/order-accepted", "lab3/order-fans-out", "lab4/order-completes"}},
	}
	type exported struct {
		archive []byte
		want    map[string]grader.Status
	}
	var ex []exported
	for _, st := range stages {
		st.change(t)
		want := statuses(submission.GradeAccount(ctx, src.config(learnerAccount), nil, src.addr, list, nil))
		for _, id := range st.mustFail {
			require.Contains(t, []grader.Status{grader.Fail, grader.Skipped}, want[id], "%s: %s on the original", st.name, id)
		}
		ex = append(ex, exported{export(t, src, nil), want})
	}
	dst := startCloud(t)
	for i, st := range stages {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			a, err := submission.Read(bytes.NewReader(ex[i].archive), int64(len(ex[i].archive)))
			require.NoError(t, err)
			acct := fmt.Sprintf("2109876543%02d", i)
			require.NoError(t, submission.Import(ctx, dst.config(acct), dst.endpoint, a))
			got := submission.GradeAccount(ctx, dst.config(acct), a.Manifest.Names, dst.addr, list, nil)
			for _, r := range got {
				if r.Status != ex[i].want[r.Lab+"/"+r.CheckID] {
					t.Logf("%s/%s: %s: %s", r.Lab, r.CheckID, r.Status, r.Reason)
				}
			}
			assert.Equal(t, ex[i].want, statuses(got))
		})
	}
}

// mutate breaks the reference's configuration in five places the export
// must carry: PITR, a route's authorization, the authorizer's response
// format, a subscription's raw delivery and a mapping's state.
func mutate(t *testing.T, cfg aws.Config) {
	ctx := context.Background()
	names := labs.DefaultNames()
	_, err := dynamodb.NewFromConfig(cfg).UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(names["ordersTable"]),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)}})
	require.NoError(t, err)
	apig := apigatewayv2.NewFromConfig(cfg)
	apis, err := apig.GetApis(ctx, &apigatewayv2.GetApisInput{})
	require.NoError(t, err)
	for _, api := range apis.Items {
		if aws.ToString(api.Name) != names["api"] {
			continue
		}
		routes, err := apig.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: api.ApiId})
		require.NoError(t, err)
		for _, r := range routes.Items {
			if aws.ToString(r.RouteKey) == "GET /orders/{orderId}" {
				_, err = apig.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: api.ApiId, RouteId: r.RouteId, AuthorizationType: apitypes.AuthorizationTypeNone})
				require.NoError(t, err)
			}
		}
		auths, err := apig.GetAuthorizers(ctx, &apigatewayv2.GetAuthorizersInput{ApiId: api.ApiId})
		require.NoError(t, err)
		_, err = apig.UpdateAuthorizer(ctx, &apigatewayv2.UpdateAuthorizerInput{ApiId: api.ApiId, AuthorizerId: auths.Items[0].AuthorizerId, EnableSimpleResponses: aws.Bool(false)})
		require.NoError(t, err)
	}
	sn := sns.NewFromConfig(cfg)
	subs, err := sn.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	require.NoError(t, err)
	changed := 0
	for _, sub := range subs.Subscriptions {
		if strings.HasSuffix(aws.ToString(sub.TopicArn), ":"+names["topic"]) && changed == 0 {
			_, err = sn.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn,
				AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false")})
			require.NoError(t, err)
			changed++
		}
	}
	require.Equal(t, 1, changed, "a subscription of topic %s", names["topic"])
	lam := lambda.NewFromConfig(cfg)
	ms, err := lam.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(names["accountingWorker"])})
	require.NoError(t, err)
	require.Len(t, ms.EventSourceMappings, 1)
	_, err = lam.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: ms.EventSourceMappings[0].UUID, Enabled: aws.Bool(false)})
	require.NoError(t, err)
}

func TestSandboxGradesLikeTheOriginal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	ctx := context.Background()
	src := startCloud(t)
	solved(t, src, "lab2")
	path := filepath.Join(t.TempDir(), "submission.zip")
	require.NoError(t, os.WriteFile(path, export(t, src, nil), 0o600))
	list, err := submission.Checks([]string{"lab1", "lab2"})
	require.NoError(t, err)
	want := submission.GradeAccount(ctx, src.config(learnerAccount), nil, src.addr, list, nil)
	got, err := sandbox(t).Grade(ctx, path, []string{"lab1", "lab2"})
	require.NoError(t, err)
	assert.Equal(t, statuses(want), statuses(got))
}

// TestRoundTripAcrossPartitions exports lab 2's reference built in
// cn-north-1, whose ARNs are in the aws-cn partition (the kit's role,
// integration and authorizer URIs, the permissions' source ARNs), and
// imports it into an account in us-east-1 of another local cloud: the
// import moves every ARN into the aws partition and the grade is the
// original's, every check passing.
func TestRoundTripAcrossPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	ctx := context.Background()
	src := startCloud(t)
	cn := src.config(learnerAccount)
	cn.Region = "cn-north-1"
	require.NoError(t, (&kit.Kit{AWS: cn, Root: root}).Solve(ctx, "lab2"))
	list, err := submission.Checks([]string{"lab1", "lab2"})
	require.NoError(t, err)
	want := statuses(submission.GradeAccount(ctx, cn, nil, src.addr, list, nil))
	for id, st := range want {
		require.Equal(t, grader.Pass, st, "%s on the original in cn-north-1", id)
	}
	a, err := submission.Export(ctx, cn, submission.ExportOptions{Endpoint: src.endpoint})
	require.NoError(t, err)
	require.Equal(t, "aws-cn", a.Manifest.Partition)
	dst := startCloud(t)
	const acct = "210987654399"
	require.NoError(t, submission.Import(ctx, dst.config(acct), dst.endpoint, a))
	got := submission.GradeAccount(ctx, dst.config(acct), a.Manifest.Names, dst.addr, list, nil)
	for _, r := range got {
		if r.Status != grader.Pass {
			t.Errorf("%s/%s after the import into us-east-1: %s: %s", r.Lab, r.CheckID, r.Status, r.Reason)
		}
	}
	assert.Equal(t, want, statuses(got))
}
