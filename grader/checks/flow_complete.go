package checks

import (
	"context"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/grader"
)

// waitStatuses waits until the order's statuses are set (to DONE when
// done) and returns the last values seen.
func (a *orderAPI) waitStatuses(ctx context.Context, id string, attrs []string, done bool) (map[string]string, error) {
	last := map[string]string{}
	err := poll(ctx, a.env, func() (bool, error) {
		it, err := a.item(ctx, id)
		if err != nil {
			return false, err
		}
		ok := true
		for _, at := range attrs {
			v := attrS(it, at)
			last[at] = v
			if v == "" || (done && v != statusDone) {
				ok = false
			}
		}
		return ok, nil
	})
	if timedOut(err) {
		err = nil
	}
	return last, err
}

func statusText(m map[string]string) string {
	var parts []string
	for _, k := range []string{inventoryStatus, accountingStatus} {
		if v, ok := m[k]; ok {
			if v == "" {
				v = "(not set)"
			}
			parts = append(parts, k+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func runComplete(ctx context.Context, env *grader.Env, p grader.Params) grader.Outcome {
	a, bad := newOrderAPI(ctx, env, p)
	if bad != nil {
		return *bad
	}
	placed := time.Now()
	id, bad := a.placeOrFail(ctx, a.customer("complete"))
	if bad != nil {
		return *bad
	}
	defer func() { a.remove(id) }()
	wctx, cancel := within(ctx, time.Hour, logReserve)
	st, err := a.waitStatuses(wctx, id, []string{inventoryStatus, accountingStatus}, true)
	cancel()
	if err != nil {
		return undecided("follow order "+id, err)
	}
	if st[inventoryStatus] != statusDone || st[accountingStatus] != statusDone {
		return grader.Failf("order %s did not complete in time: %s, want both DONE. If a worker is still the starter, %s.%s",
			id, statusText(st), todoWorkers, lastWorkerLogs(ctx, a.env, id, placed, st, true))
	}
	return grader.Passf("order %s completed: %s", id, statusText(st))
}
