package sns

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
	"github.com/labkit-dev/labkit/localcloud/store"
)

// XMLNS is the namespace of SNS responses.
const XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// APIVersion is the awsQuery Version SNS requests carry.
const APIVersion = "2010-03-31"

// Config configures a Service.
type Config struct {
	// DataDir holds sns.db.
	DataDir string
	// Endpoint is the base URL of the local cloud; SubscribeURL and
	// UnsubscribeURL in delivered messages point at it.
	Endpoint string
	Logger   *slog.Logger
	Bus      *activity.Bus
	// Queues delivers to SQS subscriptions (the SQS service). When nil, SQS
	// deliveries fail (and go to the subscription's dead-letter queue, which
	// cannot be reached either).
	Queues protocol.QueueDeliverer
	// Functions invokes Lambda subscriptions (the Lambda service). When nil,
	// Lambda deliveries fail and are retried, then dropped and logged.
	Functions protocol.FunctionInvoker
	// HTTPClient posts to http/https subscriptions; nil means a client with a
	// 15-second timeout.
	HTTPClient *http.Client
	// MaxAttempts bounds the tries of an asynchronous delivery (Lambda,
	// HTTP/S, subscription confirmations); 0 means 4.
	MaxAttempts int
	// RetryDelay is the wait before the first retry, doubled for each later
	// one up to a minute; 0 means one second.
	RetryDelay time.Duration
	// Workers is the number of goroutines delivering asynchronously; 0 means 16.
	Workers int
}

// Service is the SNS service: topics, subscriptions, publishing and
// delivery to SQS, Lambda and HTTP/S subscribers.
type Service struct {
	cfg     Config
	log     *slog.Logger
	db      *sql.DB
	handler *protocol.QueryService

	mu        sync.RWMutex
	topics    map[string]*topic        // by ARN
	subs      map[string]*subscription // by ARN
	apps      map[string]*platformApp  // platform applications by ARN
	endpoints map[string]*platformEndpoint
	sms       map[smsKey]*smsSettings

	box *outbox
	w   *committer

	closeOnce sync.Once
	closeErr  error
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS topics (
		arn TEXT PRIMARY KEY,
		account TEXT NOT NULL,
		region TEXT NOT NULL,
		name TEXT NOT NULL,
		attrs TEXT NOT NULL,
		tags TEXT NOT NULL,
		deleted_subs INTEGER NOT NULL DEFAULT 0,
		created INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS subscriptions (
		arn TEXT PRIMARY KEY,
		topic_arn TEXT NOT NULL,
		owner TEXT NOT NULL,
		protocol TEXT NOT NULL,
		endpoint TEXT NOT NULL,
		attrs TEXT NOT NULL,
		pending INTEGER NOT NULL,
		token TEXT NOT NULL,
		authenticated INTEGER NOT NULL,
		auth_unsubscribe INTEGER NOT NULL DEFAULT 0,
		created INTEGER NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS subscriptions_topic ON subscriptions(topic_arn)`,
	platformSchema,
	smsSchema,
	sandboxSchema,
	`CREATE TABLE IF NOT EXISTS outbox (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		due INTEGER NOT NULL,
		attempts INTEGER NOT NULL,
		job TEXT NOT NULL
	)`,
}

// New opens sns.db in cfg.DataDir, loads topics, subscriptions and pending
// deliveries, and starts the delivery workers.
func New(cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "http://127.0.0.1:4566"
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 4
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	db, err := store.Open(filepath.Join(cfg.DataDir, "sns.db"), schema...)
	if err != nil {
		return nil, fmt.Errorf("open sns store: %w", err)
	}
	s := &Service{
		cfg:       cfg,
		log:       cfg.Logger,
		db:        db,
		topics:    map[string]*topic{},
		subs:      map[string]*subscription{},
		apps:      map[string]*platformApp{},
		endpoints: map[string]*platformEndpoint{},
		sms:       map[smsKey]*smsSettings{},
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("load sns state: %w", err)
	}
	if s.w, err = newCommitter(db, cfg.Logger); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sns store: %w", err)
	}
	s.handler = &protocol.QueryService{XMLNS: XMLNS, Logger: cfg.Logger, Ops: s.ops()}
	s.box = newOutbox(s)
	if err := s.box.load(); err != nil {
		s.w.close()
		db.Close()
		return nil, fmt.Errorf("load sns pending deliveries: %w", err)
	}
	s.box.start()
	return s, nil
}

// Route returns how the router finds SNS: awsQuery requests of version
// 2010-03-31 or signed for "sns".
func (s *Service) Route() protocol.Route {
	return protocol.Route{Service: "sns", QueryVersions: []string{APIVersion}, Handler: s.handler, Unsigned: unsignedLink}
}

// unsignedLink reports whether r follows a link SNS sends without
// signing: a SubscribeURL (ConfirmSubscription, its token the capability)
// or an UnsubscribeURL, which the subscription's owner can require to be
// signed (AuthenticateOnUnsubscribe).
func unsignedLink(r *http.Request) bool {
	q := r.URL.Query()
	a := q.Get("Action")
	return r.Method == http.MethodGet && (a == "ConfirmSubscription" || a == "Unsubscribe") && q.Get("Version") == APIVersion
}

// Close stops the delivery workers and closes the database. Deliveries not
// yet made stay in the database and are made after the next New.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.box.stop()
		s.w.close()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

func (s *Service) ops() map[string]protocol.QueryOp {
	return map[string]protocol.QueryOp{
		"CreateTopic":               s.createTopic,
		"DeleteTopic":               s.deleteTopic,
		"ListTopics":                s.listTopics,
		"GetTopicAttributes":        s.getTopicAttributes,
		"SetTopicAttributes":        s.setTopicAttributes,
		"Subscribe":                 s.subscribe,
		"ConfirmSubscription":       s.confirmSubscription,
		"Unsubscribe":               s.unsubscribe,
		"ListSubscriptions":         s.listSubscriptions,
		"ListSubscriptionsByTopic":  s.listSubscriptionsByTopic,
		"GetSubscriptionAttributes": s.getSubscriptionAttributes,
		"SetSubscriptionAttributes": s.setSubscriptionAttributes,
		"Publish":                   s.publish,
		"PublishBatch":              s.publishBatch,
		"TagResource":               s.tagResource,
		"UntagResource":             s.untagResource,
		"ListTagsForResource":       s.listTagsForResource,
		"AddPermission":             s.addPermission,
		"RemovePermission":          s.removePermission,
		"PutDataProtectionPolicy":   s.putDataProtectionPolicy,
		"GetDataProtectionPolicy":   s.getDataProtectionPolicy,

		"CreatePlatformApplication":          s.createPlatformApplication,
		"GetPlatformApplicationAttributes":   s.getPlatformApplicationAttributes,
		"SetPlatformApplicationAttributes":   s.setPlatformApplicationAttributes,
		"ListPlatformApplications":           s.listPlatformApplications,
		"DeletePlatformApplication":          s.deletePlatformApplication,
		"CreatePlatformEndpoint":             s.createPlatformEndpoint,
		"GetEndpointAttributes":              s.getEndpointAttributes,
		"SetEndpointAttributes":              s.setEndpointAttributes,
		"DeleteEndpoint":                     s.deleteEndpoint,
		"ListEndpointsByPlatformApplication": s.listEndpointsByPlatformApplication,

		"SetSMSAttributes":             s.setSMSAttributes,
		"GetSMSAttributes":             s.getSMSAttributes,
		"CheckIfPhoneNumberIsOptedOut": s.checkIfPhoneNumberIsOptedOut,
		"ListPhoneNumbersOptedOut":     s.listPhoneNumbersOptedOut,
		"OptInPhoneNumber":             s.optInPhoneNumber,
		"GetSMSSandboxAccountStatus":   s.getSMSSandboxAccountStatus,
		"ListSMSSandboxPhoneNumbers":   s.listSMSSandboxPhoneNumbers,
		"CreateSMSSandboxPhoneNumber":  s.createSMSSandboxPhoneNumber,
		"VerifySMSSandboxPhoneNumber":  s.verifySMSSandboxPhoneNumber,
		"DeleteSMSSandboxPhoneNumber":  s.deleteSMSSandboxPhoneNumber,
		"ListOriginationNumbers":       s.listOriginationNumbers,
	}
}

// load reads topics and subscriptions into memory.
func (s *Service) load() error {
	rows, err := s.db.Query(`SELECT arn, account, region, name, attrs, tags, deleted_subs, created FROM topics`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t := &topic{subs: map[string]*subscription{}}
		var attrs, tags string
		var created int64
		if err := rows.Scan(&t.arn, &t.account, &t.region, &t.name, &attrs, &tags, &t.deletedSubs, &created); err != nil {
			return err
		}
		t.created = time.UnixMilli(created)
		if err := json.Unmarshal([]byte(attrs), &t.attrs); err != nil {
			return fmt.Errorf("topic %s attributes: %w", t.arn, err)
		}
		if err := json.Unmarshal([]byte(tags), &t.tags); err != nil {
			return fmt.Errorf("topic %s tags: %w", t.arn, err)
		}
		if t.attrs == nil {
			t.attrs = map[string]string{}
		}
		if t.tags == nil {
			t.tags = map[string]string{}
		}
		s.topics[t.arn] = t
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()

	rows, err = s.db.Query(`SELECT arn, topic_arn, owner, protocol, endpoint, attrs, pending, token, authenticated, auth_unsubscribe, created FROM subscriptions`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		sub := &subscription{}
		var attrs string
		var created int64
		if err := rows.Scan(&sub.arn, &sub.topicARN, &sub.owner, &sub.protocol, &sub.endpoint, &attrs, &sub.pending, &sub.token, &sub.authenticated, &sub.authUnsubscribe, &created); err != nil {
			return err
		}
		sub.created = time.UnixMilli(created)
		if err := json.Unmarshal([]byte(attrs), &sub.attrs); err != nil {
			return fmt.Errorf("subscription %s attributes: %w", sub.arn, err)
		}
		if sub.attrs == nil {
			sub.attrs = map[string]string{}
		}
		if fp := sub.attrs["FilterPolicy"]; fp != "" {
			p, err := CompileFilterPolicy(fp)
			if err != nil {
				s.log.Warn("stored filter policy no longer compiles; ignoring it", "subscription", sub.arn, "err", err)
			}
			sub.filter = p
		}
		t := s.topics[sub.topicARN]
		if t == nil {
			continue
		}
		t.subs[sub.arn] = sub
		s.subs[sub.arn] = sub
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.loadPlatform(); err != nil {
		return err
	}
	return s.loadSMS()
}

// saveTopic writes t's row (insert or replace) in tx.
func saveTopic(ctx context.Context, tx *sql.Tx, t *topic) error {
	attrs, _ := json.Marshal(t.attrs)
	tags, _ := json.Marshal(t.tags)
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO topics (arn, account, region, name, attrs, tags, deleted_subs, created) VALUES (?,?,?,?,?,?,?,?)`,
		t.arn, t.account, t.region, t.name, string(attrs), string(tags), t.deletedSubs, t.created.UnixMilli())
	return err
}

// saveSubscription writes sub's row (insert or replace) in tx.
func saveSubscription(ctx context.Context, tx *sql.Tx, sub *subscription) error {
	attrs, _ := json.Marshal(sub.attrs)
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO subscriptions (arn, topic_arn, owner, protocol, endpoint, attrs, pending, token, authenticated, auth_unsubscribe, created) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		sub.arn, sub.topicARN, sub.owner, sub.protocol, sub.endpoint, string(attrs), sub.pending, sub.token, sub.authenticated, sub.authUnsubscribe, sub.created.UnixMilli())
	return err
}

// write runs fn in a transaction (shared with concurrent writers) and
// returns once it is committed.
func (s *Service) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.w.do(func(_ context.Context, tx *sql.Tx) error { return fn(tx) })
}

// Errors in SNS's codes.

func invalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameter", "Invalid parameter: "+format, args...)
}

// invalidValue is SNS's InvalidParameterValue, which Publish answers for
// message attributes it cannot take.
func invalidValue(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterValue", format, args...)
}

func notFound(format string, args ...any) *protocol.Error {
	return protocol.StatusErrorf(http.StatusNotFound, "NotFound", format, args...)
}

func authorizationError(format string, args ...any) *protocol.Error {
	return protocol.StatusErrorf(http.StatusForbidden, "AuthorizationError", format, args...)
}
