package class_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// reference (`lab solve all`: labs 1-5, 51 checks each, resource,
// functional, lab 4's failure checks and lab 5's spike), each in an account
// of their own on one local cloud in this process, as `lab class grade
// --lab all` does: one op is the whole class. "one" grades a single
// learner, the baseline in the same run. Each op also reports the peaks of
// this process's open files and of the function processes it started
// (Linux; sampled every 500 ms: every 50 ms, listing 5,500 open files was
// 12% of a class run's CPU).
//
// LABKIT_BENCH_LEARNERS sets the class size (default 100),
// LABKIT_BENCH_LABS the sets of labs graded, space-separated (default
// "all lab1,lab2": every lab, then labs 1-2's resource and API checks
// alone; each set grades accounts of its own, holding the reference of its
// labs and no more: `lab solve lab2` for labs 1-2),
// LABKIT_BENCH_CONCURRENCY the learners graded at once (default 8,16,32:
// one sub-benchmark each), LABKIT_BENCH_LOAD_CHECKS the spikes run at once
// across the class (default 4, as lab class grade), LABKIT_BENCH_CPUPROFILE
// a file prefix for a CPU profile of each class op, LABKIT_BENCH_WARM=0
// skips the warm-up grade of the class before the measured ones,
// LABKIT_BENCH_LOG a file for the cloud's own log (debug level; of the
// requests only those slower than 500 ms: every request would be hundreds
// of thousands of lines, whose writing loads the run).
//
//	go test -run '^$' -bench GradeClass -benchtime 1x -timeout 60m ./grader/class/
func BenchmarkGradeClass(b *testing.B) {
	n := envInt("LABKIT_BENCH_LEARNERS", 100)
	sets := strings.Fields(os.Getenv("LABKIT_BENCH_LABS"))
	if len(sets) == 0 {
		sets = []string{"all", "lab1,lab2"}
	}
	concurrencies := []int{8, 16, 32}
	if v := os.Getenv("LABKIT_BENCH_CONCURRENCY"); v != "" {
		concurrencies = nil
		for _, s := range strings.Split(v, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || c <= 0 {
				b.Fatalf("LABKIT_BENCH_CONCURRENCY=%q: want a comma-separated list of numbers", v)
			}
			concurrencies = append(concurrencies, c)
		}
	}
	loadChecks := envInt("LABKIT_BENCH_LOAD_CHECKS", 4)
	endpoint := benchCloud(b)
	deploy := func(b *testing.B, set int, solve string) []class.Learner {
		var learners []class.Learner
		for i := range n {
			learners = append(learners, class.Learner{ID: fmt.Sprintf("l%03d", i), Reach: class.Reach{Kind: class.ReachLocal, Account: fmt.Sprintf("4%02d000%06d", set, i)}})
		}
		start := time.Now()
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for _, l := range learners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				k := &kit.Kit{AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 5,
					Credentials: credentials.NewStaticCredentialsProvider(l.Reach.Account, "x", "")}, Root: "../.."}
				if err := k.Solve(context.Background(), solve); err != nil {
					b.Errorf("solve %s: %v", l.ID, err)
				}
			}()
		}
		wg.Wait()
		if b.Failed() {
			b.FailNow()
		}
		b.Logf("deployed `lab solve %s` in %d accounts in %s", solve, n, time.Since(start).Round(time.Millisecond))
		return learners
	}
	run := func(b *testing.B, checkList []*grader.Check, ls []class.Learner, concurrency int) {
		peaks := sampleLoad()
		if path := os.Getenv("LABKIT_BENCH_CPUPROFILE"); path != "" && len(ls) > 1 {
			f, err := os.Create(fmt.Sprintf("%s.%s.%d", path, strings.ReplaceAll(b.Name(), "/", "_"), concurrency))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
		cpu0 := cpuSeconds()
		cfg := class.Config{Checks: checkList, Endpoint: endpoint, Concurrency: concurrency, LoadChecks: loadChecks, Deadline: 10 * time.Minute}
		t0 := time.Now()
		notFull, errored, failed := 0, 0, 0
		slow := map[string]*checkTime{}
		for _, r := range class.Grade(context.Background(), cfg, ls, nil) {
			for _, res := range r.Results {
				k := res.Lab + "/" + res.CheckID
				if slow[k] == nil {
					slow[k] = &checkTime{check: k}
				}
				slow[k].add(res.Duration)
			}
			if r.Status == class.StatusGraded && *r.Points == r.Max {
				continue
			}
			notFull++
			points := "-"
			if r.Points != nil {
				points = strconv.FormatFloat(*r.Points, 'f', -1, 64)
			}
			b.Errorf("%s: %s %s/%v %s", r.ID, r.Status, points, r.Max, r.Message)
			for _, res := range r.Results {
				switch res.Status {
				case grader.Error:
					errored++
				case grader.Fail:
					failed++
				default:
					continue
				}
				b.Logf("  %s", res)
			}
		}
		fds, procs := peaks()
		wall := time.Since(t0)
		cpu := cpuSeconds() - cpu0
		b.Logf("%d learners at concurrency %d (load checks %d): %s wall, %.1f s CPU in this process (%.0f%% of 2 cores); %d not graded every point (%d checks the grader could not decide, %d failed); peak %d open files, %d function processes; load average %s",
			len(ls), concurrency, cfg.LoadChecks, wall.Round(time.Millisecond), cpu, 100*cpu/wall.Seconds()/2, notFull, errored, failed, fds, procs, loadAverage())
		b.Logf("slowest checks: %s", slowest(slow, 6))
		b.ReportMetric(cpu, "cpu-s/op")
		b.ReportMetric(float64(errored), "grader-errors")
		b.ReportMetric(float64(fds), "peak-fds")
		b.ReportMetric(float64(procs), "peak-procs")
	}
	for i, set := range sets {
		checkList := benchChecks(b, set)
		b.Run("labs-"+strings.ReplaceAll(set, ",", "+"), func(b *testing.B) {
			// Each set grades accounts of its own holding what its labs
			// need and no more: an account with every lab deployed does
			// more work per order (the stream, the fan-out, the workers).
			learners := deploy(b, i, benchSolve(set))
			if os.Getenv("LABKIT_BENCH_WARM") != "0" {
				run(b, checkList, learners, concurrencies[0]) // warm: every learner's functions started once
			}
			b.Run("one", func(b *testing.B) {
				for b.Loop() {
					run(b, checkList, learners[:1], 1)
				}
			})
			for _, c := range concurrencies {
				b.Run(fmt.Sprintf("class-%d/concurrency-%d", n, c), func(b *testing.B) {
					for b.Loop() {
						run(b, checkList, learners, c)
					}
					b.ReportMetric(float64(n), "learners/op")
				})
			}
		})
	}
}

// benchSolve is the lab whose reference (with every lab before it) a set
// of labs needs deployed: "all" for all or lab 5.
func benchSolve(set string) string {
	if set == "all" {
		return "all"
	}
	solve := "lab1"
	for _, id := range strings.Split(set, ",") {
		if id == "lab5" {
			return "all"
		}
		solve = max(solve, id)
	}
	return solve
}

// checkTime is one check's time across a class.
type checkTime struct {
	check    string
	n        int
	sum, max time.Duration
}

func (c *checkTime) add(d time.Duration) { c.n, c.sum, c.max = c.n+1, c.sum+d, max(c.max, d) }

// slowest describes the n checks that took longest on average.
func slowest(m map[string]*checkTime, n int) string {
	cs := slices.SortedFunc(maps.Values(m), func(a, b *checkTime) int { return cmp.Compare(b.sum, a.sum) })
	var parts []string
	for _, c := range cs[:min(n, len(cs))] {
		parts = append(parts, fmt.Sprintf("%s mean %s max %s", c.check, (c.sum/time.Duration(c.n)).Round(time.Millisecond), c.max.Round(time.Millisecond)))
	}
	return strings.Join(parts, "; ")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// sampleLoad samples this process's open files and child processes every
// 500 ms until the returned function is called, which returns their peaks
// (0 where /proc is missing).
func sampleLoad() func() (fds, procs int) {
	var peakFDs, peakProcs atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		if es, err := os.ReadDir("/proc/self/fd"); err == nil && int64(len(es)) > peakFDs.Load() {
			peakFDs.Store(int64(len(es)))
		}
		if p := int64(childProcesses()); p > peakProcs.Load() {
			peakProcs.Store(p)
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (int, int) {
		close(stop)
		<-done
		return int(peakFDs.Load()), int(peakProcs.Load())
	}
}

// cpuSeconds is this process's user and system CPU time so far (Linux;
// 0 elsewhere). The function processes' own CPU is not in it.
func cpuSeconds() float64 {
	st, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(st)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// loadAverage is the machine's 1-minute load average ("?" when unknown).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// childProcesses counts the processes whose parent is this one (a child
// is listed under the thread that started it).
func childProcesses() int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0
	}
	n := 0
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err == nil {
			n += len(strings.Fields(string(b)))
		}
	}
	return n
}

func benchCloud(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfg := localcloud.Config{DataDir: b.TempDir(), Endpoint: url}
	if path := os.Getenv("LABKIT_BENCH_LOG"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		cfg.Logger = slog.New(slowOnly{slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})})
	}
	c, err := localcloud.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Serve(ctx, ln); close(done) }()
	b.Cleanup(func() { cancel(); <-done; c.Close() })
	return url
}

// benchChecks returns the checks of the labs in which ("all" or a
// comma-separated list), in lab order.
func benchChecks(tb testing.TB, which string) []*grader.Check {
	cat, err := labs.LoadCatalog(labs.Content)
	if err != nil {
		tb.Fatal(err)
	}
	var out []*grader.Check
	for _, l := range cat.Labs {
		m, err := grader.LoadManifest(labs.Content, l.ManifestPath(), checks.Library())
		if err != nil {
			continue // a knowledge check
		}
		if which == "all" || strings.Contains(","+which+",", ","+l.ID+",") {
			out = append(out, m.Checks...)
		}
	}
	return out
}

// slowOnly passes a log's records but the requests faster than 500 ms.
type slowOnly struct{ slog.Handler }

func (h slowOnly) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request" {
		slow := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "dur" {
				if d, ok := a.Value.Any().(time.Duration); ok && d > 500*time.Millisecond {
					slow = true
				}
			}
			return true
		})
		if !slow {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h slowOnly) WithAttrs(as []slog.Attr) slog.Handler { return slowOnly{h.Handler.WithAttrs(as)} }
func (h slowOnly) WithGroup(n string) slog.Handler       { return slowOnly{h.Handler.WithGroup(n)} }
