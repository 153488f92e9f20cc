package sns

import (
	"bytes"
	"container/heap"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Kinds of asynchronous deliveries.
const (
	jobLambda  = "lambda"
	jobHTTP    = "http"
	jobConfirm = "confirm"
)

// job is one asynchronous delivery. It is stored in the outbox table in the
// same transaction that acknowledges the request that caused it, and
// deleted once delivered or given up on, so a crash does not lose it.
type job struct {
	ID       int64     `json:"-"`
	Attempts int       `json:"-"`
	Due      time.Time `json:"-"`

	Kind      string            `json:"kind"`
	SubARN    string            `json:"sub"`
	TopicARN  string            `json:"topic"`
	Owner     string            `json:"owner"`
	Endpoint  string            `json:"endpoint"`
	MessageID string            `json:"messageId"`
	Body      []byte            `json:"body"`
	Headers   map[string]string `json:"headers,omitempty"`
	// DLQBody and DLQAttrs are what the subscription's dead-letter queue
	// receives if the delivery fails for good.
	DLQBody  string                                    `json:"dlqBody,omitempty"`
	DLQAttrs map[string]protocol.MessageAttributeValue `json:"dlqAttrs,omitempty"`
}

// snsEvent is the payload of a Lambda invocation, in the shape of
// aws-lambda-go's events.SNSEvent.
type snsEvent struct {
	Records []snsEventRecord `json:"Records"`
}

type snsEventRecord struct {
	EventSource          string    `json:"EventSource"`
	EventVersion         string    `json:"EventVersion"`
	EventSubscriptionArn string    `json:"EventSubscriptionArn"`
	Sns                  snsEntity `json:"Sns"`
}

type snsEntity struct {
	Type              string                       `json:"Type"`
	MessageID         string                       `json:"MessageId"`
	TopicArn          string                       `json:"TopicArn"`
	Subject           *string                      `json:"Subject"`
	Message           string                       `json:"Message"`
	Timestamp         string                       `json:"Timestamp"`
	SignatureVersion  string                       `json:"SignatureVersion"`
	Signature         string                       `json:"Signature"`
	SigningCertURL    string                       `json:"SigningCertUrl"`
	UnsubscribeURL    string                       `json:"UnsubscribeUrl"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes"`
}

func (s *Service) lambdaJob(tg *target, m *message) *job {
	var subject *string
	if m.subject != "" {
		subject = &m.subject
	}
	attrs := envelopeAttributes(m.attrs)
	if attrs == nil {
		attrs = map[string]envelopeAttribute{}
	}
	ev := snsEvent{Records: []snsEventRecord{{
		EventSource:          "aws:sns",
		EventVersion:         "1.0",
		EventSubscriptionArn: tg.arn,
		Sns: snsEntity{
			Type:              "Notification",
			MessageID:         m.id,
			TopicArn:          m.topicARN,
			Subject:           subject,
			Message:           m.bodyFor("lambda"),
			Timestamp:         m.time.Format(timestampFormat),
			SignatureVersion:  "1",
			Signature:         signature(),
			SigningCertURL:    signingCertURL(m.topicARN),
			UnsubscribeURL:    s.unsubscribeURL(tg.arn),
			MessageAttributes: attrs,
		},
	}}}
	j := &job{Kind: jobLambda, SubARN: tg.arn, TopicARN: m.topicARN, Owner: m.owner, Endpoint: tg.endpoint, MessageID: m.id, Body: marshalJSON(ev)}
	j.DLQBody = string(s.envelope(m, tg.arn, "lambda")) // for a RedrivePolicy set later too
	return j
}

func (s *Service) httpJob(tg *target, m *message) *job {
	j := &job{Kind: jobHTTP, SubARN: tg.arn, TopicARN: m.topicARN, Owner: m.owner, Endpoint: tg.endpoint, MessageID: m.id}
	j.Headers = map[string]string{
		"x-amz-sns-message-type":     "Notification",
		"x-amz-sns-message-id":       m.id,
		"x-amz-sns-topic-arn":        m.topicARN,
		"x-amz-sns-subscription-arn": tg.arn,
	}
	if tg.raw {
		j.Body = []byte(m.bodyFor(tg.protocol))
		j.Headers["x-amz-sns-rawdelivery"] = "true"
		j.DLQBody, j.DLQAttrs = string(j.Body), rawAttributes(m.attrs)
	} else {
		j.Body = s.envelope(m, tg.arn, tg.protocol)
		j.DLQBody = string(j.Body)
	}
	return j
}

func (s *Service) confirmationJob(t *topic, sub *subscription) *job {
	id := newMessageID()
	n := notification{
		Type:             "SubscriptionConfirmation",
		MessageID:        id,
		Token:            sub.token,
		TopicArn:         t.arn,
		Message:          "You have chosen to subscribe to the topic " + t.arn + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL:     s.subscribeURL(t.arn, sub.token),
		Timestamp:        time.Now().UTC().Format(timestampFormat),
		SignatureVersion: "1",
		Signature:        signature(),
		SigningCertURL:   signingCertURL(t.arn),
	}
	return &job{Kind: jobConfirm, SubARN: sub.arn, TopicARN: t.arn, Owner: t.account, Endpoint: sub.endpoint, MessageID: id, Body: marshalJSON(n),
		Headers: map[string]string{
			"x-amz-sns-message-type": "SubscriptionConfirmation",
			"x-amz-sns-message-id":   id,
			"x-amz-sns-topic-arn":    t.arn,
		}}
}

// outbox runs asynchronous deliveries with retries.
type outbox struct {
	s *Service

	mu      sync.Mutex
	queue   jobHeap
	wake    chan struct{}
	work    chan *job
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

func newOutbox(s *Service) *outbox {
	ctx, cancel := context.WithCancel(context.Background())
	return &outbox{s: s, wake: make(chan struct{}, 1), work: make(chan *job), ctx: ctx, cancel: cancel}
}

// load queues the deliveries left from before a restart.
func (o *outbox) load() error {
	rows, err := o.s.db.Query(`SELECT id, due, attempts, job FROM outbox`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, due int64 // due is not used: see below
		var attempts int
		var raw string
		if err := rows.Scan(&id, &due, &attempts, &raw); err != nil {
			return err
		}
		j := &job{}
		if err := json.Unmarshal([]byte(raw), j); err != nil {
			o.s.log.Warn("dropping unreadable pending delivery", "id", id, "err", err)
			continue
		}
		// A restart retries at once: the wait may have been for an endpoint
		// that a restart of the cloud brought back.
		j.ID, j.Attempts, j.Due = id, attempts, time.Now()
		heap.Push(&o.queue, j)
	}
	return rows.Err()
}

// insert stores j in tx and gives it its id.
func (o *outbox) insert(ctx context.Context, tx *sql.Tx, j *job) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return err
	}
	j.Due = time.Now()
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (due, attempts, job) VALUES (?, 0, ?)`, j.Due.UnixMilli(), string(raw))
	if err != nil {
		return err
	}
	j.ID, err = res.LastInsertId()
	return err
}

// enqueue schedules a stored job.
func (o *outbox) enqueue(j *job) {
	o.mu.Lock()
	heap.Push(&o.queue, j)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *outbox) start() {
	o.started = true
	o.wg.Add(1)
	go o.dispatch()
	for i := 0; i < o.s.cfg.Workers; i++ {
		o.wg.Add(1)
		go o.worker()
	}
}

func (o *outbox) stop() {
	o.cancel()
	if o.started {
		o.wg.Wait()
	}
}

// dispatch hands due jobs to the workers.
func (o *outbox) dispatch() {
	defer o.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		o.mu.Lock()
		var next *job
		wait := time.Hour
		if len(o.queue) > 0 {
			if d := time.Until(o.queue[0].Due); d <= 0 {
				next = heap.Pop(&o.queue).(*job)
			} else {
				wait = d
			}
		}
		o.mu.Unlock()
		if next != nil {
			select {
			case o.work <- next:
				continue
			case <-o.ctx.Done():
				return
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-o.ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
	}
}

func (o *outbox) worker() {
	defer o.wg.Done()
	for {
		select {
		case <-o.ctx.Done():
			return
		case j := <-o.work:
			o.run(j)
		}
	}
}

// errPermanent marks a failure that retrying cannot fix.
var errPermanent = errors.New("permanent delivery failure")

func (o *outbox) run(j *job) {
	s := o.s
	ctx, cancel := context.WithTimeout(o.ctx, 30*time.Second)
	err := o.attempt(ctx, j)
	cancel()
	if o.ctx.Err() != nil {
		return // shutting down: the job stays stored and runs after the next start
	}
	if err == nil {
		if j.Kind != jobConfirm {
			s.publishCount(j.TopicARN, "NumberOfNotificationsDelivered", 1)
		}
		o.remove(j)
		return
	}
	j.Attempts++
	if j.Attempts < s.cfg.MaxAttempts && !errors.Is(err, errPermanent) {
		delay := s.cfg.RetryDelay << (j.Attempts - 1)
		if delay > time.Minute || delay <= 0 {
			delay = time.Minute
		}
		j.Due = time.Now().Add(delay)
		s.log.Info("sns delivery failed; will retry", "kind", j.Kind, "subscription", j.SubARN, "endpoint", j.Endpoint, "attempt", j.Attempts, "retryIn", delay, "err", err)
		s.w.rescheduleJob(j.ID, j.Attempts, j.Due.UnixMilli())
		o.enqueue(j)
		return
	}
	s.log.Warn("sns delivery failed for good", "kind", j.Kind, "subscription", j.SubARN, "endpoint", j.Endpoint, "messageId", j.MessageID, "attempts", j.Attempts, "err", err)
	if j.Kind != jobConfirm {
		s.publishCount(j.TopicARN, "NumberOfNotificationsFailed", 1)
		s.mu.RLock()
		dlq := ""
		if sub := s.subs[j.SubARN]; sub != nil {
			dlq = sub.deadLetterARN()
		}
		s.mu.RUnlock()
		s.deadLetter(o.ctx, j.SubARN, dlq, j.TopicARN, j.Owner, j.DLQBody, j.DLQAttrs, "", "")
	}
	o.remove(j)
}

func (o *outbox) remove(j *job) { o.s.w.deleteJob(j.ID) }

// attempt makes one delivery try.
func (o *outbox) attempt(ctx context.Context, j *job) error {
	switch j.Kind {
	case jobLambda:
		return o.invoke(ctx, j)
	case jobHTTP, jobConfirm:
		return o.post(ctx, j)
	}
	return fmt.Errorf("%w: unknown delivery kind %q", errPermanent, j.Kind)
}

// permanentLambdaErrors are Lambda's answers that a retry cannot change:
// SNS gives up at once and dead-letters the message.
var permanentLambdaErrors = map[string]bool{
	"ResourceNotFoundException":      true,
	"AccessDeniedException":          true,
	"RequestTooLargeException":       true,
	"InvalidParameterValueException": true,
	"InvalidRequestContentException": true,
}

func (o *outbox) invoke(ctx context.Context, j *job) error {
	fi := o.s.cfg.Functions
	if fi == nil {
		return errors.New("no Lambda service is wired to SNS")
	}
	_, err := fi.InvokeFromService(ctx, protocol.ServiceInvocation{
		FunctionARN:     j.Endpoint,
		SourcePrincipal: "sns.amazonaws.com",
		SourceARN:       j.TopicARN,
		SourceAccount:   j.Owner,
		Payload:         j.Body,
		Async:           true,
	})
	if err == nil {
		return nil
	}
	var pe *protocol.Error
	if errors.As(err, &pe) && permanentLambdaErrors[pe.Code] {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	return err
}

func (o *outbox) post(ctx context.Context, j *job) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.Endpoint, bytes.NewReader(j.Body))
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	for k, v := range j.Headers {
		req.Header.Set(k, v)
	}
	resp, err := o.s.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%w: the endpoint answered %s", errPermanent, resp.Status)
	}
	return fmt.Errorf("the endpoint answered %s", resp.Status)
}

// jobHeap orders jobs by due time.
type jobHeap []*job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].Due.Before(h[j].Due) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)        { *h = append(*h, x.(*job)) }
func (h *jobHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return x
}

func newMessageID() string { return uuid.NewString() }
