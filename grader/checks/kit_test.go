package checks_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/kit"
)

// kitSolved deploys the reference up to lab with the lab kit (what
// `lab solve <lab>` builds) on a fresh local cloud. It skips the test,
// naming the missing feature, when the local cloud cannot serve what the
// lab needs yet.
func kitSolved(t testing.TB, names map[string]string, lab string) (*kit.Kit, aws.Config) {
	t.Helper()
	return kitSolvedIn(t, testRegion, names, lab)
}

// kitSolvedIn is kitSolved with the kit and the grader in region.
func kitSolvedIn(t testing.TB, region string, names map[string]string, lab string) (*kit.Kit, aws.Config) {
	t.Helper()
	cfg := startCloud(t)
	cfg.Region = region
	var out io.Writer
	if testing.Verbose() {
		out = os.Stderr
	}
	k := &kit.Kit{AWS: cfg, Names: names, Root: root, Out: out}
	if err := k.Solve(context.Background(), lab); err != nil {
		if strings.Contains(err.Error(), "not implemented") {
			t.Skipf("the local cloud cannot serve lab %s yet (DynamoDB stream event source mappings, localcloud/lambda/esm_stream.go): %v", lab, err)
		}
		t.Fatalf("solve %s: %v", lab, err)
	}
	return k, cfg
}

// TestKitSolvePasses grades what `lab solve` deploys: every check of the
// solved labs passes, and grading again gives the same verdicts.
func TestKitSolvePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	runs := 2
	if os.Getenv("LABKIT_LONG") != "" {
		runs = 5
	}
	for _, tc := range []struct {
		lab  string
		labs []string
	}{
		{"lab2", []string{"lab1", "lab2"}},
		{"lab3", []string{"lab1", "lab2", "lab3"}}, // no workers: the fan-out checks count the queues' messages
		{"all", []string{"lab1", "lab2", "lab3", "lab4", "lab5"}},
	} {
		t.Run(tc.lab, func(t *testing.T) {
			t.Parallel()
			_, cfg := kitSolved(t, nil, tc.lab)
			first := grade(t, cfg, nil, tc.labs...)
			for _, r := range first {
				if r.Status != grader.Pass {
					t.Errorf("%s/%s: got %s, want pass: %s", r.Lab, r.CheckID, r.Status, r.Reason)
				}
			}
			for i := 1; i < runs && !t.Failed(); i++ {
				if got, want := statuses(grade(t, cfg, nil, tc.labs...)), statuses(first); got != want {
					t.Fatalf("run %d: verdicts differ:\ngot\n%s\nwant\n%s", i+1, got, want)
				}
			}
		})
	}
}

// TestKitSolvePassesInEveryPartition solves and grades the labs in a
// region of each partition (botocore's partitions.json): China's aws-cn,
// GovCloud's aws-us-gov, the isolated aws-iso and aws-iso-b. There the local
// cloud names every ARN in that partition (arn:aws-cn:lambda:..., STS's
// arn:aws-cn:iam::ACCOUNT:root, API Gateway's arn:aws-cn:apigateway:
// integration URIs), and the kit and the grader must build and compare
// them without assuming arn:aws: every check passes, as in us-east-1.
func TestKitSolvePassesInEveryPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	for _, tc := range []struct {
		region, partition, lab string
		labs                   []string
	}{
		{"cn-north-1", "aws-cn", "lab2", []string{"lab1", "lab2"}},
		{"us-gov-west-1", "aws-us-gov", "lab2", []string{"lab1", "lab2"}},
		{"cn-northwest-1", "aws-cn", "all", []string{"lab1", "lab2", "lab3", "lab4", "lab5"}},
		{"us-isob-east-1", "aws-iso-b", "lab3", []string{"lab1", "lab2", "lab3"}},
	} {
		t.Run(tc.region+"/"+tc.lab, func(t *testing.T) {
			t.Parallel()
			_, cfg := kitSolvedIn(t, tc.region, nil, tc.lab)
			who, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity in %s: %v", tc.region, err)
			}
			if want := "arn:" + tc.partition + ":iam::" + testAccount + ":root"; aws.ToString(who.Arn) != want {
				t.Errorf("GetCallerIdentity in %s: Arn %s, want %s", tc.region, aws.ToString(who.Arn), want)
			}
			rs := grade(t, cfg, nil, tc.labs...)
			passed := 0
			for _, r := range rs {
				if r.Status != grader.Pass {
					t.Errorf("%s in %s: got %s, want pass: %s", r.Lab+"/"+r.CheckID, tc.region, r.Status, r.Reason)
					continue
				}
				passed++
			}
			t.Logf("%s: %d/%d checks pass", tc.region, passed, len(rs))
		})
	}
}

// TestBrokenFunctionsAreCaught deploys deliberately broken handlers into the
// full reference (and the untouched starter of labs 3-4) and checks that
// the checks meant to catch them fail, with reasons that say why.
func TestBrokenFunctionsAreCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	for _, tc := range []struct {
		name     string
		function string            // name key
		from     string            // code directory
		env      map[string]string // added to the function's environment
		catch    []string          // lab/check ids that must fail
		reason   string            // what each failure reason must contain
		ownTime  bool              // keep the checks' own timeouts (they decide before them)
	}{
		{"worker without partial batch response", "inventoryWorker", "testdata/broken-worker", map[string]string{"BROKEN": "nopartial"},
			[]string{"lab4/poison-to-dlq"}, "batchItemFailures", false},
		{"worker not idempotent", "accountingWorker", "testdata/broken-worker", map[string]string{"BROKEN": "notidempotent"},
			[]string{"lab5/spike"}, "Idempotency-Key", true},
		{"worker swallows a poison message", "inventoryWorker", "testdata/broken-worker", map[string]string{"BROKEN": "swallowpoison"},
			[]string{"lab4/poison-to-dlq"}, "deleted the poison message", false},
		{"worker takes the 503 as done", "accountingWorker", "testdata/broken-worker", map[string]string{"BROKEN": "ignoreanswer"},
			[]string{"lab4/accounting-down"}, "does the worker check the service's answer", true},
		{"starter publisher", "publisherFunction", root + "/starter/order-publisher", nil,
			[]string{"lab3/order-fans-out", "lab4/order-completes"}, "TODO(lab ", false},
		{"starter worker", "accountingWorker", root + "/starter/accounting-worker", nil,
			[]string{"lab4/order-completes"}, "TODO(lab 4)", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			k, cfg := kitSolved(t, nil, "all")
			d := newDeployment(t, cfg, nil)
			if err := k.Deploy(ctx, d.n(tc.function), tc.from); err != nil {
				t.Fatalf("deploy %s from %s: %v", tc.function, tc.from, err)
			}
			if tc.env != nil {
				fc, err := d.lam.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(d.n(tc.function))})
				d.must(err, "config")
				vars := fc.Environment.Variables
				for k, v := range tc.env {
					vars[k] = v
				}
				_, err = d.lam.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(d.n(tc.function)),
					Environment: &lambdaEnv{Variables: vars}})
				d.must(err, "env")
			}
			list := only(t, tc.catch...)
			for _, c := range list {
				c.Needs = nil
				if !tc.ownTime {
					c.Timeout = min(c.Timeout, 15*time.Second) // they fail at their deadline
				}
			}
			for _, r := range gradeChecks(t, cfg, nil, list) {
				if r.Status != grader.Fail {
					t.Errorf("%s/%s: got %s, want fail: %s", r.Lab, r.CheckID, r.Status, r.Reason)
					continue
				}
				if !strings.Contains(r.Reason, tc.reason) {
					t.Errorf("%s/%s: reason %q does not mention %q", r.Lab, r.CheckID, r.Reason, tc.reason)
				}
				t.Logf("%s/%s: %s", r.Lab, r.CheckID, r.Reason)
			}
		})
	}
}
