package class

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/labkit-dev/labkit/grader"
	"github.com/labkit-dev/labkit/grader/checks"
	"github.com/labkit-dev/labkit/grader/target"
	"github.com/labkit-dev/labkit/internal/plural"
	"github.com/labkit-dev/labkit/labs"
)

// A learner's status in a run.
const (
	StatusGraded      = "graded"       // every check was decided
	StatusGraderError = "grader-error" // the grader could not decide some checks: never a zero
	StatusUnreachable = "unreachable"  // the account could not be reached: never a zero
)

// SubmissionGrader grades a `lab submit` archive for the given labs (in an
// isolated local cloud of its own) and returns the checks' results, or an
// error when the archive could not be graded at all.
type SubmissionGrader func(ctx context.Context, archivePath string, labs []string) ([]grader.Result, error)

// Config is how a class is graded. Checks is required; the rest has
// defaults.
type Config struct {
	// Checks are the checks of the graded labs, in lab order.
	Checks []*grader.Check
	// Concurrency is how many learners are graded at once (default 8).
	Concurrency int
	// CheckConcurrency is how many of one learner's checks run at once
	// (default 4).
	CheckConcurrency int
	// LoadChecks is how many learners' load bursts (lab 5's spike: a
	// burst of orders through every function of the account) run at once
	// across the whole run (default 4): a hundred accounts' bursts at once
	// on one local cloud would start thousands of function processes.
	LoadChecks int
	// Deadline bounds the grading of one learner (default
	// DefaultDeadline(Checks)).
	Deadline time.Duration
	// ProbeTimeout bounds the first call that proves an account is
	// reachable (default 20 s).
	ProbeTimeout time.Duration
	// Endpoint is the local cloud of roster rows with target local and no
	// endpoint of their own (default target.DefaultLocalEndpoint).
	Endpoint string
	// Submissions is the folder holding <id>.zip for target submission.
	Submissions string
	// GradeSubmission grades a submission archive; when nil, learners
	// reached by a submission are grader errors saying so.
	GradeSubmission SubmissionGrader
	// BeatEvery is how often a run beats in a History that keeps beats
	// (default RunBeat).
	BeatEvery time.Duration
	// OnCheck, when set, receives each check's result as it finishes
	// (called from many goroutines; the dashboard's live matrix).
	OnCheck func(learnerID string, r grader.Result)
	Log     *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// MinDeadline is the least time a learner is given by default.
const MinDeadline = 2 * time.Minute

// DefaultDeadline is the time one learner is given when the instructor
// names none: the longest of the checks' own timeouts plus a minute for
// the others and for reaching the account, and at least MinDeadline. A
// fixed two minutes made every learner's lab 5 a grader error once its
// alarm-fires check (timeout 35m: CloudWatch is minutes late on AWS)
// joined the week.
func DefaultDeadline(checks []*grader.Check) time.Duration {
	longest := time.Duration(0)
	for _, c := range checks {
		t := c.Timeout
		if t <= 0 {
			t = grader.DefaultTimeout
		}
		longest = max(longest, t)
	}
	return max(MinDeadline, longest+time.Minute)
}

func (c *Config) defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.CheckConcurrency <= 0 {
		c.CheckConcurrency = 4
	}
	if c.BeatEvery <= 0 {
		c.BeatEvery = RunBeat
	}
	if c.LoadChecks <= 0 {
		c.LoadChecks = 4
	}
	if c.Deadline <= 0 {
		c.Deadline = DefaultDeadline(c.Checks)
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 20 * time.Second
	}
	if c.Endpoint == "" {
		c.Endpoint = target.DefaultLocalEndpoint
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Labs returns the graded labs in order with their maximum points.
func (c *Config) Labs() []LabInfo {
	var out []LabInfo
	for _, ch := range c.Checks {
		if len(out) == 0 || out[len(out)-1].Lab != ch.Lab {
			out = append(out, LabInfo{Lab: ch.Lab})
		}
		out[len(out)-1].Max += ch.Points
	}
	return out
}

// LabInfo is one graded lab and its maximum points.
type LabInfo struct {
	Lab string  `json:"lab"`
	Max float64 `json:"max"`
}

// LabScore is a learner's points in one lab; Points is nil when a check of
// the lab could not be decided (or the learner was not graded).
type LabScore struct {
	Lab    string   `json:"lab"`
	Points *float64 `json:"points"`
	Max    float64  `json:"max"`
}

// LearnerResult is one learner's grade in a run.
type LearnerResult struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status"`
	// Message says why a learner was not graded (or what could not be
	// decided); empty when graded.
	Message  string          `json:"message,omitempty"`
	Labs     []LabScore      `json:"labs"`
	Points   *float64        `json:"points"`
	Max      float64         `json:"max"`
	GradedAt time.Time       `json:"gradedAt"`
	Elapsed  time.Duration   `json:"elapsedNs"`
	Results  []grader.Result `json:"results,omitempty"`
}

// Grade grades learners, cfg.Concurrency at a time, and returns their
// results in the learners' order; emit (may be nil) receives each as it
// finishes, from one goroutine at a time.
func Grade(ctx context.Context, cfg Config, learners []Learner, emit func(LearnerResult)) []LearnerResult {
	cfg.defaults()
	ctx = checks.WithLoadGate(ctx, checks.NewLoadGate(cfg.LoadChecks))
	out := make([]LearnerResult, len(learners))
	sem := make(chan struct{}, cfg.Concurrency)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, l := range learners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				out[i] = GradeLearner(ctx, cfg, l)
				<-sem
			case <-ctx.Done():
				out[i] = notGraded(cfg, l, StatusGraderError, "the run was cancelled before this learner was graded", 0)
			}
			if emit != nil {
				mu.Lock()
				emit(out[i])
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// GradeLearner grades one learner within cfg.Deadline: it reaches the
// account (or grades the submission), runs the checks and totals them. It
// never fails: what goes wrong is the result's status and message.
func GradeLearner(ctx context.Context, cfg Config, l Learner) LearnerResult {
	cfg.defaults()
	start := cfg.Now()
	ctx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()
	var results []grader.Result
	if l.Reach.Kind == ReachSubmission {
		rs, r, ok := gradeSubmission(ctx, cfg, l)
		if !ok {
			r.Elapsed = cfg.Now().Sub(start)
			return r
		}
		results = rs
		for _, res := range rs {
			if cfg.OnCheck != nil {
				cfg.OnCheck(l.ID, res)
			}
		}
	} else {
		awsCfg, client, closeIdle, err := reach(ctx, cfg, l)
		if err != nil {
			cfg.Log.InfoContext(ctx, "learner unreachable", "learner", l.ID, "err", err)
			return notGraded(cfg, l, StatusUnreachable, err.Error(), cfg.Now().Sub(start))
		}
		defer closeIdle()
		env := &grader.Env{AWS: awsCfg, Names: labs.Config{Names: l.Names}.ResolvedNames(), HTTP: client,
			RunID: fmt.Sprintf("%s-%d", l.ID, start.UnixNano()), Log: cfg.Log.With("learner", l.ID)}
		var emit func(grader.Result)
		if cfg.OnCheck != nil {
			emit = func(r grader.Result) { cfg.OnCheck(l.ID, r) }
		}
		results = grader.Run(ctx, env, cfg.Checks, cfg.CheckConcurrency, emit)
	}
	r := score(cfg, l, results)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Status != StatusGraded {
		r.Message = fmt.Sprintf("grading did not finish within the deadline (%s); %s", cfg.Deadline, r.Message)
	}
	r.GradedAt = cfg.Now()
	r.Elapsed = r.GradedAt.Sub(start)
	return r
}

func gradeSubmission(ctx context.Context, cfg Config, l Learner) ([]grader.Result, LearnerResult, bool) {
	if cfg.GradeSubmission == nil {
		return nil, notGraded(cfg, l, StatusGraderError, "this grader cannot grade submissions (no submission grader is configured)", 0), false
	}
	if cfg.Submissions == "" {
		return nil, notGraded(cfg, l, StatusGraderError, "no submissions folder given (--submissions DIR)", 0), false
	}
	path := filepath.Join(cfg.Submissions, l.ID+".zip")
	if _, err := os.Stat(path); err != nil {
		return nil, notGraded(cfg, l, StatusGraderError, fmt.Sprintf("no submission %s.zip in the submissions folder", l.ID), 0), false
	}
	var ids []string
	for _, li := range cfg.Labs() {
		ids = append(ids, li.Lab)
	}
	rs, err := cfg.GradeSubmission(ctx, path, ids)
	if err != nil {
		return nil, notGraded(cfg, l, StatusGraderError, "the submission could not be graded: "+err.Error(), 0), false
	}
	return rs, LearnerResult{}, true
}

// reach builds the learner's AWS configuration and proves it works with
// STS GetCallerIdentity (which assumes the role first, when there is one).
// Temporary credentials stay in the returned configuration's memory.
// closeIdle closes the idle connections of the learner's SDK and test
// traffic clients once the learner is graded: a class graded on one local
// cloud would otherwise keep each graded learner's keep-alive connections
// (two descriptors each, both ends in one process) for 90 seconds.
func reach(ctx context.Context, cfg Config, l Learner) (awsCfg aws.Config, client *http.Client, closeIdle func(), err error) {
	r := l.Reach
	spec := target.Spec{Kind: r.Kind, Account: r.Account, Profile: r.Profile, Region: r.Region, RoleARN: r.RoleARN, ExternalID: r.ExternalID}
	if r.Kind == ReachLocal {
		spec.Endpoint = r.Endpoint
		if spec.Endpoint == "" {
			spec.Endpoint = cfg.Endpoint
		}
	}
	awsCfg, err = target.Config(ctx, spec)
	if err != nil {
		return aws.Config{}, nil, nil, fmt.Errorf("reach %s: %w", spec.Name(), err)
	}
	closeSDK := func() {}
	if bc, ok := awsCfg.HTTPClient.(*awshttp.BuildableClient); ok {
		tr := bc.GetTransport() // the configuration's transport (TLS, proxy), ours to close
		awsCfg.HTTPClient = &http.Client{Transport: tr, Timeout: bc.GetTimeout()}
		closeSDK = tr.CloseIdleConnections
	}
	// Test traffic goes to public addresses, and to a private one only
	// when it is the endpoint the instructor chose (the roster's local
	// cloud, or a profile's endpoint_url), where that cloud serves the
	// learner's APIs: a learner's account cannot aim the grader at the
	// rest of the instructor's network.
	guard, err := grader.ForTarget(ctx, aws.ToString(awsCfg.BaseEndpoint), false)
	if err != nil {
		closeSDK()
		return aws.Config{}, nil, nil, fmt.Errorf("reach %s: %w", spec.Name(), err)
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.ProbeTimeout)
	defer cancel()
	id, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(pctx, &sts.GetCallerIdentityInput{})
	if err == nil && r.RoleARN != "" {
		if want := roleAccount(r.RoleARN); aws.ToString(id.Account) != want {
			err = fmt.Errorf("role %s acts in account %s, not %s", r.RoleARN, aws.ToString(id.Account), want)
		}
	} else if err != nil {
		how := spec.Name()
		if r.RoleARN != "" {
			how = "role " + r.RoleARN + " on the " + how
		}
		err = fmt.Errorf("cannot reach the account (%s): %w", how, err)
	}
	if err != nil {
		closeSDK()
		return aws.Config{}, nil, nil, err
	}
	client = guard.Client(30 * time.Second)
	return awsCfg, client, func() { closeSDK(); client.CloseIdleConnections() }, nil
}

func roleAccount(arn string) string {
	if m := rolePattern.FindStringSubmatch(arn); m != nil {
		return m[2]
	}
	return ""
}

func notGraded(cfg Config, l Learner, status, msg string, elapsed time.Duration) LearnerResult {
	r := LearnerResult{ID: l.ID, Name: l.Name, Status: status, Message: msg, GradedAt: cfg.Now(), Elapsed: elapsed}
	for _, li := range cfg.Labs() {
		r.Labs = append(r.Labs, LabScore{Lab: li.Lab, Max: li.Max})
		r.Max += li.Max
	}
	return r
}

// score totals results per lab. A lab with a check the grader could not
// decide has no points (not zero), and neither has the total.
func score(cfg Config, l Learner, results []grader.Result) LearnerResult {
	r := notGraded(cfg, l, StatusGraded, "", 0)
	r.Results = results
	byLab := map[string]int{}
	for i, ls := range r.Labs {
		byLab[ls.Lab] = i
		r.Labs[i].Points = new(float64)
	}
	errored := 0
	firstReason := ""
	for _, res := range results {
		i, ok := byLab[res.Lab]
		if !ok {
			continue
		}
		if res.Status == grader.Error {
			errored++
			if firstReason == "" {
				firstReason = res.Lab + "/" + res.CheckID + ": " + res.Reason
			}
			r.Labs[i].Points = nil
			continue
		}
		if r.Labs[i].Points != nil {
			*r.Labs[i].Points += res.Points
		}
	}
	if errored > 0 {
		r.Status = StatusGraderError
		r.Message = fmt.Sprintf("%s could not be decided (first: %s)", plural.Count(errored, "check", "checks"), firstReason)
		return r
	}
	total := 0.0
	for _, ls := range r.Labs {
		total += *ls.Points
	}
	r.Points = &total
	return r
}
