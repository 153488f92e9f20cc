package dynamo

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// readAll reads every record of the table's (single-shard) stream from
// iterator type typ.
func readAll(t testing.TB, e *env, streamArn string, typ stypes.ShardIteratorType) []stypes.Record {
	t.Helper()
	return readStream(t, e, streamArn, typ, 2)
}

func readAllLimit(t testing.TB, e *env, streamArn string, limit int32) []stypes.Record {
	t.Helper()
	return readStream(t, e, streamArn, stypes.ShardIteratorTypeTrimHorizon, limit)
}

func readStream(t testing.TB, e *env, streamArn string, typ stypes.ShardIteratorType, limit int32) []stypes.Record {
	t.Helper()
	c := ctx(t)
	ds, err := e.streams.DescribeStream(c, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamArn)})
	if err != nil {
		t.Fatalf("DescribeStream: %v", err)
	}
	if len(ds.StreamDescription.Shards) != 1 {
		t.Fatalf("shards: got %d, want 1", len(ds.StreamDescription.Shards))
	}
	it, err := e.streams.GetShardIterator(c, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamArn),
		ShardId: ds.StreamDescription.Shards[0].ShardId, ShardIteratorType: typ})
	if err != nil {
		t.Fatalf("GetShardIterator: %v", err)
	}
	var recs []stypes.Record
	iter := it.ShardIterator
	for range 100 {
		out, err := e.streams.GetRecords(c, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(limit)})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		recs = append(recs, out.Records...)
		if len(out.Records) == 0 || out.NextShardIterator == nil {
			break
		}
		iter = out.NextShardIterator
	}
	return recs
}

func TestStreamRecords(t *testing.T) {
	t.Parallel()
	views := []types.StreamViewType{types.StreamViewTypeKeysOnly, types.StreamViewTypeNewImage, types.StreamViewTypeOldImage, types.StreamViewTypeNewAndOldImages}
	for _, view := range views {
		t.Run(string(view), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := ctx(t)
			arn := *createTable(t, e.db, "events", withStream(view)).LatestStreamArn
			put(t, e.db, "events", item{"pk": s("a"), "v": n("1")})
			put(t, e.db, "events", item{"pk": s("a"), "v": n("2")})
			put(t, e.db, "events", item{"pk": s("a"), "v": n("2.0")}) // unchanged: no record, as AWS documents
			_, err := e.db.PutItem(c, &dynamodb.PutItemInput{TableName: aws.String("events"), Item: item{"pk": s("a")},
				ConditionExpression: aws.String("attribute_not_exists(pk)")})
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				t.Fatalf("conditional put: got %v, want ConditionalCheckFailedException", err)
			}
			if _, err := e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: aws.String("events"), Key: item{"pk": s("a")}}); err != nil {
				t.Fatalf("DeleteItem: %v", err)
			}
			// deleting a missing item changes nothing and records nothing
			if _, err := e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: aws.String("events"), Key: item{"pk": s("a")}}); err != nil {
				t.Fatalf("DeleteItem: %v", err)
			}
			recs := readAll(t, e, arn, stypes.ShardIteratorTypeTrimHorizon)
			names := ""
			for _, r := range recs {
				names += string(r.EventName) + " "
			}
			if want := "INSERT MODIFY REMOVE "; names != want {
				t.Fatalf("events: got %q, want %q", names, want)
			}
			prev := ""
			for i, r := range recs {
				d := r.Dynamodb
				if *r.EventSource != "aws:dynamodb" || *r.EventVersion != "1.1" || *r.AwsRegion != "us-east-1" || len(*r.EventID) == 0 {
					t.Errorf("record %d header: got %+v", i, r)
				}
				if d.StreamViewType != stypes.StreamViewType(view) {
					t.Errorf("record %d view: got %s, want %s", i, d.StreamViewType, view)
				}
				if len(*d.SequenceNumber) < 21 || *d.SequenceNumber <= prev {
					t.Errorf("record %d sequence %s after %s: want increasing, 21+ digits", i, *d.SequenceNumber, prev)
				}
				prev = *d.SequenceNumber
				if k, ok := d.Keys["pk"].(*stypes.AttributeValueMemberS); !ok || k.Value != "a" || len(d.Keys) != 1 {
					t.Errorf("record %d keys: got %v", i, d.Keys)
				}
				if d.ApproximateCreationDateTime == nil || time.Since(*d.ApproximateCreationDateTime) > time.Minute {
					t.Errorf("record %d time: got %v", i, d.ApproximateCreationDateTime)
				}
				if *d.SizeBytes <= 0 {
					t.Errorf("record %d SizeBytes: got %d", i, *d.SizeBytes)
				}
				wantNew := (view == types.StreamViewTypeNewImage || view == types.StreamViewTypeNewAndOldImages) && r.EventName != stypes.OperationTypeRemove
				wantOld := (view == types.StreamViewTypeOldImage || view == types.StreamViewTypeNewAndOldImages) && r.EventName != stypes.OperationTypeInsert
				if (d.NewImage != nil) != wantNew || (d.OldImage != nil) != wantOld {
					t.Errorf("record %d %s: got new %v old %v, want new %v old %v", i, r.EventName, d.NewImage, d.OldImage, wantNew, wantOld)
				}
			}
			if view == types.StreamViewTypeNewAndOldImages {
				m := recs[1].Dynamodb
				if m.OldImage["v"].(*stypes.AttributeValueMemberN).Value != "1" || m.NewImage["v"].(*stypes.AttributeValueMemberN).Value != "2" {
					t.Errorf("MODIFY images: got old %v new %v", m.OldImage, m.NewImage)
				}
			}
		})
	}
}

func TestStreamIterators(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	arn := *createTable(t, e.db, "iters", withStream(types.StreamViewTypeKeysOnly)).LatestStreamArn
	for i := range 3 {
		put(t, e.db, "iters", item{"pk": s(fmt.Sprint(i))})
	}
	all := readAll(t, e, arn, stypes.ShardIteratorTypeTrimHorizon)
	if len(all) != 3 {
		t.Fatalf("records: got %d, want 3", len(all))
	}
	if got := readAll(t, e, arn, stypes.ShardIteratorTypeLatest); len(got) != 0 {
		t.Fatalf("LATEST before new writes: got %d records, want 0", len(got))
	}
	ds, _ := e.streams.DescribeStream(c, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	shard := ds.StreamDescription.Shards[0].ShardId
	if ds.StreamDescription.StreamStatus != stypes.StreamStatusEnabled || *ds.StreamDescription.TableName != "iters" ||
		*ds.StreamDescription.Shards[0].SequenceNumberRange.StartingSequenceNumber != *all[0].Dynamodb.SequenceNumber {
		t.Errorf("DescribeStream: got %+v start %s first %s", ds.StreamDescription, *ds.StreamDescription.Shards[0].SequenceNumberRange.StartingSequenceNumber, *all[0].Dynamodb.SequenceNumber)
	}
	for _, tc := range []struct {
		typ  stypes.ShardIteratorType
		want int
	}{{stypes.ShardIteratorTypeAtSequenceNumber, 2}, {stypes.ShardIteratorTypeAfterSequenceNumber, 1}} {
		it, err := e.streams.GetShardIterator(c, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: shard,
			ShardIteratorType: tc.typ, SequenceNumber: all[1].Dynamodb.SequenceNumber})
		if err != nil {
			t.Fatalf("GetShardIterator %s: %v", tc.typ, err)
		}
		out, err := e.streams.GetRecords(c, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		if err != nil {
			t.Fatalf("GetRecords: %v", err)
		}
		if len(out.Records) != tc.want {
			t.Errorf("%s: got %d records, want %d", tc.typ, len(out.Records), tc.want)
		}
	}
	// LATEST then a write: the iterator sees exactly the new record
	it, _ := e.streams.GetShardIterator(c, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: shard, ShardIteratorType: stypes.ShardIteratorTypeLatest})
	put(t, e.db, "iters", item{"pk": s("new")})
	out, err := e.streams.GetRecords(c, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(out.Records) != 1 || out.Records[0].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value != "new" {
		t.Fatalf("LATEST after write: got %+v, %v", out, err)
	}

	// errors
	_, err = e.streams.GetRecords(c, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("garbage")})
	wantCode(t, err, "ValidationException")
	expired := encodeIterator(iterator{Arn: arn, Shard: *shard, Created: time.Now().Add(-16 * time.Minute).UnixMilli()})
	_, err = e.streams.GetRecords(c, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(expired)})
	var exp *stypes.ExpiredIteratorException
	if !errors.As(err, &exp) {
		t.Errorf("expired iterator: got %v, want ExpiredIteratorException", err)
	}
	_, err = e.streams.DescribeStream(c, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn + "x")})
	var nf *stypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeStream missing: got %v, want ResourceNotFoundException", err)
	}
	_, err = e.streams.GetShardIterator(c, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: aws.String("shardId-x"), ShardIteratorType: stypes.ShardIteratorTypeLatest})
	if !errors.As(err, &nf) {
		t.Errorf("GetShardIterator bad shard: got %v, want ResourceNotFoundException", err)
	}
}

func TestListStreamsAndDisable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	for i := range 3 {
		createTable(t, e.db, fmt.Sprintf("s%d-table", i), withStream(types.StreamViewTypeNewImage))
	}
	createTable(t, e.db, "nostream")
	var arns []string
	var start *string
	for {
		out, err := e.streams.ListStreams(c, &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(2), ExclusiveStartStreamArn: start})
		if err != nil {
			t.Fatalf("ListStreams: %v", err)
		}
		for _, s := range out.Streams {
			arns = append(arns, *s.StreamArn)
		}
		if out.LastEvaluatedStreamArn == nil {
			break
		}
		start = out.LastEvaluatedStreamArn
	}
	if len(arns) != 3 {
		t.Fatalf("streams: got %d, want 3", len(arns))
	}
	one, err := e.streams.ListStreams(c, &dynamodbstreams.ListStreamsInput{TableName: aws.String("s1-table")})
	if err != nil || len(one.Streams) != 1 || *one.Streams[0].TableName != "s1-table" {
		t.Fatalf("ListStreams by table: got %+v, %v", one, err)
	}
	arn := *one.Streams[0].StreamArn
	put(t, e.db, "s1-table", item{"pk": s("x")})
	if _, err := e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: aws.String("s1-table"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatalf("disable: %v", err)
	}
	put(t, e.db, "s1-table", item{"pk": s("y")}) // not recorded
	ds, err := e.streams.DescribeStream(c, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil || ds.StreamDescription.StreamStatus != stypes.StreamStatusDisabled || ds.StreamDescription.Shards[0].SequenceNumberRange.EndingSequenceNumber == nil {
		t.Fatalf("DescribeStream disabled: got %+v, %v", ds, err)
	}
	recs := readAll(t, e, arn, stypes.ShardIteratorTypeTrimHorizon)
	if len(recs) != 1 {
		t.Fatalf("records of disabled stream: got %d, want 1", len(recs))
	}
}

func TestStreamTrim(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := *createTable(t, e.db, "trim", withStream(types.StreamViewTypeKeysOnly)).LatestStreamArn
	put(t, e.db, "trim", item{"pk": s("old")})
	e.svc.trim(time.Now().Add(25 * time.Hour))
	put(t, e.db, "trim", item{"pk": s("new")})
	recs := readAll(t, e, arn, stypes.ShardIteratorTypeTrimHorizon)
	if len(recs) != 1 || recs[0].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value != "new" {
		t.Fatalf("after trim: got %d records, want only the new one", len(recs))
	}
}

func TestStreamTrimInChunks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tx, err := e.svc.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2*trimChunk + 7 {
		if _, err := tx.Exec(`INSERT INTO stream_records (stream, created, record) VALUES ('x', ?, '{}')`, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e.svc.trim(time.Now())
	var left int
	if err := e.svc.db.QueryRow(`SELECT COUNT(*) FROM stream_records`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("records after trim: got %d, %v; want 0", left, err)
	}
}
