package dynamo

import (
	"strings"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// awsCLI runs Debian's AWS CLI v2 against url and decodes its JSON output.
func awsCLI(t *testing.T, url string, args ...string) map[string]any {
	t.Helper()
	out := map[string]any{}
	cloudtest.CLIJSON(t, url, cloudtest.Account, &out, args...)
	return out
}

func TestCLITable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := awsCLI(t, e.url, "dynamodb", "create-table", "--table-name", "cli-orders",
		"--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
		"--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
		"--billing-mode", "PAY_PER_REQUEST", "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES")
	desc := out["TableDescription"].(map[string]any)
	if desc["TableStatus"] != "CREATING" || !strings.HasPrefix(desc["LatestStreamArn"].(string), desc["TableArn"].(string)+"/stream/") {
		t.Errorf("create-table: got %v", desc)
	}
	awsCLI(t, e.url, "dynamodb", "wait", "table-exists", "--table-name", "cli-orders")
	awsCLI(t, e.url, "dynamodb", "put-item", "--table-name", "cli-orders", "--item", `{"pk":{"S":"u1"},"sk":{"N":"1"},"total":{"N":"10"}}`)
	put(t, e.db, "cli-orders", item{"pk": s("u1"), "sk": n("2"), "total": n("20")})
	q := awsCLI(t, e.url, "dynamodb", "query", "--table-name", "cli-orders",
		"--key-condition-expression", "pk = :p", "--expression-attribute-values", `{":p":{"S":"u1"}}`, "--no-scan-index-forward")
	items := q["Items"].([]any)
	if len(items) != 2 || q["Count"].(float64) != 2 {
		t.Fatalf("query: got %v", q)
	}
	if got := items[0].(map[string]any)["sk"].(map[string]any)["N"]; got != "2" {
		t.Errorf("query order: got first sk %v, want 2", got)
	}
	if got := items[1].(map[string]any)["total"].(map[string]any)["N"]; got != "10" {
		t.Errorf("query: got total %v, want 10", got)
	}
}

func TestCLIStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	streamArn := *createTable(t, e.db, "cli-events", withStream("NEW_AND_OLD_IMAGES")).LatestStreamArn
	for _, k := range []string{"a", "b", "c"} {
		put(t, e.db, "cli-events", item{"pk": s(k)})
	}
	ds := awsCLI(t, e.url, "dynamodbstreams", "describe-stream", "--stream-arn", streamArn)
	sd := ds["StreamDescription"].(map[string]any)
	if sd["StreamStatus"] != "ENABLED" || sd["TableName"] != "cli-events" || sd["StreamViewType"] != "NEW_AND_OLD_IMAGES" {
		t.Errorf("describe-stream: got %v", sd)
	}
	shard := sd["Shards"].([]any)[0].(map[string]any)["ShardId"].(string)
	it := awsCLI(t, e.url, "dynamodbstreams", "get-shard-iterator", "--stream-arn", streamArn, "--shard-id", shard, "--shard-iterator-type", "TRIM_HORIZON")
	recs := awsCLI(t, e.url, "dynamodbstreams", "get-records", "--shard-iterator", it["ShardIterator"].(string))
	list := recs["Records"].([]any)
	if len(list) != 3 {
		t.Fatalf("get-records: got %d records, want 3", len(list))
	}
	r := list[0].(map[string]any)
	if r["eventName"] != "INSERT" || r["eventSource"] != "aws:dynamodb" || r["dynamodb"].(map[string]any)["NewImage"] == nil {
		t.Errorf("record: got %v", r)
	}
}
