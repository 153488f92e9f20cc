package sns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// committer is SNS's one SQLite writer. Concurrent writes (publishes
// recording deliveries, subscription changes) queue up and are committed
// together in one transaction, each in its own savepoint so one failing
// write does not undo the others; deliveries done or rescheduled by the
// outbox ride along with the next commit. One writer means no request ever
// waits in SQLite's busy handler, which sleeps in steps of up to 100 ms.
//
// The writer keeps one connection with automatic checkpoints off: a
// checkpoint copies the WAL into the database file and syncs it, which
// measured 50-200 ms here and stalled every write queued behind it. A
// background loop checkpoints instead (PASSIVE, on another connection),
// which does not block the writer.
type committer struct {
	db   *sql.DB
	conn *sql.Conn
	log  *slog.Logger

	reqs chan *commitRequest
	kick chan struct{}

	mu      sync.Mutex
	deletes []int64
	retries []retryUpdate

	done    chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup
}

type commitRequest struct {
	fn  func(ctx context.Context, tx *sql.Tx) error
	err chan error
}

type retryUpdate struct {
	id       int64
	attempts int
	due      int64
}

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

var errClosed = errors.New("sns store is closed")

func newCommitter(db *sql.DB, log *slog.Logger) (*committer, error) {
	conn, err := db.Conn(context.Background())
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	if _, err := conn.ExecContext(context.Background(), `PRAGMA wal_autocheckpoint=0`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	c := &committer{db: db, conn: conn, log: log, reqs: make(chan *commitRequest, maxBatch), kick: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	c.wg.Add(2)
	go c.loop()
	go c.checkpoints()
	return c, nil
}

// checkpointEvery is how often the WAL is copied into the database file.
const checkpointEvery = time.Second

func (c *committer) checkpoints() {
	defer c.wg.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if _, err := c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				c.log.Warn("sns checkpoint", "err", err)
			}
		}
	}
}

// do runs fn in a transaction shared with other writers and returns once it
// is committed (or failed).
func (c *committer) do(fn func(ctx context.Context, tx *sql.Tx) error) error {
	r := &commitRequest{fn: fn, err: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-c.done:
		return errClosed
	}
	select {
	case err := <-r.err:
		return err
	case <-c.stopped:
		select {
		case err := <-r.err:
			return err
		default:
			return errClosed
		}
	}
}

// deleteJob removes a finished delivery with a coming commit.
func (c *committer) deleteJob(id int64) {
	c.mu.Lock()
	c.deletes = append(c.deletes, id)
	c.mu.Unlock()
	c.poke()
}

// rescheduleJob records a delivery's retry with a coming commit.
func (c *committer) rescheduleJob(id int64, attempts int, due int64) {
	c.mu.Lock()
	c.retries = append(c.retries, retryUpdate{id, attempts, due})
	c.mu.Unlock()
	c.poke()
}

func (c *committer) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close commits what is queued and stops the writer.
func (c *committer) close() {
	close(c.done)
	c.wg.Wait()
	c.conn.Close()
}

func (c *committer) loop() {
	defer c.wg.Done()
	defer close(c.stopped)
	for {
		var batch []*commitRequest
		select {
		case r := <-c.reqs:
			batch = append(batch, r)
		case <-c.kick:
		case <-c.done:
			// Answer writers still queued, then flush the outbox bookkeeping.
			for {
				select {
				case r := <-c.reqs:
					batch = append(batch, r)
					continue
				default:
				}
				break
			}
			c.commit(batch)
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.commit(batch)
	}
}

func (c *committer) commit(batch []*commitRequest) {
	c.mu.Lock()
	deletes, retries := c.deletes, c.retries
	c.deletes, c.retries = nil, nil
	c.mu.Unlock()
	if len(batch) == 0 && len(deletes) == 0 && len(retries) == 0 {
		return
	}
	ctx := context.Background()
	results := make([]error, len(batch))
	err := func() error {
		tx, err := c.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		for _, id := range deletes {
			if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, id); err != nil {
				tx.Rollback()
				return fmt.Errorf("remove delivered job: %w", err)
			}
		}
		for _, u := range retries {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = ?, due = ? WHERE id = ?`, u.attempts, u.due, u.id); err != nil {
				tx.Rollback()
				return fmt.Errorf("reschedule job: %w", err)
			}
		}
		for i, r := range batch {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
				tx.Rollback()
				return err
			}
			if results[i] = r.fn(ctx, tx); results[i] != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
					tx.Rollback()
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}()
	if err != nil {
		c.log.Error("sns commit failed", "writes", len(batch), "err", err)
		for i := range results {
			results[i] = err
		}
	}
	for i, r := range batch {
		r.err <- results[i]
	}
}
