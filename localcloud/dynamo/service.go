package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/dynamo/wire"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Config configures the DynamoDB service.
type Config struct {
	// DataDir holds dynamodb.db.
	DataDir string
	// Endpoint is the cloud's base URL (DescribeEndpoints answers its host).
	Endpoint string
	// Logger receives internal failures; nil discards.
	Logger *slog.Logger
	// Bus is the activity stream; the router already publishes every
	// request, so the service publishes nothing more (nil is fine).
	Bus *activity.Bus
	// StreamRetention is how long stream records are kept; 0 means 24 hours.
	StreamRetention time.Duration
	// IteratorTTL is how long a shard iterator stays valid; 0 means 15 minutes.
	IteratorTTL time.Duration

	// TableDelay is how long CreateTable, UpdateTable and DeleteTable take
	// (the table is CREATING, UPDATING or DELETING meanwhile); 0 means
	// DefaultTableDelay, a negative value no delay at all.
	TableDelay time.Duration

	// clock replaces time.Now for the table lifecycle in tests.
	clock func() time.Time
	// applyIdle is how long writes pause before the journal is copied into
	// SQLite; 0 means applyIdle (tests set it long to keep the journal).
	applyIdle time.Duration
}

const (
	dynamoPrefix  = "DynamoDB_20120810."
	streamsPrefix = "DynamoDBStreams_20120810."
	errNamespace  = "com.amazonaws.dynamodb.v20120810#"
	contentType   = "application/x-amz-json-1.0"
)

// Service is the DynamoDB and DynamoDB Streams API.
type Service struct {
	cfg Config
	log *slog.Logger
	db  *sql.DB
	com *committer
	// api and streamsAPI serve the two target prefixes.
	api        *protocol.JSONService
	streamsAPI *protocol.JSONService

	// now is the lifecycle's clock and delay its transitions' length.
	now   func() time.Time
	delay time.Duration

	mu      sync.RWMutex
	tables  map[tableKey]*table
	streams map[string]*streamMeta // by stream ARN

	tokMu  sync.Mutex
	tokens map[string]tokenEntry // TransactWriteItems client request tokens

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// tableKey names a table within an account and region.
type tableKey struct{ account, region, name string }

// New opens the service's database, loads its tables into memory and starts
// the stream-trimming loop.
func New(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.StreamRetention == 0 {
		cfg.StreamRetention = 24 * time.Hour
	}
	if cfg.IteratorTTL == 0 {
		cfg.IteratorTTL = 15 * time.Minute
	}
	db, err := openDB(filepath.Join(cfg.DataDir, "dynamodb.db"))
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:     cfg,
		log:     cfg.Logger,
		db:      db,
		tables:  map[tableKey]*table{},
		streams: map[string]*streamMeta{},
		tokens:  map[string]tokenEntry{},
		stop:    make(chan struct{}),
		now:     cfg.clock,
		delay:   tableDelay(cfg.TableDelay),
	}
	if s.now == nil {
		s.now = time.Now
	}
	// The writer first copies what the journal holds into SQLite, which
	// the state is then loaded from.
	com, err := newCommitter(db, filepath.Join(cfg.DataDir, "dynamodb.journal"), cfg.applyIdle, cfg.Logger)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("dynamodb: %w", err)
	}
	s.com = com
	if err := s.load(); err != nil {
		com.close()
		db.Close()
		return nil, fmt.Errorf("dynamodb: load state: %w", err)
	}
	// The size cap runs first: typeChecked walks the whole body.
	s.api = s.jsonService(dynamoPrefix, capSingleCalls(typeChecked(s.metered(legacyParams(map[string]protocol.JSONOp{
		"CreateTable":               s.createTable,
		"DescribeTable":             s.describeTable,
		"ListTables":                s.listTables,
		"UpdateTable":               s.updateTable,
		"DeleteTable":               s.deleteTable,
		"DescribeContinuousBackups": s.describeContinuousBackups,
		"UpdateContinuousBackups":   s.updateContinuousBackups,
		"TagResource":               s.tagResource,
		"UntagResource":             s.untagResource,
		"ListTagsOfResource":        s.listTagsOfResource,
		"DescribeTimeToLive":        s.describeTimeToLive,
		"UpdateTimeToLive":          s.updateTimeToLive,
		"DescribeLimits":            s.describeLimits,
		"DescribeEndpoints":         s.describeEndpoints,
		"PutItem":                   s.putItem,
		"GetItem":                   s.getItem,
		"UpdateItem":                s.updateItem,
		"DeleteItem":                s.deleteItem,
		"Query":                     s.query,
		"Scan":                      s.scan,
		"BatchGetItem":              s.batchGetItem,
		"BatchWriteItem":            s.batchWriteItem,
		"TransactWriteItems":        s.transactWriteItems,
		"TransactGetItems":          s.transactGetItems,
	})))))
	s.streamsAPI = s.jsonService(streamsPrefix, map[string]protocol.JSONOp{
		"ListStreams":      s.listStreams,
		"DescribeStream":   s.describeStream,
		"GetShardIterator": s.getShardIterator,
		"GetRecords":       s.getRecords,
	})
	s.wg.Add(2)
	// Trim and expire what aged while the service was down before serving,
	// then once a minute.
	s.trim(time.Now())
	s.expire(time.Now())
	go s.trimLoop()
	go s.checkpointLoop()
	return s, nil
}

// jsonService serves ops under prefix. Errors of both APIs carry the
// DynamoDB namespace, and every response the X-Amz-Crc32 the SDK checks.
func (s *Service) jsonService(prefix string, ops map[string]protocol.JSONOp) *protocol.JSONService {
	return &protocol.JSONService{
		TargetPrefix:   prefix,
		ContentType:    contentType,
		ErrorNamespace: errNamespace,
		ErrorShapes:    errorShapes,
		CRC32:          true,
		Ops:            ops,
		Logger:         s.log,
		// A call without a body is not read as {}: DynamoDB answers it
		// SerializationException (SDKs always send a JSON object).
		KeepEmptyBody: true,
	}
}

// errorShapes are the error bodies DynamoDB writes outside its own
// namespace: validation and serialization errors come from the Coral
// framework, the latter with a capital "Message".
var errorShapes = map[string]protocol.ErrorShape{
	"ValidationException":       {Type: "com.amazon.coral.validate#ValidationException"},
	"SerializationException":    {Type: "com.amazon.coral.service#SerializationException", MessageKey: "Message"},
	"UnknownOperationException": {Type: "com.amazon.coral.service#UnknownOperationException", NoMessage: true},
	"ThrottlingException":       {Type: "com.amazon.coral.availability#ThrottlingException"},
	"AccessDeniedException":     {Type: "com.amazon.coral.service#AccessDeniedException", MessageKey: "Message"},
}

// tagOps check their requests with checkTagRequest, not the model's
// constraints: DynamoDB answers them with its own messages.
var tagOps = map[string]bool{"TagResource": true, "UntagResource": true, "ListTagsOfResource": true}

// typeChecked makes every operation check its request against botocore's
// model first, as DynamoDB does before anything else: the JSON types
// (SerializationException), then the members' constraints
// (ValidationException), before the operation looks at tables.
func typeChecked(ops map[string]protocol.JSONOp) map[string]protocol.JSONOp {
	for name, op := range ops {
		ops[name] = func(ctx context.Context, body []byte) (any, error) {
			if err := wire.Check(name, body); err == wire.ErrMalformed {
				return nil, &protocol.Error{Code: "SerializationException"}
			} else if err != nil {
				return nil, protocol.Errorf("SerializationException", "%s", err.Error())
			}
			if tagOps[name] {
				if err := checkTagRequest(ctx, name, body); err != nil {
					return nil, err
				}
			} else if err := wire.Validate(name, body); err != nil {
				var ve *wire.ValidationError
				if errors.As(err, &ve) && (name == "BatchGetItem" || name == "BatchWriteItem") && ve.Pieces != nil {
					// The batch's own map checks join the model's.
					return nil, validationf("%s", validationMessage(append(ve.Pieces, requestItemsPieces(name, body)...)))
				}
				return nil, validationf("%s", err.Error())
			}
			return op(ctx, body)
		}
	}
	return ops
}

// Route is how the router finds the service: both target prefixes, signing
// name "dynamodb".
func (s *Service) Route() protocol.Route {
	return protocol.Route{
		Service:   "dynamodb",
		Targets:   []string{dynamoPrefix, streamsPrefix},
		Handler:   s,
		RequestID: requestID,
		KnownTarget: func(target string) bool {
			if op, ok := strings.CutPrefix(target, dynamoPrefix); ok {
				return s.api.Ops[op] != nil
			}
			op, ok := strings.CutPrefix(target, streamsPrefix)
			return ok && s.streamsAPI.Ops[op] != nil
		},
	}
}

// Close stops the background loop, flushes pending commits and closes the
// database. It is idempotent.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		s.com.close()
		err = s.db.Close()
	})
	return err
}

// ServeHTTP answers awsJson1_0 requests of both APIs.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	protocol.CoralCORS(w, r)
	if r.ContentLength > protocol.CoralMaxBody {
		protocol.WriteCoralTooLarge(w)
		return
	}
	// DynamoDB reads only JSON bodies: another Content-Type (text/plain,
	// application/x-amz-json-1.1), or a body without one, is not an API
	// call to it.
	if ct := r.Header.Get("Content-Type"); ct != "" || r.ContentLength != 0 {
		base, ok := protocol.CoralJSONType(ct)
		if !ok {
			protocol.WriteCoralNotFound(w)
			return
		}
		if base == "application/json" {
			// DynamoDB answers in the JSON type it was asked in.
			w = jsonTypeWriter{w}
		}
	} else {
		// A signed call with neither body nor type is answered as
		// application/json, as DynamoDB's front end answers unsigned ones.
		w = jsonTypeWriter{w}
	}
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), streamsPrefix) {
		s.streamsAPI.ServeHTTP(w, r)
		return
	}
	s.api.ServeHTTP(w, r)
}

// decode reads a request body; unknown members are ignored as AWS does.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// DynamoDB answers a body that is not JSON with the type alone.
			return &protocol.Error{Code: "SerializationException"}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return protocol.Errorf("SerializationException", "Unexpected value type in payload: %s", te.Field)
		}
		if errors.Is(err, attr.ErrInvalid) {
			return attrDecodeError(err)
		}
		return protocol.Errorf("SerializationException", "could not decode the request body")
	}
	return nil
}

// attrDecodeError answers an attribute value the attr package could not
// decode with DynamoDB's message for it.
func attrDecodeError(err error) error {
	msg := err.Error()
	var bad attr.NumberError
	switch {
	case strings.Contains(msg, "exactly one data type, got 0"), strings.Contains(msg, "unknown data type"):
		return validationf("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case errors.As(err, &bad):
		return validationf("%s", strings.TrimPrefix(msg, attr.ErrInvalid.Error()+": "))
	case strings.Contains(msg, "exactly one data type"):
		return validationf("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	return protocol.Errorf("SerializationException", "%s", strings.TrimPrefix(msg, attr.ErrInvalid.Error()+": "))
}

// checkpointLoop copies the WAL into the database file twice a second with
// a passive checkpoint, which never blocks the writer, so that commits do
// not pay for checkpoints (the writer's automatic checkpoints are off).
func (s *Service) checkpointLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			return
		case <-tick.C:
			if _, err := s.db.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				s.log.Warn("dynamodb checkpoint", "err", err)
			}
		}
	}
}

// requestID is an id in DynamoDB's form (52 characters of 0-9 and A-V).
func requestID() string { return protocol.CoralRequestID() }

// jsonTypeWriter answers with Content-Type application/json, whatever the
// service set.
type jsonTypeWriter struct{ http.ResponseWriter }

func (w jsonTypeWriter) WriteHeader(code int) {
	w.Header().Set("Content-Type", "application/json")
	w.ResponseWriter.WriteHeader(code)
}
