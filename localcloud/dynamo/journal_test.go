package dynamo

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func journalMuts() [][]mutation {
	return [][]mutation{
		{{kind: mutPutItem, tid: "t1", pk: "a", sk: "", data: []byte(`{"pk":{"S":"a"}}`)},
			{kind: mutRecord, seq: 7, stream: "arn:s", created: 1700000000000, data: []byte(`{"eventName":"INSERT"}`)}},
		{{kind: mutDeleteItem, tid: "t1", pk: "a", sk: "\x00\x01"}},
		{{kind: mutPutItem, tid: "t2", pk: string(make([]byte, 300)), sk: "z", data: bytes.Repeat([]byte("x"), 200)},
			{kind: mutRecord, seq: 8, stream: "arn:s", created: -1, data: nil}},
	}
}

func encodeFrames(frames [][]mutation) (buf []byte, ends []int) {
	for _, f := range frames {
		var ms []*mutation
		for i := range f {
			ms = append(ms, &f[i])
		}
		buf = appendFrame(buf, ms)
		ends = append(ends, len(buf))
	}
	return buf, ends
}

func flatten(frames [][]mutation) []mutation {
	var all []mutation
	for _, f := range frames {
		for _, m := range f {
			if m.data == nil && m.kind != mutDeleteItem {
				m.data = []byte{}
			}
			all = append(all, m)
		}
	}
	return all
}

// TestJournalTornTail: cut anywhere, the journal yields exactly the frames
// written whole before the cut; a corrupt frame ends it.
func TestJournalTornTail(t *testing.T) {
	frames := journalMuts()
	buf, ends := encodeFrames(frames)
	for cut := 0; cut <= len(buf); cut++ {
		whole := 0
		for whole < len(ends) && ends[whole] <= cut {
			whole++
		}
		got, off, err := readJournal(bytes.NewReader(buf[:cut]))
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		want := flatten(frames[:whole])
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at %d of %d: got %d mutations, want %d (%d whole frames)", cut, len(buf), len(got), len(want), whole)
		}
		if wantOff := 0; whole > 0 {
			wantOff = ends[whole-1]
			if off != int64(wantOff) {
				t.Fatalf("cut %d: offset %d, want %d", cut, off, wantOff)
			}
		}
	}
	// one flipped bit in the second frame: only the first frame is read
	bad := bytes.Clone(buf)
	bad[ends[0]+12] ^= 0x10
	got, _, err := readJournal(bytes.NewReader(bad))
	if err != nil || !reflect.DeepEqual(got, flatten(frames[:1])) {
		t.Fatalf("corrupt second frame: got %d mutations, %v; want the first frame's %d", len(got), err, len(frames[0]))
	}
}

// TestJournalReplay: writes acknowledged from the journal and not yet
// copied into SQLite survive a crash with their stream records, in order,
// and sequence numbers continue after them.
func TestJournalReplay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t), applyIdle: time.Hour, TableDelay: testTableDelay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	e := &env{dir: dir, svc: svc, url: cloudtest.Serve(t, svc.Route())}
	e.db = e.client(cloudtest.Account)
	c := ctx(t)
	arn := *createTable(t, e.db, "journal", withStream(types.StreamViewTypeNewAndOldImages)).LatestStreamArn
	for i := range 40 {
		put(t, e.db, "journal", item{"pk": s(strconv.Itoa(i)), "v": n("1")})
	}
	for i := range 10 {
		if _, err := e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: aws.String("journal"), Key: item{"pk": s(strconv.Itoa(i))},
			UpdateExpression: aws.String("SET v = v + :one"), ExpressionAttributeValues: item{":one": n("1")}}); err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
	}
	for i := 30; i < 40; i++ {
		if _, err := e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: aws.String("journal"), Key: item{"pk": s(strconv.Itoa(i))}}); err != nil {
			t.Fatalf("DeleteItem: %v", err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "dynamodb.journal"))
	if err != nil || fi.Size() == 0 {
		t.Fatalf("the writes should wait in the journal: %v, %v", fi, err)
	}
	var inDB int
	svc.db.QueryRow(`SELECT COUNT(*) FROM items`).Scan(&inDB)
	if inDB != 0 {
		t.Fatalf("SQLite already holds %d items; the test needs them in the journal only", inDB)
	}

	// A crash: the same data dir opened while the first service still runs.
	e2 := openEnv(t, dir)
	sc, err := e2.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("journal"), Select: types.SelectCount})
	if err != nil || sc.Count != 30 {
		t.Fatalf("Scan after replay: got %d, %v; want 30", sc.Count, err)
	}
	for i, want := range map[int]string{3: "2", 15: "1"} {
		g, err := e2.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("journal"), Key: item{"pk": s(strconv.Itoa(i))}})
		if err != nil || g.Item == nil || g.Item["v"].(*types.AttributeValueMemberN).Value != want {
			t.Fatalf("item %d after replay: %v, %v; want v=%s", i, g.Item, err, want)
		}
	}
	put(t, e2.db, "journal", item{"pk": s("after"), "v": n("1")})
	recs := readAllN(t, e2, arn)
	var names []string
	last := ""
	for _, r := range recs {
		seq := *r.Dynamodb.SequenceNumber
		if seq <= last {
			t.Fatalf("sequence numbers not increasing: %s after %s", seq, last)
		}
		last = seq
		names = append(names, fmt.Sprint(r.EventName))
	}
	if len(recs) != 61 {
		t.Fatalf("stream records after replay: got %d, want 61 (40 INSERT, 10 MODIFY, 10 REMOVE, 1 INSERT)", len(recs))
	}
	if names[0] != string(stypes.OperationTypeInsert) || names[45] != string(stypes.OperationTypeModify) ||
		names[55] != string(stypes.OperationTypeRemove) || names[60] != string(stypes.OperationTypeInsert) {
		t.Fatalf("records out of order: %v", names)
	}
	if k := recs[60].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value; k != "after" {
		t.Fatalf("last record is for %q, want the write after the restart", k)
	}
}

func FuzzReadJournal(f *testing.F) {
	buf, _ := encodeFrames(journalMuts())
	f.Add(buf)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		muts, off, err := readJournal(bytes.NewReader(b))
		if err != nil || off > int64(len(b)) {
			t.Fatalf("readJournal: %d mutations, offset %d of %d, %v", len(muts), off, len(b), err)
		}
		// What was read re-encodes to the same bytes.
		if off > 0 {
			again, off2, _ := readJournal(bytes.NewReader(b[:off]))
			if off2 != off || len(again) != len(muts) {
				t.Fatalf("prefix reads differently: %d/%d vs %d/%d", len(again), off2, len(muts), off)
			}
		}
	})
}
