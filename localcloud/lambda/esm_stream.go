package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	sstypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// streamPollInterval is how often an idle shard is polled (AWS: 4 times a
// second). A DynamoDB write wakes the idle pollers sooner (streamWaker).
const streamPollInterval = 250 * time.Millisecond

// streamWakeGap is the least time between an empty read of a shard and the
// next one when a write wakes the poller.
const streamWakeGap = 20 * time.Millisecond

// streamEvent is a DynamoDB stream record in the shape Lambda delivers it
// (aws-lambda-go events.DynamoDBEventRecord).
type streamEvent struct {
	AWSRegion      string        `json:"awsRegion"`
	Dynamodb       streamChange  `json:"dynamodb"`
	EventID        string        `json:"eventID"`
	EventName      string        `json:"eventName"`
	EventSource    string        `json:"eventSource"`
	EventVersion   string        `json:"eventVersion"`
	EventSourceArn string        `json:"eventSourceARN"`
	UserIdentity   *userIdentity `json:"userIdentity,omitempty"`
}

type userIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
}

type streamChange struct {
	ApproximateCreationDateTime int64          `json:"ApproximateCreationDateTime"`
	Keys                        map[string]any `json:"Keys,omitempty"`
	NewImage                    map[string]any `json:"NewImage,omitempty"`
	OldImage                    map[string]any `json:"OldImage,omitempty"`
	SequenceNumber              string         `json:"SequenceNumber"`
	SizeBytes                   int64          `json:"SizeBytes"`
	StreamViewType              string         `json:"StreamViewType"`
}

// streamRecord is one record a shard poller holds.
type streamRecord struct {
	seq     string
	arrival time.Time
	ev      streamEvent
}

// attrJSON renders a Streams attribute value as DynamoDB JSON.
func attrJSON(v sstypes.AttributeValue) any {
	switch x := v.(type) {
	case *sstypes.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *sstypes.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *sstypes.AttributeValueMemberB:
		return map[string]any{"B": x.Value}
	case *sstypes.AttributeValueMemberSS:
		return map[string]any{"SS": x.Value}
	case *sstypes.AttributeValueMemberNS:
		return map[string]any{"NS": x.Value}
	case *sstypes.AttributeValueMemberBS:
		return map[string]any{"BS": x.Value}
	case *sstypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *sstypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": x.Value}
	case *sstypes.AttributeValueMemberM:
		return map[string]any{"M": itemJSON(x.Value)}
	case *sstypes.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = attrJSON(e)
		}
		return map[string]any{"L": l}
	}
	return map[string]any{}
}

func itemJSON(item map[string]sstypes.AttributeValue) map[string]any {
	if item == nil {
		return nil
	}
	m := make(map[string]any, len(item))
	for k, v := range item {
		m[k] = attrJSON(v)
	}
	return m
}

// toStreamRecord converts an SDK record for the mapping's event.
func toStreamRecord(r sstypes.Record, source string) streamRecord {
	ev := streamEvent{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: source,
	}
	if r.UserIdentity != nil {
		ev.UserIdentity = &userIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	var arrival time.Time
	if d := r.Dynamodb; d != nil {
		if d.ApproximateCreationDateTime != nil {
			arrival = *d.ApproximateCreationDateTime
			ev.Dynamodb.ApproximateCreationDateTime = arrival.Unix()
		}
		ev.Dynamodb.Keys = itemJSON(d.Keys)
		ev.Dynamodb.NewImage = itemJSON(d.NewImage)
		ev.Dynamodb.OldImage = itemJSON(d.OldImage)
		ev.Dynamodb.SequenceNumber = aws.ToString(d.SequenceNumber)
		ev.Dynamodb.SizeBytes = aws.ToInt64(d.SizeBytes)
		ev.Dynamodb.StreamViewType = string(d.StreamViewType)
	}
	return streamRecord{seq: ev.Dynamodb.SequenceNumber, arrival: arrival, ev: ev}
}

// initialCheckpoints returns the starting position of each shard of a new
// stream mapping: "" (the shard's start) for TRIM_HORIZON and AT_TIMESTAMP,
// the last sequence number now in the shard for LATEST. Fixing LATEST when
// the mapping is created means nothing written after CreateEventSourceMapping
// answers is missed, even across a restart.
func (s *Service) initialCheckpoints(ctx context.Context, m *mapping) (map[string]string, error) {
	c, err := s.clientsFor(m.Account, m.Region)
	if err != nil {
		return nil, protocol.StatusErrorf(503, "ServiceException", "cannot read the stream: %v", err)
	}
	shards, err := listShards(ctx, c, m.Source)
	if err != nil {
		code, msg := sdkErrorText(err)
		return nil, protocol.Errorf("InvalidParameterValueException", "Cannot access stream %s. DynamoDB Streams error %s: %s", m.Source, code, msg)
	}
	cps := map[string]string{}
	for _, sh := range shards {
		cps[sh] = ""
		if m.StartPosition != "LATEST" {
			continue
		}
		last, err := lastSequence(ctx, c, m.Source, sh)
		if err != nil {
			code, msg := sdkErrorText(err)
			return nil, protocol.Errorf("InvalidParameterValueException", "Cannot read stream %s. DynamoDB Streams error %s: %s", m.Source, code, msg)
		}
		cps[sh] = last
	}
	return cps, nil
}

// listShards returns a stream's shard ids.
func listShards(ctx context.Context, c *esmClients, arn string) ([]string, error) {
	var ids []string
	var start *string
	for {
		out, err := c.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return nil, err
		}
		for _, sh := range out.StreamDescription.Shards {
			ids = append(ids, aws.ToString(sh.ShardId))
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return ids, nil
		}
	}
}

// lastSequence reads a shard to its end and returns its last sequence
// number, or "" when it is empty.
func lastSequence(ctx context.Context, c *esmClients, arn, shard string) (string, error) {
	it, err := c.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String(shard), ShardIteratorType: sstypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		return "", err
	}
	last := ""
	iter := it.ShardIterator
	for iter != nil {
		out, err := c.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			return "", err
		}
		if len(out.Records) == 0 {
			break
		}
		last = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
		iter = out.NextShardIterator
	}
	return last, nil
}

// runStream runs a stream mapping: one poller per shard.
func (s *Service) runStream(r *esmRunner) {
	ctx, cancel := s.runnerContext(r)
	defer cancel()
	m := r.m
	var bo backoff
	var shards []string
	for ctx.Err() == nil {
		c, err := s.clientsFor(m.Account, m.Region)
		if err == nil {
			shards, err = listShards(ctx, c, m.Source)
		}
		if err == nil {
			break
		}
		code, msg := sdkErrorText(err)
		r.setResult("PROBLEM: Cannot access stream. " + code + ": " + msg)
		sleepCtx(ctx, bo.next())
	}
	var wg sync.WaitGroup
	for _, sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.pollShard(ctx, r, sh)
		}()
	}
	wg.Wait()
}

// shardReader reads a shard's records in order from a position.
type shardReader struct {
	c          *esmClients
	arn, shard string
	iter       *string
	last       string // the last sequence number read, "" for none
	closed     bool   // the shard has ended
}

func (sr *shardReader) position(ctx context.Context) error {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(sr.arn), ShardId: aws.String(sr.shard), ShardIteratorType: sstypes.ShardIteratorTypeTrimHorizon}
	if from := sr.last; from != "" {
		in.ShardIteratorType, in.SequenceNumber = sstypes.ShardIteratorTypeAfterSequenceNumber, aws.String(from)
	}
	out, err := sr.c.streams.GetShardIterator(ctx, in)
	if err != nil {
		return err
	}
	sr.iter = out.ShardIterator
	return nil
}

// read returns the next records (maybe none).
func (sr *shardReader) read(ctx context.Context, limit int) ([]sstypes.Record, error) {
	if sr.iter == nil {
		if err := sr.position(ctx); err != nil {
			return nil, err
		}
	}
	out, err := sr.c.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sr.iter, Limit: aws.Int32(int32(limit))})
	if err != nil {
		var exp *sstypes.ExpiredIteratorException
		if errors.As(err, &exp) {
			sr.iter = nil
		}
		return nil, err
	}
	sr.iter = out.NextShardIterator
	if sr.iter == nil {
		sr.closed = true
	}
	if n := len(out.Records); n > 0 {
		sr.last = aws.ToString(out.Records[n-1].Dynamodb.SequenceNumber)
	}
	return out.Records, nil
}

// pollShard delivers a shard's records in order, checkpointing after each
// batch is done with.
func (s *Service) pollShard(ctx context.Context, r *esmRunner, shard string) {
	m := r.m
	var bo backoff
	// No checkpoint (a shard that appeared after the mapping was created)
	// reads the shard from its start.
	cp, _, err := s.checkpoint(m.UUID, shard)
	for err != nil {
		s.log.Warn("event source mapping: read checkpoint", "uuid", m.UUID, "err", err)
		if !sleepCtx(ctx, bo.next()) {
			return
		}
		cp, _, err = s.checkpoint(m.UUID, shard)
	}
	bo.reset()
	sr := &shardReader{arn: m.Source, shard: shard, last: cp}
	defer s.esm.wake.watch()()
	var buf []streamRecord
	var firstAt time.Time // when buf's first record was read
	for ctx.Err() == nil {
		c, err := s.clientsFor(m.Account, m.Region)
		if err != nil {
			sleepCtx(ctx, bo.next())
			continue
		}
		sr.c = c
		written := s.esm.wake.written()
		if len(buf) < m.BatchSize && !sr.closed {
			recs, err := sr.read(ctx, min(1000, max(m.BatchSize-len(buf), 100)))
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				code, msg := sdkErrorText(err)
				r.setResult("PROBLEM: Cannot read stream. " + code + ": " + msg)
				sleepCtx(ctx, bo.next())
				continue
			}
			bo.reset()
			for _, rec := range recs {
				sRec := toStreamRecord(rec, m.Source)
				if m.StartPosition == "AT_TIMESTAMP" && float64(sRec.arrival.Unix()) < m.StartTimestamp {
					continue
				}
				if len(buf) == 0 {
					firstAt = time.Now()
				}
				buf = append(buf, sRec)
			}
		}
		if len(buf) == 0 {
			if sr.closed {
				return
			}
			sleepOrWake(ctx, streamPollInterval, streamWakeGap, written)
			continue
		}
		full := len(buf) >= m.BatchSize
		if !full && !sr.closed && m.Window > 0 && time.Since(firstAt) < time.Duration(m.Window)*time.Second {
			sleepCtx(ctx, streamPollInterval)
			continue
		}
		n := min(len(buf), m.BatchSize)
		n = fitPayload(n, func(i int) int { b, _ := json.Marshal(&buf[i].ev); return len(b) })
		if !s.streamBatch(ctx, r, shard, buf[:n]) {
			return
		}
		buf = buf[n:]
		if len(buf) > 0 {
			firstAt = time.Now()
		}
	}
}

// streamBatch delivers one batch of a shard until it is done with:
// processed, filtered out, or given up on (sent to the OnFailure
// destination). It returns false when the poller must stop first.
func (s *Service) streamBatch(ctx context.Context, r *esmRunner, shard string, batch []streamRecord) bool {
	m := r.m
	last := batch[len(batch)-1].seq
	var recs []streamRecord
	for _, rec := range batch {
		if len(r.filters) > 0 {
			b, _ := json.Marshal(&rec.ev)
			if !matchAny(r.filters, eventView(b)) {
				continue
			}
		}
		recs = append(recs, rec)
	}
	if len(recs) < len(batch) {
		s.publishBatch(m, "filtered", len(batch)-len(recs), 0)
	}
	if m.Parallelization > 1 && len(recs) > 1 {
		// Concurrent batches, the records of a key in one of them in order;
		// the shard's checkpoint moves when all of them are done.
		groups := make([][]streamRecord, m.Parallelization)
		for _, rec := range recs {
			h := fnv.New32a()
			b, _ := json.Marshal(rec.ev.Dynamodb.Keys) // map keys marshal sorted
			h.Write(b)
			i := int(h.Sum32() % uint32(m.Parallelization))
			groups[i] = append(groups[i], rec)
		}
		var wg sync.WaitGroup
		var stopped atomic.Bool
		for _, g := range groups {
			if len(g) == 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if !s.deliverStream(ctx, r, shard, g, false) {
					stopped.Store(true)
				}
			}()
		}
		wg.Wait()
		if stopped.Load() {
			return false
		}
	} else if !s.deliverStream(ctx, r, shard, recs, true) {
		return false
	}
	s.saveCheckpointLogged(m.UUID, shard, last)
	return true
}

// deliverStream invokes the function with recs until they are done with:
// processed or given up on. With progress, partial successes move the
// shard's checkpoint. It returns false when the poller must stop first.
func (s *Service) deliverStream(ctx context.Context, r *esmRunner, shard string, recs []streamRecord, progress bool) bool {
	m := r.m
	type pending struct {
		recs     []streamRecord
		attempts int
	}
	queue := []pending{}
	if len(recs) > 0 {
		queue = append(queue, pending{recs: recs})
	}
	var bo backoff
	for len(queue) > 0 {
		if ctx.Err() != nil {
			return false
		}
		p := &queue[0]
		if m.MaxAge >= 0 && time.Since(p.recs[0].arrival) > time.Duration(m.MaxAge)*time.Second {
			s.streamOnFailure(ctx, r, shard, p.recs, "RecordAgeExceeded", p.attempts, protocol.InvocationResult{}, "")
			queue = queue[1:]
			continue
		}
		payload, _ := json.Marshal(struct {
			Records []streamEvent `json:"Records"`
		}{Records: streamEvents(p.recs)})
		reqID := protocol.NewRequestID()
		t0 := time.Now()
		if last := p.recs[len(p.recs)-1].arrival; !last.IsZero() && s.cfg.Bus.Active() {
			// CloudWatch's IteratorAge: the age of the batch's last record
			// when the mapping sends it to the function.
			s.cfg.Bus.Publish(activity.Event{Kind: activity.KindSample, Service: "lambda", Name: m.Function, Account: m.Account, Region: m.Region,
				Route: "IteratorAge", Duration: max(0, t0.Sub(last))})
		}
		res, err := s.Invoke(protocol.WithRequestID(ctx, reqID), m.Account, m.Region, m.FunctionArn, payload)
		took := time.Since(t0)
		if err != nil {
			pe, _ := protocol.AsError(err)
			switch {
			case pe != nil && pe.Code == "TooManyRequestsException":
				r.setResult("PROBLEM: Function call throttled")
				s.publishBatch(m, "throttled", len(p.recs), took)
			case pe != nil && pe.Code == "ResourceNotFoundException":
				r.setResult("PROBLEM: Function not found")
				s.publishBatch(m, "error", len(p.recs), took)
			default:
				r.setResult("PROBLEM: " + err.Error())
				s.publishBatch(m, "error", len(p.recs), took)
			}
			if !sleepCtx(ctx, bo.next()) {
				return false
			}
			continue
		}
		failed := res.FunctionError != "" || res.TimedOut
		from := -1 // the first record to retry after a partial failure
		if !failed && m.reportsItemFailures() {
			valid := map[string]bool{}
			for _, rec := range p.recs {
				valid[rec.seq] = true
			}
			ids, ok := itemFailures(res.Payload, valid)
			if !ok {
				failed = true
			} else if len(ids) > 0 {
				for i, rec := range p.recs {
					if ids[rec.seq] {
						from = i
						break
					}
				}
			}
		}
		if !failed && from < 0 {
			r.setResult(esmResultOK)
			s.publishBatch(m, "ok", len(p.recs), took)
			if progress {
				s.saveCheckpointLogged(m.UUID, shard, p.recs[len(p.recs)-1].seq)
			}
			queue = queue[1:]
			bo.reset()
			continue
		}
		p.attempts++
		if from >= 0 {
			s.publishBatch(m, "partial", len(p.recs), took)
			if from > 0 && progress {
				s.saveCheckpointLogged(m.UUID, shard, p.recs[from-1].seq)
			}
			p.recs = p.recs[from:]
		} else {
			r.setResult(esmResultFuncFailed)
			s.publishBatch(m, "error", len(p.recs), took)
		}
		if failed && m.Bisect && len(p.recs) > 1 {
			half := len(p.recs) / 2
			a := pending{recs: p.recs[:half], attempts: p.attempts}
			b := pending{recs: p.recs[half:], attempts: p.attempts}
			queue = append([]pending{a, b}, queue[1:]...)
			continue
		}
		if m.MaxRetry >= 0 && p.attempts > m.MaxRetry {
			s.streamOnFailure(ctx, r, shard, p.recs, "RetryAttemptsExhausted", p.attempts, res, reqID)
			queue = queue[1:]
			continue
		}
		if !sleepCtx(ctx, bo.next()) {
			return false
		}
	}
	return true
}

func streamEvents(recs []streamRecord) []streamEvent {
	out := make([]streamEvent, len(recs))
	for i, r := range recs {
		out[i] = r.ev
	}
	return out
}

func (s *Service) saveCheckpointLogged(id, shard, seq string) {
	if err := s.saveCheckpoint(id, shard, seq); err != nil {
		s.log.Error("event source mapping: checkpoint", "uuid", id, "shard", shard, "err", err)
	}
}

// failureRecord is the invocation record AWS sends to a stream mapping's
// OnFailure destination.
type failureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError"`
	} `json:"responseContext"`
	Version            string `json:"version"`
	Timestamp          string `json:"timestamp"`
	DDBStreamBatchInfo struct {
		ShardID                         string `json:"shardId"`
		StartSequenceNumber             string `json:"startSequenceNumber"`
		EndSequenceNumber               string `json:"endSequenceNumber"`
		ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
		BatchSize                       int    `json:"batchSize"`
		StreamArn                       string `json:"streamArn"`
	} `json:"DDBStreamBatchInfo"`
}

const awsMillis = "2006-01-02T15:04:05.000Z"

// streamOnFailure gives up on records: their batch info goes to the
// OnFailure destination, if any. The caller moves past them.
func (s *Service) streamOnFailure(ctx context.Context, r *esmRunner, shard string, recs []streamRecord, condition string, invokes int, res protocol.InvocationResult, reqID string) {
	m := r.m
	s.publishBatch(m, "discarded", len(recs), 0)
	if m.OnFailure == "" {
		return
	}
	var fr failureRecord
	fr.RequestContext.RequestID = reqID
	if reqID == "" {
		fr.RequestContext.RequestID = protocol.NewRequestID()
	}
	fr.RequestContext.FunctionArn = m.FunctionArn
	fr.RequestContext.Condition = condition
	fr.RequestContext.ApproximateInvokeCount = invokes
	fr.ResponseContext.StatusCode = 200
	fr.ResponseContext.ExecutedVersion = "$LATEST"
	fr.ResponseContext.FunctionError = res.FunctionError
	fr.Version = "1.0"
	fr.Timestamp = time.Now().UTC().Format(awsMillis)
	bi := &fr.DDBStreamBatchInfo
	bi.ShardID = shard
	bi.StartSequenceNumber = recs[0].seq
	bi.EndSequenceNumber = recs[len(recs)-1].seq
	bi.ApproximateArrivalOfFirstRecord = recs[0].arrival.UTC().Format(awsMillis)
	bi.ApproximateArrivalOfLastRecord = recs[len(recs)-1].arrival.UTC().Format(awsMillis)
	bi.BatchSize = len(recs)
	bi.StreamArn = m.Source
	body, _ := json.Marshal(&fr)
	ctx = context.WithoutCancel(ctx)
	var bo backoff
	for attempt := 0; attempt < 5; attempt++ {
		c, err := s.clientsFor(m.Account, m.Region)
		var url string
		if err == nil {
			url, err = queueURL(ctx, c, m.OnFailure)
		}
		if err == nil {
			_, err = c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))})
		}
		if err == nil {
			return
		}
		s.log.Warn("event source mapping: send to OnFailure destination", "uuid", m.UUID, "destination", m.OnFailure, "err", err)
		if s.isClosed() {
			return
		}
		time.Sleep(bo.next())
	}
}
