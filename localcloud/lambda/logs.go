package lambda

import (
	"context"
	"fmt"
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
	quotas  map[streamKey]*logQuota // by function: the key's stream is ""

	flushMu sync.Mutex // one flush at a time keeps each stream in order
}

// maxPendingLogEvents bounds memory when CloudWatch Logs falls behind.
const maxPendingLogEvents = 200000

func newLogShipper(app protocol.LogAppender, log *slog.Logger) *logShipper {
	return &logShipper{app: app, log: log, pending: map[streamKey][]protocol.LogEvent{}, wake: make(chan struct{}, 1), quotas: map[streamKey]*logQuota{}}
}

// add queues one event of a function's stream: Lambda's own lines (START,
// END, REPORT), which no quota stops.
func (l *logShipper) add(f *function, stream string, ev protocol.LogEvent) {
	if l.app == nil {
		return
	}
	l.mu.Lock()
	l.queueLocked(streamKey{f.Account, f.Region, f.logGroup(), stream}, ev)
	l.mu.Unlock()
	l.wakeUp()
}

// Function output has a quota: a function printing without end grew
// logs.db by 259 MB in 10 s. AWS bounds what one PutLogEvents call takes
// (1,048,576 bytes, counting each event's message plus 26 bytes) and
// Lambda's log delivery drops output it cannot ship; the local cloud keeps
// logQuotaBytes a logQuotaWindow per function, drops the rest, counts what
// it dropped and writes one note line into the function's stream per
// window with drops.
const (
	logQuotaBytes  = 256 << 10
	logQuotaWindow = time.Second
	logEventBytes  = 26 // CloudWatch Logs' per-event overhead in batch sizes
)

// logQuota is one function's use of its quota in the current window.
type logQuota struct {
	window        time.Time
	bytes         int64
	droppedEvents int64
	droppedBytes  int64
	stream        streamKey // where the note goes: the last stream that overflowed
}

// addOutput queues a line the function wrote, within its log quota.
func (l *logShipper) addOutput(f *function, stream string, ev protocol.LogEvent) {
	if l.app == nil {
		return
	}
	k := streamKey{f.Account, f.Region, f.logGroup(), stream}
	fk := streamKey{f.Account, f.Region, k.group, ""}
	size := int64(len(ev.Message)) + logEventBytes
	l.mu.Lock()
	q := l.quotas[fk]
	if q == nil {
		q = &logQuota{window: ev.Time}
		l.quotas[fk] = q
	}
	if ev.Time.Sub(q.window) >= logQuotaWindow {
		l.noteDropsLocked(q, ev.Time)
		q.window, q.bytes = ev.Time, 0
	}
	if q.bytes+size > logQuotaBytes {
		q.droppedEvents++
		q.droppedBytes += size
		q.stream = k
		l.mu.Unlock()
		return
	}
	q.bytes += size
	l.queueLocked(k, ev)
	l.mu.Unlock()
	l.wakeUp()
}

// noteDropsLocked writes the note for q's drops, if any, and resets them.
func (l *logShipper) noteDropsLocked(q *logQuota, now time.Time) {
	if q.droppedEvents == 0 {
		return
	}
	msg := fmt.Sprintf("LABKIT_LOG_QUOTA dropped %d log events (%d bytes) this function wrote in %s: over the local cloud's quota of %d bytes a second per function",
		q.droppedEvents, q.droppedBytes, now.Sub(q.window).Round(time.Millisecond), logQuotaBytes)
	l.log.Warn("lambda dropped function output over its log quota", "group", q.stream.group, "events", q.droppedEvents, "bytes", q.droppedBytes)
	l.queueLocked(q.stream, protocol.LogEvent{Time: now, Message: msg})
	q.droppedEvents, q.droppedBytes = 0, 0
}

// sweep writes the notes of windows that ended and forgets idle functions.
func (l *logShipper) sweep(now time.Time) {
	noted := false
	l.mu.Lock()
	for fk, q := range l.quotas {
		if now.Sub(q.window) < logQuotaWindow {
			continue
		}
		if q.droppedEvents == 0 {
			delete(l.quotas, fk)
			continue
		}
		l.noteDropsLocked(q, now)
		q.window, q.bytes, noted = now, 0, true
	}
	l.mu.Unlock()
	if noted {
		l.wakeUp()
	}
}

// queueLocked queues ev for stream k; l.mu is held.
func (l *logShipper) queueLocked(k streamKey, ev protocol.LogEvent) {
	if l.n >= maxPendingLogEvents {
		l.dropped++
		return
	}
	if _, ok := l.pending[k]; !ok {
		l.order = append(l.order, k)
	}
	l.pending[k] = append(l.pending[k], ev)
	l.n++
}

func (l *logShipper) wakeUp() {
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
	tick := time.NewTicker(logQuotaWindow)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return
		case now := <-tick.C:
			l.sweep(now)
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
