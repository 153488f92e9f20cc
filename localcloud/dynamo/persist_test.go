package dynamo

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

func TestPersistenceAcrossReopen(t *testing.T) {
	t.Parallel()
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := ctx(t)
			desc := createTable(t, e.db, "durable", withRange("sk", types.ScalarAttributeTypeN), withStream(types.StreamViewTypeNewAndOldImages),
				withGSI("byG", "g", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeAll))
			arn := *desc.LatestStreamArn
			// concurrent writers: every acknowledged write must survive with its record
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 10 {
						put(t, e.db, "durable", item{"pk": s(fmt.Sprint(w)), "sk": n(fmt.Sprint(i)), "g": s("x")})
					}
				}()
			}
			wg.Wait()
			if _, err := e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: aws.String("durable"), Key: item{"pk": s("0"), "sk": n("0")}}); err != nil {
				t.Fatalf("DeleteItem: %v", err)
			}
			if _, err := e.db.TagResource(c, &dynamodb.TagResourceInput{ResourceArn: desc.TableArn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
				t.Fatalf("TagResource: %v", err)
			}
			if !crash {
				if err := e.svc.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				if err := e.svc.Close(); err != nil {
					t.Fatalf("second Close: %v", err)
				}
			}
			// A crash is simulated by opening the same data dir while the
			// first service is still running: what it acknowledged is committed.
			e2 := openEnv(t, e.dir)
			sc, err := e2.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("durable"), Select: types.SelectCount})
			if err != nil || sc.Count != 79 {
				t.Fatalf("Scan after reopen: got %d, %v; want 79", sc.Count, err)
			}
			g, err := e2.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("durable"), Key: item{"pk": s("3"), "sk": n("7")}})
			if err != nil || g.Item == nil || str(t, g.Item, "g") != "x" {
				t.Fatalf("GetItem after reopen: got %v, %v", g.Item, err)
			}
			q, err := e2.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("durable"), IndexName: aws.String("byG"),
				KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("x")}, Select: types.SelectCount})
			if err != nil || q.Count != 79 {
				t.Fatalf("GSI Query after reopen: got %d, %v; want 79", q.Count, err)
			}
			tags, err := e2.db.ListTagsOfResource(c, &dynamodb.ListTagsOfResourceInput{ResourceArn: desc.TableArn})
			if err != nil || len(tags.Tags) != 1 {
				t.Fatalf("tags after reopen: got %v, %v", tags, err)
			}
			recs := readAllN(t, e2, arn)
			if len(recs) != 81 {
				t.Fatalf("stream records after reopen: got %d, want 81", len(recs))
			}
			// per item, records are in commit order: INSERT first
			seen := map[string]bool{}
			for _, r := range recs {
				k := r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value + "/" + r.Dynamodb.Keys["sk"].(*stypes.AttributeValueMemberN).Value
				if !seen[k] && r.EventName != stypes.OperationTypeInsert {
					t.Errorf("first record of %s: got %s, want INSERT", k, r.EventName)
				}
				seen[k] = true
			}
			// writes after reopen continue the sequence
			put(t, e2.db, "durable", item{"pk": s("new"), "sk": n("1")})
			recs2 := readAllN(t, e2, arn)
			if len(recs2) != 82 || *recs2[81].Dynamodb.SequenceNumber <= *recs2[80].Dynamodb.SequenceNumber {
				t.Fatalf("records after new write: got %d", len(recs2))
			}
		})
	}
}

// readAllN reads a stream from TRIM_HORIZON with large pages.
func readAllN(t testing.TB, e *env, arn string) []stypes.Record {
	t.Helper()
	return readAllLimit(t, e, arn, 1000)
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "closing")
	e.svc.Close()
	_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("closing"), Item: item{"pk": s("a")}})
	wantCode(t, err, "ServiceUnavailable")
}

// TestConcurrentCounter: concurrent increments of one item are serialised,
// and the stream holds one record per increment, in order.
func TestConcurrentCounter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := *createTable(t, e.db, "counter", withStream(types.StreamViewTypeNewImage)).LatestStreamArn
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("counter"), Key: item{"pk": s("c")},
					UpdateExpression: aws.String("ADD hits :one"), ExpressionAttributeValues: item{":one": n("1")}}); err != nil {
					t.Errorf("UpdateItem: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	g, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("counter"), Key: item{"pk": s("c")}})
	if err != nil || num(t, g.Item, "hits") != "80" {
		t.Fatalf("counter: got %v, %v; want 80", g.Item, err)
	}
	recs := readAllN(t, e, arn)
	if len(recs) != 80 {
		t.Fatalf("records: got %d, want 80", len(recs))
	}
	for i, r := range recs {
		if got, want := r.Dynamodb.NewImage["hits"].(*stypes.AttributeValueMemberN).Value, fmt.Sprint(i+1); got != want {
			t.Fatalf("record %d: hits %s, want %s", i, got, want)
		}
	}
}

// TestRekeyOnLoad: rows stored under another key encoding are found by
// their items' keys after a restart.
func TestRekeyOnLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "rekey", withRange("sk", types.ScalarAttributeTypeN))
	put(t, e.db, "rekey", item{"pk": s("a"), "sk": n("1"), "v": s("x")})
	e.svc.Close()
	db, err := openDB(e.dir + "/dynamodb.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE items SET pk = X'00', sk = X'01'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e2 := openEnv(t, e.dir)
	if _, err := e2.db.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("rekey"), Key: item{"pk": s("a"), "sk": n("1")}}); err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	e2.svc.Close()
	e3 := openEnv(t, e.dir)
	sc, err := e3.db.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("rekey")})
	if err != nil || sc.Count != 0 {
		t.Fatalf("after delete and restart: got %d items, %v; want 0", sc.Count, err)
	}
}
