package monitoring

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// Publisher publishes an alarm's notification to an SNS topic (the SNS
// service). The message is published as the topic's owner would.
type Publisher interface {
	PublishFromService(ctx context.Context, topicARN, subject, message string) error
}

// Config configures a Service.
type Config struct {
	// DataDir holds monitoring.db.
	DataDir string
	Logger  *slog.Logger
	// Bus carries the other services' events; the service turns them into
	// the metrics AWS publishes for them (AWS/Lambda, AWS/SQS, ...).
	Bus *activity.Bus
	// Queues lets the service sample queue depths for AWS/SQS (the SQS
	// service); without it the depths come from the bus's events.
	Queues QueueAttributes
	// NoServiceMetrics turns that off (benchmarks compare the two).
	NoServiceMetrics bool
	// Topics receives alarm actions; nil fails them (recorded in the
	// alarm's history).
	Topics Publisher
	// EvaluationInterval is how often alarms are evaluated; 0 means once a
	// minute, as on AWS. Tests and demos shorten it.
	EvaluationInterval time.Duration
	// MaxAlarms bounds the alarms of one account and region (AWS's quota);
	// 0 means DefaultMaxAlarms.
	MaxAlarms int
	// Now returns the time; nil means time.Now. Tests move it.
	Now func() time.Time
}

// DefaultMaxAlarms is the default quota of alarms per account and region.
const DefaultMaxAlarms = 10000

// Service is CloudWatch (metrics, alarms, dashboards): service id
// "monitoring".
type Service struct {
	cfg Config
	log *slog.Logger
	db  *sql.DB
	w   *writer
	ops map[string]op

	mu     sync.RWMutex
	series map[regionKey]map[string]*series
	alarms map[regionKey]map[string]*alarm
	dashes map[regionKey]map[string]*dashboard
	tags   map[string]map[string]string // by resource ARN

	obs     *observer
	flushMu sync.Mutex
	stopTap func()

	evalMu sync.Mutex // one evaluation at a time
	quit   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// New opens (or creates) the service's database and starts evaluating alarms.
func New(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAlarms <= 0 {
		cfg.MaxAlarms = DefaultMaxAlarms
	}
	if cfg.EvaluationInterval <= 0 {
		cfg.EvaluationInterval = time.Minute
	}
	db, err := store.Open(filepath.Join(cfg.DataDir, "monitoring.db"), schema...)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger, db: db, series: map[regionKey]map[string]*series{},
		alarms: map[regionKey]map[string]*alarm{}, dashes: map[regionKey]map[string]*dashboard{},
		tags: map[string]map[string]string{}, quit: make(chan struct{})}
	s.ops = map[string]op{
		"PutMetricData":           s.putMetricData,
		"GetMetricStatistics":     s.getMetricStatistics,
		"GetMetricData":           s.getMetricData,
		"ListMetrics":             s.listMetrics,
		"PutMetricAlarm":          s.putMetricAlarm,
		"PutCompositeAlarm":       s.putCompositeAlarm,
		"DescribeAlarms":          s.describeAlarms,
		"DescribeAlarmsForMetric": s.describeAlarmsForMetric,
		"DescribeAlarmHistory":    s.describeAlarmHistory,
		"DeleteAlarms":            s.deleteAlarms,
		"SetAlarmState":           s.setAlarmState,
		"EnableAlarmActions":      s.enableAlarmActions,
		"DisableAlarmActions":     s.disableAlarmActions,
		"PutDashboard":            s.putDashboard,
		"GetDashboard":            s.getDashboard,
		"ListDashboards":          s.listDashboards,
		"DeleteDashboards":        s.deleteDashboards,
		"TagResource":             s.tagResource,
		"UntagResource":           s.untagResource,
		"ListTagsForResource":     s.listTagsForResource,
	}
	now := cfg.Now()
	if _, err := db.Exec(`DELETE FROM points WHERE ts < ?`, now.Add(-Retention).UnixMilli()); err != nil {
		db.Close()
		return nil, fmt.Errorf("prune points: %w", err)
	}
	if err := s.loadPoints(now); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadResources(); err != nil {
		db.Close()
		return nil, err
	}
	s.w = newWriter(db, s.log)
	s.obs = newObserver()
	if cfg.Bus != nil && !cfg.NoServiceMetrics {
		s.stopTap = cfg.Bus.Tap(s.observe)
	}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Route routes CloudWatch's three protocols here: awsQuery (AWS CLI 2.9,
// Version=2010-08-01 and the "monitoring" signing name), rpcv2-cbor (current
// aws-sdk-go-v2) and awsJson1_0.
func (s *Service) Route() protocol.Route {
	return protocol.Route{Service: "monitoring", Targets: []string{jsonTarget}, QueryVersions: []string{APIVersion},
		PathPrefixes: []string{"/service/" + serviceShape + "/"}, Handler: s}
}

// loop evaluates alarms every EvaluationInterval and prunes old data hourly.
func (s *Service) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.EvaluationInterval)
	defer t.Stop()
	flush := time.NewTicker(min(s.cfg.EvaluationInterval, flushEvery))
	defer flush.Stop()
	lastPrune := s.now()
	for {
		select {
		case <-s.quit:
			s.flushObserved()
			return
		case <-flush.C:
			s.flushObserved()
		case <-t.C:
			s.EvaluateAlarms(context.Background())
			if now := s.now(); now.Sub(lastPrune) > time.Hour {
				lastPrune = now
				s.pruneMemory(now)
				if err := s.w.write(prune(now)); err != nil {
					s.log.Warn("prune", "err", err)
				}
			}
		}
	}
}

// flushEvery is how often service metrics are written when nothing reads
// them sooner.
const flushEvery = 5 * time.Second

// pruneMemory drops points older than the retention from memory.
func (s *Service) pruneMemory(now time.Time) {
	cut := now.Add(-Retention).UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, byKey := range s.series {
		for k, sr := range byKey {
			i := 0
			for i < len(sr.points) && sr.points[i].t < cut {
				i++
			}
			sr.points = sr.points[i:]
			if len(sr.points) == 0 && now.Sub(sr.lastPut) > Retention {
				delete(byKey, k)
			}
		}
	}
}

// Close stops evaluation and closes the database.
func (s *Service) Close() error {
	var err error
	s.once.Do(func() {
		if s.stopTap != nil {
			s.stopTap()
		}
		close(s.quit)
		s.wg.Wait()
		s.w.close()
		err = s.db.Close()
	})
	return err
}
