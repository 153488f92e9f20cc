package lambda

import (
	"context"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
)

// dynamoWrites are the DynamoDB operations that can add stream records.
var dynamoWrites = map[string]bool{
	"PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true,
	"UpdateTable": true, "DeleteTable": true, // a stream turned off or deleted closes its shards
}

// streamWrite reports whether ev is a DynamoDB request that may have added
// stream records.
func streamWrite(ev activity.Event) bool {
	return ev.Kind == activity.KindRequest && ev.Service == "dynamodb" && ev.Status < 300 && dynamoWrites[ev.Name]
}

// streamWaker wakes idle stream pollers when DynamoDB has served a write,
// so a new record is delivered at once (or streamWakeGap after the shard's
// last empty read) instead of at the next poll; AWS polls 4 times a second,
// so there it takes up to 250 ms. It learns
// of writes from the cloud's activity bus, where the router reports every
// API request, and listens only while a stream poller runs. A missed wake
// (no bus, a full subscription buffer, a write that is no API request, such
// as a TTL deletion) only means the poller reads at its next interval.
type streamWaker struct {
	bus *activity.Bus

	mu      sync.Mutex
	pollers int
	stop    func()        // ends the subscription; nil while nobody polls
	next    chan struct{} // closed at the next write
}

// watch registers a running poller and returns the function that
// unregisters it.
func (w *streamWaker) watch() (unwatch func()) {
	if w.bus == nil {
		return func() {}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pollers++
	if w.pollers == 1 {
		events, stop := w.bus.Subscribe(1024)
		w.stop = stop
		go func() {
			for ev := range events {
				if streamWrite(ev) {
					w.wake()
				}
			}
		}()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.pollers--
			if w.pollers == 0 {
				w.stop()
				w.stop = nil
			}
		})
	}
}

// written returns a channel that is closed at the next write (or never,
// without a bus). Take it before reading a shard, so a write between the
// read and the wait still wakes the poller.
func (w *streamWaker) written() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next == nil {
		w.next = make(chan struct{})
	}
	return w.next
}

func (w *streamWaker) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next != nil {
		close(w.next)
		w.next = nil
	}
}

// sleepOrWake waits d, or until woken but at least least, or until ctx
// ends; it reports whether ctx is still live. The least wait keeps a shard
// that is written to all the time from being read (and its function
// invoked) once per record: without it the 1,000-order load run at 200/s
// (kit TestLoadLong) completed in 7.1 s instead of 6.6 s.
func sleepOrWake(ctx context.Context, d, least time.Duration, woken <-chan struct{}) bool {
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case <-woken:
	}
	if left := least - time.Since(start); left > 0 {
		return sleepCtx(ctx, left)
	}
	return true
}
