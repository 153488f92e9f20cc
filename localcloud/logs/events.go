package logs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
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

// cursor is a position in a stream's (timestamp, id) order.
type cursor struct{ ts, id int64 }

var (
	cursorStart = cursor{math.MinInt64, 0}
	cursorEnd   = cursor{math.MaxInt64, math.MaxInt64}
)

func (c cursor) token(dir string) string {
	return dir + "/" + strconv.FormatInt(c.ts, 10) + "/" + strconv.FormatInt(c.id, 10)
}

func parseCursorToken(tok string) (dir string, c cursor, err error) {
	p := strings.Split(tok, "/")
	bad := invalidParam("The specified nextToken is invalid.")
	if len(p) != 3 || p[0] != "f" && p[0] != "b" {
		return "", c, bad
	}
	if c.ts, err = strconv.ParseInt(p[1], 10, 64); err != nil {
		return "", c, bad
	}
	if c.id, err = strconv.ParseInt(p[2], 10, 64); err != nil {
		return "", c, bad
	}
	return p[0], c, nil
}

type outEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

func (s *Service) timeWindow(g *group, start, end *int64) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if start != nil {
		lo = *start
	}
	if end != nil {
		hi = *end
	}
	if c := s.cutoff(g); c > lo {
		lo = c
	}
	return lo, hi
}

func (s *Service) getLogEvents(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		LogStreamName      string `json:"logStreamName"`
		StartTime          *int64 `json:"startTime"`
		EndTime            *int64 `json:"endTime"`
		NextToken          string `json:"nextToken"`
		Limit              *int   `json:"limit"`
		StartFromHead      bool   `json:"startFromHead"`
		Unmask             bool   `json:"unmask"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	name, err := groupName(id, in.LogGroupName, in.LogGroupIdentifier, true)
	if err != nil {
		return nil, err
	}
	if err := validStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, maxReadEvents, maxReadEvents)
	if err != nil {
		return nil, err
	}
	dir, cur := "b", cursorEnd
	if in.StartFromHead {
		dir, cur = "f", cursorStart
	}
	if in.NextToken != "" {
		if dir, cur, err = parseCursorToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	s.mu.RLock()
	g, err := s.findGroup(ctx, name)
	var lo, hi int64
	if err == nil {
		if g.streams[in.LogStreamName] == nil {
			err = streamNotFound()
		}
		lo, hi = s.timeWindow(g, in.StartTime, in.EndTime)
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}

	q := `SELECT id, ts, ingest, message FROM events WHERE account = ? AND region = ? AND grp = ? AND stream = ? AND ts >= ? AND ts < ? AND `
	if dir == "f" {
		q += `(ts > ? OR (ts = ? AND id > ?)) ORDER BY ts, id LIMIT ?`
	} else {
		q += `(ts < ? OR (ts = ? AND id < ?)) ORDER BY ts DESC, id DESC LIMIT ?`
	}
	rows, err := s.db.QueryContext(ctx, q, id.AccountID, id.Region, name, in.LogStreamName, lo, hi, cur.ts, cur.ts, cur.id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var evs []outEvent
	var ids []int64
	bytes := 0
	for rows.Next() {
		var e outEvent
		var rid int64
		if err := rows.Scan(&rid, &e.Timestamp, &e.IngestionTime, &e.Message); err != nil {
			return nil, err
		}
		bytes += len(e.Message) + eventOverhead
		if len(evs) > 0 && bytes > maxReadBytes {
			break
		}
		evs = append(evs, e)
		ids = append(ids, rid)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if dir == "b" {
		for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
			evs[i], evs[j] = evs[j], evs[i]
			ids[i], ids[j] = ids[j], ids[i]
		}
	}
	out := struct {
		Events            []outEvent `json:"events"`
		NextForwardToken  string     `json:"nextForwardToken"`
		NextBackwardToken string     `json:"nextBackwardToken"`
	}{Events: []outEvent{}}
	if len(evs) > 0 {
		out.Events = evs
		out.NextForwardToken = cursor{evs[len(evs)-1].Timestamp, ids[len(ids)-1]}.token("f")
		out.NextBackwardToken = cursor{evs[0].Timestamp, ids[0]}.token("b")
		return out, nil
	}
	// Nothing (more) in this direction: the same token again, which is how
	// readers know they reached the end.
	switch {
	case in.NextToken != "":
		out.NextForwardToken, out.NextBackwardToken = cur.token("f"), cur.token("b")
	default:
		out.NextForwardToken, out.NextBackwardToken = cursorStart.token("f"), cursorEnd.token("b")
	}
	return out, nil
}

type filteredEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

func (s *Service) filterLogEvents(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupIdentifier  string   `json:"logGroupIdentifier"`
		LogStreamNames      []string `json:"logStreamNames"`
		LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		FilterPattern       string   `json:"filterPattern"`
		NextToken           string   `json:"nextToken"`
		Limit               *int     `json:"limit"`
		Interleaved         bool     `json:"interleaved"`
		Unmask              bool     `json:"unmask"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	name, err := groupName(id, in.LogGroupName, in.LogGroupIdentifier, true)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, invalidParam("You cannot specify both LogStreamNames and LogStreamNamePrefix.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, invalidParam("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	for _, n := range in.LogStreamNames {
		if err := validStreamName(n); err != nil {
			return nil, err
		}
	}
	limit, err := checkLimit(in.Limit, maxReadEvents, maxReadEvents)
	if err != nil {
		return nil, err
	}
	pat, err := CompilePattern(in.FilterPattern)
	if err != nil {
		return nil, invalidParam("Invalid filter pattern")
	}
	cur := cursorStart
	if in.NextToken != "" {
		t, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		var dir string
		if dir, cur, err = parseCursorToken(t); err != nil || dir != "f" {
			return nil, invalidParam("The specified nextToken is invalid.")
		}
	}
	s.mu.RLock()
	g, err := s.findGroup(ctx, name)
	var lo, hi int64
	if err == nil {
		lo, hi = s.timeWindow(g, in.StartTime, in.EndTime)
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}

	q := `SELECT id, stream, ts, ingest, message FROM events WHERE account = ? AND region = ? AND grp = ? AND ts >= ? AND ts < ? AND (ts > ? OR (ts = ? AND id > ?))`
	base := []any{id.AccountID, id.Region, name, lo, hi}
	if len(in.LogStreamNames) > 0 {
		q += ` AND stream IN (?` + strings.Repeat(", ?", len(in.LogStreamNames)-1) + `)`
	}
	if in.LogStreamNamePrefix != "" {
		q += ` AND substr(stream, 1, ?) = ?`
	}
	must, mustNot := pat.substrings()
	for range must {
		q += ` AND instr(message, ?) > 0`
	}
	for range mustNot {
		q += ` AND instr(message, ?) = 0`
	}
	q += ` ORDER BY ts, id LIMIT ?`

	out := struct {
		Events             []filteredEvent `json:"events"`
		SearchedLogStreams []struct{}      `json:"searchedLogStreams"`
		NextToken          string          `json:"nextToken,omitempty"`
	}{Events: []filteredEvent{}, SearchedLogStreams: []struct{}{}}
	const chunk = 1000
	scanned, bytes := 0, 0
	for {
		args := append(append([]any{}, base...), cur.ts, cur.ts, cur.id)
		for _, n := range in.LogStreamNames {
			args = append(args, n)
		}
		if in.LogStreamNamePrefix != "" {
			args = append(args, len(in.LogStreamNamePrefix), in.LogStreamNamePrefix)
		}
		for _, m := range must {
			args = append(args, m)
		}
		for _, m := range mustNot {
			args = append(args, m)
		}
		args = append(args, chunk)
		n, full, err := s.scanChunk(ctx, q, args, pat, &out.Events, &cur, limit, &bytes)
		if err != nil {
			return nil, err
		}
		scanned += n
		if full {
			out.NextToken = encodeToken(cur.token("f"))
			break
		}
		if n < chunk {
			break // the end of the group's events
		}
		if scanned >= filterScanRows {
			out.NextToken = encodeToken(cur.token("f"))
			break
		}
	}
	return out, nil
}

// scanChunk reads one chunk of rows, appending matches to evs and moving cur
// past every row it looked at. full reports that evs reached its limit (of
// count or bytes) before the chunk ended.
func (s *Service) scanChunk(ctx context.Context, q string, args []any, pat *Pattern, evs *[]filteredEvent, cur *cursor, limit int, bytes *int) (n int, full bool, err error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var e filteredEvent
		var rid int64
		if err := rows.Scan(&rid, &e.LogStreamName, &e.Timestamp, &e.IngestionTime, &e.Message); err != nil {
			return n, false, err
		}
		if pat.Match(e.Message) {
			size := len(e.Message) + eventOverhead
			if len(*evs) >= limit || len(*evs) > 0 && *bytes+size > maxReadBytes {
				return n, true, nil
			}
			*bytes += size
			e.EventID = fmt.Sprintf("%056d", rid)
			*evs = append(*evs, e)
		}
		n++
		*cur = cursor{e.Timestamp, rid}
	}
	return n, false, rows.Err()
}

func (s *Service) testMetricFilter(ctx context.Context, body []byte) (any, error) {
	var in struct {
		FilterPattern    *string  `json:"filterPattern"`
		LogEventMessages []string `json:"logEventMessages"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.FilterPattern == nil {
		return nil, invalidParam("1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: Member must not be null")
	}
	var v violations
	if v.count("logEventMessages", len(in.LogEventMessages), 1, 50); v != nil {
		return nil, v.err()
	}
	pat, err := CompilePattern(*in.FilterPattern)
	if err != nil {
		return nil, invalidParam("Invalid metric filter pattern")
	}
	type match struct {
		EventNumber     int               `json:"eventNumber"`
		EventMessage    string            `json:"eventMessage"`
		ExtractedValues map[string]string `json:"extractedValues"`
	}
	out := struct {
		Matches []match `json:"matches"`
	}{Matches: []match{}}
	for i, m := range in.LogEventMessages {
		if pat.Match(m) {
			out.Matches = append(out.Matches, match{EventNumber: i + 1, EventMessage: m, ExtractedValues: map[string]string{}})
		}
	}
	return out, nil
}
