package apigw

import "sync"

// plan is a compiled configuration a stage serves: the live one of an
// auto-deployed stage or a deployment's snapshot.
type plan struct {
	routes       []planRoute
	def          *planRoute
	integrations map[string]*integration
	authorizers  map[string]*authorizer
}

type planRoute struct {
	key routeKey
	r   *route
}

func compile(routes map[string]*route, integrations map[string]*integration, authorizers map[string]*authorizer) *plan {
	p := &plan{integrations: integrations, authorizers: authorizers}
	for _, rt := range routes {
		k, err := parseRouteKey(rt.RouteKey)
		if err != nil {
			continue // validated on write; a stored key that no longer parses serves nothing
		}
		if k.isDefault {
			p.def = &planRoute{key: k, r: rt}
			continue
		}
		p.routes = append(p.routes, planRoute{key: k, r: rt})
	}
	return p
}

// match returns the most specific route for a request, with its path
// parameters, or nil.
func (p *plan) match(method string, segs []string) (*planRoute, map[string]string) {
	var best *planRoute
	var bestParams map[string]string
	for i := range p.routes {
		pr := &p.routes[i]
		if !pr.key.matchesMethod(method) {
			continue
		}
		params, ok := pr.key.match(segs)
		if !ok {
			continue
		}
		if best == nil || pr.key.moreSpecific(&best.key) {
			best, bestParams = pr, params
		}
	}
	if best == nil && p.def != nil {
		return p.def, nil
	}
	return best, bestParams
}

// livePlan returns the api's current configuration, compiled once per
// published version of the api.
func (a *api) livePlan() *plan {
	if p := a.live.Load(); p != nil {
		return p
	}
	p := compile(a.Routes, a.Integrations, a.Authorizers)
	a.live.Store(p)
	return p
}

func (d *deployment) getPlan() *plan {
	if p := d.plan.Load(); p != nil {
		return p
	}
	p := compile(d.snap.Routes, d.snap.Integrations, d.snap.Authorizers)
	d.plan.Store(p)
	return p
}

// planFor returns the configuration a stage serves, or nil when it serves
// nothing (no auto deploy and no deployment).
func (a *api) planFor(st *stage) *plan {
	if st.AutoDeploy {
		return a.livePlan()
	}
	if d := a.deployments[st.DeploymentId]; d != nil && d.snap != nil {
		return d.getPlan()
	}
	return nil
}

// Throttling: token buckets per api, stage and route.

// Account-level defaults that apply when a stage sets no limits.
const (
	defaultRateLimit  = 10000
	defaultBurstLimit = 5000
)

type throttler struct {
	mu      sync.Mutex
	buckets map[bucketKey]*bucket
}

type bucketKey struct{ api, stage, route string }

type bucket struct {
	rate, burst float64
	tokens      float64
	last        int64 // unix nanoseconds
}

func newThrottler() *throttler { return &throttler{buckets: map[bucketKey]*bucket{}} }

// allow takes a token from the bucket for k, creating or resetting it when
// the limits changed.
func (t *throttler) allow(k bucketKey, rate, burst float64, nowNanos int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[k]
	if b == nil || b.rate != rate || b.burst != burst {
		b = &bucket{rate: rate, burst: burst, tokens: burst, last: nowNanos}
		t.buckets[k] = b
	}
	if el := nowNanos - b.last; el > 0 {
		b.tokens = min(b.burst, b.tokens+rate*float64(el)/1e9)
		b.last = nowNanos
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func (t *throttler) forget(apiID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := range t.buckets {
		if k.api == apiID {
			delete(t.buckets, k)
		}
	}
}

// limits returns the rate and burst limits for a route of a stage: the
// route's own settings, else the stage's defaults, else the account's.
func limits(st *stage, routeKey string) (rate, burst float64) {
	rate, burst = defaultRateLimit, defaultBurstLimit
	if d := st.DefaultRouteSettings; d != nil {
		if d.ThrottlingRateLimit != nil {
			rate = *d.ThrottlingRateLimit
		}
		if d.ThrottlingBurstLimit != nil {
			burst = float64(*d.ThrottlingBurstLimit)
		}
	}
	if rs := st.RouteSettings[routeKey]; rs != nil {
		if rs.ThrottlingRateLimit != nil {
			rate = *rs.ThrottlingRateLimit
		}
		if rs.ThrottlingBurstLimit != nil {
			burst = float64(*rs.ThrottlingBurstLimit)
		}
	}
	return rate, burst
}
