package grader

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/internal/partition"
)

// DefaultTimeout bounds a check that declares no timeout of its own.
const DefaultTimeout = 30 * time.Second

// Run runs checks concurrently (at most concurrency at once; 0 means 8),
// starting each when the checks it needs have finished, and calls emit with
// each result as it finishes (emit may be nil; it is called from one
// goroutine at a time). A check whose needed check did not pass is skipped
// and names it. A check that panics or overruns its timeout is an Error, never
// a crash of the grader. Results come back in the order of checks, after the
// functions the checks registered with Env.Finally have run.
func Run(ctx context.Context, env *Env, checks []*Check, concurrency int, emit func(Result)) []Result {
	if concurrency <= 0 {
		concurrency = 8
	}
	if env.PollInterval == 0 {
		env.PollInterval = 100 * time.Millisecond
	}
	index := map[string]int{}
	for i, c := range checks {
		index[c.ID] = i
	}
	results := make([]Result, len(checks))
	done := make([]chan struct{}, len(checks))
	for i := range done {
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, concurrency)
	var emitMu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			var r Result
			if blocker := waitNeeds(ctx, c, index, done, results); blocker != nil {
				if blocker.Status == Error {
					r = complete(c, Errorf("could not be decided because %q (%s) could not be", blocker.CheckID, blocker.Title), 0)
				} else {
					r = complete(c, Skipf("needs %q (%s) to pass first", blocker.CheckID, blocker.Title), 0)
				}
			} else {
				waitFor(ctx, c.Suspects, index, done)
				select {
				case sem <- struct{}{}:
					r = runOne(ctx, env, c)
					<-sem
				case <-ctx.Done():
					r = complete(c, Errorf("grading was cancelled: %v", ctx.Err()), 0)
				}
				r = blameSuspect(r, c, index, done, results)
			}
			results[i] = r
			if emit != nil {
				emitMu.Lock()
				emit(r)
				emitMu.Unlock()
			}
		}()
	}
	wg.Wait()
	env.runFinally(ctx)
	return results
}

// waitNeeds waits for c's needed checks that are part of this run and returns
// the first that did not pass, or nil.
func waitNeeds(ctx context.Context, c *Check, index map[string]int, done []chan struct{}, results []Result) *Result {
	for _, n := range c.Needs {
		j, ok := index[n]
		if !ok {
			continue
		}
		select {
		case <-done[j]:
		case <-ctx.Done():
			return &Result{CheckID: n, Title: "cancelled"}
		}
		if results[j].Status != Pass {
			r := results[j]
			return &r
		}
	}
	return nil
}

// waitFor waits until the checks ids that are part of this run have
// finished, or ctx ends.
func waitFor(ctx context.Context, ids []string, index map[string]int, done []chan struct{}) {
	for _, n := range ids {
		if j, ok := index[n]; ok {
			select {
			case <-done[j]:
			case <-ctx.Done():
				return
			}
		}
	}
}

// blameSuspect puts the first failed suspect of c at the front of r's
// reason when r failed the way a broken prerequisite makes a check fail.
func blameSuspect(r Result, c *Check, index map[string]int, done []chan struct{}, results []Result) Result {
	if r.Status != Fail || !r.downstream {
		return r
	}
	for _, n := range c.Suspects {
		j, ok := index[n]
		if !ok {
			continue
		}
		select {
		case <-done[j]:
		default:
			continue // not finished (the run was cancelled): its result is not there to read
		}
		if results[j].Status == Fail {
			r.Reason = fmt.Sprintf("check %q (%s) failed, and that failure explains this one: fix it first. What this check saw: %s", n, results[j].Title, r.Reason)
			return r
		}
	}
	return r
}

func runOne(ctx context.Context, env *Env, c *Check) (r Result) {
	start := time.Now()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			if env.Log != nil {
				env.Log.Error("check panicked", "check", c.ID, "panic", p, "stack", string(debug.Stack()))
			}
			r = complete(c, Errorf("the grader failed while running this check (%v); this is a bug in the grader, not in your work", p), time.Since(start))
		}
	}()
	out := c.Kind.Run(cctx, env, env.expandParams(c.Params))
	if out.Status == "" {
		out = Errorf("the check returned no verdict")
	}
	if cctx.Err() != nil && out.Status != Pass && out.Status != Fail && errors.Is(cctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		out = Errorf("the check did not finish within %s", timeout)
	}
	r = complete(c, out, time.Since(start))
	r.Hints = env.partitionHints(r.Hints)
	return r
}

// partitionHints writes the ARNs of hints in the partition of the region
// the grader checks: manifests write "arn:aws:..." (the partition of most
// regions), which in cn-north-1 is "arn:aws-cn:..." and in us-gov-west-1
// "arn:aws-us-gov:...". The region is all it goes by, on AWS and on the
// local cloud alike.
func (e *Env) partitionHints(hints []string) []string {
	p := partition.Of(e.AWS.Region)
	if p == "aws" || len(hints) == 0 {
		return hints
	}
	out := make([]string, len(hints))
	for i, h := range hints {
		out[i] = strings.ReplaceAll(h, "arn:aws:", "arn:"+p+":")
	}
	return out
}

func complete(c *Check, o Outcome, d time.Duration) Result {
	r := Result{
		Lab: c.Lab, CheckID: c.ID, Title: c.Title, Step: c.Step, Status: o.Status,
		Max: c.Points, Reason: o.Reason, Evidence: o.Evidence, Parts: o.Parts, Duration: d,
		downstream: o.Downstream,
	}
	switch o.Status {
	case Pass:
		r.Points = c.Points
	case Fail:
		if n := len(o.Parts); n > 0 {
			passed := 0
			for _, p := range o.Parts {
				if p.Passed {
					passed++
				}
			}
			r.Points = c.Points * float64(passed) / float64(n)
		}
		r.Hints = c.Hints
	}
	return r
}

// String renders a result in one line, for logs and tests.
func (r Result) String() string {
	s := fmt.Sprintf("%s %s/%s", r.Status, r.Lab, r.CheckID)
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}
