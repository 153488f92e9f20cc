package sqs

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Defaults and limits of queue attributes, as AWS documents them.
const (
	defaultVisibility = 30
	defaultRetention  = 345600
	defaultMaxSize    = 1048576
	dedupWindow       = 5 * time.Minute
)

// queueKey identifies a queue: each account and region is its own world.
type queueKey struct{ account, region, name string }

// queue is one queue and its messages. mu guards everything below it.
type queue struct {
	id  int64
	key queueKey
	arn string

	mu       sync.Mutex
	attrs    map[string]string // settable attributes as given (normalised), without defaults
	tags     map[string]string
	created  int64 // unix seconds
	modified int64
	fifo     bool
	deleted  bool
	purged   time.Time // last purge, for PurgeQueueInProgress

	// Parsed attributes, kept in step with attrs.
	visibility, delay, retention, maxSize, wait int
	redrive                                     *redrivePolicy

	msgs    []*message // in send order; deleted entries are compacted away lazily
	bySeq   map[int64]*message
	dead    int // deleted entries still in msgs
	nextSeq int64
	dedup   map[string]dedupEntry
	// attempts are recent FIFO receives by ReceiveRequestAttemptId.
	attempts map[string]*attempt
	notify   chan struct{} // closed and replaced when a message may have become receivable

	lastDepth atomic.Int64 // unix ms of the last depth event
	pollers   atomic.Int32 // long polls waiting for a message now
}

type dedupEntry struct {
	messageID string
	seq       int64
	expires   int64
}

type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

func newQueue(id int64, key queueKey) *queue {
	return &queue{
		id: id, key: key,
		arn:        protocol.ARN("sqs", key.region, key.account, key.name),
		attrs:      map[string]string{},
		tags:       map[string]string{},
		bySeq:      map[int64]*message{},
		dedup:      map[string]dedupEntry{},
		attempts:   map[string]*attempt{},
		notify:     make(chan struct{}),
		nextSeq:    1,
		fifo:       strings.HasSuffix(key.name, ".fifo"),
		visibility: defaultVisibility, retention: defaultRetention, maxSize: defaultMaxSize,
	}
}

// wake tells long pollers to look again. Callers hold q.mu.
func (q *queue) wake() {
	close(q.notify)
	q.notify = make(chan struct{})
}

// add appends m to the queue. Callers hold q.mu.
func (q *queue) add(m *message) {
	q.msgs = append(q.msgs, m)
	q.bySeq[m.seq] = m
	if m.seq >= q.nextSeq {
		q.nextSeq = m.seq + 1
	}
}

// locked runs f holding q.mu. The lock is released even when f panics, so a
// bug met by one request fails that request and never leaves the queue
// locked for every later one.
func (q *queue) locked(f func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f()
}

// lockedLive runs f holding q.mu, as locked does, unless q was deleted.
func (q *queue) lockedLive(f func() error) (err error) {
	q.locked(func() {
		if q.deleted {
			err = nonExistent()
			return
		}
		err = f()
	})
	return err
}

// redrivesTo reports whether q's redrive policy names arn as its
// dead-letter queue.
func (q *queue) redrivesTo(arn string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.redrive != nil && q.redrive.DeadLetterTargetArn == arn
}

// remove deletes m from the queue. It only marks m: callers may be ranging
// over q.msgs, which compact rewrites. Callers hold q.mu.
func (q *queue) remove(m *message) {
	if m.deleted {
		return
	}
	m.deleted = true
	delete(q.bySeq, m.seq)
	q.dead++
}

// compact drops deleted messages from q.msgs once they are more than half of
// it. Callers hold q.mu and are not ranging over q.msgs.
func (q *queue) compact() {
	if q.dead <= 64 || q.dead <= len(q.msgs)/2 {
		return
	}
	live := q.msgs[:0]
	for _, x := range q.msgs {
		if !x.deleted {
			live = append(live, x)
		}
	}
	clear(q.msgs[len(live):])
	q.msgs = live
	q.dead = 0
}

// counts returns the approximate numbers GetQueueAttributes reports.
func (q *queue) counts(now int64) (visible, inFlight, delayed int) {
	for _, m := range q.msgs {
		switch {
		case m.deleted:
		case m.inFlight(now):
			inFlight++
		case m.visibleAt > now:
			delayed++
		default:
			visible++
		}
	}
	return
}

// nextWake is the earliest time after now a message becomes receivable, or 0.
func (q *queue) nextWake(now int64) int64 {
	var t int64
	for _, m := range q.msgs {
		if !m.deleted && m.visibleAt > now && (t == 0 || m.visibleAt < t) {
			t = m.visibleAt
		}
	}
	return t
}

// attribute names a caller may set, with their validation.
var settable = map[string]bool{
	"DelaySeconds": true, "MaximumMessageSize": true, "MessageRetentionPeriod": true, "Policy": true,
	"ReceiveMessageWaitTimeSeconds": true, "VisibilityTimeout": true, "RedrivePolicy": true,
	"RedriveAllowPolicy": true, "KmsMasterKeyId": true, "KmsDataKeyReusePeriodSeconds": true,
	"SqsManagedSseEnabled": true, "FifoQueue": true, "ContentBasedDeduplication": true,
	"DeduplicationScope": true, "FifoThroughputLimit": true,
}

var readOnly = map[string]bool{
	"ApproximateNumberOfMessages": true, "ApproximateNumberOfMessagesNotVisible": true,
	"ApproximateNumberOfMessagesDelayed": true, "CreatedTimestamp": true, "LastModifiedTimestamp": true,
	"QueueArn": true,
}

func invalidAttrValue(name string) *protocol.Error {
	return &protocol.Error{Code: "InvalidAttributeValue", QueryCode: "InvalidAttributeValue", Message: "Invalid value for the parameter " + name + "."}
}

func invalidAttrName(name string) *protocol.Error {
	return &protocol.Error{Code: "InvalidAttributeName", QueryCode: "InvalidAttributeName", Message: "Unknown Attribute " + name + "."}
}

func intRange(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, invalidAttrValue(name)
	}
	return n, nil
}

// normalizeAttrs validates attributes a caller wants to set on the queue
// key (creating it, or changing it) and returns them normalised.
func (s *Service) normalizeAttrs(key queueKey, fifo, creating bool, in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for name, v := range in {
		if !settable[name] {
			return nil, invalidAttrName(name)
		}
		switch name {
		case "DelaySeconds":
			n, err := intRange(name, v, 0, 900)
			if err != nil {
				return nil, err
			}
			v = strconv.Itoa(n)
		case "MaximumMessageSize":
			n, err := intRange(name, v, 1024, 1048576)
			if err != nil {
				return nil, err
			}
			v = strconv.Itoa(n)
		case "MessageRetentionPeriod":
			n, err := intRange(name, v, 60, 1209600)
			if err != nil {
				return nil, err
			}
			v = strconv.Itoa(n)
		case "ReceiveMessageWaitTimeSeconds":
			n, err := intRange(name, v, 0, 20)
			if err != nil {
				return nil, err
			}
			v = strconv.Itoa(n)
		case "VisibilityTimeout":
			n, err := intRange(name, v, 0, 43200)
			if err != nil {
				return nil, err
			}
			v = strconv.Itoa(n)
		case "KmsDataKeyReusePeriodSeconds":
			n, err := intRange(name, v, 60, 86400)
			if err != nil {
				return nil, err
			}
			v = strconv.Itoa(n)
		case "SqsManagedSseEnabled":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, invalidAttrValue(name)
			}
			v = strconv.FormatBool(b)
		case "FifoQueue":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, invalidAttrValue(name)
			}
			if !creating && b != fifo {
				return nil, invalidAttrValue(name)
			}
			if b != fifo {
				if b {
					return nil, invalidParam("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
				}
				return nil, invalidAttrValue(name)
			}
			v = strconv.FormatBool(b)
		case "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit":
			if !fifo {
				return nil, invalidAttrName(name)
			}
			switch name {
			case "ContentBasedDeduplication":
				b, err := strconv.ParseBool(v)
				if err != nil {
					return nil, invalidAttrValue(name)
				}
				v = strconv.FormatBool(b)
			case "DeduplicationScope":
				if v != "messageGroup" && v != "queue" {
					return nil, invalidAttrValue(name)
				}
			case "FifoThroughputLimit":
				if v != "perQueue" && v != "perMessageGroupId" {
					return nil, invalidAttrValue(name)
				}
			}
		case "Policy":
			if v != "" && !json.Valid([]byte(v)) {
				return nil, invalidAttrValue(name)
			}
		case "RedrivePolicy":
			if v == "" {
				break
			}
			p, err := s.checkRedrive(key, fifo, v)
			if err != nil {
				return nil, err
			}
			b, _ := json.Marshal(p)
			v = string(b)
		case "RedriveAllowPolicy":
			if v == "" {
				break
			}
			if err := checkRedriveAllow(v); err != nil {
				return nil, err
			}
		}
		out[name] = v
	}
	return out, nil
}

// checkRedrive validates a RedrivePolicy: its dead-letter queue must exist
// in the same account and region, be of the same type and allow key's queue.
func (s *Service) checkRedrive(key queueKey, fifo bool, v string) (*redrivePolicy, error) {
	bad := func(reason string) error {
		return invalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, bad("Redrive policy is not a valid JSON map.")
	}
	arn, _ := raw["deadLetterTargetArn"].(string)
	if arn == "" {
		return nil, bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	var count float64
	switch c := raw["maxReceiveCount"].(type) {
	case float64:
		count = c
	case string:
		f, err := strconv.ParseFloat(c, 64)
		if err != nil {
			return nil, bad("Invalid value for maxReceiveCount: " + c + ", valid values are from 1 to 1000 both inclusive.")
		}
		count = f
	case nil:
		return nil, bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	default:
		return nil, bad("Invalid value for maxReceiveCount, valid values are from 1 to 1000 both inclusive.")
	}
	if count != math.Trunc(count) || count < 1 || count > 1000 {
		return nil, bad(fmt.Sprintf("Invalid value for maxReceiveCount: %v, valid values are from 1 to 1000 both inclusive.", count))
	}
	dlq := s.queueByARN(arn)
	if dlq == nil || dlq.key.account != key.account || dlq.key.region != key.region {
		return nil, bad("Dead letter target does not exist.")
	}
	if dlq.fifo != fifo {
		return nil, bad("Dead-letter queue must be same type of queue as the source.")
	}
	var allow string
	dlq.locked(func() { allow = dlq.attrs["RedriveAllowPolicy"] })
	if allow != "" && !redriveAllowed(allow, protocol.ARN("sqs", key.region, key.account, key.name)) {
		return nil, bad("Dead letter target does not allow this queue as a source (RedriveAllowPolicy).")
	}
	return &redrivePolicy{DeadLetterTargetArn: arn, MaxReceiveCount: int(count)}, nil
}

type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns"`
}

func checkRedriveAllow(v string) error {
	var p redriveAllowPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return invalidParam("Value %s for parameter RedriveAllowPolicy is invalid. Reason: Invalid JSON.", v)
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
	case "byQueue":
		if len(p.SourceQueueArns) == 0 || len(p.SourceQueueArns) > 10 {
			return invalidParam("Value %s for parameter RedriveAllowPolicy is invalid. Reason: byQueue needs 1 to 10 sourceQueueArns.", v)
		}
	default:
		return invalidParam("Value %s for parameter RedriveAllowPolicy is invalid. Reason: Invalid value for redrivePermission.", v)
	}
	return nil
}

func redriveAllowed(policy, source string) bool {
	var p redriveAllowPolicy
	if json.Unmarshal([]byte(policy), &p) != nil {
		return true
	}
	switch p.RedrivePermission {
	case "denyAll":
		return false
	case "byQueue":
		for _, a := range p.SourceQueueArns {
			if a == source {
				return true
			}
		}
		return false
	}
	return true
}

// apply sets normalised attributes on q and refreshes the parsed copies.
// Callers hold q.mu.
func (q *queue) apply(attrs map[string]string) {
	for k, v := range attrs {
		if v == "" && (k == "Policy" || k == "RedrivePolicy" || k == "RedriveAllowPolicy" || k == "KmsMasterKeyId") {
			delete(q.attrs, k)
			continue
		}
		q.attrs[k] = v
	}
	num := func(name string, def int) int {
		if v, ok := q.attrs[name]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
		return def
	}
	q.visibility = num("VisibilityTimeout", defaultVisibility)
	q.delay = num("DelaySeconds", 0)
	q.retention = num("MessageRetentionPeriod", defaultRetention)
	q.maxSize = num("MaximumMessageSize", defaultMaxSize)
	q.wait = num("ReceiveMessageWaitTimeSeconds", 0)
	q.redrive = nil
	if v := q.attrs["RedrivePolicy"]; v != "" {
		var p redrivePolicy
		if json.Unmarshal([]byte(v), &p) == nil && p.DeadLetterTargetArn != "" {
			q.redrive = &p
		}
	}
}

// attributes returns every attribute GetQueueAttributes reports for q.
// Callers hold q.mu.
func (q *queue) attributes(now time.Time) map[string]string {
	vis, inflight, delayed := q.counts(now.UnixMilli())
	out := map[string]string{
		"QueueArn":                              q.arn,
		"ApproximateNumberOfMessages":           strconv.Itoa(vis),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inflight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      strconv.FormatInt(q.created, 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.modified, 10),
		"VisibilityTimeout":                     strconv.Itoa(q.visibility),
		"MaximumMessageSize":                    strconv.Itoa(q.maxSize),
		"MessageRetentionPeriod":                strconv.Itoa(q.retention),
		"DelaySeconds":                          strconv.Itoa(q.delay),
		"ReceiveMessageWaitTimeSeconds":         strconv.Itoa(q.wait),
		"SqsManagedSseEnabled":                  "true",
	}
	if q.fifo {
		out["FifoQueue"] = "true"
		out["ContentBasedDeduplication"] = "false"
		out["DeduplicationScope"] = "queue"
		out["FifoThroughputLimit"] = "perQueue"
	}
	for k, v := range q.attrs {
		out[k] = v
	}
	if _, ok := q.attrs["KmsMasterKeyId"]; ok {
		if _, ok := q.attrs["KmsDataKeyReusePeriodSeconds"]; !ok {
			out["KmsDataKeyReusePeriodSeconds"] = "300"
		}
		if _, ok := q.attrs["SqsManagedSseEnabled"]; !ok {
			out["SqsManagedSseEnabled"] = "false"
		}
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func validQueueName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if base == "" || len(name) > 80 {
		return false
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
