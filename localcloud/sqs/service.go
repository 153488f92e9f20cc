package sqs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// Config configures the SQS service.
type Config struct {
	// DataDir holds sqs.db.
	DataDir string
	// Endpoint is the cloud's base URL (http://127.0.0.1:4566); queue URLs are
	// Endpoint/account/name. Empty uses the address each request came to.
	Endpoint string
	// Logger receives the service's logs; nil discards them.
	Logger *slog.Logger
	// Bus receives queue depth events while anybody listens; may be nil.
	Bus *activity.Bus
}

// Service is the SQS service. It is an http.Handler for both wire
// protocols and a protocol.QueueDeliverer for other services.
type Service struct {
	cfg Config
	log *slog.Logger
	db  *sql.DB
	w   *writer

	mu     sync.RWMutex
	queues map[queueKey]*queue

	tasksMu sync.Mutex
	tasks   map[string]*moveTask // by task id
	closing bool                 // no new tasks once set

	json  *protocol.JSONService
	query *protocol.QueryService

	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var _ protocol.QueueDeliverer = (*Service)(nil)

// New opens the service's database under cfg.DataDir, loads every queue and
// starts the background loops (retention, move tasks, depth events).
func New(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	db, err := store.Open(filepath.Join(cfg.DataDir, "sqs.db"), schema...)
	if err != nil {
		return nil, fmt.Errorf("open sqs store: %w", err)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, db: db, queues: map[queueKey]*queue{}, tasks: map[string]*moveTask{}, done: make(chan struct{})}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("load sqs state: %w", err)
	}
	if s.w, err = newWriter(db, s.log); err != nil {
		db.Close()
		return nil, err
	}
	s.json = &protocol.JSONService{TargetPrefix: "AmazonSQS.", ContentType: "application/x-amz-json-1.0", ErrorNamespace: "com.amazonaws.sqs#", Ops: s.jsonOps(), Logger: s.log, UnknownOperationCode: "InvalidAction", MaxBody: maxJSONBody}
	s.query = &protocol.QueryService{XMLNS: "http://queue.amazonaws.com/doc/2012-11-05/", Ops: s.queryOps(), Logger: s.log, MaxBody: maxQueryBody}
	s.wg.Add(1)
	go s.background()
	s.resumeTasks()
	return s, nil
}

// Close stops the background loops, waits for pending commits and closes
// the database. It is idempotent.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.withTasks(func() { s.closing = true })
		close(s.done)
		s.wg.Wait()
		s.w.close()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Route tells the router which requests are SQS's: awsJson targets
// "AmazonSQS." and awsQuery forms of version 2012-11-05.
func (s *Service) Route() protocol.Route {
	return protocol.Route{Service: "sqs", Targets: []string{"AmazonSQS."}, QueryVersions: []string{"2012-11-05"}, Handler: s}
}

type ctxKey int

const (
	baseURLKey ctxKey = iota
	pathQueueKey
)

// ServeHTTP dispatches to the JSON or query adapter.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	base := s.cfg.Endpoint
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	ctx = context.WithValue(ctx, baseURLKey, base)
	if p := strings.Trim(r.URL.Path, "/"); strings.Count(p, "/") == 1 {
		ctx = context.WithValue(ctx, pathQueueKey, p)
	}
	r = r.WithContext(ctx)
	if r.Header.Get("X-Amz-Target") != "" {
		s.json.ServeHTTP(w, r)
		return
	}
	s.query.ServeHTTP(w, r)
}

func (s *Service) baseURL(ctx context.Context) string {
	if s.cfg.Endpoint != "" {
		return s.cfg.Endpoint
	}
	if b, ok := ctx.Value(baseURLKey).(string); ok && b != "" {
		return b
	}
	return "http://localhost:4566"
}

func (s *Service) queueURL(ctx context.Context, k queueKey) string {
	return s.baseURL(ctx) + "/" + k.account + "/" + k.name
}

func nonExistent() *protocol.Error {
	return &protocol.Error{Code: "QueueDoesNotExist", QueryCode: "AWS.SimpleQueueService.NonExistentQueue", Message: "The specified queue does not exist."}
}

// resolve finds the caller's queue named by a queue URL (or ARN). A queue of
// another account does not exist for the caller.
func (s *Service) resolve(ctx context.Context, queueURL string) (*queue, error) {
	if queueURL == "" {
		if p, ok := ctx.Value(pathQueueKey).(string); ok {
			queueURL = "/" + p
		} else {
			return nil, missingParam("QueueUrl")
		}
	}
	id := protocol.IdentityFrom(ctx)
	account, name, ok := parseQueueRef(queueURL)
	if !strings.Contains(queueURL, "/") && !strings.HasPrefix(queueURL, "arn:") {
		account, name, ok = id.AccountID, queueURL, true // SQS resolves a bare queue name in the caller's account
	}
	if !ok || account != id.AccountID {
		// a URL that names no queue (http://host with no path) is a queue
		// that does not exist, 400 AWS.SimpleQueueService.NonExistentQueue
		// as SQS answers, not InvalidAddress
		return nil, nonExistent()
	}
	q := s.lookup(queueKey{account, id.Region, name})
	if q == nil {
		return nil, nonExistent()
	}
	return q, nil
}

// parseQueueRef reads account and queue name from a queue URL
// (scheme://host/account/name, or just /account/name) or a queue ARN.
func parseQueueRef(ref string) (account, name string, ok bool) {
	if strings.HasPrefix(ref, "arn:") {
		a, ok := protocol.ParseARN(ref)
		if !ok || a.Service != "sqs" || a.Partition != protocol.Partition(a.Region) {
			return "", "", false
		}
		return a.Account, a.Resource, a.Account != "" && a.Resource != ""
	}
	path := ref
	if strings.Contains(ref, "://") {
		u, err := url.Parse(ref)
		if err != nil {
			return "", "", false
		}
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func (s *Service) lookup(k queueKey) *queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[k]
}

// queueByARN returns the queue arn names; an ARN in another partition
// than its region's names none.
func (s *Service) queueByARN(arn string) *queue {
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "sqs" || a.Partition != protocol.Partition(a.Region) {
		return nil
	}
	return s.lookup(queueKey{a.Account, a.Region, a.Resource})
}

// load reads every queue and message into memory.
func (s *Service) load() error {
	rows, err := s.db.Query(`SELECT id, account, region, name, attrs, tags, created, modified, next_seq, purged FROM queues`)
	if err != nil {
		return err
	}
	byID := map[int64]*queue{}
	for rows.Next() {
		var (
			id, created, modified, nextSeq, purged int64
			account, region, name, attrs, tags     string
		)
		if err := rows.Scan(&id, &account, &region, &name, &attrs, &tags, &created, &modified, &nextSeq, &purged); err != nil {
			rows.Close()
			return err
		}
		q := newQueue(id, queueKey{account, region, name})
		var a map[string]string
		json.Unmarshal([]byte(attrs), &a)
		json.Unmarshal([]byte(tags), &q.tags)
		if q.tags == nil {
			q.tags = map[string]string{}
		}
		q.apply(a)
		q.created, q.modified, q.nextSeq = created, modified, nextSeq
		if purged > 0 {
			q.purged = time.UnixMilli(purged)
		}
		s.queues[q.key] = q
		byID[id] = q
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	mrows, err := s.db.Query(`SELECT queue_id, seq, id, body, data, sent, visible_at, receive_count, first_receive FROM messages ORDER BY queue_id, seq`)
	if err != nil {
		return err
	}
	defer mrows.Close()
	for mrows.Next() {
		var (
			qid  int64
			m    message
			data string
		)
		if err := mrows.Scan(&qid, &m.seq, &m.id, &m.body, &data, &m.sent, &m.visibleAt, &m.receiveCount, &m.firstReceive); err != nil {
			return err
		}
		q := byID[qid]
		if q == nil {
			continue
		}
		var d msgData
		json.Unmarshal([]byte(data), &d)
		m.attrs, m.sysAttrs, m.senderID, m.groupID, m.dedupID, m.dlqSource = d.Attrs, d.SysAttrs, d.SenderID, d.GroupID, d.DedupID, d.SourceArn
		m.md5Body = md5Hex([]byte(m.body))
		q.add(&m)
	}
	if err := mrows.Err(); err != nil {
		return err
	}
	drows, err := s.db.Query(`SELECT queue_id, key, message_id, seq, expires FROM dedup WHERE expires > ?`, time.Now().UnixMilli())
	if err != nil {
		return err
	}
	defer drows.Close()
	for drows.Next() {
		var (
			qid int64
			k   string
			e   dedupEntry
		)
		if err := drows.Scan(&qid, &k, &e.messageID, &e.seq, &e.expires); err != nil {
			return err
		}
		if q := byID[qid]; q != nil {
			q.dedup[k] = e
		}
	}
	return drows.Err()
}

// background expires messages past their retention period and publishes
// queue depths while anybody listens.
func (s *Service) background() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
		n++
		if n%10 == 0 {
			s.expire()
		}
		if s.cfg.Bus.Active() {
			for _, q := range s.allQueues() {
				s.publishDepth(q, true)
			}
		}
	}
}

func (s *Service) allQueues() []*queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		out = append(out, q)
	}
	return out
}

// expire deletes messages older than their queue's retention period and
// forgets expired deduplication ids.
func (s *Service) expire() {
	now := time.Now().UnixMilli()
	for _, q := range s.allQueues() {
		var done <-chan error
		q.locked(func() { done = s.expireLocked(q, now) })
		if done != nil {
			<-done
		}
	}
}

// expireLocked deletes q's messages older than its retention period and
// forgets its expired deduplication ids and receive attempts. It returns
// the deletion's commit, or nil when nothing expired. Callers hold q.mu.
func (s *Service) expireLocked(q *queue, now int64) <-chan error {
	var seqs []int64
	for _, m := range q.msgs {
		if !m.deleted && now-m.sent > int64(q.retention)*1000 {
			seqs = append(seqs, m.seq)
			q.remove(m)
		}
	}
	q.compact()
	for k, a := range q.attempts {
		if a.expires <= now {
			delete(q.attempts, k)
		}
	}
	expiredDedup := false
	for k, e := range q.dedup {
		if e.expires <= now {
			delete(q.dedup, k)
			expiredDedup = true
		}
	}
	if len(seqs) == 0 && !expiredDedup {
		return nil
	}
	qid := q.id
	return s.w.enqueue(chain(deleteMessages(qid, seqs), func(tx *wtx) error {
		_, err := tx.Exec(`DELETE FROM dedup WHERE queue_id=? AND expires<=?`, qid, now)
		return err
	}))
}

// publishCount tells the bus that n of a queue's metric happened
// (NumberOfMessagesSent, ...Received, ...Deleted, NumberOfEmptyReceives):
// CloudWatch counts them.
func (s *Service) publishCount(q *queue, metric string, n int) {
	if n > 0 && s.cfg.Bus.Active() {
		s.cfg.Bus.Publish(activity.Event{Kind: activity.KindCount, Service: "sqs", Name: q.key.name, Account: q.key.account, Region: q.key.region, Route: metric, Status: n})
	}
}

// publishDepth sends q's depth to the bus, at most every 250ms per queue
// unless forced.
func (s *Service) publishDepth(q *queue, force bool) {
	if !s.cfg.Bus.Active() {
		return
	}
	now := time.Now()
	last := q.lastDepth.Load()
	if !force && now.UnixMilli()-last < 250 {
		return
	}
	if !q.lastDepth.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	var vis, inflight int
	q.locked(func() { vis, inflight, _ = q.counts(now.UnixMilli()) })
	s.cfg.Bus.Publish(activity.Event{Time: now, Kind: activity.KindQueueDepth, Service: "sqs", Name: q.key.name, Account: q.key.account, Region: q.key.region, Visible: vis, InFlight: inflight})
}
