package lambda

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// asyncEvent is a queued Event invocation.
type asyncEvent struct {
	id       string
	key      fnKey
	payload  []byte
	attempts int // failed attempts so far
	nextAt   time.Time
	source   string
}

// asyncQueue runs Event invocations from a durable queue, retrying a failed
// one after each of Config.AsyncRetryDelays, as Lambda does (twice, after
// one and two minutes, by default).
type asyncQueue struct {
	s       *Service
	mu      sync.Mutex
	pending map[string]*asyncEvent
	wake    chan struct{}
	sem     chan struct{}
	running sync.WaitGroup
}

// asyncWorkers bounds how many Event invocations run at once.
const asyncWorkers = 8

// throttleRetry is how soon a throttled Event invocation is tried again.
const throttleRetry = 200 * time.Millisecond

func newAsyncQueue(s *Service) *asyncQueue {
	return &asyncQueue{s: s, pending: map[string]*asyncEvent{}, wake: make(chan struct{}, 1), sem: make(chan struct{}, asyncWorkers)}
}

// load reads the queued events left by a previous run.
func (q *asyncQueue) load() error {
	rows, err := q.s.db.Query(`SELECT id, account, region, name, payload, attempts, next_at, source FROM async_events`)
	if err != nil {
		return fmt.Errorf("load queued invocations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ev := &asyncEvent{}
		var next int64
		if err := rows.Scan(&ev.id, &ev.key.account, &ev.key.region, &ev.key.name, &ev.payload, &ev.attempts, &next, &ev.source); err != nil {
			return fmt.Errorf("load queued invocations: %w", err)
		}
		ev.nextAt = time.UnixMilli(next)
		q.pending[ev.id] = ev
	}
	return rows.Err()
}

// enqueue commits an Event invocation; it runs soon after.
func (q *asyncQueue) enqueue(f *function, payload []byte, source string) error {
	ev := &asyncEvent{id: protocol.NewRequestID(), key: f.key(), payload: payload, nextAt: time.Now(), source: source}
	_, err := q.s.db.Exec(`INSERT INTO async_events (id, account, region, name, payload, attempts, next_at, source) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
		ev.id, ev.key.account, ev.key.region, ev.key.name, ev.payload, ev.nextAt.UnixMilli(), source)
	if err != nil {
		return fmt.Errorf("queue invocation of %s: %w", f.Name, err)
	}
	q.mu.Lock()
	q.pending[ev.id] = ev
	q.mu.Unlock()
	q.poke()
	return nil
}

func (q *asyncQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// forget drops the queued events of a deleted function (its rows are
// deleted with it).
func (q *asyncQueue) forget(k fnKey) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for id, ev := range q.pending {
		if ev.key == k {
			delete(q.pending, id)
		}
	}
}

// depth returns how many events wait (for tests).
func (q *asyncQueue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

// run dispatches due events until the service closes.
func (q *asyncQueue) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		var due []*asyncEvent
		next := now.Add(time.Hour)
		q.mu.Lock()
		for id, ev := range q.pending {
			if !ev.nextAt.After(now) {
				due = append(due, ev)
				delete(q.pending, id)
			} else if ev.nextAt.Before(next) {
				next = ev.nextAt
			}
		}
		q.mu.Unlock()
		for i, ev := range due {
			select {
			case q.sem <- struct{}{}:
			case <-q.s.closed:
				q.requeue(due[i:]...)
				return
			}
			q.running.Add(1)
			go func() {
				defer q.running.Done()
				defer func() { <-q.sem }()
				q.process(ev)
			}()
		}
		if len(due) > 0 {
			continue // more may have become due meanwhile
		}
		timer.Reset(time.Until(next))
		select {
		case <-q.s.closed:
			return
		case <-q.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

func (q *asyncQueue) requeue(evs ...*asyncEvent) {
	q.mu.Lock()
	for _, ev := range evs {
		q.pending[ev.id] = ev
	}
	q.mu.Unlock()
	q.poke()
}

// wait waits for running events to finish.
func (q *asyncQueue) wait() { q.running.Wait() }

// process runs one event and records what is left to do.
func (q *asyncQueue) process(ev *asyncEvent) {
	s := q.s
	f := s.current(ev.key)
	if f == nil {
		q.delete(ev)
		return
	}
	res, err := s.invokeFunction(f, ev.payload, invokeOpts{requestID: ev.id})
	code, why := http.StatusOK, ""
	if err != nil {
		var te *throttleError
		switch {
		case s.isClosed():
			return // stays queued for the next run
		case errors.As(err, &te):
			ev.nextAt = time.Now().Add(throttleRetry)
			q.requeue(ev)
			return
		}
		s.log.Error("lambda event invocation failed", "function", f.Name, "err", err)
		code, why = http.StatusInternalServerError, err.Error()
	} else if res.functionError == "" {
		q.delete(ev)
		return
	} else {
		var fe struct{ ErrorMessage string }
		json.Unmarshal(res.payload, &fe)
		why = cmp.Or(fe.ErrorMessage, res.functionError)
	}
	ev.attempts++
	if ev.attempts > s.maxAsyncRetries(f) {
		s.log.Warn("lambda event invocation dropped after retries", "function", f.Name, "requestId", ev.id, "attempts", ev.attempts)
		s.sendToDeadLetter(context.Background(), f, ev, code, why)
		q.delete(ev)
		return
	}
	ev.nextAt = time.Now().Add(s.cfg.AsyncRetryDelays[ev.attempts-1])
	if _, err := s.db.Exec(`UPDATE async_events SET attempts = ?, next_at = ? WHERE id = ?`, ev.attempts, ev.nextAt.UnixMilli(), ev.id); err != nil {
		s.log.Error("lambda could not record a retry", "function", f.Name, "err", err)
	}
	q.requeue(ev)
}

func (q *asyncQueue) delete(ev *asyncEvent) {
	if _, err := q.s.db.Exec(`DELETE FROM async_events WHERE id = ?`, ev.id); err != nil {
		q.s.log.Error("lambda could not delete a finished event", "err", err)
	}
}
