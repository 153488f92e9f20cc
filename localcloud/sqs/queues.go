package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

type createQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes"`
	Tags       map[string]string `json:"tags"`
}

type queueURLOutput struct {
	QueueUrl string `json:"QueueUrl"`
}

func saveQueue(q *queue) writeOp {
	attrs, _ := json.Marshal(q.attrs)
	tags, _ := json.Marshal(q.tags)
	id, modified := q.id, q.modified
	return func(tx *wtx) error {
		_, err := tx.Exec(`UPDATE queues SET attrs=?, tags=?, modified=? WHERE id=?`, string(attrs), string(tags), modified, id)
		return err
	}
}

// createQueue implements CreateQueue: creates a queue, or returns the existing one's URL when the
// given attributes match it.
func (s *Service) createQueue(ctx context.Context, in *createQueueInput) (*queueURLOutput, error) {
	if in.QueueName == "" {
		return nil, missingParam("QueueName")
	}
	fifo := strings.HasSuffix(in.QueueName, ".fifo")
	if !validQueueName(in.QueueName) {
		return nil, invalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	id := protocol.IdentityFrom(ctx)
	key := queueKey{id.AccountID, id.Region, in.QueueName}
	if fifo && in.Attributes["FifoQueue"] != "true" {
		if v, ok := in.Attributes["FifoQueue"]; !ok || !strings.EqualFold(v, "true") {
			return nil, invalidParam("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
	}
	attrs, err := s.normalizeAttrs(key, fifo, true, in.Attributes)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) > 50 {
		return nil, invalidParam("Too many tags added for queue %s.", in.QueueName)
	}
	if existing := s.lookup(key); existing != nil {
		return s.sameQueue(ctx, existing, attrs)
	}
	q, existing, err := s.register(key, attrs, in.Tags)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		return s.sameQueue(ctx, existing, attrs)
	}
	return &queueURLOutput{QueueUrl: s.queueURL(ctx, q.key)}, nil
}

// register adds a new queue named key to the registry and the database, or
// returns the queue that already has the name. Creating a queue is rare:
// waiting for the insert under the registry's lock keeps the id assignment
// simple.
func (s *Service) register(key queueKey, attrs, tags map[string]string) (q, existing *queue, err error) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing := s.queues[key]; existing != nil {
		return nil, existing, nil
	}
	q = newQueue(0, key)
	q.apply(attrs)
	for k, v := range tags {
		q.tags[k] = v
	}
	q.created, q.modified = now.Unix(), now.Unix()
	ab, _ := json.Marshal(q.attrs)
	tb, _ := json.Marshal(q.tags)
	var qid int64
	done := s.w.enqueue(func(tx *wtx) error {
		res, err := tx.Exec(`INSERT INTO queues(account, region, name, attrs, tags, created, modified) VALUES(?,?,?,?,?,?,?)`, key.account, key.region, key.name, string(ab), string(tb), q.created, q.modified)
		if err != nil {
			return fmt.Errorf("insert queue: %w", err)
		}
		qid, err = res.LastInsertId()
		return err
	})
	if err := <-done; err != nil {
		return nil, nil, err
	}
	q.id = qid
	s.queues[key] = q
	return q, nil, nil
}

func (s *Service) sameQueue(ctx context.Context, q *queue, attrs map[string]string) (*queueURLOutput, error) {
	var current map[string]string
	q.locked(func() { current = q.attributes(time.Now()) })
	for _, k := range sortedKeys(attrs) {
		if current[k] != attrs[k] {
			return nil, &protocol.Error{Code: "QueueNameExists", QueryCode: "QueueAlreadyExists", Message: "A queue already exists with the same name and a different value for attribute " + k}
		}
	}
	return &queueURLOutput{QueueUrl: s.queueURL(ctx, q.key)}, nil
}

type queueURLInput struct {
	QueueUrl string `json:"QueueUrl"`
}

// deleteQueue implements DeleteQueue: deletes a queue and its messages.
func (s *Service) deleteQueue(ctx context.Context, in *queueURLInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	s.unregister(q)
	var done <-chan error
	q.locked(func() {
		q.deleted = true
		q.wake()
		qid := q.id
		done = s.w.enqueue(func(tx *wtx) error {
			for _, stmt := range []string{`DELETE FROM messages WHERE queue_id=?`, `DELETE FROM dedup WHERE queue_id=?`, `DELETE FROM queues WHERE id=?`} {
				if _, err := tx.Exec(stmt, qid); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return nil, wait(ctx, done)
}

// unregister takes q out of the registry if it is still there.
func (s *Service) unregister(q *queue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[q.key] == q {
		delete(s.queues, q.key)
	}
}

// purgeQueue implements PurgeQueue: deletes every message of a queue, once per 60 seconds.
func (s *Service) purgeQueue(ctx context.Context, in *queueURLInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var done <-chan error
	q.locked(func() {
		if !q.purged.IsZero() && now.Sub(q.purged) < 60*time.Second {
			err = &protocol.Error{Code: "PurgeQueueInProgress", QueryCode: "AWS.SimpleQueueService.PurgeQueueInProgress", Status: 403, Message: "Only one PurgeQueue operation on " + q.key.name + " is allowed every 60 seconds."}
			return
		}
		q.purged = now
		for _, m := range q.msgs {
			m.deleted = true
		}
		q.msgs, q.bySeq, q.dead = nil, map[int64]*message{}, 0
		qid := q.id
		done = s.w.enqueue(func(tx *wtx) error {
			if _, err := tx.Exec(`DELETE FROM messages WHERE queue_id=?`, qid); err != nil {
				return err
			}
			_, err := tx.Exec(`UPDATE queues SET purged=? WHERE id=?`, now.UnixMilli(), qid)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, done); err != nil {
		return nil, err
	}
	s.publishDepth(q, true)
	return nil, nil
}

type getQueueURLInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountId string `json:"QueueOwnerAWSAccountId"`
}

// getQueueURL implements GetQueueUrl: returns the URL of a queue by name.
func (s *Service) getQueueURL(ctx context.Context, in *getQueueURLInput) (*queueURLOutput, error) {
	if in.QueueName == "" {
		return nil, missingParam("QueueName")
	}
	id := protocol.IdentityFrom(ctx)
	// Another owner's queue would need a policy granting this account
	// access; accounts are isolated here, so it does not exist.
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != id.AccountID {
		return nil, nonExistent()
	}
	q := s.lookup(queueKey{id.AccountID, id.Region, in.QueueName})
	if q == nil {
		return nil, nonExistent()
	}
	return &queueURLOutput{QueueUrl: s.queueURL(ctx, q.key)}, nil
}

type listQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix"`
	NextToken       string `json:"NextToken"`
	MaxResults      *int32 `json:"MaxResults"`
	QueueUrl        string `json:"QueueUrl"` // ListDeadLetterSourceQueues
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:",omitempty"`
}

type listDLQSourcesOutput struct {
	QueueUrls []string `json:"queueUrls" xml:"QueueUrl"`
	NextToken string   `json:"NextToken,omitempty" xml:",omitempty"`
}

// page applies MaxResults/NextToken to sorted names.
func page(names []string, in *listQueuesInput, defaultAll bool) ([]string, string, error) {
	max := 1000
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
		if max < 1 || max > 1000 {
			return nil, "", invalidParam("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", max)
		}
	} else if !defaultAll && in.NextToken != "" {
		return nil, "", invalidParam("MaxResults is a mandatory parameter when you provide a value for NextToken.")
	}
	start := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, "", invalidParam("Invalid NextToken value.")
		}
		after := string(b)
		start = sort.SearchStrings(names, after)
		if start < len(names) && names[start] == after {
			start++
		}
	}
	names = names[start:]
	next := ""
	if len(names) > max {
		names = names[:max]
		if in.MaxResults != nil {
			next = base64.RawURLEncoding.EncodeToString([]byte(names[max-1]))
		}
	}
	return names, next, nil
}

// listQueues implements ListQueues: lists the caller's queues in its region.
func (s *Service) listQueues(ctx context.Context, in *listQueuesInput) (*listQueuesOutput, error) {
	id := protocol.IdentityFrom(ctx)
	var names []string
	for _, q := range s.allQueues() {
		if k := q.key; k.account == id.AccountID && k.region == id.Region && strings.HasPrefix(k.name, in.QueueNamePrefix) {
			names = append(names, k.name)
		}
	}
	sort.Strings(names)
	names, next, err := page(names, in, true)
	if err != nil {
		return nil, err
	}
	out := &listQueuesOutput{NextToken: next}
	for _, n := range names {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(ctx, queueKey{id.AccountID, id.Region, n}))
	}
	return out, nil
}

// listDeadLetterSourceQueues implements ListDeadLetterSourceQueues: lists the queues whose redrive policy names
// this queue as their dead-letter queue.
func (s *Service) listDeadLetterSourceQueues(ctx context.Context, in *listQueuesInput) (*listDLQSourcesOutput, error) {
	dlq, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, q := range s.allQueues() {
		if q.key.account != dlq.key.account || q.key.region != dlq.key.region {
			continue
		}
		if q.redrivesTo(dlq.arn) {
			names = append(names, q.key.name)
		}
	}
	sort.Strings(names)
	names, next, err := page(names, in, true)
	if err != nil {
		return nil, err
	}
	out := &listDLQSourcesOutput{QueueUrls: []string{}, NextToken: next}
	for _, n := range names {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(ctx, queueKey{dlq.key.account, dlq.key.region, n}))
	}
	return out, nil
}

type getQueueAttributesInput struct {
	QueueUrl       string   `json:"QueueUrl"`
	AttributeNames []string `json:"AttributeNames"`
}

type attributesOutput struct {
	Attributes *pairMap `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
}

// getQueueAttributes implements GetQueueAttributes: returns the named attributes, or all of them for "All".
func (s *Service) getQueueAttributes(ctx context.Context, in *getQueueAttributesInput) (*attributesOutput, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	for _, n := range in.AttributeNames {
		if n != "All" && !settable[n] && !readOnly[n] {
			return nil, invalidAttrName(n)
		}
	}
	var all map[string]string
	q.locked(func() { all = q.attributes(time.Now()) })
	sel := map[string]string{}
	for _, n := range in.AttributeNames {
		if n == "All" {
			sel = all
			break
		}
		if v, ok := all[n]; ok {
			sel[n] = v
		}
	}
	return &attributesOutput{Attributes: nameValues(sel)}, nil
}

type setQueueAttributesInput struct {
	QueueUrl   string            `json:"QueueUrl"`
	Attributes map[string]string `json:"Attributes"`
}

// setQueueAttributes implements SetQueueAttributes: changes queue attributes.
func (s *Service) setQueueAttributes(ctx context.Context, in *setQueueAttributesInput) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, missingParam("Attribute.Name")
	}
	attrs, err := s.normalizeAttrs(q.key, q.fifo, false, in.Attributes)
	if err != nil {
		return nil, err
	}
	if v, ok := attrs["RedrivePolicy"]; ok && v != "" {
		if p := s.queueByARN(mustRedrive(v).DeadLetterTargetArn); p == q {
			return nil, invalidParam("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue cannot be the source queue.", v)
		}
	}
	var done <-chan error
	q.locked(func() {
		q.apply(attrs)
		q.modified = time.Now().Unix()
		done = s.w.enqueue(saveQueue(q))
		q.wake() // a shorter wait or delay may make long pollers look again
	})
	return nil, wait(ctx, done)
}

func mustRedrive(v string) redrivePolicy {
	var p redrivePolicy
	json.Unmarshal([]byte(v), &p)
	return p
}

type tagQueueInput struct {
	QueueUrl string            `json:"QueueUrl"`
	Tags     map[string]string `json:"Tags"`
	TagKeys  []string          `json:"TagKeys"`
}

type tagsOutput struct {
	Tags *pairMap `json:"Tags,omitempty" xml:"Tag,omitempty"`
}

// tagQueue implements TagQueue: adds or replaces tags.
func (s *Service) tagQueue(ctx context.Context, in *tagQueueInput) (*struct{}, error) {
	return s.changeTags(ctx, in, func(q *queue) error {
		if len(in.Tags) == 0 {
			return missingParam("Tags")
		}
		n := len(q.tags)
		for k := range in.Tags {
			if _, ok := q.tags[k]; !ok {
				n++
			}
			if k == "" || len(k) > 128 {
				return invalidParam("Tag keys must be between 1 and 128 characters in length.")
			}
		}
		if n > 50 {
			return invalidParam("Too many tags added for queue %s.", q.key.name)
		}
		for k, v := range in.Tags {
			q.tags[k] = v
		}
		return nil
	})
}

// untagQueue implements UntagQueue: removes tags.
func (s *Service) untagQueue(ctx context.Context, in *tagQueueInput) (*struct{}, error) {
	return s.changeTags(ctx, in, func(q *queue) error {
		// SQS names keys out of 1 to 128 characters, or none at all, alike.
		if len(in.TagKeys) == 0 {
			return invalidParam("Tag keys must be between 1 and 128 characters in length.")
		}
		for _, k := range in.TagKeys {
			if k == "" || utf8.RuneCountInString(k) > 128 {
				return invalidParam("Tag keys must be between 1 and 128 characters in length.")
			}
		}
		for _, k := range in.TagKeys {
			delete(q.tags, k)
		}
		return nil
	})
}

func (s *Service) changeTags(ctx context.Context, in *tagQueueInput, change func(q *queue) error) (*struct{}, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var done <-chan error
	q.locked(func() {
		if err = change(q); err == nil {
			done = s.w.enqueue(saveQueue(q))
		}
	})
	if err != nil {
		return nil, err
	}
	return nil, wait(ctx, done)
}

// listQueueTags implements ListQueueTags: returns a queue's tags.
func (s *Service) listQueueTags(ctx context.Context, in *queueURLInput) (*tagsOutput, error) {
	q, err := s.resolve(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var tags map[string]string
	q.locked(func() { tags = maps.Clone(q.tags) })
	return &tagsOutput{Tags: keyValues(tags)}, nil
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
