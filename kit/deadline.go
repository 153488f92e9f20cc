package kit

import (
	"context"
	"errors"
	"fmt"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Defaults for Kit.CallTimeout and Kit.SlowCall.
const (
	defaultCallTimeout = 60 * time.Second
	defaultSlowCall    = 5 * time.Second
)

// errCallTimeout marks an AWS call the kit gave up on.
var errCallTimeout = errors.New("no answer")

// callWatch is an SDK middleware that gives every AWS call of the kit a
// deadline and, while a call is slow, prints a progress line every slow
// interval, so a hang is never silent: a call that does not answer fails
// with an error naming the service and operation.
type callWatch struct {
	timeout, slow time.Duration
	logf          func(format string, args ...any)
}

func (callWatch) ID() string { return "labkitCallWatch" }

func (w callWatch) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	op := awsmiddleware.GetServiceID(ctx) + " " + awsmiddleware.GetOperationName(ctx)
	ctx, cancel := context.WithTimeoutCause(ctx, w.timeout, fmt.Errorf("%s: %w within %v", op, errCallTimeout, w.timeout))
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		start := time.Now()
		t := time.NewTicker(w.slow)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				w.logf("  ... still waiting for %s (%v of at most %v)", op, time.Since(start).Round(time.Second), w.timeout)
			}
		}
	}()
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil && errors.Is(context.Cause(ctx), errCallTimeout) {
		err = fmt.Errorf("%w (is the endpoint up and answering?)", context.Cause(ctx))
	}
	return out, md, err
}

// watchCalls adds a callWatch to every operation's stack.
func (k *Kit) watchCalls(stack *middleware.Stack) error {
	w := callWatch{timeout: k.CallTimeout, slow: k.SlowCall, logf: k.logf}
	if w.timeout <= 0 {
		w.timeout = defaultCallTimeout
	}
	if w.slow <= 0 {
		w.slow = defaultSlowCall
	}
	return stack.Initialize.Add(w, middleware.Before)
}
