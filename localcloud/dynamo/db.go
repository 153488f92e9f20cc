package dynamo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

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
	// stream record; seq is assigned when the record is committed
	stream  string
	created int64
	seq     int64
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

// commitReq is one acknowledged-after-commit unit of work, or (sync) a
// request to wait until everything before it is in SQLite.
type commitReq struct {
	muts []mutation
	sync bool
	done chan error
}

// committer is the single writer. It batches the mutations of concurrent
// requests (group commit) and acknowledges each request once its batch is
// durable: item changes and stream records by one append to the journal
// (journal.go), anything else (table metadata) by an SQLite transaction.
// Journalled mutations are copied into SQLite many batches at a time: when
// enough are pending, when writes pause, before a direct transaction, and
// when a reader of SQLite asks (sync). Requests are committed in the order
// they were submitted.
type committer struct {
	log     *slog.Logger
	conn    *sql.Conn
	ch      chan *commitReq
	wg      sync.WaitGroup
	journal *os.File
	idle    time.Duration // see applyIdle

	putItem, delItem, insRecord *sql.Stmt
	begin, commitStmt           *sql.Stmt

	// owned by the loop goroutine
	jsize        int64      // bytes in the journal
	pending      []mutation // journalled, not yet in SQLite
	pendingBytes int
	seq          int64 // the last stream record sequence number handed out
	frame        []byte
	group        []*commitReq
	frameMuts    []*mutation

	// batches and reqs count commits and the requests they carried;
	// applies counts the SQLite transactions that copied the journal.
	batches, reqs, applies atomic.Int64

	// closeMu orders submit against close: no send on a closed channel.
	closeMu sync.RWMutex
	closed  bool
}

// When journalled mutations are copied into SQLite.
const (
	applyMuts  = 4096
	applyBytes = 8 << 20
	applyIdle  = 50 * time.Millisecond
)

var errClosed = protocol.StatusErrorf(503, "ServiceUnavailable", "the DynamoDB service is shutting down")

// newCommitter starts the writer over db, appending to the journal at
// journalPath. What the journal still holds (the process stopped before
// copying it) is copied into SQLite first, so the caller may load its state
// from db.
func newCommitter(db *sql.DB, journalPath string, idle time.Duration, log *slog.Logger) (*committer, error) {
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
	if idle <= 0 {
		idle = applyIdle
	}
	c := &committer{log: log, conn: conn, ch: make(chan *commitReq, 1024), idle: idle}
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = conn.PrepareContext(ctx, q)
		return st
	}
	c.putItem = prep(sqlPutItem)
	c.delItem = prep(sqlDeleteItem)
	c.insRecord = prep(sqlInsertRecord)
	c.begin = prep(`BEGIN IMMEDIATE`)
	c.commitStmt = prep(`COMMIT`)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if err := c.replay(ctx, journalPath); err != nil {
		c.journal.Close() // nil-safe
		conn.Close()
		return nil, err
	}
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// replay opens the journal, copies what it holds into SQLite and empties
// it, and sets the stream sequence to continue after the highest number
// ever handed out (also when the records holding it have been trimmed).
func (c *committer) replay(ctx context.Context, path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	c.journal = f
	muts, _, err := readJournal(f)
	if err != nil {
		return fmt.Errorf("read journal %s: %w", path, err)
	}
	c.pending = muts
	if err := c.apply(); err != nil {
		return fmt.Errorf("replay journal %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil { // also a torn tail after the last whole frame
		return fmt.Errorf("empty journal %s: %w", path, err)
	}
	c.jsize = 0
	var last, used sql.NullInt64
	c.conn.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'stream_records'`).Scan(&used)
	if err := c.conn.QueryRowContext(ctx, `SELECT MAX(seq) FROM stream_records`).Scan(&last); err != nil {
		return fmt.Errorf("read stream sequence: %w", err)
	}
	c.seq = max(last.Int64, used.Int64)
	return nil
}

// submit queues muts; the returned channel yields the commit's outcome.
// Callers submit while holding the lock that orders their writes. An empty
// list is a barrier: it completes once everything submitted before it has
// committed.
func (c *committer) submit(muts []mutation) chan error {
	return c.enqueue(&commitReq{muts: muts, done: make(chan error, 1)})
}

func (c *committer) enqueue(r *commitReq) chan error {
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

// sync waits until everything committed before it is in SQLite, for the
// readers that query SQLite (stream records).
func (c *committer) sync() error {
	return <-c.enqueue(&commitReq{sync: true, done: make(chan error, 1)})
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
	c.journal.Close()
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
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	batch := make([]*commitReq, 0, maxBatch)
	for {
		var r *commitReq
		var ok bool
		if len(c.pending) > 0 {
			idle.Reset(c.idle)
			select {
			case r, ok = <-c.ch:
				idle.Stop()
			case <-idle.C:
				c.applyLogged()
				continue
			}
		} else {
			r, ok = <-c.ch
		}
		if !ok {
			c.applyLogged()
			return
		}
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
		c.process(batch)
		if len(c.pending) >= applyMuts || c.pendingBytes >= applyBytes {
			c.applyLogged()
		}
	}
}

// process commits batch in order: runs of journalable requests by one
// journal append each; other requests (and syncs) after copying the
// journal into SQLite.
func (c *committer) process(batch []*commitReq) {
	group := c.group[:0]
	for _, r := range batch {
		if !r.sync && journalableAll(r.muts) {
			group = append(group, r)
			continue
		}
		c.journalGroup(group)
		group = group[:0]
		err := c.apply()
		if err == nil && !r.sync {
			err = c.run(r)
		}
		r.done <- err
	}
	c.journalGroup(group)
	clear(group)
	c.group = group[:0]
}

func journalableAll(muts []mutation) bool {
	for i := range muts {
		if !journalable(&muts[i]) {
			return false
		}
	}
	return true
}

// journalGroup appends the mutations of group to the journal as one frame
// and acknowledges the requests.
func (c *committer) journalGroup(group []*commitReq) {
	if len(group) == 0 {
		return
	}
	ms := c.frameMuts[:0]
	for _, r := range group {
		for i := range r.muts {
			m := &r.muts[i]
			if m.kind == mutRecord {
				c.seq++
				m.seq = c.seq
			}
			ms = append(ms, m)
		}
	}
	var err error
	if len(ms) > 0 {
		c.frame = appendFrame(c.frame[:0], ms)
		var n int
		n, err = c.journal.Write(c.frame)
		if err != nil {
			// Cut a partly written frame, or replay would stop at it and
			// miss the frames after it.
			if n > 0 {
				if terr := c.journal.Truncate(c.jsize); terr != nil {
					err = errors.Join(err, terr)
				}
			}
			c.log.Error("dynamodb journal write failed", "err", err)
			err = fmt.Errorf("write journal: %w", err)
		} else {
			c.jsize += int64(n)
			for _, m := range ms {
				c.pending = append(c.pending, *m)
				c.pendingBytes += len(m.data) + len(m.pk) + len(m.sk) + 64
			}
		}
	}
	clear(ms)
	c.frameMuts = ms[:0]
	if len(c.frame) > 1<<20 {
		c.frame = nil // do not keep a large buffer around
	}
	for _, r := range group {
		r.done <- err
	}
}

func (c *committer) applyLogged() {
	if err := c.apply(); err != nil {
		c.log.Error("dynamodb: copy the journal into the database", "err", err)
	}
}

// apply copies the pending journalled mutations into SQLite in one
// transaction and empties the journal.
func (c *committer) apply() error {
	if len(c.pending) == 0 {
		return nil
	}
	if err := c.tx(c.pending); err != nil {
		return err
	}
	c.applies.Add(1)
	clear(c.pending)
	c.pending = c.pending[:0]
	if cap(c.pending) > 4*applyMuts {
		c.pending = nil
	}
	c.pendingBytes = 0
	if err := c.journal.Truncate(0); err != nil {
		// Replaying what is already in SQLite changes nothing.
		c.log.Warn("dynamodb: empty the journal", "err", err)
		return nil
	}
	c.jsize = 0
	return nil
}

func (c *committer) exec(ctx context.Context, m *mutation) error {
	var err error
	switch m.kind {
	case mutPutItem:
		_, err = c.putItem.ExecContext(ctx, m.tid, []byte(m.pk), []byte(m.sk), m.data)
	case mutDeleteItem:
		_, err = c.delItem.ExecContext(ctx, m.tid, []byte(m.pk), []byte(m.sk))
	case mutRecord:
		if m.seq == 0 {
			c.seq++
			m.seq = c.seq
		}
		_, err = c.insRecord.ExecContext(ctx, m.seq, m.stream, m.created, m.data)
	case mutExec:
		_, err = c.conn.ExecContext(ctx, m.sql, m.args...)
	}
	return err
}

// run commits a request that cannot go through the journal in its own
// SQLite transaction.
func (c *committer) run(r *commitReq) error {
	err := c.tx(r.muts)
	if err != nil {
		c.log.Error("dynamodb commit failed", "err", err)
	}
	return err
}

// tx runs muts in one SQLite transaction, rolled back on failure.
func (c *committer) tx(muts []mutation) (err error) {
	ctx := context.Background()
	if _, err := c.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			c.conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	for i := range muts {
		if err := c.exec(ctx, &muts[i]); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
	}
	if _, err := c.commitStmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
