package logs

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// streamRef names a log stream in a request.
type streamRef struct {
	LogGroupName  string `json:"logGroupName"`
	LogStreamName string `json:"logStreamName"`
}

// decodeStreamRef decodes and checks a request that names one stream.
func decodeStreamRef(body []byte) (streamRef, error) {
	var in streamRef
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return in, err
	}
	if err := validGroupName("logGroupName", in.LogGroupName); err != nil {
		return in, err
	}
	return in, validStreamName(in.LogStreamName)
}

func (s *Service) createLogStream(ctx context.Context, body []byte) (any, error) {
	in, err := decodeStreamRef(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if g.streams[in.LogStreamName] != nil {
		return nil, protocol.Errorf("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	_, err = s.addStream(ctx, g, in.LogStreamName)
	return nil, err
}

// addStream creates a stream in g; s.mu must be held for writing.
func (s *Service) addStream(ctx context.Context, g *group, name string) (*stream, error) {
	st := &stream{name: name, created: s.now().UnixMilli()}
	_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO streams (account, region, grp, name, created) VALUES (?, ?, ?, ?, ?)`,
		g.key.account, g.key.region, g.key.name, name, st.created)
	if err != nil {
		return nil, err
	}
	g.streams[name] = st
	return st, nil
}

func (s *Service) deleteLogStream(ctx context.Context, body []byte) (any, error) {
	in, err := decodeStreamRef(body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if g.streams[in.LogStreamName] == nil {
		return nil, streamNotFound()
	}
	k := g.key
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM streams WHERE account = ? AND region = ? AND grp = ? AND name = ?`,
		`DELETE FROM events WHERE account = ? AND region = ? AND grp = ? AND stream = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, k.account, k.region, k.name, in.LogStreamName); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	delete(g.streams, in.LogStreamName)
	return nil, nil
}

type logStreamOut struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

func (g *group) streamOut(st *stream) logStreamOut {
	o := logStreamOut{
		LogStreamName:       st.name,
		CreationTime:        st.created,
		FirstEventTimestamp: st.first,
		LastEventTimestamp:  st.last,
		LastIngestionTime:   st.lastIngest,
		Arn:                 g.arn() + ":log-stream:" + st.name,
		StoredBytes:         st.storedBytes,
	}
	if st.lastIngest > 0 {
		o.UploadSequenceToken = sequenceToken(st)
	}
	return o
}

func (s *Service) describeLogStreams(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupName        string  `json:"logGroupName"`
		LogGroupIdentifier  string  `json:"logGroupIdentifier"`
		LogStreamNamePrefix string  `json:"logStreamNamePrefix"`
		OrderBy             *string `json:"orderBy"`
		Descending          bool    `json:"descending"`
		NextToken           string  `json:"nextToken"`
		Limit               *int    `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	name, err := groupName(id, in.LogGroupName, in.LogGroupIdentifier, true)
	if err != nil {
		return nil, err
	}
	orderBy := "LogStreamName"
	if in.OrderBy != nil { // given, even "", it must be one of the enum's values
		orderBy = *in.OrderBy
	}
	switch orderBy {
	case "LogStreamName":
	case "LastEventTime":
		if in.LogStreamNamePrefix != "" {
			return nil, invalidParam("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, invalidParam("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", orderBy)
	}
	limit, err := checkLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	offset, err := offsetToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.findGroup(ctx, name)
	if err != nil {
		return nil, err
	}
	var sts []*stream
	for n, st := range g.streams {
		if strings.HasPrefix(n, in.LogStreamNamePrefix) {
			sts = append(sts, st)
		}
	}
	less := func(a, b *stream) bool { return a.name < b.name }
	if orderBy == "LastEventTime" {
		less = func(a, b *stream) bool {
			if a.last != b.last {
				return a.last < b.last
			}
			return a.name < b.name
		}
	}
	sort.Slice(sts, func(i, j int) bool {
		if in.Descending {
			return less(sts[j], sts[i])
		}
		return less(sts[i], sts[j])
	})
	out := struct {
		LogStreams []logStreamOut `json:"logStreams"`
		NextToken  string         `json:"nextToken,omitempty"`
	}{LogStreams: []logStreamOut{}}
	if offset > len(sts) {
		offset = len(sts)
	}
	end := offset + limit
	if end < len(sts) {
		out.NextToken = encodeToken(strconv.Itoa(end))
	} else {
		end = len(sts)
	}
	for _, st := range sts[offset:end] {
		out.LogStreams = append(out.LogStreams, g.streamOut(st))
	}
	return out, nil
}
