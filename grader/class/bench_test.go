package class_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/class"
	"github.com/labkit-dev/labkit/kit"
	"github.com/labkit-dev/labkit/labs"
	"github.com/labkit-dev/labkit/localcloud"
)

// BenchmarkGradeClass grades a class of learners who all deployed the
// reference of labs 1-2 (`lab solve lab2`: the table, the intake API with
// its authorizer: 23 checks, resource and functional), each in an account of
// their own on one local cloud, as `lab class grade --lab lab1,lab2` does:
// one op is the whole class. "one" grades a single learner, the baseline in
// the same run. Labs 4 and 5 are left out: their load and failure checks
// start many function environments per account (a hundred learners'
// lab-5 spikes in one process ran ~3,400 function processes and 13,000
// sockets, past 20,000 open files); lab 3's fan-out check peeks at queues
// with a 1 s visibility timeout, which a machine at load 35 overran
// (MessageNotInflight, a grader error). LABKIT_BENCH_LEARNERS sets the class
// size (default 100).
//
//	go test -run '^$' -bench GradeClass -benchtime 3x -timeout 30m ./grader/class/
func BenchmarkGradeClass(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("LABKIT_BENCH_LEARNERS")); err == nil && v > 0 {
		n = v
	}
	endpoint := benchCloud(b)
	var learners []class.Learner
	for i := range n {
		learners = append(learners, class.Learner{ID: fmt.Sprintf("l%03d", i), Reach: class.Reach{Kind: class.ReachLocal, Account: fmt.Sprintf("4000000%05d", i)}})
	}
	start := time.Now()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, l := range learners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			k := &kit.Kit{AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 5,
				Credentials: credentials.NewStaticCredentialsProvider(l.Reach.Account, "x", "")}, Root: "../.."}
			if err := k.Solve(context.Background(), "lab2"); err != nil {
				b.Errorf("solve %s: %v", l.ID, err)
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	b.Logf("deployed the reference in %d accounts in %s", n, time.Since(start).Round(time.Millisecond))
	checkList := labs1to2(b)
	run := func(b *testing.B, ls []class.Learner, concurrency int) {
		cfg := class.Config{Checks: checkList, Endpoint: endpoint, Concurrency: concurrency, Deadline: 5 * time.Minute}
		for _, r := range class.Grade(context.Background(), cfg, ls, nil) {
			if r.Status != class.StatusGraded || *r.Points != r.Max {
				b.Fatalf("%s: %s %v/%v %s", r.ID, r.Status, r.Points, r.Max, r.Message)
			}
		}
	}
	run(b, learners, 32) // warm: every learner's functions started once
	b.Run("one", func(b *testing.B) {
		for b.Loop() {
			run(b, learners[:1], 1)
		}
	})
	for _, c := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("class-%d/concurrency-%d", n, c), func(b *testing.B) {
			for b.Loop() {
				run(b, learners, c)
			}
			b.ReportMetric(float64(n), "learners/op")
		})
	}
}

func benchCloud(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	c, err := localcloud.New(localcloud.Config{DataDir: b.TempDir(), Endpoint: url})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Serve(ctx, ln); close(done) }()
	b.Cleanup(func() { cancel(); <-done; c.Close() })
	return url
}

func labs1to2(b *testing.B) []*grader.Check {
	cat, err := labs.LoadCatalog(labs.Content)
	if err != nil {
		b.Fatal(err)
	}
	var out []*grader.Check
	for _, l := range cat.Labs {
		m, err := grader.LoadManifest(labs.Content, l.ManifestPath(), checks.Library())
		if err != nil {
			continue // a knowledge check
		}
		if l.ID == "lab1" || l.ID == "lab2" {
			out = append(out, m.Checks...)
		}
	}
	return out
}
