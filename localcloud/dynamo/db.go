package dynamo

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

var schema = []string{
	`CREATE TABLE IF NOT EXISTS tables (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, meta BLOB NOT NULL,
		PRIMARY KEY (account, region, name)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS items (
		tid TEXT NOT NULL, pk BLOB NOT NULL, sk BLOB NOT NULL, item BLOB NOT NULL,
		PRIMARY KEY (tid, pk, sk)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS streams (arn TEXT PRIMARY KEY, meta BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS stream_records (
		seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, created INTEGER NOT NULL, record BLOB NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS stream_records_stream ON stream_records (stream, seq)`,
	`CREATE INDEX IF NOT EXISTS stream_records_created ON stream_records (created)`,
}

func openDB(path string) (*sql.DB, error) {
	db, err := store.Open(path, schema...)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: %w", err)
	}
	return db, nil
}

// mutation is one change a write commits. Item changes and their stream
// records travel in the same mutation list, so one transaction holds both.
type mutation struct {
	kind mutKind
	tid  string
	pk   string
	sk   string
	data []byte // item JSON, record JSON, or meta JSON
	// stream record
	stream  string
	created int64
	// exec
	sql  string
	args []any
}

type mutKind uint8

const (
	mutPutItem mutKind = iota + 1
	mutDeleteItem
	mutRecord
	mutExec
)

// commitReq is one acknowledged-after-commit unit of work.
type commitReq struct {
	muts []mutation
	done chan error
}

// committer is the single SQLite writer. It batches the mutations of
// concurrent requests into one transaction (group commit); each request
// waits for its batch's commit. Requests are committed in the order they
// were submitted.
type committer struct {
	log  *slog.Logger
	conn *sql.Conn
	ch   chan *commitReq
	wg   sync.WaitGroup

	putItem, delItem, insRecord *sql.Stmt
	begin, commitStmt           *sql.Stmt

	// batches and reqs count commits and the requests they carried.
	batches, reqs atomic.Int64

	// closeMu orders submit against close: no send on a closed channel.
	closeMu sync.RWMutex
	closed  bool
}

var errClosed = protocol.StatusErrorf(503, "ServiceUnavailable", "the DynamoDB service is shutting down")

func newCommitter(db *sql.DB, log *slog.Logger) (*committer, error) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	// Checkpoints (which fsync) run in the background, not in a commit.
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint=0"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	c := &committer{log: log, conn: conn, ch: make(chan *commitReq, 1024)}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = conn.PrepareContext(ctx, q)
		return st
	}
	c.putItem = prep(`INSERT OR REPLACE INTO items (tid, pk, sk, item) VALUES (?, ?, ?, ?)`)
	c.delItem = prep(`DELETE FROM items WHERE tid = ? AND pk = ? AND sk = ?`)
	c.insRecord = prep(`INSERT INTO stream_records (stream, created, record) VALUES (?, ?, ?)`)
	c.begin = prep(`BEGIN IMMEDIATE`)
	c.commitStmt = prep(`COMMIT`)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// submit queues muts; the returned channel yields the commit's outcome.
// Callers submit while holding the lock that orders their writes. An empty
// list is a barrier: it completes once everything submitted before it has
// committed.
func (c *committer) submit(muts []mutation) chan error {
	r := &commitReq{muts: muts, done: make(chan error, 1)}
	c.closeMu.RLock()
	defer c.closeMu.RUnlock()
	if c.closed {
		r.done <- errClosed
		return r.done
	}
	c.ch <- r
	return r.done
}

// commit submits muts and waits for them to be durable.
func (c *committer) commit(muts []mutation) error {
	return <-c.submit(muts)
}

func (c *committer) close() {
	c.closeMu.Lock()
	if c.closed {
		c.closeMu.Unlock()
		return
	}
	c.closed = true
	close(c.ch)
	c.closeMu.Unlock()
	c.wg.Wait()
	c.putItem.Close()
	c.delItem.Close()
	c.insRecord.Close()
	c.begin.Close()
	c.commitStmt.Close()
	c.conn.Close()
}

const maxBatch = 512

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*commitReq, 0, maxBatch)
	for r := range c.ch {
		batch = append(batch[:0], r)
	drain:
		for len(batch) < maxBatch {
			select {
			case r, ok := <-c.ch:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.batches.Add(1)
		c.reqs.Add(int64(len(batch)))
		if empty(batch) {
			// Only barriers: everything submitted before them is committed.
			for _, r := range batch {
				r.done <- nil
			}
			continue
		}
		err := c.run(batch)
		if err != nil && len(batch) > 1 {
			// One request's failure must not fail the others: retry singly.
			for _, r := range batch {
				r.done <- c.run([]*commitReq{r})
			}
			continue
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

func empty(batch []*commitReq) bool {
	for _, r := range batch {
		if len(r.muts) > 0 {
			return false
		}
	}
	return true
}

func (c *committer) run(batch []*commitReq) (err error) {
	ctx := context.Background()
	if _, err := c.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			c.conn.ExecContext(ctx, "ROLLBACK")
			c.log.Error("dynamodb commit failed", "err", err)
		}
	}()
	for _, r := range batch {
		for i := range r.muts {
			m := &r.muts[i]
			switch m.kind {
			case mutPutItem:
				_, err = c.putItem.ExecContext(ctx, m.tid, []byte(m.pk), []byte(m.sk), m.data)
			case mutDeleteItem:
				_, err = c.delItem.ExecContext(ctx, m.tid, []byte(m.pk), []byte(m.sk))
			case mutRecord:
				_, err = c.insRecord.ExecContext(ctx, m.stream, m.created, m.data)
			case mutExec:
				_, err = c.conn.ExecContext(ctx, m.sql, m.args...)
			}
			if err != nil {
				return fmt.Errorf("apply: %w", err)
			}
		}
	}
	if _, err = c.commitStmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
