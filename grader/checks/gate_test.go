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
