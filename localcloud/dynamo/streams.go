package dynamo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// streamMeta is one DynamoDB stream. A table's stream has a single shard
// (ShardID) holding every record in commit order; re-enabling a stream
// creates a new stream with a new label and ARN, as AWS does.
type streamMeta struct {
	Arn       string       `json:"Arn"`
	Label     string       `json:"Label"`
	Account   string       `json:"Account"`
	Region    string       `json:"Region"`
	Table     string       `json:"Table"`
	ViewType  string       `json:"ViewType"`
	KeySchema []keyElement `json:"KeySchema"`
	Created   time.Time    `json:"Created"`
	Disabled  time.Time    `json:"Disabled,omitzero"`
	ShardID   string       `json:"ShardID"`
}

func (sm *streamMeta) mutation() mutation {
	b, _ := json.Marshal(sm)
	return mutation{kind: mutExec, sql: `INSERT OR REPLACE INTO streams (arn, meta) VALUES (?, ?)`, args: []any{sm.Arn, b}}
}

// newStream makes a stream for meta and records it in meta.
func (s *Service) newStream(meta *tableMeta, now time.Time) *streamMeta {
	label := now.Format("2006-01-02T15:04:05.000")
	for label <= meta.StreamLabel {
		now = now.Add(time.Millisecond)
		label = now.Format("2006-01-02T15:04:05.000")
	}
	sm := &streamMeta{
		Arn:       meta.arn() + "/stream/" + label,
		Label:     label,
		Account:   meta.Account,
		Region:    meta.Region,
		Table:     meta.Name,
		ViewType:  meta.StreamViewType,
		KeySchema: meta.KeySchema,
		Created:   now,
		ShardID:   fmt.Sprintf("shardId-%020d-%s", now.UnixMilli(), strings.ReplaceAll(uuid.NewString(), "-", "")[:8]),
	}
	meta.StreamArn, meta.StreamLabel = sm.Arn, sm.Label
	return sm
}

// recordJSON is a stream record as stored: everything but the sequence
// number, which SQLite assigns in commit order.
type recordJSON struct {
	EventID      string        `json:"eventID"`
	EventName    string        `json:"eventName"`
	EventVersion string        `json:"eventVersion"`
	EventSource  string        `json:"eventSource"`
	AwsRegion    string        `json:"awsRegion"`
	Dynamodb     recordDynamo  `json:"dynamodb"`
	UserIdentity *userIdentity `json:"userIdentity,omitempty"`
}

type userIdentity struct {
	PrincipalID string `json:"PrincipalId"`
	Type        string `json:"Type"`
}

type recordDynamo struct {
	ApproximateCreationDateTime float64         `json:"ApproximateCreationDateTime"`
	Keys                        json.RawMessage `json:"Keys"`
	NewImage                    json.RawMessage `json:"NewImage,omitempty"`
	OldImage                    json.RawMessage `json:"OldImage,omitempty"`
	SequenceNumber              string          `json:"SequenceNumber,omitempty"`
	SizeBytes                   int             `json:"SizeBytes"`
	StreamViewType              string          `json:"StreamViewType"`
}

// streamRecord returns the mutation that appends the record of a change
// from old to item (either may be nil) to the table's stream, or false when
// the table has no enabled stream. The caller holds t.mu.
func (t *table) streamRecord(old, item attr.Item, now time.Time) (mutation, bool) {
	return t.streamRecordBy(old, item, now, nil)
}

// streamRecordBy is streamRecord with the userIdentity of TTL deletions.
func (t *table) streamRecordBy(old, item attr.Item, now time.Time, who *userIdentity) (mutation, bool) {
	m := &t.meta
	if !m.StreamEnabled {
		return mutation{}, false
	}
	ref := item
	name := "MODIFY"
	switch {
	case old == nil:
		name = "INSERT"
	case item == nil:
		name = "REMOVE"
		ref = old
	}
	keys := attr.Item{t.key.hash: ref[t.key.hash]}
	if t.key.rng != "" {
		keys[t.key.rng] = ref[t.key.rng]
	}
	r := recordJSON{
		EventID: strings.ReplaceAll(uuid.NewString(), "-", ""), EventName: name, EventVersion: "1.1",
		EventSource: "aws:dynamodb", AwsRegion: m.Region, UserIdentity: who,
	}
	r.Dynamodb.ApproximateCreationDateTime = float64(now.Unix())
	r.Dynamodb.StreamViewType = m.StreamViewType
	r.Dynamodb.Keys, _ = json.Marshal(keys)
	size := itemSize(keys)
	if item != nil && (m.StreamViewType == "NEW_IMAGE" || m.StreamViewType == "NEW_AND_OLD_IMAGES") {
		r.Dynamodb.NewImage, _ = json.Marshal(item)
		size += itemSize(item)
	}
	if old != nil && (m.StreamViewType == "OLD_IMAGE" || m.StreamViewType == "NEW_AND_OLD_IMAGES") {
		r.Dynamodb.OldImage, _ = json.Marshal(old)
		size += itemSize(old)
	}
	r.Dynamodb.SizeBytes = size
	b, _ := json.Marshal(&r)
	return mutation{kind: mutRecord, stream: m.StreamArn, created: now.UnixMilli(), data: b}, true
}

// formatSeq renders a sequence number as AWS-like decimal text (21 digits).
func formatSeq(n int64) string { return "1" + fmt.Sprintf("%020d", n) }

func parseSeq(s string) (int64, bool) {
	if len(s) != 21 || s[0] != '1' {
		return 0, false
	}
	n, err := strconv.ParseInt(s[1:], 10, 64)
	return n, err == nil && n >= 0
}

func (s *Service) streamFor(ctx context.Context, arn string) (*streamMeta, error) {
	if arn == "" {
		return nil, validationf("1 validation error detected: Value null at 'streamArn' failed to satisfy constraint: Member must not be null")
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	sm := s.streams[arn]
	s.mu.RUnlock()
	if sm == nil || sm.Account != id.AccountID || sm.Region != id.Region {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Stream: %s not found", arn)
	}
	return sm, nil
}

type listStreamsInput struct {
	TableName               string `json:"TableName"`
	Limit                   *int   `json:"Limit"`
	ExclusiveStartStreamArn string `json:"ExclusiveStartStreamArn"`
}

func (s *Service) listStreams(ctx context.Context, body []byte) (any, error) {
	var in listStreamsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	table := resolveName(id, in.TableName)
	s.mu.RLock()
	var list []*streamMeta
	for _, sm := range s.streams {
		if sm.Account == id.AccountID && sm.Region == id.Region && (table == "" || sm.Table == table) {
			list = append(list, sm)
		}
	}
	s.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Arn < list[j].Arn })
	if in.ExclusiveStartStreamArn != "" {
		i := sort.Search(len(list), func(i int) bool { return list[i].Arn > in.ExclusiveStartStreamArn })
		list = list[i:]
	}
	out := map[string]any{}
	if len(list) > limit {
		list = list[:limit]
		out["LastEvaluatedStreamArn"] = list[limit-1].Arn
	}
	streams := make([]map[string]any, 0, len(list))
	for _, sm := range list {
		streams = append(streams, map[string]any{"StreamArn": sm.Arn, "TableName": sm.Table, "StreamLabel": sm.Label})
	}
	out["Streams"] = streams
	return out, nil
}

type describeStreamInput struct {
	StreamArn             string `json:"StreamArn"`
	Limit                 *int   `json:"Limit"`
	ExclusiveStartShardId string `json:"ExclusiveStartShardId"`
}

// seqRange returns the first and last committed sequence numbers of a
// stream (0 when it has no records).
func (s *Service) seqRange(ctx context.Context, arn string) (first, last int64, err error) {
	if err := s.com.sync(); err != nil {
		return 0, 0, fmt.Errorf("read stream records: %w", err)
	}
	var f, l sql.NullInt64
	err = s.db.QueryRowContext(ctx, `SELECT MIN(seq), MAX(seq) FROM stream_records WHERE stream = ?`, arn).Scan(&f, &l)
	return f.Int64, l.Int64, err
}

func (s *Service) nextSeq(ctx context.Context) int64 {
	s.com.sync()
	var n sql.NullInt64
	s.db.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'stream_records'`).Scan(&n)
	return n.Int64 + 1
}

func (s *Service) describeStream(ctx context.Context, body []byte) (any, error) {
	var in describeStreamInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := s.streamFor(ctx, in.StreamArn)
	if err != nil {
		return nil, err
	}
	first, last, err := s.seqRange(ctx, sm.Arn)
	if err != nil {
		return nil, fmt.Errorf("describe stream: %w", err)
	}
	status := "ENABLED"
	rng := map[string]any{}
	if first > 0 {
		rng["StartingSequenceNumber"] = formatSeq(first)
	} else {
		rng["StartingSequenceNumber"] = formatSeq(s.nextSeq(ctx))
	}
	if !sm.Disabled.IsZero() {
		status = "DISABLED"
		if last > 0 {
			rng["EndingSequenceNumber"] = formatSeq(last)
		} else {
			rng["EndingSequenceNumber"] = rng["StartingSequenceNumber"]
		}
	}
	shards := []map[string]any{}
	if in.ExclusiveStartShardId == "" || in.ExclusiveStartShardId < sm.ShardID {
		shards = append(shards, map[string]any{"ShardId": sm.ShardID, "SequenceNumberRange": rng})
	}
	return map[string]any{"StreamDescription": map[string]any{
		"StreamArn":               sm.Arn,
		"StreamLabel":             sm.Label,
		"StreamStatus":            status,
		"StreamViewType":          sm.ViewType,
		"CreationRequestDateTime": epoch(sm.Created),
		"TableName":               sm.Table,
		"KeySchema":               sm.KeySchema,
		"Shards":                  shards,
	}}, nil
}

// iterator is the decoded form of a shard iterator: a position (the last
// sequence number already read) in one stream's shard.
type iterator struct {
	Arn     string `json:"a"`
	Shard   string `json:"s"`
	Pos     int64  `json:"p"`
	Created int64  `json:"t"` // unix ms
}

func encodeIterator(it iterator) string {
	b, _ := json.Marshal(it)
	return "itr1." + base64.RawURLEncoding.EncodeToString(b)
}

func decodeIterator(s string) (iterator, bool) {
	var it iterator
	rest, ok := strings.CutPrefix(s, "itr1.")
	if !ok {
		return it, false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || json.Unmarshal(b, &it) != nil || it.Arn == "" {
		return it, false
	}
	return it, true
}

type getShardIteratorInput struct {
	StreamArn         string `json:"StreamArn"`
	ShardId           string `json:"ShardId"`
	ShardIteratorType string `json:"ShardIteratorType"`
	SequenceNumber    string `json:"SequenceNumber"`
}

func (s *Service) getShardIterator(ctx context.Context, body []byte) (any, error) {
	var in getShardIteratorInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := s.streamFor(ctx, in.StreamArn)
	if err != nil {
		return nil, err
	}
	if in.ShardId == "" {
		return nil, validationf("1 validation error detected: Value null at 'shardId' failed to satisfy constraint: Member must not be null")
	}
	if in.ShardId != sm.ShardID {
		return nil, protocol.Errorf("ResourceNotFoundException", "Requested resource not found: Shard does not exist")
	}
	it := iterator{Arn: sm.Arn, Shard: sm.ShardID, Created: time.Now().UnixMilli()}
	switch in.ShardIteratorType {
	case "TRIM_HORIZON":
	case "LATEST":
		_, last, err := s.seqRange(ctx, sm.Arn)
		if err != nil {
			return nil, fmt.Errorf("get shard iterator: %w", err)
		}
		if last == 0 {
			last = s.nextSeq(ctx) - 1
		}
		it.Pos = last
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		if in.SequenceNumber == "" {
			return nil, validationf("Must specify a sequence number for iterator type %s", in.ShardIteratorType)
		}
		n, ok := parseSeq(in.SequenceNumber)
		if !ok {
			return nil, validationf("Invalid SequenceNumber: %s", in.SequenceNumber)
		}
		it.Pos = n
		if in.ShardIteratorType == "AT_SEQUENCE_NUMBER" {
			it.Pos = n - 1
		}
	case "":
		return nil, validationf("1 validation error detected: Value null at 'shardIteratorType' failed to satisfy constraint: Member must not be null")
	default:
		return nil, validationf("1 validation error detected: Value '%s' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]", in.ShardIteratorType)
	}
	if in.SequenceNumber != "" && (in.ShardIteratorType == "TRIM_HORIZON" || in.ShardIteratorType == "LATEST") {
		return nil, validationf("Sequence number should not be provided for iterator type %s", in.ShardIteratorType)
	}
	return map[string]any{"ShardIterator": encodeIterator(it)}, nil
}

type getRecordsInput struct {
	ShardIterator string `json:"ShardIterator"`
	Limit         *int   `json:"Limit"`
}

func (s *Service) getRecords(ctx context.Context, body []byte) (any, error) {
	var in getRecordsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ShardIterator == "" {
		return nil, validationf("1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: Member must not be null")
	}
	limit := 1000
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 1000 {
			return nil, validationf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000", *in.Limit)
		}
		limit = *in.Limit
	}
	it, ok := decodeIterator(in.ShardIterator)
	if !ok {
		return nil, validationf("Invalid ShardIterator")
	}
	created := time.UnixMilli(it.Created)
	if now := time.Now(); now.Sub(created) > s.cfg.IteratorTTL {
		return nil, protocol.Errorf("ExpiredIteratorException", "Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			created.UTC().Format(time.RFC1123), now.UTC().Format(time.RFC1123), s.cfg.IteratorTTL.Milliseconds())
	}
	sm, err := s.streamFor(ctx, it.Arn)
	if err != nil {
		return nil, err
	}
	if err := s.com.sync(); err != nil {
		return nil, fmt.Errorf("get records: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, record FROM stream_records WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?`, sm.Arn, it.Pos, limit)
	if err != nil {
		return nil, fmt.Errorf("get records: %w", err)
	}
	defer rows.Close()
	records := []json.RawMessage{}
	pos := it.Pos
	size := 0
	// At most 1000 records or about 1 MB, as GetRecords answers.
	for size < maxPage && rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, fmt.Errorf("get records: %w", err)
		}
		var r recordJSON
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("get records: decode: %w", err)
		}
		r.Dynamodb.SequenceNumber = formatSeq(seq)
		b, _ := json.Marshal(&r)
		records = append(records, b)
		size += len(b)
		pos = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get records: %w", err)
	}
	out := map[string]any{"Records": records}
	if sm.Disabled.IsZero() || len(records) > 0 {
		out["NextShardIterator"] = encodeIterator(iterator{Arn: it.Arn, Shard: it.Shard, Pos: pos, Created: time.Now().UnixMilli()})
	}
	return out, nil
}

// trimLoop removes stream records (and disabled streams) older than the
// retention period and expires items, once a minute (New does it once
// before serving).
func (s *Service) trimLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.trim(time.Now())
		s.expire(time.Now())
	}
}

// trimChunk bounds the records one trim commit deletes, so that trimming a
// day of records does not hold up writes.
const trimChunk = 5000

func (s *Service) trim(now time.Time) {
	cutoff := now.Add(-s.cfg.StreamRetention)
	// Records still in the journal are not counted: the count only splits
	// a large trim into chunks, and the DELETEs below run after the writer
	// has copied the journal into SQLite.
	var old int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM stream_records WHERE created < ?`, cutoff.UnixMilli()).Scan(&old); err != nil {
		s.log.Error("trim stream records", "err", err)
		return
	}
	for ; old > trimChunk; old -= trimChunk {
		if err := s.com.commit([]mutation{{kind: mutExec, sql: `DELETE FROM stream_records WHERE seq IN
			(SELECT seq FROM stream_records WHERE created < ? ORDER BY seq LIMIT ?)`, args: []any{cutoff.UnixMilli(), trimChunk}}}); err != nil {
			s.log.Error("trim stream records", "err", err)
			return
		}
	}
	muts := []mutation{{kind: mutExec, sql: `DELETE FROM stream_records WHERE created < ?`, args: []any{cutoff.UnixMilli()}}}
	s.mu.Lock()
	var gone []string
	for arn, sm := range s.streams {
		if !sm.Disabled.IsZero() && sm.Disabled.Before(cutoff) {
			gone = append(gone, arn)
			muts = append(muts, mutation{kind: mutExec, sql: `DELETE FROM streams WHERE arn = ?`, args: []any{arn}})
		}
	}
	s.mu.Unlock()
	if err := s.com.commit(muts); err != nil {
		s.log.Error("trim stream records", "err", err)
		return
	}
	s.mu.Lock()
	for _, arn := range gone {
		delete(s.streams, arn)
	}
	s.mu.Unlock()
}

// load reads tables, items and streams into memory.
func (s *Service) load() error {
	rows, err := s.db.Query(`SELECT meta FROM tables`)
	if err != nil {
		return err
	}
	var metas []tableMeta
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return err
		}
		var m tableMeta
		if err := json.Unmarshal(b, &m); err != nil {
			rows.Close()
			return fmt.Errorf("decode table: %w", err)
		}
		metas = append(metas, m)
	}
	rows.Close()
	for _, m := range metas {
		t := newTable(m)
		if err := s.loadItems(t, true); err != nil {
			return fmt.Errorf("load items of %s: %w", m.Name, err)
		}
		s.tables[tableKey{m.Account, m.Region, m.Name}] = t
	}
	rows, err = s.db.Query(`SELECT meta FROM streams`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		var sm streamMeta
		if err := json.Unmarshal(b, &sm); err != nil {
			return fmt.Errorf("decode stream: %w", err)
		}
		s.streams[sm.Arn] = &sm
	}
	return rows.Err()
}

// loadItems reads t's items into memory. Keys are recomputed from the
// items, so a change of the key encoding cannot strand rows; when fix is
// set (at start-up, before the service serves) rows stored under another
// encoding are rewritten.
func (s *Service) loadItems(t *table, fix bool) error {
	rows, err := s.db.Query(`SELECT pk, sk, item FROM items WHERE tid = ?`, t.meta.ID)
	if err != nil {
		return err
	}
	type rekey struct{ oldPK, oldSK, pk, sk []byte }
	var stale []rekey
	for rows.Next() {
		var pk, sk, b []byte
		if err := rows.Scan(&pk, &sk, &b); err != nil {
			rows.Close()
			return err
		}
		// Rows hold encodeItem's output: the one-pass decoder reads them.
		var fi fastItem
		if err := fi.UnmarshalJSON(b); err != nil {
			rows.Close()
			return fmt.Errorf("decode item: %w", err)
		}
		item := attr.Item(fi)
		npk, nsk, ok := t.base.keys(item)
		if !ok {
			rows.Close()
			return fmt.Errorf("item without its key attributes in table %s", t.meta.Name)
		}
		if npk != string(pk) || nsk != string(sk) {
			stale = append(stale, rekey{pk, sk, []byte(npk), []byte(nsk)})
		}
		// Scan copied the row's bytes: memory keeps them as they are.
		t.base.put(npk, nsk, "", b, itemSize(item), pageSize(item, t.key.rng))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if fix && len(stale) > 0 {
		tx, err := s.db.Begin()
		if err != nil {
			return err
		}
		for _, r := range stale {
			if _, err := tx.Exec(`UPDATE items SET pk = ?, sk = ? WHERE tid = ? AND pk = ? AND sk = ?`, r.pk, r.sk, t.meta.ID, r.oldPK, r.oldSK); err != nil {
				tx.Rollback()
				return fmt.Errorf("rekey items: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("rekey items: %w", err)
		}
	}
	t.rebuildIndexes()
	return nil
}

// expire deletes items whose TTL attribute (epoch seconds) has passed, as
// DynamoDB's TTL does: each deletion is a REMOVE stream record whose
// userIdentity is the DynamoDB service. Values more than five years in the
// past are ignored, as AWS documents.
func (s *Service) expire(now time.Time) {
	s.mu.RLock()
	var tables []*table
	for _, t := range s.tables {
		tables = append(tables, t)
	}
	s.mu.RUnlock()
	nowSec := float64(now.Unix())
	oldest := float64(now.AddDate(-5, 0, 0).Unix())
	for _, t := range tables {
		t.mu.Lock()
		if t.deleted || !t.meta.TTLEnabled || t.meta.TTLAttribute == "" {
			t.mu.Unlock()
			continue
		}
		type victim struct {
			pk, sk string
			item   attr.Item
		}
		var victims []victim
		// Only items that name the attribute are decoded.
		quoted := attr.AppendString(nil, t.meta.TTLAttribute)
		for pk, p := range t.base.parts {
			for _, e := range p.entries {
				if !bytes.Contains(e.enc, quoted) {
					continue
				}
				item := e.load()
				v, ok := item[t.meta.TTLAttribute]
				if !ok || v.Kind != attr.N {
					continue
				}
				ts, err := strconv.ParseFloat(v.Str, 64)
				if err != nil || ts > nowSec || ts < oldest {
					continue
				}
				victims = append(victims, victim{pk, e.sk, item})
			}
		}
		var muts []mutation
		for _, v := range victims {
			muts = append(muts, mutation{kind: mutDeleteItem, tid: t.meta.ID, pk: v.pk, sk: v.sk})
			if r, ok := t.streamRecordBy(v.item, nil, now, &userIdentity{PrincipalID: "dynamodb.amazonaws.com", Type: "Service"}); ok {
				muts = append(muts, r)
			}
			t.set(v.pk, v.sk, v.item, nil, nil)
		}
		var done chan error
		if len(muts) > 0 {
			done = s.com.submit(muts)
		}
		t.mu.Unlock()
		if done != nil {
			if err := s.await(done, t); err != nil {
				s.log.Error("expire items", "table", t.meta.Name, "err", err)
			}
		}
	}
}
