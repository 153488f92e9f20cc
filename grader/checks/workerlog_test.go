package checks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/grader"
)

// TestFanoutWhenAWorkerTimesOut is issue 16's defect at the scale of one
// learner. Graded 50 at once on one local cloud (2 cores), a reference
// worker's call to its downstream service ran past the worker's own 5 s
// client timeout (cold starts queued behind a class's); the worker reported
// the message as a batch item failure, so SQS delivers it again only once
// the queue's 60 s visibility timeout has passed, after lab 3's fan-out
// check had given up: "order ... did not reach every worker in time",
// although the order had reached both queues. Here the accounting service
// answers each call after 6 s (`lab fail accounting on --rate 0 --latency
// 6s`), which is what the loaded machine did to the worker. The fan-out
// check passes on the worker's log (it received the order, and says why it
// failed it); order-completes fails and its reason says what
// accounting-worker logged.
func TestFanoutWhenAWorkerTimesOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Lambda functions")
	}
	t.Parallel()
	ctx := context.Background()
	k, cfg := kitSolved(t, nil, "all")
	if err := k.Fail(ctx, "accounting", true, 0, 6*time.Second); err != nil {
		t.Fatalf("slow the accounting service down: %v", err)
	}
	list := only(t, "lab3/order-fans-out", "lab4/order-completes")
	for _, c := range list {
		c.Needs = nil
		c.Timeout = 20 * time.Second // well under the queue's visibility timeout (60 s): no second delivery
	}
	got := map[string]grader.Result{}
	for _, r := range gradeChecks(t, cfg, nil, list) {
		got[r.Lab+"/"+r.CheckID] = r
		t.Logf("%s/%s: %s: %s%s", r.Lab, r.CheckID, r.Status, r.Reason, strings.Join(r.Evidence, "; "))
	}
	if r := got["lab3/order-fans-out"]; r.Status != grader.Pass || !strings.Contains(strings.Join(r.Evidence, " "), "accounting-worker logged") {
		t.Errorf("lab3/order-fans-out: got %s (%s%v), want a pass on accounting-worker's log: the order reached its queue", r.Status, r.Reason, r.Evidence)
	}
	r := got["lab4/order-completes"]
	if r.Status != grader.Fail {
		t.Errorf("lab4/order-completes: got %s (%s), want fail: accounting never completes", r.Status, r.Reason)
	}
	for _, want := range []string{"accounting-worker logged", "call downstream service", "Timeout"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("lab4/order-completes: reason %q does not say %q", r.Reason, want)
		}
	}
}
