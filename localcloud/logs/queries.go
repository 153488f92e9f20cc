package logs

import (
	"context"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const (
	maxQueryRows    = 100000 // events one Insights query reads at most
	keptQueryResult = 100    // finished queries kept for GetQueryResults
)

// queryResult is a finished Logs Insights query.
type queryResult struct {
	account, region string
	status          string
	queryString     string
	created         int64 // Unix ms
	groups          []string
	rows            [][][2]string
	matched         int
	scanned         int
	bytes           int
}

func (s *Service) startQuery(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupNames       []string `json:"logGroupNames"`
		LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		QueryString         string   `json:"queryString"`
		Limit               *int     `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.StartTime == nil || in.EndTime == nil || in.QueryString == "" {
		return nil, invalidParam("startTime, endTime and queryString are required.")
	}
	if *in.StartTime > *in.EndTime {
		return nil, invalidParam("endTime must be greater than or equal to startTime.")
	}
	id := protocol.IdentityFrom(ctx)
	var names []string
	given := 0
	if in.LogGroupName != "" {
		given++
		names = append(names, in.LogGroupName)
	}
	if len(in.LogGroupNames) > 0 {
		given++
		names = append(names, in.LogGroupNames...)
	}
	if len(in.LogGroupIdentifiers) > 0 {
		given++
		for _, ident := range in.LogGroupIdentifiers {
			n, err := groupName(id, "", ident, true)
			if err != nil {
				return nil, err
			}
			names = append(names, n)
		}
	}
	if given != 1 || len(names) > 50 {
		return nil, invalidParam("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be given, with at most 50 log groups.")
	}
	limit, err := checkLimit(in.Limit, 0, maxReadEvents)
	if err != nil {
		return nil, err
	}
	q, err := compileQuery(in.QueryString)
	if err != nil {
		return nil, &protocol.Error{Code: "MalformedQueryException", Message: strings.TrimPrefix(err.Error(), errPattern.Error()+": ")}
	}
	if limit > 0 && (q.limit == 0 || limit < q.limit) {
		q.limit = limit
	}
	cutoffs := map[string]int64{}
	s.mu.RLock()
	for _, n := range names {
		g := s.groups[groupKey{id.AccountID, id.Region, n}]
		if g == nil {
			s.mu.RUnlock()
			return nil, protocol.Errorf("ResourceNotFoundException", "Log group '%s' does not exist for account ID '%s'", n, id.AccountID)
		}
		cutoffs[n] = s.cutoff(g)
	}
	s.mu.RUnlock()

	sql := `SELECT id, grp, stream, ts, ingest, message FROM events WHERE account = ? AND region = ? AND grp IN (?` +
		strings.Repeat(", ?", len(names)-1) + `) AND ts >= ? AND ts <= ? ORDER BY ts, id LIMIT ?`
	args := []any{id.AccountID, id.Region}
	for _, n := range names {
		args = append(args, n)
	}
	args = append(args, *in.StartTime*1000, *in.EndTime*1000+999, maxQueryRows)
	rows, err := s.db.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &queryResult{account: id.AccountID, region: id.Region, status: "Complete", queryString: in.QueryString,
		created: s.now().UnixMilli(), groups: names}
	var recs []record
	for rows.Next() {
		var rid, ts, ingest int64
		var grp, stream, msg string
		if err := rows.Scan(&rid, &grp, &stream, &ts, &ingest, &msg); err != nil {
			return nil, err
		}
		if ts < cutoffs[grp] {
			continue
		}
		r := newRecord(grp, stream, msg, ts, ingest, id.AccountID)
		r["@ptr"] = strconv.FormatInt(rid, 10)
		res.scanned++
		res.bytes += len(msg)
		if q.keep(r) { // only matches stay in memory
			recs = append(recs, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	res.matched = len(recs)
	res.rows = q.finish(recs)

	qid := uuid.NewString()
	s.qmu.Lock()
	if s.queries == nil {
		s.queries = map[string]*queryResult{}
	}
	s.queries[qid] = res
	s.queryOrder = append(s.queryOrder, qid)
	for len(s.queryOrder) > keptQueryResult {
		delete(s.queries, s.queryOrder[0])
		s.queryOrder = s.queryOrder[1:]
	}
	s.qmu.Unlock()
	return struct {
		QueryID string `json:"queryId"`
	}{qid}, nil
}

func (s *Service) findQuery(ctx context.Context, body []byte) (*queryResult, error) {
	var in struct {
		QueryID string `json:"queryId"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	s.qmu.Lock()
	res := s.queries[in.QueryID]
	s.qmu.Unlock()
	if res == nil || res.account != id.AccountID || res.region != id.Region {
		return nil, protocol.Errorf("ResourceNotFoundException", "Query does not exist.")
	}
	return res, nil
}

func (s *Service) getQueryResults(ctx context.Context, body []byte) (any, error) {
	res, err := s.findQuery(ctx, body)
	if err != nil {
		return nil, err
	}
	type field struct {
		Field string `json:"field"`
		Value string `json:"value"`
	}
	out := struct {
		Results    [][]field `json:"results"`
		Statistics struct {
			RecordsMatched float64 `json:"recordsMatched"`
			RecordsScanned float64 `json:"recordsScanned"`
			BytesScanned   float64 `json:"bytesScanned"`
		} `json:"statistics"`
		Status string `json:"status"`
	}{Results: [][]field{}, Status: res.status}
	for _, row := range res.rows {
		r := make([]field, 0, len(row))
		for _, f := range row {
			r = append(r, field{f[0], f[1]})
		}
		out.Results = append(out.Results, r)
	}
	out.Statistics.RecordsMatched = float64(res.matched)
	out.Statistics.RecordsScanned = float64(res.scanned)
	out.Statistics.BytesScanned = float64(res.bytes)
	return out, nil
}

func (s *Service) stopQuery(ctx context.Context, body []byte) (any, error) {
	if _, err := s.findQuery(ctx, body); err != nil {
		return nil, err
	}
	// Queries finish before StartQuery answers: nothing is left to stop.
	return struct {
		Success bool `json:"success"`
	}{false}, nil
}
