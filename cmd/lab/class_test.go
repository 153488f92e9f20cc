package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/web/progress"
)

// secretRecorder serves the local cloud and keeps every secret access key
// and session token STS hands out, so a test can look for them afterwards.
type secretRecorder struct {
	next    http.Handler
	mu      sync.Mutex
	secrets []string
}

var secretTag = regexp.MustCompile(`<(SecretAccessKey|SessionToken)>([^<]+)</`)

func (s *secretRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte("Action=AssumeRole")) {
		s.next.ServeHTTP(w, r)
		return
	}
	rec := &teeWriter{ResponseWriter: w}
	s.next.ServeHTTP(rec, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range secretTag.FindAllStringSubmatch(rec.buf.String(), -1) {
		s.secrets = append(s.secrets, m[2])
	}
}

func (s *secretRecorder) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.secrets...)
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) { t.buf.Write(p); return t.ResponseWriter.Write(p) }

// classCloud runs a local cloud behind a secretRecorder.
func classCloud(t *testing.T) (string, *secretRecorder) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	// Alarms are evaluated every quarter second (lab up --alarm-evaluation
	// 250ms), so lab 5's alarm-fires check waits only for its one-minute
	// periods.
	c, err := localcloud.New(localcloud.Config{DataDir: t.TempDir(), Endpoint: url, AlarmEvaluationInterval: 250 * time.Millisecond})
	require.NoError(t, err)
	rec := &secretRecorder{next: c.Handler()}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); c.Close() })
	return url, rec
}

// simLearner is one simulated learner: how their account was built and what
// the gradebook must say about them.
type simLearner struct {
	id      string
	account string
	kind    string // solution, starter, a mutation's name, or unreachable
	reach   string // roster columns target..endpoint
	// fails are the checks that must not pass (all others must).
	fails  []string
	status string
	// partial are checks with partial credit and the share of their points
	// the mutation loses (the others in fails lose all).
	partial map[string]float64
}

// classMutations break one thing each in a lab-2 reference deployment.
var classMutations = map[string]struct {
	fails   []string
	mutate  func(ctx context.Context, cfg aws.Config) error
	partial map[string]float64
}{
	"pitr-off": {[]string{"lab1/table-pitr"}, func(ctx context.Context, cfg aws.Config) error {
		_, err := dynamodb.NewFromConfig(cfg).UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("Orders"),
			PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)}})
		return err
	}, nil},
	"provisioned": {[]string{"lab1/table-on-demand"}, func(ctx context.Context, cfg aws.Config) error {
		_, err := dynamodb.NewFromConfig(cfg).UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("Orders"), BillingMode: ddbtypes.BillingModeProvisioned,
			ProvisionedThroughput: &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}})
		return err
	}, nil},
	"untagged": {[]string{"lab1/table-tagged"}, func(ctx context.Context, cfg aws.Config) error {
		c := dynamodb.NewFromConfig(cfg)
		d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("Orders")})
		if err != nil {
			return err
		}
		_, err = c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: d.Table.TableArn, TagKeys: []string{"course"}})
		return err
	}, nil},
	"wildcard-policy": {[]string{"lab2/intake-role-scope"}, func(ctx context.Context, cfg aws.Config) error {
		_, err := iam.NewFromConfig(cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("order-intake-role"), PolicyName: aws.String("wildcard"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`)})
		return err
	}, map[string]float64{"lab2/intake-role-scope": 1.0 / 5}}, // one of the scope's five parts: no wildcard
	"no-throttling": {[]string{"lab2/api-throttling"}, func(ctx context.Context, cfg aws.Config) error {
		c := apigatewayv2.NewFromConfig(cfg)
		api, err := apiID(ctx, c)
		if err != nil {
			return err
		}
		if _, err := c.DeleteStage(ctx, &apigatewayv2.DeleteStageInput{ApiId: &api, StageName: aws.String("$default")}); err != nil {
			return err
		}
		_, err = c.CreateStage(ctx, &apigatewayv2.CreateStageInput{ApiId: &api, StageName: aws.String("$default"), AutoDeploy: aws.Bool(true)})
		return err
	}, nil},
	"route-unauthorized": {[]string{"lab2/routes-authorized"}, func(ctx context.Context, cfg aws.Config) error {
		c := apigatewayv2.NewFromConfig(cfg)
		api, err := apiID(ctx, c)
		if err != nil {
			return err
		}
		routes, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: &api})
		if err != nil {
			return err
		}
		for _, r := range routes.Items {
			if aws.ToString(r.RouteKey) == "GET /orders/{orderId}" {
				_, err = c.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: &api, RouteId: r.RouteId, AuthorizationType: apitypes.AuthorizationTypeNone})
				return err
			}
		}
		return fmt.Errorf("no GET route")
	}, map[string]float64{"lab2/routes-authorized": 1.0 / 2}}, // one of the two routes
}

func apiID(ctx context.Context, c *apigatewayv2.Client) (string, error) {
	out, err := c.GetApis(ctx, &apigatewayv2.GetApisInput{})
	if err != nil {
		return "", err
	}
	for _, a := range out.Items {
		if aws.ToString(a.Name) == "orders-api" {
			return aws.ToString(a.ApiId), nil
		}
	}
	return "", fmt.Errorf("no orders-api")
}

// starterFails are the lab-2 checks the untouched starter functions fail:
// the authorizer and the intake answer every call with their TODO error.
// (get-order cannot place the order it would read back).
var starterFails = []string{"lab2/auth-refused", "lab2/order-accepted", "lab2/bad-input-rejected", "lab2/replay-idempotent", "lab2/get-order"}

// simulateClass builds the class: each learner in an account of their own.
func simulateClass(t *testing.T, endpoint string) []simLearner {
	t.Helper()
	var learners []simLearner
	acct := func(i int) string { return fmt.Sprintf("2000000%05d", i) }
	n := 0
	add := func(kind, reach string, fails []string, status string) *simLearner {
		n++
		id := fmt.Sprintf("s%02d-%s", n, kind)
		a := acct(n)
		if reach == "" {
			reach = "local," + a + ",,,,,"
		}
		learners = append(learners, simLearner{id: id, account: a, kind: kind, reach: reach, fails: fails, status: status})
		return &learners[len(learners)-1]
	}
	for i := 0; i < 20; i++ {
		add("solution", "", nil, class.StatusGraded)
	}
	for i := 0; i < 4; i++ { // by role ARN + external id (the recommended way)
		a := acct(n + 1)
		add("solution", fmt.Sprintf("local,,arn:aws:iam::%s:role/labkit-grader,ext-%s,,,", a, a), nil, class.StatusGraded)
	}
	for i := 0; i < 6; i++ {
		add("starter", "", starterFails, class.StatusGraded)
	}
	for _, name := range []string{"pitr-off", "provisioned", "untagged", "wildcard-policy", "no-throttling", "route-unauthorized"} {
		for i := 0; i < 3; i++ {
			add(name, "", classMutations[name].fails, class.StatusGraded).partial = classMutations[name].partial
		}
	}
	// Unreachable: a role in an account that has none, a wrong external
	// id, and a local cloud that is not there.
	add("unreachable", fmt.Sprintf("local,,arn:aws:iam::%s:role/labkit-grader,ext-x,,,", acct(99)), nil, class.StatusUnreachable)
	add("unreachable", fmt.Sprintf("local,,arn:aws:iam::%s:role/labkit-grader,wrong-ext,,,", acct(21)), nil, class.StatusUnreachable)
	add("unreachable", "local,"+acct(98)+",,,,,http://"+deadAddr(t), nil, class.StatusUnreachable)

	ctx := context.Background()
	sem := make(chan struct{}, 48)
	var wg sync.WaitGroup
	for _, l := range learners {
		if l.kind == "unreachable" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := buildLearner(ctx, endpoint, l); err != nil {
				t.Errorf("build %s: %v", l.id, err)
			}
		}()
	}
	wg.Wait()
	return learners
}

func localCfg(endpoint, account string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider(account, "local", "")}
}

func buildLearner(ctx context.Context, endpoint string, l simLearner) error {
	cfg := localCfg(endpoint, l.account)
	k := &kit.Kit{AWS: cfg, Root: "../.."}
	if err := k.Solve(ctx, "lab2"); err != nil {
		return err
	}
	if strings.Contains(l.reach, ":role/") {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-` + l.account + `"}}}]}`
		if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("labkit-grader"), AssumeRolePolicyDocument: &trust}); err != nil {
			return err
		}
	}
	switch {
	case l.kind == "starter":
		for _, fn := range []string{"order-authorizer", "order-intake"} {
			if err := k.Deploy(ctx, fn, "starter"); err != nil {
				return err
			}
		}
	case classMutations[l.kind].mutate != nil:
		return classMutations[l.kind].mutate(ctx, cfg)
	}
	return nil
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestClassGradeEndToEnd grades a simulated class of 50 learners, each in
// an account of their own on one local cloud, with `lab class grade`: the
// gradebook says, row for row, what each learner was given; unreachable
// learners are empty cells, never zeros; the roster's bad rows are reported
// and the good rows graded; no secret the grader used is written anywhere.
func TestClassGradeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("deploys lab 2 in 47 accounts")
	}
	endpoint, secrets := classCloud(t)
	sim := simulateClass(t, endpoint)
	require.False(t, t.Failed())

	dir := t.TempDir()
	var roster strings.Builder
	roster.WriteString("id,name,email,target,account,role_arn,external_id,profile,region,endpoint\n")
	for _, l := range sim {
		fmt.Fprintf(&roster, "%s,Learner %s,,%s\n", l.id, l.id, l.reach)
	}
	roster.WriteString("bad-row,Bad,,local,123,,,,,\n,No Id,,local,200000000001,,,,,\n")
	rosterPath := filepath.Join(dir, "class.csv")
	require.NoError(t, os.WriteFile(rosterPath, []byte(roster.String()), 0o600))
	out := filepath.Join(dir, "out")
	data := filepath.Join(dir, "data")

	code, stdout, stderr := lab(t, "class", "grade", "--roster", rosterPath, "--lab", "lab1,lab2", "--out", out,
		"--endpoint", endpoint, "--concurrency", "8", "--format", "csv", "--data", data)
	assert.Equal(t, 1, code, "exit code with unreachable learners; stderr:\n%s", stderr)
	assert.Contains(t, stderr, "line 53, column 5 (account)")
	assert.Contains(t, stderr, "line 54, column 1 (id): missing id")

	gb, err := os.ReadFile(filepath.Join(out, "gradebook.csv"))
	require.NoError(t, err)
	assert.Equal(t, string(gb), stdout, "--format csv prints the gradebook")
	rows, err := csv.NewReader(bytes.NewReader(gb)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"id", "name", "lab1", "lab1_max", "lab2", "lab2_max", "total", "total_max", "status", "graded_at", "message"}, rows[0])
	require.Len(t, rows, len(sim)+1, "one row per good roster row")

	points := checkPoints(t)
	lab1Max, lab2Max := labMax(points, "lab1"), labMax(points, "lab2")
	for i, l := range sim {
		row := rows[i+1]
		want := []string{l.id, "Learner " + l.id, "", num(lab1Max), "", num(lab2Max), "", num(lab1Max + lab2Max), l.status}
		if l.status == class.StatusGraded {
			lost1, lost2 := 0.0, 0.0
			for _, f := range l.fails {
				lost := points[f]
				if share, ok := l.partial[f]; ok {
					lost *= share
				}
				if strings.HasPrefix(f, "lab1/") {
					lost1 += lost
				} else {
					lost2 += lost
				}
			}
			want[2], want[4], want[6] = num(lab1Max-lost1), num(lab2Max-lost2), num(lab1Max+lab2Max-lost1-lost2)
		}
		assert.Equal(t, want, row[:9], "gradebook row of %s (%s); message %q", l.id, l.kind, row[10])
		assert.NotEmpty(t, row[9], "graded_at of %s", l.id)

		var results []grader.Result
		b, err := os.ReadFile(filepath.Join(out, l.id, "report.json"))
		require.NoError(t, err)
		var rep struct {
			Results []grader.Result `json:"results"`
		}
		require.NoError(t, json.Unmarshal(b, &rep), "report.json of %s", l.id)
		results = rep.Results
		_, gsErr := os.Stat(filepath.Join(out, l.id, "results.json"))
		if l.status != class.StatusGraded {
			assert.Empty(t, results)
			assert.True(t, os.IsNotExist(gsErr), "no Gradescope results for unreachable %s", l.id)
			continue
		}
		assert.NoError(t, gsErr, "Gradescope results of %s", l.id)
		assert.FileExists(t, filepath.Join(out, l.id, "junit.xml"))
		for _, r := range results {
			key := r.Lab + "/" + r.CheckID
			mustFail := false
			for _, f := range l.fails {
				mustFail = mustFail || f == key
			}
			if mustFail {
				assert.Equal(t, grader.Fail, r.Status, "%s: %s must fail (%s)", l.id, key, l.kind)
			} else {
				assert.Equal(t, grader.Pass, r.Status, "%s: %s must pass (%s): %s", l.id, key, l.kind, r.Reason)
			}
		}
	}

	sum, err := os.ReadFile(filepath.Join(out, "summary.md"))
	require.NoError(t, err)
	assert.Contains(t, string(sum), "51 learners: 48 graded, 0 grader errors, 3 unreachable")
	assert.Contains(t, string(sum), "| lab2/auth-refused (")
	assert.Contains(t, string(sum), "2 roster rows not graded")

	// Regrading only the failed: the three unreachable learners again,
	// everyone else kept as they were.
	code, stdout, stderr = lab(t, "class", "grade", "--roster", rosterPath, "--lab", "lab1,lab2", "--out", out, "--endpoint", endpoint, "--only-failed", "--data", data)
	assert.Equal(t, 1, code, stderr)
	assert.Equal(t, 3, strings.Count(stdout, ": unreachable"), stdout)
	gb2, err := os.ReadFile(filepath.Join(out, "gradebook.csv"))
	require.NoError(t, err)
	rows2, err := csv.NewReader(bytes.NewReader(gb2)).ReadAll()
	require.NoError(t, err)
	for i := range rows {
		if rows[i][8] == class.StatusGraded {
			assert.Equal(t, rows[i], rows2[i], "kept row %d", i)
		}
	}

	// The history the dashboard reads holds both runs; the first is as the
	// first gradebook said, and the second kept its graded learners.
	store, err := progress.Open(context.Background(), filepath.Join(data, "progress.db"))
	require.NoError(t, err)
	runs, err := store.ClassRuns(context.Background(), "class")
	require.NoError(t, err)
	require.Len(t, runs, 2)
	for i, info := range []progress.ClassRunInfo{runs[1], runs[0]} {
		run, err := store.ClassRun(context.Background(), info.ID)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, class.WriteGradebookCSV(&b, run))
		assert.Equal(t, string([][]byte{gb, gb2}[i]), b.String(), "run %d in the history", i+1)
		assert.Len(t, run.Learners[0].Results, len(points))
	}
	store.Close()

	// No secret STS handed the grader is in the out dir, the database or
	// the logs.
	used := secrets.all()
	require.NotEmpty(t, used, "the role learners were reached through AssumeRole")
	assertNoSecrets(t, used, map[string]string{"stdout": stdout, "stderr": stderr}, out, data)
}

// assertNoSecrets fails when any secret appears in texts or in a file under
// the dirs.
func assertNoSecrets(t *testing.T, secrets []string, texts map[string]string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			require.NoError(t, err)
			if e.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			texts[path] = string(b)
			return nil
		})
	}
	for name, text := range texts {
		for _, s := range secrets {
			assert.NotContains(t, text, s, "a secret in %s", name)
		}
	}
}

// checkPoints maps lab/check to its points.
func checkPoints(t *testing.T) map[string]float64 {
	cs, err := classChecks("", "lab1,lab2")
	require.NoError(t, err)
	out := map[string]float64{}
	for _, c := range cs {
		out[c.Lab+"/"+c.ID] = c.Points
	}
	return out
}

func labMax(points map[string]float64, lab string) float64 {
	t := 0.0
	for k, p := range points {
		if strings.HasPrefix(k, lab+"/") {
			t += p
		}
	}
	return t
}

func num(f float64) string { return fmt.Sprint(f) }

func TestClassCheckRoster(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(good, []byte("id,name,target,account\nana,Ana,local,111111111111\nben,Ben,submission,\n"), 0o600))
	require.NoError(t, os.WriteFile(bad, []byte("id,name,target,account,colour\nana,Ana,local,111111111111,red\n,Nobody,local,1,\n"), 0o600))

	code, out, _ := lab(t, "class", "check-roster", good)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "2 learners ready (0 by role or profile on AWS, 1 on a local cloud, 1 by submission); 0 problems")

	code, out, _ = lab(t, "class", "check-roster", bad)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, bad+`: line 1, column 5 (colour): unknown column "colour"`)
	assert.Contains(t, out, bad+": line 3, column 1 (id): missing id")
	assert.Contains(t, out, bad+`: line 3, column 4 (account): account "1" is not a 12-digit account id`)
	assert.Contains(t, out, "1 learner ready")

	code, _, errOut := lab(t, "class", "check-roster", filepath.Join(dir, "missing.csv"))
	assert.Equal(t, 2, code, errOut)
	code, _, errOut = lab(t, "class", "grade", "--roster", good, "--data", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--out DIR is required")

	for _, sub := range []string{"grade", "passwd"} {
		code, _, errOut = lab(t, "class", sub, "-h")
		assert.Equal(t, 0, code, errOut)
		assert.True(t, strings.HasPrefix(errOut, "usage: lab class "+sub+" "), "lab class %s -h starts with its usage line:\n%s", sub, errOut)
	}
	assert.Contains(t, errOut, "-from string")
	_, _, errOut = lab(t, "class", "grade", "-h")
	assert.Contains(t, errOut, "-submissions DIR\n", "the flag's argument is named DIR")
}
