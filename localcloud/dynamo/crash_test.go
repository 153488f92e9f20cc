package dynamo

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// TestCrashChild is the process TestKill9 kills: it serves a Service on
// the data dir it is given until it dies.
func TestCrashChild(t *testing.T) {
	cloudtest.CrashChild(t, func(dir string) (protocol.Route, error) {
		// A second is long enough for the table TestKill9 creates just
		// before the kill to be CREATING when the process dies.
		svc, err := New(Config{DataDir: dir, TableDelay: time.Second})
		if err != nil {
			return protocol.Route{}, err
		}
		return svc.Route(), nil
	})
}

// TestKill9 kills the serving process with SIGKILL in the middle of
// concurrent writes: every acknowledged write is in the table, and every
// write in the table has exactly one stream record.
func TestKill9(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	child := cloudtest.StartCrashChild(t, dir)
	db := dynamodb.NewFromConfig(cloudtest.Config(child.URL, cloudtest.Account, "us-east-1"))
	arn := *createTable(t, db, "crash", withStream(types.StreamViewTypeNewImage)).LatestStreamArn

	var mu sync.Mutex
	acked := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("w%d-%d", w, i)
				c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := db.PutItem(c, &dynamodb.PutItemInput{TableName: aws.String("crash"), Item: item{"pk": s(k)}})
				cancel()
				if err != nil {
					return // the server died
				}
				mu.Lock()
				acked[k] = true
				mu.Unlock()
			}
		}()
	}
	time.Sleep(400 * time.Millisecond)
	late, err := db.CreateTable(ctx(t), &dynamodb.CreateTableInput{TableName: aws.String("late"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}})
	if err != nil || late.TableDescription.TableStatus != types.TableStatusCreating {
		t.Fatalf("CreateTable late: got %v, %v; want CREATING", late, err)
	}
	child.Kill(t)
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	e := openEnv(t, dir)
	// The reads after the restart are idempotent: let them retry a transient
	// transport error instead of failing the test on it.
	retrying := cloudtest.Config(e.url, cloudtest.Account, "us-east-1")
	retrying.RetryMaxAttempts = 3
	e.db, e.streams = dynamodb.NewFromConfig(retrying), dynamodbstreams.NewFromConfig(retrying)
	stored := map[string]bool{}
	p := dynamodb.NewScanPaginator(e.db, &dynamodb.ScanInput{TableName: aws.String("crash")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for _, it := range out.Items {
			stored[str(t, it, "pk")] = true
		}
	}
	for k := range acked {
		if !stored[k] {
			t.Errorf("acknowledged write %s lost", k)
		}
	}
	records := map[string]int{}
	for _, r := range readAllN(t, e, arn) {
		records[r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value]++
	}
	for k := range stored {
		if records[k] != 1 {
			t.Errorf("item %s: got %d stream records, want 1", k, records[k])
		}
	}
	if len(records) != len(stored) {
		t.Errorf("stream records for %d items, table holds %d", len(records), len(stored))
	}
	// The table that was CREATING when the process died finishes.
	if d := cloudtest.WaitTable(t, e.db, "late"); d.TableStatus != types.TableStatusActive {
		t.Errorf("table CREATING at the kill: got %s after the restart", d.TableStatus)
	}
	t.Logf("%d writes acknowledged, %d stored", len(acked), len(stored))
}
