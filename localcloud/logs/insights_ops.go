package logs

import (
	"context"
	"regexp"
	"sort"
	"strconv"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// DescribeQueries, GetLogRecord, GetLogGroupFields, the KMS key of a group
// and ListLogGroups.

type queryInfo struct {
	QueryID      string `json:"queryId"`
	QueryString  string `json:"queryString"`
	Status       string `json:"status"`
	CreateTime   int64  `json:"createTime"`
	LogGroupName string `json:"logGroupName,omitempty"`
}

func (s *Service) describeQueries(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
		Status       string `json:"status"`
		MaxResults   *int   `json:"maxResults"`
		NextToken    string `json:"nextToken"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.LogGroupName != "" {
		if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
			return nil, err
		}
	}
	switch in.Status {
	case "", "Scheduled", "Running", "Complete", "Failed", "Cancelled", "Timeout", "Unknown":
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown]", in.Status)
	}
	if err := checkMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	limit := 1000
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	start, err := offsetToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	if in.LogGroupName != "" {
		s.mu.RLock()
		_, err := s.findGroup(ctx, in.LogGroupName)
		s.mu.RUnlock()
		if err != nil {
			return nil, err
		}
	}
	var all []queryInfo
	s.qmu.Lock()
	for i := len(s.queryOrder) - 1; i >= 0; i-- { // newest first
		qid := s.queryOrder[i]
		q := s.queries[qid]
		if q == nil || q.account != id.AccountID || q.region != id.Region || (in.Status != "" && q.status != in.Status) {
			continue
		}
		if in.LogGroupName != "" && !contains(q.groups, in.LogGroupName) {
			continue
		}
		qi := queryInfo{QueryID: qid, QueryString: q.queryString, Status: q.status, CreateTime: q.created}
		if len(q.groups) > 0 {
			qi.LogGroupName = q.groups[0]
		}
		all = append(all, qi)
	}
	s.qmu.Unlock()
	out := struct {
		Queries   []queryInfo `json:"queries"`
		NextToken string      `json:"nextToken,omitempty"`
	}{Queries: []queryInfo{}}
	if start < len(all) {
		all = all[start:]
		if len(all) > limit {
			all = all[:limit]
			out.NextToken = encodeToken(strconv.Itoa(start + limit))
		}
		out.Queries = append(out.Queries, all...)
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// getLogRecord answers every field of the event a query result's @ptr
// names.
func (s *Service) getLogRecord(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogRecordPointer *string `json:"logRecordPointer"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.LogRecordPointer == nil {
		return nil, invalidParam("1 validation error detected: Value null at 'logRecordPointer' failed to satisfy constraint: Member must not be null")
	}
	rid, err := strconv.ParseInt(*in.LogRecordPointer, 10, 64)
	if err != nil {
		return nil, invalidParam("The specified log record pointer is invalid.")
	}
	id := protocol.IdentityFrom(ctx)
	var grp, stream, msg string
	var ts, ingest int64
	err = s.db.QueryRowContext(ctx, `SELECT grp, stream, ts, ingest, message FROM events WHERE id = ? AND account = ? AND region = ?`,
		rid, id.AccountID, id.Region).Scan(&grp, &stream, &ts, &ingest, &msg)
	if err != nil {
		return nil, protocol.Errorf("ResourceNotFoundException", "The specified log record does not exist.")
	}
	return struct {
		LogRecord record `json:"logRecord"`
	}{newRecord(grp, stream, msg, ts, ingest, id.AccountID)}, nil
}

// fieldSample is how many of the latest events GetLogGroupFields reads
// from the 15 minutes before its time (AWS samples that window).
const fieldSample = 10000

type logGroupField struct {
	Name    string `json:"name"`
	Percent int    `json:"percent"`
}

func (s *Service) getLogGroupFields(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		Time               *int64 `json:"time"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	name, err := groupName(id, in.LogGroupName, in.LogGroupIdentifier, true)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	_, err = s.findGroup(ctx, name)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	end := s.now().UnixMilli()
	if in.Time != nil {
		end = *in.Time * 1000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT stream, ts, ingest, message FROM events WHERE account = ? AND region = ? AND grp = ? AND ts >= ? AND ts <= ?
		ORDER BY ts DESC LIMIT ?`, id.AccountID, id.Region, name, end-15*60*1000, end, fieldSample)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int{}
	n := 0
	for rows.Next() {
		var stream, msg string
		var ts, ingest int64
		if err := rows.Scan(&stream, &ts, &ingest, &msg); err != nil {
			return nil, err
		}
		n++
		for f := range newRecord(name, stream, msg, ts, ingest, id.AccountID) {
			counts[f]++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := struct {
		LogGroupFields []logGroupField `json:"logGroupFields"`
	}{LogGroupFields: []logGroupField{}}
	for f, c := range counts {
		out.LogGroupFields = append(out.LogGroupFields, logGroupField{f, c * 100 / n})
	}
	sort.Slice(out.LogGroupFields, func(i, j int) bool { return out.LogGroupFields[i].Name < out.LogGroupFields[j].Name })
	return out, nil
}

func (s *Service) associateKmsKey(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
		KmsKeyID     string `json:"kmsKeyId"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if in.KmsKeyID == "" || len(in.KmsKeyID) > 256 {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'kmsKeyId' failed to satisfy constraint: Member must have length less than or equal to 256", in.KmsKeyID)
	}
	return nil, s.setKmsKey(ctx, in.LogGroupName, in.KmsKeyID)
}

func (s *Service) disassociateKmsKey(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	return nil, s.setKmsKey(ctx, in.LogGroupName, "")
}

func (s *Service) setKmsKey(ctx context.Context, name, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, name)
	if err != nil {
		return err
	}
	if key == "" {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM group_kms WHERE account = ? AND region = ? AND name = ?`, g.key.account, g.key.region, g.key.name); err != nil {
			return err
		}
	} else if _, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO group_kms (account, region, name, kms_key_id) VALUES (?, ?, ?, ?)`,
		g.key.account, g.key.region, g.key.name, key); err != nil {
		return err
	}
	g.kmsKeyID = key
	return nil
}

// listLogGroups is the newer listing: summaries of the caller's groups
// whose names match a regular expression, in name order.
func (s *Service) listLogGroups(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupNamePattern *string `json:"logGroupNamePattern"`
		LogGroupClass       string  `json:"logGroupClass"`
		NextToken           string  `json:"nextToken"`
		Limit               *int    `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, 50, 1000)
	if err != nil {
		return nil, err
	}
	var re *regexp.Regexp
	if in.LogGroupNamePattern != nil {
		p := *in.LogGroupNamePattern
		var v violations
		if v.length("logGroupNamePattern", p, 3, 129); v != nil {
			return nil, v.err()
		}
		if re, err = regexp.Compile(p); err != nil {
			return nil, invalidParam("Invalid logGroupNamePattern: %s", p)
		}
	}
	switch in.LogGroupClass {
	case "", "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]", in.LogGroupClass)
	}
	after := ""
	if in.NextToken != "" {
		if after, err = decodeToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	id := protocol.IdentityFrom(ctx)
	type summary struct {
		LogGroupName  string `json:"logGroupName"`
		LogGroupArn   string `json:"logGroupArn"`
		LogGroupClass string `json:"logGroupClass"`
	}
	s.mu.RLock()
	var list []summary
	for k, g := range s.groups {
		if k.account != id.AccountID || k.region != id.Region || k.name <= after || (re != nil && !re.MatchString(k.name)) ||
			(in.LogGroupClass != "" && g.class != in.LogGroupClass) {
			continue
		}
		list = append(list, summary{k.name, g.arn(), g.class})
	}
	s.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].LogGroupName < list[j].LogGroupName })
	out := struct {
		LogGroups []summary `json:"logGroups"`
		NextToken string    `json:"nextToken,omitempty"`
	}{LogGroups: []summary{}}
	if len(list) > limit {
		list = list[:limit]
		out.NextToken = encodeToken(list[limit-1].LogGroupName)
	}
	out.LogGroups = append(out.LogGroups, list...)
	return out, nil
}
