package lambda

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// asyncEvent is a queued Event invocation.
type asyncEvent struct {
	id      string
	key     fnKey
	version string // the version invoked; "" is $LATEST
	// qualifier is the version or alias the caller named ("" for the
	// unqualified function or $LATEST): its event invoke config applies.
	qualifier string
	payload   []byte
	attempts  int // failed attempts so far
	nextAt    time.Time
	queued    time.Time // when the event was accepted, for its age
	source    string
	last      *attemptResult // the last failed attempt (not kept across restarts)
}

// asyncQueue runs Event invocations from a durable queue, retrying a failed
// one after each of Config.AsyncRetryDelays, as Lambda does (twice, after
// one and two minutes, by default).
type asyncQueue struct {
	s       *Service
	mu      sync.Mutex
	pending map[string]*asyncEvent
	running map[string]bool // ids of the events being processed
	wake    chan struct{}
	sem     chan struct{}
	workers sync.WaitGroup
}

// asyncWorkers bounds how many Event invocations run at once.
const asyncWorkers = 8

// throttleRetry is how soon a throttled Event invocation is tried again.
const throttleRetry = 200 * time.Millisecond

func newAsyncQueue(s *Service) *asyncQueue {
	return &asyncQueue{s: s, pending: map[string]*asyncEvent{}, running: map[string]bool{}, wake: make(chan struct{}, 1), sem: make(chan struct{}, asyncWorkers)}
}

// asyncColumns are the columns of async_events added after its first
// release, for databases created before them.
var asyncColumns = []string{`version TEXT NOT NULL DEFAULT ''`, `queued_at INTEGER NOT NULL DEFAULT 0`, `qualifier TEXT NOT NULL DEFAULT ''`}

// load reads the queued events left by a previous run.
func (q *asyncQueue) load() error {
	for _, col := range asyncColumns {
		_, err := q.s.db.Exec(`ALTER TABLE async_events ADD COLUMN ` + col)
		if err != nil && !strings.Contains(err.Error(), "duplicate column") {
			return fmt.Errorf("add a column to queued invocations: %w", err)
		}
	}
	rows, err := q.s.db.Query(`SELECT id, account, region, name, version, qualifier, payload, attempts, next_at, queued_at, source FROM async_events`)
	if err != nil {
		return fmt.Errorf("load queued invocations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		ev := &asyncEvent{}
		var next, queued int64
		if err := rows.Scan(&ev.id, &ev.key.account, &ev.key.region, &ev.key.name, &ev.version, &ev.qualifier, &ev.payload, &ev.attempts, &next, &queued, &ev.source); err != nil {
			return fmt.Errorf("load queued invocations: %w", err)
		}
		ev.nextAt, ev.queued = time.UnixMilli(next), time.UnixMilli(queued)
		if queued == 0 {
			ev.queued = time.Now() // queued before its time was kept
		}
		if ev.qualifier == "" {
			ev.qualifier = ev.version // queued before its qualifier was kept
		}
		q.pending[ev.id] = ev
	}
	return rows.Err()
}

// enqueue commits an Event invocation of f, which the caller named with
// qualifier (a version or alias; "" or $LATEST for the function); it runs
// soon after.
func (q *asyncQueue) enqueue(f *function, qualifier string, payload []byte, source string) error {
	now := time.Now()
	if qualifier == "$LATEST" {
		qualifier = ""
	}
	ev := &asyncEvent{id: protocol.NewRequestID(), key: f.key(), version: f.Version, qualifier: qualifier, payload: payload, nextAt: now, queued: now, source: source}
	_, err := q.s.db.Exec(`INSERT INTO async_events (id, account, region, name, version, qualifier, payload, attempts, next_at, queued_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
		ev.id, ev.key.account, ev.key.region, ev.key.name, ev.version, ev.qualifier, ev.payload, ev.nextAt.UnixMilli(), ev.queued.UnixMilli(), source)
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

// depth returns how many events wait or run (for tests).
func (q *asyncQueue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending) + len(q.running)
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
				q.running[id] = true
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
			q.workers.Add(1)
			go func() {
				defer q.workers.Done()
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
		delete(q.running, ev.id)
	}
	q.mu.Unlock()
	q.poke()
}

// wait waits for running events to finish.
func (q *asyncQueue) wait() { q.workers.Wait() }

// process runs one event and records what is left to do: a retry, or
// the event's invocation record for a destination and, when Lambda gives up
// on it, its dead-letter queue.
func (q *asyncQueue) process(ev *asyncEvent) {
	s := q.s
	f := s.current(ev.key)
	if f != nil {
		f, _ = s.resolve(f, ev.version)
	}
	if f == nil {
		q.delete(ev)
		return
	}
	if age := s.maxEventAge(ev); time.Since(ev.queued) > age {
		s.log.Warn("lambda event dropped: older than its maximum age", "function", f.Name, "requestId", ev.id, "maxAge", age, "attempts", ev.attempts)
		code, why := http.StatusOK, "Event age exceeded"
		if ev.last != nil {
			code = ev.last.statusCode
		}
		s.sendToDeadLetter(context.Background(), f, ev, code, why)
		s.sendToDestination(f, ev, condEventAgeExceeded, ev.attempts, ev.last)
		q.delete(ev)
		return
	}
	res, err := s.invokeFunction(f, ev.payload, invokeOpts{requestID: ev.id})
	out := &attemptResult{statusCode: http.StatusOK, executedVersion: f.ver()}
	var why string
	if err != nil {
		var te *throttleError
		switch {
		case s.isClosed():
			return // stays queued for the next run
		case errors.As(err, &te) && s.conc.zeroReserved(f.key()):
			// "When you set reserved concurrency to zero for an
			// asynchronously invoked function, Lambda begins sending new
			// events to the configured dead-letter queue or the on-failure
			// event destination, without any retries."
			s.log.Warn("lambda event dropped: the function's reserved concurrency is 0", "function", f.Name, "requestId", ev.id)
			s.sendToDeadLetter(context.Background(), f, ev, http.StatusTooManyRequests, te.msg)
			s.sendToDestination(f, ev, condZeroReserved, 0, nil)
			q.delete(ev)
			return
		case errors.As(err, &te):
			ev.nextAt = time.Now().Add(throttleRetry)
			q.requeue(ev)
			return
		}
		s.log.Error("lambda event invocation failed", "function", f.Name, "err", err)
		why = err.Error()
		out.statusCode, out.functionError = http.StatusInternalServerError, "Unhandled"
		out.payload, _ = json.Marshal(map[string]string{"errorMessage": why})
	} else {
		out.functionError, out.payload = res.functionError, res.payload
		if res.functionError == "" {
			s.sendToDestination(f, ev, condSuccess, ev.attempts+1, out)
			q.delete(ev)
			return
		}
		var fe struct{ ErrorMessage string }
		json.Unmarshal(res.payload, &fe)
		why = cmp.Or(fe.ErrorMessage, res.functionError)
	}
	ev.attempts++
	ev.last = out
	if ev.attempts > s.maxAsyncRetries(ev) {
		s.log.Warn("lambda event invocation dropped after retries", "function", f.Name, "requestId", ev.id, "attempts", ev.attempts)
		s.sendToDeadLetter(context.Background(), f, ev, out.statusCode, why)
		s.sendToDestination(f, ev, condRetriesExhausted, ev.attempts, out)
		q.delete(ev)
		return
	}
	ev.nextAt = time.Now().Add(s.cfg.AsyncRetryDelays[ev.attempts-1])
	if _, err := s.db.Exec(`UPDATE async_events SET attempts = ?, next_at = ? WHERE id = ?`, ev.attempts, ev.nextAt.UnixMilli(), ev.id); err != nil {
		s.log.Error("lambda could not record a retry", "function", f.Name, "err", err)
	}
	q.requeue(ev)
}

// delete forgets a finished event.
func (q *asyncQueue) delete(ev *asyncEvent) {
	q.mu.Lock()
	delete(q.running, ev.id)
	q.mu.Unlock()
	if _, err := q.s.db.Exec(`DELETE FROM async_events WHERE id = ?`, ev.id); err != nil {
		q.s.log.Error("lambda could not delete a finished event", "err", err)
	}
}
