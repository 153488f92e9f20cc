package lambda

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Event source mappings: SQS queues and DynamoDB streams polled by the
// local cloud and delivered to functions in batches (esm_sqs.go,
// esm_stream.go), with AWS's event filtering (esm_filter.go).

// Kinds of event sources.
const (
	esmSQS    = "sqs"
	esmStream = "dynamodb"
)

// Defaults and limits AWS documents for event source mappings.
const (
	esmMaxFilters       = 5
	esmDefaultSQSConc   = 5 // pollers of an SQS mapping without ScalingConfig
	esmStateReasonUser  = "USER_INITIATED"
	esmNoRecords        = "No records processed"
	esmResultOK         = "OK"
	esmResultFuncFailed = "PROBLEM: Function call failed"
)

var esmSchema = []string{
	`CREATE TABLE IF NOT EXISTS esm_mappings (
		uuid TEXT PRIMARY KEY,
		account TEXT NOT NULL, region TEXT NOT NULL,
		data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS esm_checkpoints (
		uuid TEXT NOT NULL, shard TEXT NOT NULL,
		seq TEXT NOT NULL,
		PRIMARY KEY (uuid, shard))`,
}

// mapping is one event source mapping's definition. Values are immutable
// once published: changes build a new value.
type mapping struct {
	UUID            string    `json:"uuid"`
	Account         string    `json:"account"`
	Region          string    `json:"region"`
	Function        string    `json:"function"`    // the function's name
	FunctionArn     string    `json:"functionArn"` // as reported (a qualifier kept)
	Source          string    `json:"source"`
	Kind            string    `json:"kind"`
	BatchSize       int       `json:"batchSize"`
	Window          int       `json:"window"`
	ResponseTypes   []string  `json:"responseTypes"`
	Enabled         bool      `json:"enabled"`
	MaxConcurrency  int       `json:"maxConcurrency,omitempty"` // 0: not set
	Filters         []string  `json:"filters,omitempty"`
	StartPosition   string    `json:"startPosition,omitempty"`
	StartTimestamp  float64   `json:"startTimestamp,omitempty"` // unix seconds, AT_TIMESTAMP
	Bisect          bool      `json:"bisect,omitempty"`
	MaxRetry        int       `json:"maxRetry"`  // -1: forever
	MaxAge          int       `json:"maxAge"`    // -1: forever
	Parallelization int       `json:"parallel"`  // streams
	OnFailure       string    `json:"onFailure"` // a queue ARN, or ""
	Tumbling        *int      `json:"tumbling,omitempty"`
	Created         time.Time `json:"created"`
	LastModified    time.Time `json:"lastModified"`
}

func (m *mapping) clone() *mapping {
	c := *m
	c.ResponseTypes = append([]string(nil), m.ResponseTypes...)
	c.Filters = append([]string(nil), m.Filters...)
	if m.Tumbling != nil {
		t := *m.Tumbling
		c.Tumbling = &t
	}
	return &c
}

// reportsItemFailures reports whether the function answers batchItemFailures.
func (m *mapping) reportsItemFailures() bool {
	for _, t := range m.ResponseTypes {
		if t == "ReportBatchItemFailures" {
			return true
		}
	}
	return false
}

// esmState is the Service's event source mappings and their pollers.
type esmState struct {
	mu      sync.Mutex // guards runners and serialises changes
	runners map[string]*esmRunner
	clients sync.Map // clientKey -> *esmClients
	wake    streamWaker
}

// esmRunner runs one mapping's pollers until stop is closed.
type esmRunner struct {
	m        *mapping
	filters  []*filterPattern
	stop     chan struct{}
	done     chan struct{} // closed when every poller has returned
	result   atomic.Pointer[string]
	stopOnce sync.Once
}

func (r *esmRunner) halt() { r.stopOnce.Do(func() { close(r.stop) }) }

func (r *esmRunner) setResult(s string) { r.result.Store(&s) }

func (r *esmRunner) lastResult() string {
	if p := r.result.Load(); p != nil {
		return *p
	}
	return esmNoRecords
}

// initMappings creates the mapping tables, loads every mapping and starts
// the pollers of the enabled ones. New calls it.
func (s *Service) initMappings() error {
	s.esm = &esmState{runners: map[string]*esmRunner{}, wake: streamWaker{bus: s.cfg.Bus}}
	for _, q := range esmSchema {
		if _, err := s.db.Exec(q); err != nil {
			return fmt.Errorf("event source mapping schema: %w", err)
		}
	}
	rows, err := s.db.Query(`SELECT data FROM esm_mappings`)
	if err != nil {
		return fmt.Errorf("load event source mappings: %w", err)
	}
	defer rows.Close()
	var all []*mapping
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("load event source mappings: %w", err)
		}
		m := &mapping{}
		if err := json.Unmarshal([]byte(data), m); err != nil {
			return fmt.Errorf("load event source mappings: %w", err)
		}
		all = append(all, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load event source mappings: %w", err)
	}
	rows.Close()
	s.esm.mu.Lock()
	defer s.esm.mu.Unlock()
	for _, m := range all {
		s.startRunner(m, nil)
	}
	return nil
}

// startRunner publishes m and, when it is enabled, starts its pollers once
// prev (the runner of m's previous version, or nil) has stopped. The caller
// holds s.esm.mu.
func (s *Service) startRunner(m *mapping, prev *esmRunner) {
	r := &esmRunner{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	for _, p := range m.Filters {
		fp, err := parseFilterPattern(p)
		if err == nil {
			r.filters = append(r.filters, fp)
		}
	}
	if prev != nil {
		if p := prev.result.Load(); p != nil {
			r.result.Store(p)
		}
	}
	s.esm.runners[m.UUID] = r
	if !m.Enabled || s.isClosed() {
		if prev == nil {
			close(r.done)
		} else {
			// Done once the previous version's pollers are (it was halted).
			go func() { <-prev.done; close(r.done) }()
		}
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		if prev != nil {
			select {
			case <-prev.done:
			case <-r.stop:
				return
			case <-s.closed:
				return
			}
		}
		switch m.Kind {
		case esmSQS:
			s.runSQS(r)
		case esmStream:
			s.runStream(r)
		}
	}()
}

// runnerContext returns a context cancelled when the runner must stop: on
// its own stop or on Close.
func (s *Service) runnerContext(r *esmRunner) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-r.stop:
		case <-s.closed:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}

// saveMapping commits m and, when checkpoints is not nil, replaces its
// checkpoints.
func (s *Service) saveMapping(m *mapping, checkpoints map[string]string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("save event source mapping %s: %w", m.UUID, err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("save event source mapping %s: %w", m.UUID, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO esm_mappings (uuid, account, region, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (uuid) DO UPDATE SET data = excluded.data`, m.UUID, m.Account, m.Region, string(b)); err != nil {
		return fmt.Errorf("save event source mapping %s: %w", m.UUID, err)
	}
	if checkpoints != nil {
		if _, err := tx.Exec(`DELETE FROM esm_checkpoints WHERE uuid = ?`, m.UUID); err != nil {
			return fmt.Errorf("save event source mapping %s: %w", m.UUID, err)
		}
		for shard, seq := range checkpoints {
			if _, err := tx.Exec(`INSERT INTO esm_checkpoints (uuid, shard, seq) VALUES (?, ?, ?)`, m.UUID, shard, seq); err != nil {
				return fmt.Errorf("save event source mapping %s: %w", m.UUID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save event source mapping %s: %w", m.UUID, err)
	}
	return nil
}

func (s *Service) deleteMappingRow(id string) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("delete event source mapping %s: %w", id, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM esm_mappings WHERE uuid = ?`, id); err != nil {
		return fmt.Errorf("delete event source mapping %s: %w", id, err)
	}
	if _, err := tx.Exec(`DELETE FROM esm_checkpoints WHERE uuid = ?`, id); err != nil {
		return fmt.Errorf("delete event source mapping %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete event source mapping %s: %w", id, err)
	}
	return nil
}

// checkpoint returns the stored position of a mapping's shard: "" for the
// start of the shard, else the last sequence number processed; ok is false
// when none is stored.
func (s *Service) checkpoint(id, shard string) (seq string, ok bool, err error) {
	err = s.db.QueryRow(`SELECT seq FROM esm_checkpoints WHERE uuid = ? AND shard = ?`, id, shard).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read checkpoint %s/%s: %w", id, shard, err)
	}
	return seq, true, nil
}

// saveCheckpoint commits the last sequence number processed in a shard,
// unless the mapping was deleted meanwhile.
func (s *Service) saveCheckpoint(id, shard, seq string) error {
	_, err := s.db.Exec(`INSERT INTO esm_checkpoints (uuid, shard, seq)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM esm_mappings WHERE uuid = ?)
		ON CONFLICT (uuid, shard) DO UPDATE SET seq = excluded.seq`, id, shard, seq, id)
	if err != nil {
		return fmt.Errorf("save checkpoint %s/%s: %w", id, shard, err)
	}
	return nil
}

// registerMappingRoutes adds the event source mapping operations to the
// routing table.
func (s *Service) registerMappingRoutes(h func(string, func(http.ResponseWriter, *http.Request) error)) {
	h("POST /2015-03-31/event-source-mappings", s.createMapping)
	h("POST /2015-03-31/event-source-mappings/{$}", s.createMapping)
	h("GET /2015-03-31/event-source-mappings", s.listMappings)
	h("GET /2015-03-31/event-source-mappings/{$}", s.listMappings)
	h("GET /2015-03-31/event-source-mappings/{uuid}", s.getMapping)
	h("PUT /2015-03-31/event-source-mappings/{uuid}", s.updateMapping)
	h("DELETE /2015-03-31/event-source-mappings/{uuid}", s.deleteMapping)
}

// mappingInput is CreateEventSourceMapping's and UpdateEventSourceMapping's
// request body.
type mappingInput struct {
	EventSourceArn                 *string
	FunctionName                   *string
	Enabled                        *bool
	BatchSize                      *int
	FilterCriteria                 *filterCriteria
	MaximumBatchingWindowInSeconds *int
	ParallelizationFactor          *int
	StartingPosition               *string
	StartingPositionTimestamp      *float64
	DestinationConfig              *destinationConfig
	MaximumRecordAgeInSeconds      *int
	BisectBatchOnFunctionError     *bool
	MaximumRetryAttempts           *int
	TumblingWindowInSeconds        *int
	FunctionResponseTypes          *[]string
	ScalingConfig                  *scalingConfig
	Topics                         []string
	Queues                         []string
	SourceAccessConfigurations     []json.RawMessage
	SelfManagedEventSource         json.RawMessage
}

type filterCriteria struct {
	Filters []filterEntry `json:"Filters"`
}

type filterEntry struct {
	Pattern *string `json:"Pattern,omitempty"`
}

type destinationConfig struct {
	OnFailure *struct {
		Destination *string `json:"Destination,omitempty"`
	} `json:"OnFailure,omitempty"`
	OnSuccess *struct {
		Destination *string `json:"Destination,omitempty"`
	} `json:"OnSuccess,omitempty"`
}

type scalingConfig struct {
	MaximumConcurrency *int `json:"MaximumConcurrency,omitempty"`
}

// mappingConfiguration is the EventSourceMappingConfiguration shape.
type mappingConfiguration struct {
	UUID                           string             `json:"UUID"`
	EventSourceMappingArn          string             `json:"EventSourceMappingArn"`
	StartingPosition               string             `json:"StartingPosition,omitempty"`
	StartingPositionTimestamp      *float64           `json:"StartingPositionTimestamp,omitempty"`
	BatchSize                      int                `json:"BatchSize"`
	MaximumBatchingWindowInSeconds int                `json:"MaximumBatchingWindowInSeconds"`
	ParallelizationFactor          *int               `json:"ParallelizationFactor,omitempty"`
	EventSourceArn                 string             `json:"EventSourceArn"`
	FilterCriteria                 *filterCriteria    `json:"FilterCriteria,omitempty"`
	FunctionArn                    string             `json:"FunctionArn"`
	LastModified                   float64            `json:"LastModified"`
	LastProcessingResult           string             `json:"LastProcessingResult,omitempty"`
	State                          string             `json:"State"`
	StateTransitionReason          string             `json:"StateTransitionReason"`
	DestinationConfig              *destinationConfig `json:"DestinationConfig,omitempty"`
	MaximumRecordAgeInSeconds      *int               `json:"MaximumRecordAgeInSeconds,omitempty"`
	BisectBatchOnFunctionError     *bool              `json:"BisectBatchOnFunctionError,omitempty"`
	MaximumRetryAttempts           *int               `json:"MaximumRetryAttempts,omitempty"`
	TumblingWindowInSeconds        *int               `json:"TumblingWindowInSeconds,omitempty"`
	FunctionResponseTypes          []string           `json:"FunctionResponseTypes"`
	ScalingConfig                  *scalingConfig     `json:"ScalingConfig,omitempty"`
}

// configuration reports m in state (Enabled or Disabled when "").
func (m *mapping) configuration(state, result string) mappingConfiguration {
	if state == "" {
		state = "Disabled"
		if m.Enabled {
			state = "Enabled"
		}
	}
	c := mappingConfiguration{
		UUID:                           m.UUID,
		EventSourceMappingArn:          protocol.ARN("lambda", m.Region, m.Account, "event-source-mapping:"+m.UUID),
		BatchSize:                      m.BatchSize,
		MaximumBatchingWindowInSeconds: m.Window,
		EventSourceArn:                 m.Source,
		FunctionArn:                    m.FunctionArn,
		LastModified:                   float64(m.LastModified.UnixMilli()) / 1000,
		LastProcessingResult:           result,
		State:                          state,
		StateTransitionReason:          esmStateReasonUser,
		FunctionResponseTypes:          append([]string{}, m.ResponseTypes...),
	}
	if len(m.Filters) > 0 {
		c.FilterCriteria = &filterCriteria{}
		for _, p := range m.Filters {
			c.FilterCriteria.Filters = append(c.FilterCriteria.Filters, filterEntry{Pattern: &p})
		}
	}
	if m.MaxConcurrency > 0 {
		c.ScalingConfig = &scalingConfig{MaximumConcurrency: &m.MaxConcurrency}
	}
	if m.Kind == esmStream {
		c.StartingPosition = m.StartPosition
		if m.StartPosition == "AT_TIMESTAMP" {
			ts := m.StartTimestamp
			c.StartingPositionTimestamp = &ts
		}
		p, age, retry, bisect := m.Parallelization, m.MaxAge, m.MaxRetry, m.Bisect
		c.ParallelizationFactor = &p
		c.MaximumRecordAgeInSeconds = &age
		c.MaximumRetryAttempts = &retry
		c.BisectBatchOnFunctionError = &bisect
		c.TumblingWindowInSeconds = m.Tumbling
		if c.TumblingWindowInSeconds == nil {
			zero := 0
			c.TumblingWindowInSeconds = &zero
		}
		c.DestinationConfig = &destinationConfig{}
		c.DestinationConfig.OnFailure = &struct {
			Destination *string `json:"Destination,omitempty"`
		}{}
		if m.OnFailure != "" {
			d := m.OnFailure
			c.DestinationConfig.OnFailure.Destination = &d
		}
	}
	return c
}

func (s *Service) createMapping(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<20, "CreateEventSourceMapping")
	if err != nil {
		return err
	}
	var in mappingInput
	if err := decode(body, &in); err != nil {
		return err
	}
	id := protocol.IdentityFrom(r.Context())
	if in.FunctionName == nil || *in.FunctionName == "" {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null")
	}
	if in.EventSourceArn == nil || *in.EventSourceArn == "" {
		return protocol.Errorf("InvalidParameterValueException", "Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
	}
	if len(in.Topics) > 0 || len(in.Queues) > 0 || len(in.SourceAccessConfigurations) > 0 || len(in.SelfManagedEventSource) > 0 {
		return protocol.Errorf("InvalidParameterValueException", "The local cloud maps SQS queues and DynamoDB streams only (no Kafka or MQ settings).")
	}
	kind, err := sourceKind(*in.EventSourceArn, id.Region)
	if err != nil {
		return err
	}
	f, fnArn, err := s.mappingFunction(r.Context(), *in.FunctionName)
	if err != nil {
		return err
	}
	now := time.Now()
	m := &mapping{
		UUID: uuid.NewString(), Account: id.AccountID, Region: id.Region,
		Function: f.Name, FunctionArn: fnArn, Source: *in.EventSourceArn, Kind: kind,
		Enabled: true, MaxRetry: -1, MaxAge: -1, Parallelization: 1,
		ResponseTypes: []string{}, Created: now, LastModified: now,
	}
	if kind == esmSQS {
		m.BatchSize = 10
	} else {
		m.BatchSize = 100
		if in.StartingPosition == nil || *in.StartingPosition == "" {
			return protocol.Errorf("InvalidParameterValueException", "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null")
		}
	}
	if in.StartingPosition != nil && kind == esmSQS {
		return protocol.Errorf("InvalidParameterValueException", "Unsupported starting position for the given event source mapping type: StartingPosition is for streams, not SQS queues.")
	}
	if in.StartingPosition != nil {
		switch p := *in.StartingPosition; p {
		case "TRIM_HORIZON", "LATEST":
			if in.StartingPositionTimestamp != nil {
				return protocol.Errorf("InvalidParameterValueException", "StartingPositionTimestamp is only allowed with StartingPosition AT_TIMESTAMP.")
			}
		case "AT_TIMESTAMP":
			if in.StartingPositionTimestamp == nil {
				return protocol.Errorf("InvalidParameterValueException", "StartingPositionTimestamp must be provided when StartingPosition is AT_TIMESTAMP.")
			}
			m.StartTimestamp = *in.StartingPositionTimestamp
		default:
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]", truncate(p, 64))
		}
		m.StartPosition = *in.StartingPosition
	}
	if err := applyMappingInput(m, &in); err != nil {
		return err
	}
	if err := s.checkMappingSource(r.Context(), m, f, false); err != nil {
		return err
	}
	// Positions are read before taking the lock: LATEST may read a whole
	// shard.
	var cps map[string]string
	if kind == esmStream {
		if cps, err = s.initialCheckpoints(r.Context(), m); err != nil {
			return err
		}
	}

	s.esm.mu.Lock()
	defer s.esm.mu.Unlock()
	for _, o := range s.esm.runners {
		if o.m.Account == m.Account && o.m.Region == m.Region && o.m.Function == m.Function && o.m.Source == m.Source {
			return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException",
				"An event source mapping with %s arn (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s",
				map[string]string{esmSQS: "SQS", esmStream: "DynamoDB"}[kind], m.Source, m.Function, o.m.UUID)
		}
	}
	if err := s.saveMapping(m, cps); err != nil {
		return err
	}
	s.startRunner(m, nil)
	return writeMapping(w, http.StatusAccepted, m.configuration("Creating", esmNoRecords))
}

func writeMapping(w http.ResponseWriter, status int, c mappingConfiguration) error {
	protocol.WriteJSON(w, status, c)
	return nil
}

// sourceKind says which kind of source arn is, in the caller's region.
func sourceKind(arn, region string) (string, error) {
	a, ok := protocol.ParseARN(arn)
	if !ok || !strings.HasPrefix(a.Partition, "aws") || (a.Account != "" && !protocol.IsAccountID(a.Account)) {
		return "", protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'eventSourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)", truncate(arn, 200))
	}
	var kind string
	switch {
	case a.Service == "sqs" && a.Account != "" && a.Resource != "" && !strings.Contains(a.Resource, ":"):
		kind = esmSQS
	case a.Service == "dynamodb" && a.Account != "" && strings.HasPrefix(a.Resource, "table/") && strings.Contains(a.Resource, "/stream/"):
		kind = esmStream
	default:
		return "", protocol.Errorf("InvalidParameterValueException", "Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
	}
	if a.Region != region {
		return "", protocol.Errorf("InvalidParameterValueException", "The event source %s is in region %s, not in this mapping's region %s.", arn, a.Region, region)
	}
	return kind, nil
}

// mappingFunction resolves a mapping's FunctionName in the caller's world
// and returns the function and the ARN to report.
func (s *Service) mappingFunction(ctx context.Context, name string) (*function, string, error) {
	id := protocol.IdentityFrom(ctx)
	ref, err := parseFunctionRef(name)
	if err != nil {
		return nil, "", err
	}
	f, err := s.find(id.AccountID, id.Region, ref)
	if err != nil {
		return nil, "", err
	}
	arn := f.arn()
	if ref.qualifier != "" {
		arn += ":" + ref.qualifier
	}
	return f, arn, nil
}

// applyMappingInput validates the settable fields of in and applies them to
// m (create and update).
func applyMappingInput(m *mapping, in *mappingInput) error {
	stream := m.Kind == esmStream
	streamOnly := func(name string, set bool) error {
		if set && !stream {
			return protocol.Errorf("InvalidParameterValueException", "Unsupported %s parameter for given event source mapping type (SQS).", name)
		}
		return nil
	}
	for _, c := range []struct {
		name string
		set  bool
	}{
		{"ParallelizationFactor", in.ParallelizationFactor != nil},
		{"MaximumRecordAgeInSeconds", in.MaximumRecordAgeInSeconds != nil},
		{"BisectBatchOnFunctionError", in.BisectBatchOnFunctionError != nil},
		{"MaximumRetryAttempts", in.MaximumRetryAttempts != nil},
		{"TumblingWindowInSeconds", in.TumblingWindowInSeconds != nil},
		{"DestinationConfig", in.DestinationConfig != nil && in.DestinationConfig.OnFailure != nil && in.DestinationConfig.OnFailure.Destination != nil},
	} {
		if err := streamOnly(c.name, c.set); err != nil {
			return err
		}
	}
	if in.ScalingConfig != nil && in.ScalingConfig.MaximumConcurrency != nil && stream {
		return protocol.Errorf("InvalidParameterValueException", "Unsupported ScalingConfig parameter for given event source mapping type (DynamoDB streams).")
	}
	rng := func(name string, v *int, lo, hi int) error {
		if v == nil {
			return nil
		}
		if *v < lo {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, name, lo)
		}
		if *v > hi {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *v, name, hi)
		}
		return nil
	}
	var sc *int
	if in.ScalingConfig != nil {
		sc = in.ScalingConfig.MaximumConcurrency
	}
	for _, c := range []struct {
		name   string
		v      *int
		lo, hi int
	}{
		{"batchSize", in.BatchSize, 1, 10000},
		{"maximumBatchingWindowInSeconds", in.MaximumBatchingWindowInSeconds, 0, 300},
		{"parallelizationFactor", in.ParallelizationFactor, 1, 10},
		{"maximumRecordAgeInSeconds", in.MaximumRecordAgeInSeconds, -1, 604800},
		{"maximumRetryAttempts", in.MaximumRetryAttempts, -1, 10000},
		{"tumblingWindowInSeconds", in.TumblingWindowInSeconds, 0, 900},
		{"scalingConfig.maximumConcurrency", sc, 2, 1000},
	} {
		if err := rng(c.name, c.v, c.lo, c.hi); err != nil {
			return err
		}
	}
	if in.BatchSize != nil {
		m.BatchSize = *in.BatchSize
	}
	if in.MaximumBatchingWindowInSeconds != nil {
		m.Window = *in.MaximumBatchingWindowInSeconds
	}
	if in.Enabled != nil {
		m.Enabled = *in.Enabled
	}
	if in.ParallelizationFactor != nil {
		m.Parallelization = *in.ParallelizationFactor
	}
	if v := in.MaximumRecordAgeInSeconds; v != nil {
		if *v != -1 && *v < 60 {
			return protocol.Errorf("InvalidParameterValueException", "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800 seconds.")
		}
		m.MaxAge = *v
	}
	if in.MaximumRetryAttempts != nil {
		m.MaxRetry = *in.MaximumRetryAttempts
	}
	if in.BisectBatchOnFunctionError != nil {
		m.Bisect = *in.BisectBatchOnFunctionError
	}
	if in.TumblingWindowInSeconds != nil {
		t := *in.TumblingWindowInSeconds
		m.Tumbling = &t
	}
	if in.ScalingConfig != nil {
		m.MaxConcurrency = 0
		if sc != nil {
			m.MaxConcurrency = *sc
		}
	}
	if in.FunctionResponseTypes != nil {
		rt := *in.FunctionResponseTypes
		if len(rt) > 1 {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%v' at 'functionResponseTypes' failed to satisfy constraint: Member must have length less than or equal to 1", rt)
		}
		for _, t := range rt {
			if t != "ReportBatchItemFailures" {
				return protocol.Errorf("ValidationException", "1 validation error detected: Value '[%s]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]", truncate(t, 64))
			}
		}
		m.ResponseTypes = append([]string{}, rt...)
	}
	if d := in.DestinationConfig; d != nil {
		if d.OnSuccess != nil && d.OnSuccess.Destination != nil {
			return protocol.Errorf("InvalidParameterValueException", "Unsupported DestinationConfig parameter for given event source mapping type: only OnFailure destinations are supported.")
		}
		m.OnFailure = ""
		if d.OnFailure != nil && d.OnFailure.Destination != nil && *d.OnFailure.Destination != "" {
			dest := *d.OnFailure.Destination
			a, ok := protocol.ParseARN(dest)
			if !ok || a.Service != "sqs" {
				return protocol.Errorf("InvalidParameterValueException", "The local cloud supports SQS queue ARNs as OnFailure destinations, got %s.", truncate(dest, 200))
			}
			m.OnFailure = dest
		}
	}
	if in.FilterCriteria != nil {
		if len(in.FilterCriteria.Filters) > esmMaxFilters {
			return protocol.Errorf("InvalidParameterValueException", "The number of filters (%d) exceeds the limit of %d filters per event source mapping.", len(in.FilterCriteria.Filters), esmMaxFilters)
		}
		var ps []string
		for _, f := range in.FilterCriteria.Filters {
			if f.Pattern == nil {
				continue
			}
			if len(*f.Pattern) > 4096 {
				return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'filterCriteria.filters.member.pattern' failed to satisfy constraint: Member must have length less than or equal to 4096")
			}
			if _, err := parseFilterPattern(*f.Pattern); err != nil {
				return protocol.Errorf("InvalidParameterValueException", "Invalid filter pattern definition. %v", err)
			}
			ps = append(ps, *f.Pattern)
		}
		m.Filters = ps
	}
	if m.Kind == esmSQS && strings.HasSuffix(m.Source, ".fifo") {
		if m.BatchSize > 10 {
			return protocol.Errorf("InvalidParameterValueException", "BatchSize must be between 1 and 10 for FIFO queues.")
		}
		if m.Window > 0 {
			return protocol.Errorf("InvalidParameterValueException", "MaximumBatchingWindowInSeconds is not supported for FIFO queues.")
		}
	}
	if m.Kind == esmSQS {
		if m.BatchSize > 10 && m.Window < 1 {
			return protocol.Errorf("InvalidParameterValueException", "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
		}
	} else if m.BatchSize > 1000 {
		// DynamoDB streams batches are bounded by GetRecords' 1000 records.
		return protocol.Errorf("InvalidParameterValueException", "BatchSize %d is more than the maximum of 1000 for DynamoDB stream event sources.", m.BatchSize)
	}
	return nil
}

func (s *Service) getMapping(w http.ResponseWriter, r *http.Request) error {
	rn, err := s.ownMapping(r)
	if err != nil {
		return err
	}
	return writeMapping(w, http.StatusOK, rn.m.configuration("", rn.lastResult()))
}

// ownMapping finds the mapping a request's {uuid} names in the caller's
// account and region.
func (s *Service) ownMapping(r *http.Request) (*esmRunner, error) {
	id := protocol.IdentityFrom(r.Context())
	u := r.PathValue("uuid")
	s.esm.mu.Lock()
	rn := s.esm.runners[u]
	s.esm.mu.Unlock()
	if rn == nil || rn.m.Account != id.AccountID || rn.m.Region != id.Region {
		return nil, protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: %s)", protocol.RequestID(r.Context()))
	}
	return rn, nil
}

func (s *Service) listMappings(w http.ResponseWriter, r *http.Request) error {
	id := protocol.IdentityFrom(r.Context())
	q := r.URL.Query()
	max := 100
	if n, ok, err := queryInt(r, "MaxItems"); err != nil {
		return err
	} else if ok {
		if n < 1 || n > 10000 {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", n)
		}
		max = n
	}
	fnName := ""
	if fn := q.Get("FunctionName"); fn != "" {
		ref, err := parseFunctionRef(fn)
		if err != nil {
			return err
		}
		fnName = ref.name
	}
	src := q.Get("EventSourceArn")
	s.esm.mu.Lock()
	var all []*esmRunner
	for _, rn := range s.esm.runners {
		m := rn.m
		if m.Account != id.AccountID || m.Region != id.Region || (fnName != "" && m.Function != fnName) || (src != "" && m.Source != src) {
			continue
		}
		all = append(all, rn)
	}
	s.esm.mu.Unlock()
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i].m, all[j].m
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.UUID < b.UUID
	})
	start := 0
	if mk := q.Get("Marker"); mk != "" {
		n, err := strconv.Atoi(mk)
		if err != nil || n < 0 {
			return protocol.Errorf("InvalidParameterValueException", "Invalid Marker: %s", truncate(mk, 64))
		}
		start = min(n, len(all))
	}
	end := min(start+max, len(all))
	out := struct {
		NextMarker          *string                `json:"NextMarker,omitempty"`
		EventSourceMappings []mappingConfiguration `json:"EventSourceMappings"`
	}{EventSourceMappings: []mappingConfiguration{}}
	for _, rn := range all[start:end] {
		out.EventSourceMappings = append(out.EventSourceMappings, rn.m.configuration("", rn.lastResult()))
	}
	if end < len(all) {
		mk := strconv.Itoa(end)
		out.NextMarker = &mk
	}
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) updateMapping(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<20, "UpdateEventSourceMapping")
	if err != nil {
		return err
	}
	var in mappingInput
	if err := decode(body, &in); err != nil {
		return err
	}
	rn, err := s.ownMapping(r)
	if err != nil {
		return err
	}
	if in.EventSourceArn != nil || in.StartingPosition != nil || in.StartingPositionTimestamp != nil {
		return protocol.Errorf("InvalidParameterValueException", "EventSourceArn and StartingPosition cannot be updated: create a new event source mapping.")
	}
	m := rn.m.clone()
	f, err := func() (*function, error) {
		name := m.Function
		if in.FunctionName != nil {
			name = *in.FunctionName
		}
		f, arn, err := s.mappingFunction(r.Context(), name)
		if err != nil {
			return nil, err
		}
		if in.FunctionName != nil {
			m.Function, m.FunctionArn = f.Name, arn
		}
		return f, nil
	}()
	if err != nil {
		return err
	}
	if err := applyMappingInput(m, &in); err != nil {
		return err
	}
	if m.Kind == esmSQS {
		if err := s.checkMappingSource(r.Context(), m, f, true); err != nil {
			return err
		}
	}
	m.LastModified = time.Now()

	s.esm.mu.Lock()
	defer s.esm.mu.Unlock()
	cur := s.esm.runners[m.UUID]
	if cur == nil {
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: %s)", protocol.RequestID(r.Context()))
	}
	for _, o := range s.esm.runners {
		if o.m.UUID != m.UUID && o.m.Account == m.Account && o.m.Region == m.Region && o.m.Function == m.Function && o.m.Source == m.Source {
			return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException",
				"An event source mapping with event source (\" %s \") and function (\" %s \") already exists. Please update or delete the existing mapping with UUID %s", m.Source, m.Function, o.m.UUID)
		}
	}
	if err := s.saveMapping(m, nil); err != nil {
		return err
	}
	cur.halt()
	s.startRunner(m, cur)
	return writeMapping(w, http.StatusAccepted, m.configuration("Updating", s.esm.runners[m.UUID].lastResult()))
}

func (s *Service) deleteMapping(w http.ResponseWriter, r *http.Request) error {
	rn, err := s.ownMapping(r)
	if err != nil {
		return err
	}
	s.esm.mu.Lock()
	defer s.esm.mu.Unlock()
	if s.esm.runners[rn.m.UUID] == nil {
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: %s)", protocol.RequestID(r.Context()))
	}
	rn = s.esm.runners[rn.m.UUID]
	if err := s.deleteMappingRow(rn.m.UUID); err != nil {
		return err
	}
	delete(s.esm.runners, rn.m.UUID)
	rn.halt()
	return writeMapping(w, http.StatusAccepted, rn.m.configuration("Deleting", rn.lastResult()))
}

// mappingsRunning returns how many mappings have pollers that have not yet
// returned (tests check that none leak).
func (s *Service) mappingsRunning() int {
	s.esm.mu.Lock()
	defer s.esm.mu.Unlock()
	n := 0
	for _, r := range s.esm.runners {
		select {
		case <-r.done:
		default:
			n++
		}
	}
	return n
}
