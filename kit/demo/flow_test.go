package demo

import (
	"context"
	"testing"
	"time"
)

// waitFor polls the demo's frame until ok says yes, or fails the test.
func waitFor(t *testing.T, d *Demo, what string, within time.Duration, ok func(Frame) bool) Frame {
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

func TestDemoSpikeWithAccountingDown(t *testing.T) {
	d := Started(t)
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
	do("accounting-down", nil)
	do("spike", map[string]string{"orders": "30", "rate": "30"})
	f := waitFor(t, d, "spike answered", time.Minute, func(f Frame) bool {
		return !d.Busy() && f.Score["monolith"].Accepted+f.Score["monolith"].Failed >= 30 && f.Score["decoupled"].Accepted >= 30
	})
	t.Logf("after the spike: %+v", f.Score)
	f = waitFor(t, d, "accounting messages dead-lettered", time.Minute, func(f Frame) bool { return f.Nodes["accDLQ"].Depth == 30 })
	if got := f.Score["monolith"].Inconsistent; got != 30 {
		t.Errorf("monolith inconsistent = %d, want 30 (stored and applied by inventory, never by accounting)", got)
	}
	do("accounting-up", nil)
	do("redrive", nil)
	f = waitFor(t, d, "decoupled consistent after recovery and redrive", time.Minute, func(f Frame) bool {
		return f.Score["decoupled"].Complete == 30 && f.Score["decoupled"].Inconsistent == 0
	})
	if got := f.Score["monolith"].Inconsistent; got != 30 {
		t.Errorf("monolith inconsistent after recovery = %d, want 30: nothing retries its failed calls", got)
	}
	t.Logf("final: %+v cost %+v", f.Score, f.Cost)
}
