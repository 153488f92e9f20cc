package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/kit"
)

// allLabsMutations break one thing each in a `lab solve all` deployment,
// in labs 3 to 5, and name the one check that must then fail.
var allLabsMutations = map[string]struct {
	fails  string
	mutate func(ctx context.Context, cfg aws.Config) error
}{
	"short-visibility": {"lab3/inventory-visibility", func(ctx context.Context, cfg aws.Config) error {
		c := sqs.NewFromConfig(cfg)
		q, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("inventory-orders")})
		if err != nil {
			return err
		}
		_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl,
			Attributes: map[string]string{string(sqstypes.QueueAttributeNameVisibilityTimeout): "30"}})
		return err
	}},
	"worker-wildcard": {"lab4/accounting-role-scope", func(ctx context.Context, cfg aws.Config) error {
		_, err := iam.NewFromConfig(cfg).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("accounting-worker-role"), PolicyName: aws.String("wildcard"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)})
		return err
	}},
	"logs-forever": {"lab5/log-retention", func(ctx context.Context, cfg aws.Config) error {
		_, err := cloudwatchlogs.NewFromConfig(cfg).DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("/aws/lambda/order-intake")})
		return err
	}},
	// The inventory dead-letter queue's alarm: lab5/alarm-fires makes the
	// accounting one go off, so this mutation costs lab5/alarms alone.
	"alarm-missing": {"lab5/alarms", func(ctx context.Context, cfg aws.Config) error {
		c := cloudwatch.NewFromConfig(cfg)
		name := "inventory-orders-dlq-not-empty"
		out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
		if err != nil {
			return err
		}
		if len(out.MetricAlarms) == 0 {
			return fmt.Errorf("no alarm %s to delete", name)
		}
		_, err = c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}})
		return err
	}},
	"no-dashboard": {"lab5/dashboard", func(ctx context.Context, cfg aws.Config) error {
		_, err := cloudwatch.NewFromConfig(cfg).DeleteDashboards(ctx, &cloudwatch.DeleteDashboardsInput{DashboardNames: []string{"orders-pipeline"}})
		return err
	}},
}

// TestClassGradeAllLabs grades part of a class on every lab (`--lab all`:
// resources, the functional flows, lab 4's failure checks and lab 5's
// spike) with `lab class grade`, each learner in an account of their own
// on one local cloud: learners with the full reference are graded every
// point, each learner with a mutation in labs 3-5 fails exactly that
// check and passes the rest, and the gradebook's lab cells and totals are
// the sums of the report's results. No grader errors. The class is 2
// reference learners and one per mutation; LABKIT_CLASS_ALL_LEARNERS
// (bounded at 100) adds reference learners up to that size.
func TestClassGradeAllLabs(t *testing.T) {
	if testing.Short() {
		t.Skip("deploys every lab in several accounts")
	}
	size := len(allLabsMutations) + 2
	if v, err := strconv.Atoi(os.Getenv("LABKIT_CLASS_ALL_LEARNERS")); err == nil && v > size {
		size = min(v, 100)
	}
	endpoint, _ := classCloud(t)
	type learner struct{ id, account, mutation string }
	var learners []learner
	for name := range allLabsMutations {
		learners = append(learners, learner{mutation: name})
	}
	for len(learners) < size {
		learners = append(learners, learner{})
	}
	for i := range learners {
		learners[i].account = fmt.Sprintf("5000000%05d", i+1)
		learners[i].id = fmt.Sprintf("a%02d-%s", i+1, cmp.Or(learners[i].mutation, "solution"))
	}
	ctx := context.Background()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, l := range learners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cfg := localCfg(endpoint, l.account)
			if err := (&kit.Kit{AWS: cfg, Root: "../.."}).Solve(ctx, "all"); err != nil {
				t.Errorf("solve all for %s: %v", l.id, err)
				return
			}
			if m, ok := allLabsMutations[l.mutation]; ok {
				if err := m.mutate(ctx, cfg); err != nil {
					t.Errorf("mutate %s: %v", l.id, err)
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())

	dir := t.TempDir()
	var roster strings.Builder
	roster.WriteString("id,name,target,account\n")
	for _, l := range learners {
		fmt.Fprintf(&roster, "%s,%s,local,%s\n", l.id, l.id, l.account)
	}
	rosterPath := filepath.Join(dir, "class.csv")
	require.NoError(t, os.WriteFile(rosterPath, []byte(roster.String()), 0o600))
	out := filepath.Join(dir, "out")
	// Two rounds of learners, each with lab 5's alarm-fires check waiting
	// a minute or two for CloudWatch: more than lab's 3 minutes.
	code, stdout, stderr := labWithin(t, 10*time.Minute, "class", "grade", "--roster", rosterPath, "--lab", "all", "--out", out, "--endpoint", endpoint,
		"--concurrency", "4", "--load-checks", "2", "--deadline", "5m", "--data", filepath.Join(dir, "data"))
	require.Equal(t, 0, code, "every learner graded; stdout:\n%s\nstderr:\n%s", stdout, stderr)

	gb, err := os.ReadFile(filepath.Join(out, "gradebook.csv"))
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(gb)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(learners)+1)
	header := rows[0]
	labCols := map[string]int{}
	for i, h := range header {
		if strings.HasPrefix(h, "lab") && !strings.HasSuffix(h, "_max") {
			labCols[h] = i
		}
	}
	require.Len(t, labCols, 5, "lab1..lab5 in %v", header)
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, header)
		return -1
	}
	for i, l := range learners {
		row := rows[i+1]
		require.Equal(t, l.id, row[0])
		assert.Equal(t, class.StatusGraded, row[col("status")], "%s: %s", l.id, row[col("message")])
		b, err := os.ReadFile(filepath.Join(out, l.id, "report.json"))
		require.NoError(t, err)
		var rep struct {
			Results []grader.Result `json:"results"`
		}
		require.NoError(t, json.Unmarshal(b, &rep))
		require.NotEmpty(t, rep.Results)
		perLab := map[string]float64{}
		total := 0.0
		for _, r := range rep.Results {
			key := r.Lab + "/" + r.CheckID
			if want := allLabsMutations[l.mutation].fails; key == want {
				assert.Equal(t, grader.Fail, r.Status, "%s: %s must fail", l.id, key)
				assert.Less(t, r.Points, r.Max, "%s: %s costs points", l.id, key)
			} else {
				assert.Equal(t, grader.Pass, r.Status, "%s: %s must pass: %s", l.id, key, r.Reason)
			}
			perLab[r.Lab] += r.Points
			total += r.Points
		}
		cell := func(c int) float64 {
			f, err := strconv.ParseFloat(row[c], 64)
			require.NoError(t, err, "%s: cell %s", l.id, header[c])
			return f
		}
		for lab, c := range labCols {
			assert.InDelta(t, perLab[lab], cell(c), 0.005, "%s: %s cell (two decimals)", l.id, lab)
		}
		assert.InDelta(t, total, cell(col("total")), 0.005, "%s: total", l.id)
		if l.mutation == "" {
			assert.Equal(t, row[col("total_max")], row[col("total")], "%s: the reference earns every point", l.id)
		}
	}
}
