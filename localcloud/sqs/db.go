package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

var schema = []string{
	`CREATE TABLE IF NOT EXISTS queues (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		account TEXT NOT NULL,
		region TEXT NOT NULL,
		name TEXT NOT NULL,
		attrs TEXT NOT NULL,
		tags TEXT NOT NULL,
		created INTEGER NOT NULL,
		modified INTEGER NOT NULL,
		next_seq INTEGER NOT NULL DEFAULT 1,
		purged INTEGER NOT NULL DEFAULT 0,
		UNIQUE(account, region, name))`,
	`CREATE TABLE IF NOT EXISTS messages (
		queue_id INTEGER NOT NULL,
		seq INTEGER NOT NULL,
		id TEXT NOT NULL,
		body TEXT NOT NULL,
		data TEXT NOT NULL,
		sent INTEGER NOT NULL,
		visible_at INTEGER NOT NULL,
		receive_count INTEGER NOT NULL,
		first_receive INTEGER NOT NULL,
		PRIMARY KEY(queue_id, seq)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS dedup (
		queue_id INTEGER NOT NULL,
		key TEXT NOT NULL,
		message_id TEXT NOT NULL,
		seq INTEGER NOT NULL,
		expires INTEGER NOT NULL,
		PRIMARY KEY(queue_id, key)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS move_tasks (
		id TEXT PRIMARY KEY,
		account TEXT NOT NULL,
		region TEXT NOT NULL,
		data TEXT NOT NULL)`,
}

// writeOp is one change to the database, run inside a transaction shared
// with other concurrent changes.
type writeOp func(tx *wtx) error

// wtx is the writer's transaction: Exec runs statements prepared once and
// reused for every commit.
type wtx struct {
	*sql.Tx
	w *writer
}

// Exec runs query with args through the writer's cached prepared statement.
func (tx *wtx) Exec(query string, args ...any) (sql.Result, error) {
	st := tx.w.stmts[query]
	if st == nil {
		var err error
		if st, err = tx.w.db.Prepare(query); err != nil {
			return nil, err
		}
		tx.w.stmts[query] = st
	}
	return tx.Tx.Stmt(st).Exec(args...)
}

type writeReq struct {
	op   writeOp
	done chan error
}

// writer commits changes in order, batching whatever is queued at the time
// into one transaction: concurrent senders share a commit. It writes through
// one dedicated connection with automatic checkpoints off; a background
// loop checkpoints the WAL through another connection, so the disk syncs a
// checkpoint needs never stall the writers.
type writer struct {
	db   *sql.DB
	conn *sql.Conn
	log  *slog.Logger
	ch   chan writeReq
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	stmts map[string]*sql.Stmt // used by the loop goroutine only

	mu     sync.RWMutex // held to enqueue; closed is set under it
	closed bool
}

// errClosed answers requests that arrive while the service shuts down.
var errClosed = &protocol.Error{Code: "ServiceUnavailable", QueryCode: "ServiceUnavailable", Message: "the local SQS service is shutting down", Status: 503, Receiver: true}

func newWriter(db *sql.DB, log *slog.Logger) (*writer, error) {
	conn, err := db.Conn(context.Background())
	if err != nil {
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	if _, err := conn.ExecContext(context.Background(), `PRAGMA wal_autocheckpoint=0`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("writer connection: %w", err)
	}
	w := &writer{db: db, conn: conn, log: log, ch: make(chan writeReq, 1024), quit: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	w.wg.Add(2)
	go w.loop()
	go w.checkpoints()
	return w, nil
}

// checkpoints copies the WAL back into the database every half second.
func (w *writer) checkpoints() {
	defer w.wg.Done()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
			if _, err := w.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				w.log.Warn("sqs checkpoint", "err", err)
			}
		}
	}
}

// enqueue schedules op; the returned channel yields its commit result. Ops
// run in the order they were enqueued, so callers enqueue while holding the
// lock that ordered the in-memory change.
func (w *writer) enqueue(op writeOp) <-chan error {
	done := make(chan error, 1)
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		done <- errClosed
		return done
	}
	w.ch <- writeReq{op: op, done: done}
	return done
}

// wait waits for a queued commit. It deliberately ignores ctx: a change
// that was made in memory is always committed before its request is
// answered, even when the caller has gone (commits are short).
func wait(_ context.Context, done <-chan error) error {
	return <-done
}

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]writeReq, 0, 256)
	for {
		var first writeReq
		select {
		case first = <-w.ch:
		case <-w.quit:
			// Drain what is queued so acknowledged work is not lost.
			for {
				select {
				case r := <-w.ch:
					batch = append(batch[:0], r)
					w.commit(batch)
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
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

func (w *writer) commit(batch []writeReq) {
	err := w.run(batch)
	if err != nil {
		w.log.Error("sqs commit failed", "ops", len(batch), "err", err)
	}
	for _, r := range batch {
		r.done <- err
	}
}

func (w *writer) run(batch []writeReq) error {
	tx, err := w.conn.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &wtx{Tx: tx, w: w}
	for _, r := range batch {
		if err := r.op(t); err != nil {
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
	w.once.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		close(w.quit)
		w.wg.Wait()
		for _, st := range w.stmts {
			st.Close()
		}
		w.conn.Close()
	})
}

// msgData is the part of a stored message kept as JSON.
type msgData struct {
	Attrs     map[string]MessageAttributeValue `json:"a,omitempty"`
	SysAttrs  map[string]MessageAttributeValue `json:"s,omitempty"`
	SenderID  string                           `json:"sid,omitempty"`
	GroupID   string                           `json:"g,omitempty"`
	DedupID   string                           `json:"d,omitempty"`
	SourceArn string                           `json:"src,omitempty"`
}

func insertMessage(queueID int64, m *message) writeOp {
	d := msgData{Attrs: m.attrs, SysAttrs: m.sysAttrs, SenderID: m.senderID, GroupID: m.groupID, DedupID: m.dedupID, SourceArn: m.dlqSource}
	data, _ := json.Marshal(d)
	seq, id, body, sent, vis, rc, fr := m.seq, m.id, m.body, m.sent, m.visibleAt, m.receiveCount, m.firstReceive
	return func(tx *wtx) error {
		_, err := tx.Exec(`INSERT OR REPLACE INTO messages(queue_id, seq, id, body, data, sent, visible_at, receive_count, first_receive) VALUES(?,?,?,?,?,?,?,?,?)`,
			queueID, seq, id, body, string(data), sent, vis, rc, fr)
		if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		return nil
	}
}

// updateReceive stores what a receive or visibility change changed.
func updateReceive(queueID int64, ms []*message) writeOp {
	type row struct {
		seq, vis, fr int64
		rc           int
	}
	rows := make([]row, len(ms))
	for i, m := range ms {
		rows[i] = row{m.seq, m.visibleAt, m.firstReceive, m.receiveCount}
	}
	return func(tx *wtx) error {
		for _, r := range rows {
			if _, err := tx.Exec(`UPDATE messages SET visible_at=?, receive_count=?, first_receive=? WHERE queue_id=? AND seq=?`,
				r.vis, r.rc, r.fr, queueID, r.seq); err != nil {
				return fmt.Errorf("update message: %w", err)
			}
		}
		return nil
	}
}

func deleteMessages(queueID int64, seqs []int64) writeOp {
	return func(tx *wtx) error {
		for _, s := range seqs {
			if _, err := tx.Exec(`DELETE FROM messages WHERE queue_id=? AND seq=?`, queueID, s); err != nil {
				return fmt.Errorf("delete message: %w", err)
			}
		}
		return nil
	}
}

func chain(ops ...writeOp) writeOp {
	return func(tx *wtx) error {
		for _, op := range ops {
			if op == nil {
				continue
			}
			if err := op(tx); err != nil {
				return err
			}
		}
		return nil
	}
}
