package checks

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/labkit-dev/labkit/grader"
)

// downstreamGate keeps the checks that place orders (readers: their orders
// need the downstream services working) apart from the failure checks
// (writers, one at a time): accounting-down breaks a service on purpose, and
// poison-to-dlq reads how many messages a worker queue holds in flight, which
// other orders would move. Every check that places orders is a reader, lab
// 2's API checks too.
// The kinds' Run functions enter it through gated.
// Readers go first: a writer waits until no reader runs, and readers
// never wait for a writer that is only waiting, so the long failure checks
// do not eat the other checks' time.
//
// It is a readers-writer semaphore that waits on a channel, not by polling:
// entering returns as soon as the gate admits the check, or with the
// context's error when the check's time runs out first.
//
// With a limit, at most limit readers are admitted at once: the class-wide
// load gate (LoadGate) is such a gate that only readers enter.
type downstreamGate struct {
	mu      sync.Mutex
	limit   int // most readers at once; 0: no limit
	readers int
	writer  bool
	changed chan struct{} // closed (and replaced) whenever a check leaves
}

// waitForFailureChecks is what a check was doing when the gate's wait ended
// its time.
const waitForFailureChecks = "wait for lab 4's failure checks (accounting-down, poison-to-dlq) to finish"

// gated runs run inside the downstream gate: as a reader (a check that
// places orders) or, with write, alone (a failure check).
func gated(write bool, run func(context.Context, *grader.Env, grader.Params) grader.Outcome) func(context.Context, *grader.Env, grader.Params) grader.Outcome {
	wait := waitForFailureChecks
	if write {
		wait = "wait for the other order checks to finish"
	}
	return func(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
		leave, err := gate(env).enter(ctx, write)
		if err != nil {
			return undecided(wait, err)
		}
		defer leave()
		ctx, gatewayErr := watchGateway(ctx)
		o := run(ctx, env, p)
		if o.Status == grader.Fail && gatewayErr.Load() {
			o.Downstream = true // API Gateway answered on its own: a failed prerequisite may explain it
		}
		return o
	}
}

type gatewayKey struct{}

// watchGateway returns a context in which the order API notes when API
// Gateway answers with its own 500 or 502 (it could not invoke the
// function, or the function failed), and the note.
func watchGateway(ctx context.Context) (context.Context, *atomic.Bool) {
	b := new(atomic.Bool)
	return context.WithValue(ctx, gatewayKey{}, b), b
}

// noteGatewayError records in ctx that API Gateway answered on its own.
func noteGatewayError(ctx context.Context) {
	if b, ok := ctx.Value(gatewayKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

func gate(env *grader.Env) *downstreamGate {
	g, _ := grader.Fact(env, "gate/downstream", func() (*downstreamGate, error) { return &downstreamGate{}, nil })
	return g
}

// enter waits until the gate admits a reader (or the writer, when write),
// or ctx ends, and returns the function that leaves it.
func (g *downstreamGate) enter(ctx context.Context, write bool) (leave func(), err error) {
	for {
		admitted, changed := g.tryEnter(write)
		if admitted {
			return func() { g.leave(write) }, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryEnter admits the check if it may run now; otherwise it returns the
// channel closed when the next check leaves.
func (g *downstreamGate) tryEnter(write bool) (bool, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	switch {
	case g.writer, write && g.readers > 0, !write && g.limit > 0 && g.readers >= g.limit:
		return false, g.changed
	case write:
		g.writer = true
	default:
		g.readers++
	}
	return true, nil
}

func (g *downstreamGate) leave(write bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if write {
		g.writer = false
	} else {
		g.readers--
	}
	if g.changed != nil {
		close(g.changed)
	}
	g.changed = make(chan struct{})
}

// LoadGate bounds how many learners' load bursts run at once when a class
// is graded together: lab 5's spike sends a burst of orders through every
// function of the learner's account, and a hundred accounts' bursts at once
// on one local cloud start thousands of function processes. The gate
// covers the burst only (placing the orders), not the wait for them to
// complete, so a learner whose orders never complete does not hold a slot
// for the rest of the run.
type LoadGate struct{ g downstreamGate }

// NewLoadGate returns a gate admitting n bursts at once (n <= 0: 1).
func NewLoadGate(n int) *LoadGate { return &LoadGate{g: downstreamGate{limit: max(n, 1)}} }

type loadGateKey struct{}

// WithLoadGate returns a context whose load checks enter g: every learner
// graded with it shares g's slots.
func WithLoadGate(ctx context.Context, g *LoadGate) context.Context {
	return context.WithValue(ctx, loadGateKey{}, g)
}

// waitForLoadSlot is what a load check was doing when the load gate's wait
// ended its time.
const waitForLoadSlot = "wait for other learners' load bursts to finish (lab class grade --load-checks)"

// enterLoad enters the context's load gate, if it has one, and returns the
// function that leaves it.
func enterLoad(ctx context.Context) (leave func(), err error) {
	g, _ := ctx.Value(loadGateKey{}).(*LoadGate)
	if g == nil {
		return func() {}, nil
	}
	return g.g.enter(ctx, false)
}
