package lambda

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// streamKey names a CloudWatch Logs stream of a function.
type streamKey struct{ account, region, group, stream string }

// logShipper appends functions' log lines to CloudWatch Logs off the invoke
// path: add only queues; one goroutine appends, in order, soon after.
type logShipper struct {
	app protocol.LogAppender
	log *slog.Logger

	mu      sync.Mutex
	pending map[streamKey][]protocol.LogEvent
	order   []streamKey
	n       int
	dropped int
	wake    chan struct{}

	flushMu sync.Mutex // one flush at a time keeps each stream in order
}

// maxPendingLogEvents bounds memory when CloudWatch Logs falls behind.
const maxPendingLogEvents = 200000

func newLogShipper(app protocol.LogAppender, log *slog.Logger) *logShipper {
	return &logShipper{app: app, log: log, pending: map[streamKey][]protocol.LogEvent{}, wake: make(chan struct{}, 1)}
}

// add queues one event of a function's stream.
func (l *logShipper) add(f *function, stream string, ev protocol.LogEvent) {
	if l.app == nil {
		return
	}
	k := streamKey{f.Account, f.Region, f.logGroup(), stream}
	l.mu.Lock()
	if l.n >= maxPendingLogEvents {
		l.dropped++
		l.mu.Unlock()
		return
	}
	if _, ok := l.pending[k]; !ok {
		l.order = append(l.order, k)
	}
	l.pending[k] = append(l.pending[k], ev)
	l.n++
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run appends queued events until closed.
func (l *logShipper) run(closed <-chan struct{}) {
	if l.app == nil {
		return
	}
	for {
		select {
		case <-closed:
			return
		case <-l.wake:
			// Let an invocation's END and REPORT join its lines in one batch.
			time.Sleep(2 * time.Millisecond)
			l.flush()
		}
	}
}

// flush appends everything queued so far.
func (l *logShipper) flush() {
	if l.app == nil {
		return
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	pending, order, dropped := l.pending, l.order, l.dropped
	l.pending, l.order, l.n, l.dropped = map[streamKey][]protocol.LogEvent{}, nil, 0, 0
	l.mu.Unlock()
	if dropped > 0 {
		l.log.Warn("lambda dropped log events: CloudWatch Logs fell behind", "dropped", dropped)
	}
	for _, k := range order {
		evs := pending[k]
		for len(evs) > 0 {
			n := min(len(evs), 10000)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := l.app.Append(ctx, k.account, k.region, k.group, k.stream, evs[:n])
			cancel()
			if err != nil {
				l.log.Error("lambda could not append function logs", "group", k.group, "stream", k.stream, "err", err)
			}
			evs = evs[n:]
		}
	}
}
