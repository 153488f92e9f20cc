package logs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// Config configures the CloudWatch Logs service.
type Config struct {
	DataDir  string // logs.db lives here
	Endpoint string
	Logger   *slog.Logger
	Bus      *activity.Bus
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// PruneEvery is how often events past their group's retention are
	// deleted; 0 means 10 minutes.
	PruneEvery time.Duration
	// Exports is the S3 export tasks write to; nil answers every
	// destination as a bucket that does not exist.
	Exports ExportDestination
}

// Service is the CloudWatch Logs service of the local cloud.
type Service struct {
	db         *sql.DB
	log        *slog.Logger
	now        func() time.Time
	pruneEvery time.Duration
	handler    *protocol.JSONService
	exports    ExportDestination

	mu     sync.RWMutex // guards groups and everything in them
	groups map[groupKey]*group

	// The writer commits events of concurrent callers in one transaction.
	wmu     sync.Mutex
	pending []*writeReq
	closed  bool
	wake    chan struct{}

	qmu        sync.Mutex // guards queries and queryOrder
	queries    map[string]*queryResult
	queryOrder []string

	stop      chan struct{}
	done      sync.WaitGroup
	closeOnce sync.Once

	metrics   atomic.Value // holds a metricsBox: where metric filters and EMF lines publish
	functions atomic.Value // holds a functionsBox: how subscription filters invoke Lambda

	docs docs // subscription filters, resource policies, destinations, query definitions; guarded by mu
}

type groupKey struct{ account, region, name string }

type group struct {
	key       groupKey
	created   int64 // Unix ms
	retention int   // days; 0 means never expire
	class     string
	kmsKeyID  string // the KMS key CreateLogGroup named; "" when none
	tags      map[string]string
	streams   map[string]*stream
	filters   map[string]*metricFilter // metric filters by name
}

type stream struct {
	name        string
	created     int64
	first       int64 // first event timestamp; 0 when none
	last        int64
	lastIngest  int64
	storedBytes int64
	seq         int64 // PutLogEvents calls, for the sequence token
}

func (g *group) arn() string {
	return protocol.ARN("logs", g.key.region, g.key.account, "log-group:"+g.key.name)
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS groups (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
		created INTEGER NOT NULL, retention INTEGER NOT NULL, class TEXT NOT NULL, tags TEXT NOT NULL,
		PRIMARY KEY (account, region, name))`,
	// group_kms holds groups' KMS key ids; a table of its own keeps data
	// directories made before it readable without a column migration.
	`CREATE TABLE IF NOT EXISTS group_kms (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, kms_key_id TEXT NOT NULL,
		PRIMARY KEY (account, region, name))`,
	`CREATE TABLE IF NOT EXISTS streams (
		account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, name TEXT NOT NULL,
		created INTEGER NOT NULL, first_ts INTEGER NOT NULL DEFAULT 0, last_ts INTEGER NOT NULL DEFAULT 0,
		last_ingest INTEGER NOT NULL DEFAULT 0, stored_bytes INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (account, region, grp, name))`,
	`CREATE TABLE IF NOT EXISTS events (
		id INTEGER PRIMARY KEY,
		account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, stream TEXT NOT NULL,
		ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS events_by_stream ON events (account, region, grp, stream, ts)`,
	`CREATE INDEX IF NOT EXISTS events_by_group ON events (account, region, grp, ts)`,
	`CREATE TABLE IF NOT EXISTS metric_filters (
		account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, name TEXT NOT NULL,
		pattern TEXT NOT NULL, transformations TEXT NOT NULL, created INTEGER NOT NULL,
		PRIMARY KEY (account, region, grp, name))`,
	docsSchema,
}

// New opens logs.db in cfg.DataDir, loads the groups and streams, deletes
// events past their retention, and starts the writer and the retention
// pruner.
func New(cfg Config) (*Service, error) {
	db, err := store.Open(filepath.Join(cfg.DataDir, "logs.db"), schema...)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	s := &Service{
		db:         db,
		log:        cfg.Logger,
		now:        cfg.Now,
		pruneEvery: cfg.PruneEvery,
		exports:    cfg.Exports,
		groups:     map[groupKey]*group{},
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pruneEvery == 0 {
		s.pruneEvery = 10 * time.Minute
	}
	if err := s.load(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("logs: load: %w", err)
	}
	s.handler = &protocol.JSONService{
		TargetPrefix: "Logs_20140328.",
		ContentType:  "application/x-amz-json-1.1",
		Ops:          s.ops(),
		Logger:       s.log,
		// PutLogEvents carries at most 1 MiB of messages, up to 6 MiB as
		// JSON escapes, plus the events' own JSON.
		MaxBody: 8 << 20,
	}
	if err := s.prune(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("logs: prune: %w", err)
	}
	s.done.Add(2)
	go s.writer()
	go s.pruner()
	return s, nil
}

// Route is how the router finds CloudWatch Logs.
func (s *Service) Route() protocol.Route {
	return protocol.Route{Service: "logs", Targets: []string{"Logs_20140328."}, Handler: s.handler}
}

// Close commits what is pending, stops the background loops and closes the
// database; it is idempotent.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.wmu.Lock()
		s.closed = true
		s.wmu.Unlock()
		close(s.stop)
		s.done.Wait()
		err = s.db.Close()
	})
	return err
}

func (s *Service) ops() map[string]protocol.JSONOp {
	return map[string]protocol.JSONOp{
		"CreateLogGroup":        s.createLogGroup,
		"DeleteLogGroup":        s.deleteLogGroup,
		"DescribeLogGroups":     s.describeLogGroups,
		"PutRetentionPolicy":    s.putRetentionPolicy,
		"DeleteRetentionPolicy": s.deleteRetentionPolicy,
		"CreateLogStream":       s.createLogStream,
		"DeleteLogStream":       s.deleteLogStream,
		"DescribeLogStreams":    s.describeLogStreams,
		"PutLogEvents":          s.putLogEvents,
		"GetLogEvents":          s.getLogEvents,
		"FilterLogEvents":       s.filterLogEvents,
		"TagResource":           s.tagResource,
		"UntagResource":         s.untagResource,
		"ListTagsForResource":   s.listTagsForResource,
		"TagLogGroup":           s.tagLogGroup,
		"UntagLogGroup":         s.untagLogGroup,
		"ListTagsLogGroup":      s.listTagsLogGroup,
		"TestMetricFilter":      s.testMetricFilter,
		"StartQuery":            s.startQuery,
		"PutMetricFilter":       s.putMetricFilter,
		"DeleteMetricFilter":    s.deleteMetricFilter,
		"DescribeMetricFilters": s.describeMetricFilters,
		"GetQueryResults":       s.getQueryResults,
		"StopQuery":             s.stopQuery,

		"PutSubscriptionFilter":       s.putSubscriptionFilter,
		"DescribeSubscriptionFilters": s.describeSubscriptionFilters,
		"DeleteSubscriptionFilter":    s.deleteSubscriptionFilter,
		"PutResourcePolicy":           s.putResourcePolicy,
		"DescribeResourcePolicies":    s.describeResourcePolicies,
		"DeleteResourcePolicy":        s.deleteResourcePolicy,
		"PutDestination":              s.putDestination,
		"PutDestinationPolicy":        s.putDestinationPolicy,
		"DescribeDestinations":        s.describeDestinations,
		"DeleteDestination":           s.deleteDestination,
		"PutQueryDefinition":          s.putQueryDefinition,
		"DescribeQueryDefinitions":    s.describeQueryDefinitions,
		"DeleteQueryDefinition":       s.deleteQueryDefinition,
		"DescribeQueries":             s.describeQueries,
		"GetLogRecord":                s.getLogRecord,
		"GetLogGroupFields":           s.getLogGroupFields,
		"AssociateKmsKey":             s.associateKmsKey,
		"DisassociateKmsKey":          s.disassociateKmsKey,
		"ListLogGroups":               s.listLogGroups,
		"CreateExportTask":            s.createExportTask,
		"DescribeExportTasks":         s.describeExportTasks,
		"CancelExportTask":            s.cancelExportTask,
		"PutDataProtectionPolicy":     s.putDataProtectionPolicy,
		"GetDataProtectionPolicy":     s.getDataProtectionPolicy,
		"DeleteDataProtectionPolicy":  s.deleteDataProtectionPolicy,

		"PutDeliverySource":               s.putDeliverySource,
		"GetDeliverySource":               s.getDeliverySource,
		"DescribeDeliverySources":         s.describeDeliverySources,
		"DeleteDeliverySource":            s.deleteDeliverySource,
		"PutDeliveryDestination":          s.putDeliveryDestination,
		"GetDeliveryDestination":          s.getDeliveryDestination,
		"DescribeDeliveryDestinations":    s.describeDeliveryDestinations,
		"DeleteDeliveryDestination":       s.deleteDeliveryDestination,
		"PutDeliveryDestinationPolicy":    s.putDeliveryDestinationPolicy,
		"GetDeliveryDestinationPolicy":    s.getDeliveryDestinationPolicy,
		"DeleteDeliveryDestinationPolicy": s.deleteDeliveryDestinationPolicy,
		"CreateDelivery":                  s.createDelivery,
		"GetDelivery":                     s.getDelivery,
		"DescribeDeliveries":              s.describeDeliveries,
		"DeleteDelivery":                  s.deleteDelivery,
		"UpdateDeliveryConfiguration":     s.updateDeliveryConfiguration,
	}
}

func (s *Service) load(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT g.account, g.region, g.name, g.created, g.retention, g.class, g.tags, COALESCE(k.kms_key_id, '')
		FROM groups g LEFT JOIN group_kms k ON k.account = g.account AND k.region = g.region AND k.name = g.name`)
	if err != nil {
		return err
	}
	for rows.Next() {
		g := &group{streams: map[string]*stream{}}
		var tags string
		if err := rows.Scan(&g.key.account, &g.key.region, &g.key.name, &g.created, &g.retention, &g.class, &tags, &g.kmsKeyID); err != nil {
			rows.Close()
			return err
		}
		json.Unmarshal([]byte(tags), &g.tags)
		s.groups[g.key] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT account, region, grp, name, created, first_ts, last_ts, last_ingest, stored_bytes FROM streams`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k groupKey
		st := &stream{}
		if err := rows.Scan(&k.account, &k.region, &k.name, &st.name, &st.created, &st.first, &st.last, &st.lastIngest, &st.storedBytes); err != nil {
			rows.Close()
			return err
		}
		if g := s.groups[k]; g != nil {
			g.streams[st.name] = st
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.loadDocs(ctx); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT account, region, grp, name, pattern, transformations, created FROM metric_filters`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k groupKey
		var tj string
		f := &metricFilter{}
		if err := rows.Scan(&k.account, &k.region, &k.name, &f.name, &f.pattern, &tj, &f.created); err != nil {
			return err
		}
		if json.Unmarshal([]byte(tj), &f.transformations) != nil || len(f.transformations) == 0 {
			continue
		}
		if g := s.groups[k]; g != nil {
			if g.filters == nil {
				g.filters = map[string]*metricFilter{}
			}
			g.filters[f.name] = f
		}
	}
	return rows.Err()
}

func tagsJSON(tags map[string]string) string {
	if len(tags) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

func saveGroup(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, g *group) error {
	_, err := db.ExecContext(ctx, `INSERT OR REPLACE INTO groups (account, region, name, created, retention, class, tags) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		g.key.account, g.key.region, g.key.name, g.created, g.retention, g.class, tagsJSON(g.tags))
	if err != nil || g.kmsKeyID == "" {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT OR REPLACE INTO group_kms (account, region, name, kms_key_id) VALUES (?, ?, ?, ?)`,
		g.key.account, g.key.region, g.key.name, g.kmsKeyID)
	return err
}

// pruner deletes events past their group's retention.
func (s *Service) pruner() {
	defer s.done.Done()
	t := time.NewTicker(s.pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if err := s.prune(context.Background()); err != nil && !errors.Is(err, sql.ErrConnDone) {
			s.log.Warn("prune expired log events", "err", err)
		}
	}
}

func (s *Service) prune(ctx context.Context) error {
	type target struct {
		key    groupKey
		cutoff int64
	}
	var targets []target
	s.mu.RLock()
	for k, g := range s.groups {
		if c := s.cutoff(g); c > 0 {
			targets = append(targets, target{k, c})
		}
	}
	s.mu.RUnlock()
	for _, t := range targets {
		_, err := s.db.ExecContext(ctx, `DELETE FROM events WHERE account = ? AND region = ? AND grp = ? AND ts < ?`, t.key.account, t.key.region, t.key.name, t.cutoff)
		if err != nil {
			return err
		}
	}
	return nil
}

// cutoff is the oldest timestamp (Unix ms) g keeps, or 0 when it keeps all.
func (s *Service) cutoff(g *group) int64 {
	if g.retention == 0 {
		return 0
	}
	return s.now().Add(-time.Duration(g.retention) * 24 * time.Hour).UnixMilli()
}

// Errors in CloudWatch Logs' shapes.
func invalidParam(format string, args ...any) error {
	return protocol.Errorf("InvalidParameterException", format, args...)
}

func groupNotFound() error {
	return protocol.Errorf("ResourceNotFoundException", "The specified log group does not exist.")
}

func streamNotFound() error {
	return protocol.Errorf("ResourceNotFoundException", "The specified log stream does not exist.")
}
