package lambda

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// pools keeps every execution environment: the idle ones per function,
// ready for reuse, and all of them for Close.
type pools struct {
	mu   sync.Mutex
	idle map[poolKey][]*env
	all  map[*env]struct{}
	max  int // most environments kept, busy and idle, before idle ones are stopped
	// leaving counts the environments add took out to stop that have not
	// stopped yet (still in all).
	leaving int
	closed  bool
}

func newPools(max int) *pools {
	return &pools{idle: map[poolKey][]*env{}, all: map[*env]struct{}{}, max: max}
}

// add registers a new environment; it fails once Close has begun. When
// that makes more than max environments, the least recently used idle ones
// (of any function and account) leave the pool to make room; add returns
// them for the caller to stop. Busy environments are never stopped, so the
// bound is soft: a burst that needs more environments than max at once
// still gets them, and they are the first stopped once idle.
func (p *pools) add(e *env) (evicted []*env, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, protocol.StatusErrorf(http.StatusServiceUnavailable, "ServiceException", "the Lambda service is shutting down")
	}
	p.all[e] = struct{}{}
	for p.max > 0 && len(p.all)-p.leaving > p.max {
		lru := p.leastRecentlyUsed()
		if lru == nil {
			break
		}
		lru.leaving = true
		p.leaving++
		evicted = append(evicted, lru)
	}
	return evicted, nil
}

// leastRecentlyUsed removes the idle environment unused for longest from
// the idle lists and returns it, or nil when none is idle. p.mu is held.
func (p *pools) leastRecentlyUsed() *env {
	var (
		oldest *env
		key    poolKey
		at     int
	)
	for k, list := range p.idle {
		// Each list is in the order environments came back: the
		// oldest first.
		if len(list) > 0 && (oldest == nil || list[0].lastUsed.Before(oldest.lastUsed)) {
			oldest, key, at = list[0], k, 0
		}
	}
	if oldest == nil {
		return nil
	}
	list := p.idle[key]
	if list = append(list[:at:at], list[at+1:]...); len(list) == 0 {
		delete(p.idle, key)
	} else {
		p.idle[key] = list
	}
	return oldest
}

// remove forgets an environment that has stopped.
func (p *pools) remove(e *env) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.all[e]; ok && e.leaving {
		p.leaving--
	}
	delete(p.all, e)
	k := e.fn.poolKey()
	list := p.idle[k]
	for i, x := range list {
		if x == e {
			p.idle[k] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(p.idle[k]) == 0 {
		delete(p.idle, k)
	}
}

// take returns the most recently used idle environment of f's current
// generation, or nil. Idle environments of older generations are stopped.
func (p *pools) take(f *function) *env {
	k := f.poolKey()
	var stale []*env
	var got *env
	p.mu.Lock()
	list := p.idle[k]
	for len(list) > 0 {
		e := list[len(list)-1]
		list = list[:len(list)-1]
		if e.fn.Generation != f.Generation || e.dead.Load() {
			stale = append(stale, e)
			continue
		}
		got = e
		break
	}
	if len(list) == 0 {
		delete(p.idle, k)
	} else {
		p.idle[k] = list
	}
	p.mu.Unlock()
	for _, e := range stale {
		go e.stop()
	}
	return got
}

// put returns an environment after an invocation; it is kept for reuse when
// it is healthy and still of its function's current generation.
func (p *pools) put(e *env, current *function) {
	p.mu.Lock()
	ok := !p.closed && !e.dead.Load() && current != nil && current.Generation == e.fn.Generation && current.Account == e.fn.Account
	if ok {
		e.lastUsed = time.Now()
		k := e.fn.poolKey()
		p.idle[k] = append(p.idle[k], e)
	}
	p.mu.Unlock()
	if !ok {
		go e.stop()
	}
}

// retire stops the idle environments of a function and its versions
// (after an update or a delete); busy ones are stopped when they come back.
func (p *pools) retire(k fnKey) {
	p.mu.Lock()
	var list []*env
	for pk, l := range p.idle {
		if pk.fnKey == k {
			list = append(list, l...)
			delete(p.idle, pk)
		}
	}
	p.mu.Unlock()
	for _, e := range list {
		go e.stop()
	}
}

// retireVersion stops the idle environments of a deleted version.
func (p *pools) retireVersion(f *function) {
	p.mu.Lock()
	list := p.idle[f.poolKey()]
	delete(p.idle, f.poolKey())
	p.mu.Unlock()
	for _, e := range list {
		go e.stop()
	}
}

// poolKey is what warm environments are kept by: a function's $LATEST and
// each of its versions run apart.
type poolKey struct {
	fnKey
	version string
}

func (f *function) poolKey() poolKey { return poolKey{f.key(), f.Version} }

// idleSince removes and returns the environments idle since before t.
func (p *pools) idleSince(t time.Time) []*env {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*env
	for k, list := range p.idle {
		keep := list[:0]
		for _, e := range list {
			if e.lastUsed.Before(t) {
				out = append(out, e)
			} else {
				keep = append(keep, e)
			}
		}
		if len(keep) == 0 {
			delete(p.idle, k)
		} else {
			p.idle[k] = keep
		}
	}
	return out
}

// closeAll stops every environment and refuses new ones.
func (p *pools) closeAll() {
	p.mu.Lock()
	p.closed = true
	all := make([]*env, 0, len(p.all))
	for e := range p.all {
		all = append(all, e)
	}
	p.idle = map[poolKey][]*env{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range all {
		wg.Add(1)
		go func() { defer wg.Done(); e.stop() }()
	}
	wg.Wait()
}

// usesDir reports whether an environment runs from dir.
func (p *pools) usesDir(dir string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for e := range p.all {
		if e.dir == dir || strings.HasPrefix(e.dir, dir+"/") {
			return true
		}
	}
	return false
}

// count returns how many environments a function has (for tests).
func (p *pools) count(k fnKey) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for e := range p.all {
		if e.fn.key() == k {
			n++
		}
	}
	return n
}

// reapIdle stops environments that have waited longer than IdleTimeout.
func (s *Service) reapIdle() {
	every := s.cfg.IdleTimeout / 4
	if every < 10*time.Millisecond {
		every = 10 * time.Millisecond
	}
	if every > 30*time.Second {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case now := <-t.C:
			for _, e := range s.envs.idleSince(now.Add(-s.cfg.IdleTimeout)) {
				e.stop()
			}
		}
	}
}

// acctKey is an account and region: the scope of concurrency limits.
type acctKey struct{ account, region string }

// limiter counts concurrent executions against reserved concurrency and the
// account's limit.
type limiter struct {
	mu          sync.Mutex
	limit       int
	reserved    map[fnKey]int
	reservedSum map[acctKey]int
	inflight    map[fnKey]int
	unreserved  map[acctKey]int
}

func newLimiter(limit int) *limiter {
	return &limiter{limit: limit, reserved: map[fnKey]int{}, reservedSum: map[acctKey]int{}, inflight: map[fnKey]int{}, unreserved: map[acctKey]int{}}
}

// setReserved records a function's reserved concurrency (nil: none).
func (l *limiter) setReserved(k fnKey, r *int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ak := acctKey{k.account, k.region}
	if old, ok := l.reserved[k]; ok {
		l.reservedSum[ak] -= old
		delete(l.reserved, k)
	}
	if r != nil {
		l.reserved[k] = *r
		l.reservedSum[ak] += *r
	}
}

// reserve sets a function's reserved concurrency to n unless that leaves
// the functions without a reservation less than a tenth of the account's
// concurrency (AWS keeps 100 of 1000).
func (l *limiter) reserve(k fnKey, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ak := acctKey{k.account, k.region}
	left := l.limit - l.reservedSum[ak]
	if old, ok := l.reserved[k]; ok {
		left += old
	}
	min := max(l.limit/10, 1)
	if left-n < min {
		return protocol.Errorf("InvalidParameterValueException", "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", min)
	}
	if old, ok := l.reserved[k]; ok {
		l.reservedSum[ak] -= old
	}
	l.reserved[k] = n
	l.reservedSum[ak] += n
	return nil
}

// unreservedLimit is the concurrency left for functions without a
// reservation.
func (l *limiter) unreservedLimit(ak acctKey) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit - l.reservedSum[ak]
}

// zeroReserved reports whether a function's reserved concurrency is 0:
// the function is throttled until the reservation changes.
func (l *limiter) zeroReserved(k fnKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.reserved[k]
	return ok && r == 0
}

// acquire takes one execution slot, or fails with TooManyRequestsException.
func (l *limiter) acquire(k fnKey) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.reserved[k]; ok {
		if l.inflight[k] >= r {
			return nil, &throttleError{reason: "ReservedFunctionConcurrentInvocationLimitExceeded", msg: "Rate Exceeded."}
		}
		l.inflight[k]++
		return func() {
			l.mu.Lock()
			l.inflight[k]--
			if l.inflight[k] <= 0 {
				delete(l.inflight, k)
			}
			l.mu.Unlock()
		}, nil
	}
	ak := acctKey{k.account, k.region}
	if l.unreserved[ak] >= l.limit-l.reservedSum[ak] {
		return nil, &throttleError{reason: "ConcurrentInvocationLimitExceeded", msg: "Rate Exceeded."}
	}
	l.unreserved[ak]++
	return func() {
		l.mu.Lock()
		l.unreserved[ak]--
		if l.unreserved[ak] <= 0 {
			delete(l.unreserved, ak)
		}
		l.mu.Unlock()
	}, nil
}
