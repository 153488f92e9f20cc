package monitoring

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

var schema = []string{
	// One row per datum a PutMetricData (or a service) published. vals holds
	// the raw values and their counts as JSON [[v,c],...] for percentiles.
	`CREATE TABLE IF NOT EXISTS points (
		account TEXT NOT NULL,
		region TEXT NOT NULL,
		namespace TEXT NOT NULL,
		name TEXT NOT NULL,
		dims TEXT NOT NULL,
		ts INTEGER NOT NULL,
		unit TEXT NOT NULL,
		res INTEGER NOT NULL,
		count REAL NOT NULL,
		sum REAL NOT NULL,
		min REAL NOT NULL,
		max REAL NOT NULL,
		vals TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS points_ts ON points(ts)`,
	// Alarms, dashboards and tags: kind is "alarm", "dashboard" or "tags".
	`CREATE TABLE IF NOT EXISTS resources (
		kind TEXT NOT NULL,
		account TEXT NOT NULL,
		region TEXT NOT NULL,
		name TEXT NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY(kind, account, region, name)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS history (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		account TEXT NOT NULL,
		region TEXT NOT NULL,
		alarm TEXT NOT NULL,
		ts INTEGER NOT NULL,
		data TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS history_alarm ON history(account, region, alarm)`,
}

// writeOp is one change, run in a transaction shared with others queued at
// the same time.
type writeOp func(tx *sql.Tx) error

type writeReq struct {
	op   writeOp
	done chan error
}

var errClosed = &protocol.Error{Code: "InternalServiceFault", QueryCode: "InternalServiceError", Status: 503, Receiver: true,
	Message: "the local CloudWatch service is shutting down"}

// writer commits queued changes in order, all that are waiting in one
// transaction (group commit): eight clients putting metric data share their
// commits instead of waiting for a sync each.
type writer struct {
	db   *sql.DB
	log  *slog.Logger
	ch   chan writeReq
	quit chan struct{}
	wg   sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

func newWriter(db *sql.DB, log *slog.Logger) *writer {
	w := &writer{db: db, log: log, ch: make(chan writeReq, 1024), quit: make(chan struct{})}
	w.wg.Add(1)
	go w.loop()
	return w
}

// write queues op and waits for its commit. It does not give up when the
// caller's context ends: a change made in memory is always committed before
// the request is answered.
func (w *writer) write(op writeOp) error {
	done := make(chan error, 1)
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errClosed
	}
	w.ch <- writeReq{op: op, done: done}
	w.mu.RUnlock()
	return <-done
}

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]writeReq, 0, 512)
	for {
		select {
		case r := <-w.ch:
			batch = append(batch[:0], r)
		case <-w.quit:
			for {
				select {
				case r := <-w.ch:
					w.commit([]writeReq{r})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case r := <-w.ch:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// commit runs the batch in one transaction; when it fails, each op is
// retried alone so one bad change does not fail the others.
func (w *writer) commit(batch []writeReq) {
	err := w.run(batch)
	if err == nil || len(batch) == 1 {
		if err != nil {
			w.log.Error("monitoring commit failed", "err", err)
		}
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	for _, r := range batch {
		e := w.run([]writeReq{r})
		if e != nil {
			w.log.Error("monitoring commit failed", "err", e)
		}
		r.done <- e
	}
}

func (w *writer) run(batch []writeReq) error {
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, r := range batch {
		if err := r.op(tx); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (w *writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.quit)
	w.wg.Wait()
}

// putResource stores a resource's JSON, or deletes it when data is nil.
func putResource(kind, account, region, name string, data []byte) writeOp {
	return func(tx *sql.Tx) error {
		var err error
		if data == nil {
			_, err = tx.Exec(`DELETE FROM resources WHERE kind=? AND account=? AND region=? AND name=?`, kind, account, region, name)
		} else {
			_, err = tx.Exec(`INSERT OR REPLACE INTO resources(kind, account, region, name, data) VALUES(?,?,?,?,?)`, kind, account, region, name, string(data))
		}
		if err != nil {
			return fmt.Errorf("store %s %s: %w", kind, name, err)
		}
		return nil
	}
}

// Retention is how long datapoints are kept: AWS keeps 1-minute data for 15
// days (and coarser rollups longer, which the local cloud does not keep).
const Retention = 15 * 24 * time.Hour

// historyRetention is how long alarm history is kept (AWS: 30 days).
const historyRetention = 30 * 24 * time.Hour

// prune deletes datapoints and history older than the retention.
func prune(now time.Time) writeOp {
	return func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM points WHERE ts < ?`, now.Add(-Retention).UnixMilli()); err != nil {
			return fmt.Errorf("prune points: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM history WHERE ts < ?`, now.Add(-historyRetention).UnixMilli()); err != nil {
			return fmt.Errorf("prune history: %w", err)
		}
		return nil
	}
}
