package logs

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

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
