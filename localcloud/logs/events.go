package logs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Limits of PutLogEvents and the read operations.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1048576
	eventOverhead  = 26 // bytes AWS counts per event on top of its message
	maxEventBytes  = 262144 - eventOverhead
	maxBatchSpan   = 24 * time.Hour
	maxPastAge     = 14 * 24 * time.Hour
	maxFuture      = 2 * time.Hour
	maxReadEvents  = 10000
	maxReadBytes   = 1048576
	filterScanRows = 100000 // rows FilterLogEvents reads before answering with a nextToken
)

var _ protocol.LogAppender = (*Service)(nil)

type event struct {
	ts     int64
	ingest int64
	msg    string
}

// writeReq is one caller's events waiting for the writer.
type writeReq struct {
	key    groupKey
	stream *stream
	events []event
	done   chan error
}

var errClosed = errors.New("logs: service closed")

// write hands events to the writer and waits until they are committed.
func (s *Service) write(ctx context.Context, r *writeReq) error {
	r.done = make(chan error, 1)
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return errClosed
	}
	s.pending = append(s.pending, r)
	s.wmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer commits pending writes, all callers waiting at once in one
// transaction (group commit).
func (s *Service) writer() {
	defer s.done.Done()
	for {
		stopping := false
		select {
		case <-s.wake:
		case <-s.stop:
			stopping = true
		}
		for {
			s.wmu.Lock()
			batch := s.pending
			s.pending = nil
			s.wmu.Unlock()
			if len(batch) == 0 {
				break
			}
			err := s.commit(batch)
			if err != nil {
				s.log.Error("commit log events", "err", err)
			}
			for _, r := range batch {
				r.done <- err
			}
		}
		if stopping {
			return
		}
	}
}

func (s *Service) commit(batch []*writeReq) error {
	ctx := context.Background()
	// Holding the read lock keeps streams from being deleted under the
	// transaction, so no event outlives its stream.
	s.mu.RLock()
	err := func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO events (account, region, grp, stream, ts, ingest, message) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE streams SET
			first_ts = CASE WHEN first_ts = 0 OR first_ts > ?1 THEN ?1 ELSE first_ts END,
			last_ts = MAX(last_ts, ?2), last_ingest = MAX(last_ingest, ?3), stored_bytes = stored_bytes + ?4
			WHERE account = ?5 AND region = ?6 AND grp = ?7 AND name = ?8`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, r := range batch {
			if g := s.groups[r.key]; g == nil || g.streams[r.stream.name] != r.stream {
				continue // deleted while waiting: the events go with it
			}
			var first, last, ingest, bytes int64 = math.MaxInt64, 0, 0, 0
			for _, e := range r.events {
				if _, err := ins.ExecContext(ctx, r.key.account, r.key.region, r.key.name, r.stream.name, e.ts, e.ingest, e.msg); err != nil {
					return err
				}
				first, last, ingest = min(first, e.ts), max(last, e.ts), max(ingest, e.ingest)
				bytes += int64(len(e.msg))
			}
			if len(r.events) > 0 {
				if _, err := upd.ExecContext(ctx, first, last, ingest, bytes, r.key.account, r.key.region, r.key.name, r.stream.name); err != nil {
					return err
				}
			}
		}
		return tx.Commit()
	}()
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	s.mu.Lock()
	for _, r := range batch {
		st := r.stream
		st.seq++
		for _, e := range r.events {
			if st.first == 0 || e.ts < st.first {
				st.first = e.ts
			}
			st.last = max(st.last, e.ts)
			st.lastIngest = max(st.lastIngest, e.ingest)
			st.storedBytes += int64(len(e.msg))
		}
	}
	s.mu.Unlock()
	return nil
}

func sequenceToken(st *stream) string {
	return fmt.Sprintf("%056d", st.lastIngest*1000+st.seq%1000)
}

// Append writes events to a group's stream on behalf of another service
// (Lambda writing a function's output), creating the group and stream when
// missing. It returns once the events are committed. Empty messages are
// dropped; events are stored in time order.
func (s *Service) Append(ctx context.Context, account, region, groupName, streamName string, events []protocol.LogEvent) error {
	if err := validGroupName("logGroupName", groupName); err != nil {
		return err
	}
	if err := validStreamName(streamName); err != nil {
		return err
	}
	now := s.now().UnixMilli()
	evs := make([]event, 0, len(events))
	for _, e := range events {
		if e.Message == "" {
			continue
		}
		msg := e.Message
		if len(msg) > maxEventBytes {
			msg = msg[:maxEventBytes]
		}
		ts := e.Time.UnixMilli()
		if e.Time.IsZero() {
			ts = now
		}
		evs = append(evs, event{ts: ts, ingest: now, msg: msg})
	}
	if len(evs) == 0 {
		return nil
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].ts < evs[j].ts })
	k := groupKey{account, region, groupName}
	s.mu.RLock()
	g := s.groups[k]
	var st *stream
	if g != nil {
		st = g.streams[streamName]
	}
	s.mu.RUnlock()
	if st == nil {
		var err error
		if st, err = s.ensureStream(ctx, k, streamName); err != nil {
			return err
		}
	}
	if err := s.write(ctx, &writeReq{key: k, stream: st, events: evs}); err != nil {
		return err
	}
	s.emitMetrics(k, evs, true)
	s.deliverSubscriptions(ctx, k, streamName, evs)
	return nil
}

func (s *Service) ensureStream(ctx context.Context, k groupKey, name string) (*stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[k]
	if g == nil {
		g = &group{key: k, created: s.now().UnixMilli(), class: "STANDARD", streams: map[string]*stream{}}
		if err := saveGroup(ctx, s.db, g); err != nil {
			return nil, err
		}
		s.groups[k] = g
	}
	if st := g.streams[name]; st != nil {
		return st, nil
	}
	return s.addStream(ctx, g, name)
}

func (s *Service) putLogEvents(ctx context.Context, body []byte) (any, error) {
	if protocol.CountOver(body, maxBatchEvents, "logEvents") { // before decoding any
		return nil, invalidParam("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents)
	}
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
		SequenceToken string `json:"sequenceToken"` // accepted and ignored, as AWS now does
		LogEvents     []struct {
			Timestamp *int64  `json:"timestamp"`
			Message   *string `json:"message"`
		} `json:"logEvents"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if err := validStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	var v violations
	if v.count("logEvents", len(in.LogEvents), 1, maxBatchEvents); v != nil {
		return nil, v.err()
	}
	n := len(in.LogEvents)
	size := 0
	for i, e := range in.LogEvents {
		if e.Timestamp == nil || *e.Timestamp < 0 {
			return nil, invalidParam("1 validation error detected: Value at 'logEvents.%d.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0", i+1)
		}
		if e.Message == nil || *e.Message == "" {
			return nil, invalidParam("1 validation error detected: Value at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if len(*e.Message) > maxEventBytes {
			return nil, invalidParam("Log event too large: %d bytes exceeds the limit of %d", len(*e.Message)+eventOverhead, maxEventBytes+eventOverhead)
		}
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, invalidParam("Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(*e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return nil, invalidParam("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if *in.LogEvents[n-1].Timestamp-*in.LogEvents[0].Timestamp > maxBatchSpan.Milliseconds() {
		return nil, invalidParam("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}

	id := protocol.IdentityFrom(ctx)
	k := groupKey{id.AccountID, id.Region, in.LogGroupName}
	s.mu.RLock()
	g := s.groups[k]
	var st *stream
	var cutoff int64
	if g != nil {
		st = g.streams[in.LogStreamName]
		cutoff = s.cutoff(g)
	}
	s.mu.RUnlock()
	if g == nil {
		return nil, groupNotFound()
	}
	if st == nil {
		return nil, streamNotFound()
	}

	now := s.now()
	nowMs := now.UnixMilli()
	tooOld := now.Add(-maxPastAge).UnixMilli()
	tooNew := now.Add(maxFuture).UnixMilli()
	type rejected struct {
		TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
		TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
		ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
	}
	var rej rejected
	evs := make([]event, 0, n)
	for i, e := range in.LogEvents {
		ts := *e.Timestamp
		switch {
		case ts > tooNew:
			if rej.TooNewLogEventStartIndex == nil {
				rej.TooNewLogEventStartIndex = &i
			}
		case cutoff > 0 && ts < cutoff:
			rej.ExpiredLogEventEndIndex = &i
		case ts < tooOld:
			rej.TooOldLogEventEndIndex = &i
		default:
			evs = append(evs, event{ts: ts, ingest: nowMs, msg: *e.Message})
		}
	}
	if len(evs) > 0 {
		if err := s.write(ctx, &writeReq{key: k, stream: st, events: evs}); err != nil {
			return nil, err
		}
		s.emitMetrics(k, evs, false)
		s.deliverSubscriptions(ctx, k, st.name, evs)
	}
	s.mu.RLock()
	tok := sequenceToken(st)
	s.mu.RUnlock()
	out := struct {
		NextSequenceToken     string    `json:"nextSequenceToken"`
		RejectedLogEventsInfo *rejected `json:"rejectedLogEventsInfo,omitempty"`
	}{NextSequenceToken: tok}
	if rej != (rejected{}) {
		out.RejectedLogEventsInfo = &rej
	}
	return out, nil
}
