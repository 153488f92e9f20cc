package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/kit/demo"
	"github.com/labkit-dev/labkit/kit/demo/demotest"
)

// waitFor polls the demo's frame until ok says yes, or fails the test.
func waitFor(t *testing.T, d *demo.Demo, what string, within time.Duration, ok func(demo.Frame) bool) demo.Frame {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		f := d.Frame()
		if ok(f) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last frame score %+v nodes %+v log %q", what, within, f.Score, f.Nodes, f.Log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestInventorySlowHoldsTheMonolithsCallers: with inventory slow, every
// monolith caller waits for it, while the decoupled design answers at the
// door and completes every order later; reset brings everything back to 0.
func TestInventorySlowHoldsTheMonolithsCallers(t *testing.T) {
	d := demotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	do := func(action string, args map[string]string) {
		t.Helper()
		msg, err := d.Do(ctx, action, args)
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		t.Log(msg)
	}
	do("inventory-slow", nil)
	if f := d.Frame(); !f.Switches.InventorySlow {
		t.Fatalf("the frame does not show inventory slow: %+v", f.Switches)
	}
	do("spike", map[string]string{"orders": "10", "rate": "10"})
	if _, err := d.Do(ctx, "spike", nil); err != demo.ErrBusy {
		t.Errorf("a second spike while one runs: got %v, want ErrBusy", err)
	}
	f := waitFor(t, d, "both designs complete every order", time.Minute, func(f demo.Frame) bool {
		return !d.Busy() && f.Score["decoupled"].Complete == 10 && f.Score["monolith"].Complete == 10
	})
	// The slowness is injected (2 s per inventory call): no monolith caller
	// can have waited less, whatever the machine's speed.
	if p50 := f.Score["monolith"].Latency.P50; p50 < 2000 {
		t.Errorf("monolith p50 = %.0f ms with inventory 2 s slow, want >= 2000", p50)
	}
	if got := f.Score["decoupled"].Inconsistent + f.Score["monolith"].Inconsistent; got != 0 {
		t.Errorf("a slow service left %d inconsistent orders, want 0", got)
	}
	if f.Nodes["invWorker"].Rate == 0 && f.Usage.LambdaRequests == 0 {
		t.Errorf("no Lambda work counted: %+v", f.Usage)
	}
	if f.Cost.USD <= 0 || f.Cost.OldRunUSD <= 0 {
		t.Errorf("the cost meter shows nothing: %+v", f.Cost)
	}
	do("reset", nil)
	f = d.Frame()
	if f.Switches.InventorySlow || f.Usage.APIRequests != 0 || len(f.Series) > 1 {
		t.Errorf("after reset: switches %+v, usage %+v, %d chart points", f.Switches, f.Usage, len(f.Series))
	}
	waitFor(t, d, "an empty scoreboard after reset", 10*time.Second, func(f demo.Frame) bool {
		return f.Score["decoupled"].Stored == 0 && f.Score["monolith"].Stored == 0
	})
}
