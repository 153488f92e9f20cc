package checks

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDownstreamGate checks the gate's admissions: readers together, the
// writer alone, waiting on the gate's state (no polling) and ending with the
// context.
func TestDownstreamGate(t *testing.T) {
	t.Parallel()
	var g downstreamGate
	ctx := context.Background()
	blocked := func(write bool) error {
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		leave, err := g.enter(cctx, write)
		if err == nil {
			leave()
		}
		return err
	}

	leave1, err := g.enter(ctx, false)
	require.NoError(t, err)
	leave2, err := g.enter(ctx, false)
	require.NoError(t, err, "readers run together")
	require.ErrorIs(t, blocked(true), context.DeadlineExceeded, "the writer waits while readers run")

	admitted := make(chan func(), 1)
	go func() {
		leave, err := g.enter(ctx, true)
		if err == nil {
			admitted <- leave
		}
	}()
	leave1()
	select {
	case <-admitted:
		t.Fatal("the writer entered while a reader still ran")
	default:
	}
	leave2()
	var leaveW func()
	select {
	case leaveW = <-admitted:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer was not admitted once the last reader left")
	}
	require.ErrorIs(t, blocked(false), context.DeadlineExceeded, "a reader waits while the writer runs")
	require.ErrorIs(t, blocked(true), context.DeadlineExceeded, "a second writer waits")
	leaveW()
	leave3, err := g.enter(ctx, false)
	require.NoError(t, err, "readers run again once the writer left")
	leave3()
}

// TestLoadGate checks the class-wide load gate: at most its limit of
// bursts at once, the next admitted as soon as one leaves, a wait ended
// by the context, and no gate (no bound) for a context without one.
func TestLoadGate(t *testing.T) {
	t.Parallel()
	ctx := WithLoadGate(context.Background(), NewLoadGate(2))
	blocked := func() error {
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		leave, err := enterLoad(cctx)
		if err == nil {
			leave()
		}
		return err
	}
	leave1, err := enterLoad(ctx)
	require.NoError(t, err)
	leave2, err := enterLoad(ctx)
	require.NoError(t, err, "two bursts at once")
	require.ErrorIs(t, blocked(), context.DeadlineExceeded, "a third waits")

	admitted := make(chan func(), 1)
	go func() {
		leave, err := enterLoad(ctx)
		if err == nil {
			admitted <- leave
		}
	}()
	leave1()
	var leave3 func()
	select {
	case leave3 = <-admitted:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting burst was not admitted when one left")
	}
	require.ErrorIs(t, blocked(), context.DeadlineExceeded, "still two at once")
	leave2()
	leave3()

	var leaves []func()
	for range 10 {
		leave, err := enterLoad(context.Background())
		require.NoError(t, err, "a context without a load gate has no bound")
		leaves = append(leaves, leave)
	}
	for _, leave := range leaves {
		leave()
	}
}
