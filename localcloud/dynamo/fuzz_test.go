package dynamo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/dynamo/attr"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

var fuzzOps = []string{
	"DynamoDB_20120810.PutItem", "DynamoDB_20120810.Query", "DynamoDB_20120810.UpdateItem", "DynamoDB_20120810.Scan",
	"DynamoDB_20120810.GetItem", "DynamoDB_20120810.TransactWriteItems", "DynamoDB_20120810.BatchWriteItem",
	"DynamoDB_20120810.CreateTable", "DynamoDBStreams_20120810.GetRecords", "DynamoDBStreams_20120810.GetShardIterator",
}

// FuzzJSONRequest sends arbitrary bodies to the item, query and stream
// operations: the answer is never a 500 or a panic, and always JSON.
func FuzzJSONRequest(f *testing.F) {
	seeds := []string{
		`{"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"m":{"M":{"x":{"L":[{"NULL":true},{"BS":["AQ=="]}]}}}}}`,
		`{"TableName":"fuzz","Item":{"pk":{"S":"a"},"sk":{"N":"1e400"}}}`,
		`{"TableName":"fuzz","Item":{"pk":{"S":""},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk) AND #a < :v","ExpressionAttributeNames":{"#a":"a"},"ExpressionAttributeValues":{":v":{"N":"3"}}}`,
		`{"TableName":"fuzz","KeyConditionExpression":"pk = :p AND sk BETWEEN :a AND :b","ExpressionAttributeValues":{":p":{"S":"a"},":a":{"N":"1"},":b":{"N":"0"}}}`,
		`{"TableName":"fuzz","KeyConditionExpression":"pk = :p","ExclusiveStartKey":{"pk":{"S":"a"}},"ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":0}`,
		`{"TableName":"fuzz","IndexName":"gsi","KeyConditionExpression":"g = :p AND begins_with(sk, :x)","ExpressionAttributeValues":{":p":{"S":"a"},":x":{"S":"a"}}}`,
		`{"TableName":"fuzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET a.b[3] = list_append(a, :l) REMOVE c ADD d :n","ExpressionAttributeValues":{":l":{"L":[]},":n":{"NS":["1","1"]}}}`,
		`{"TableName":"fuzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET m.x = :v, l[0] = :v REMOVE z","ExpressionAttributeValues":{":v":{"N":"3"}},"ReturnValues":"UPDATED_NEW"}`,
		`{"TableName":"fuzz","Segment":3,"TotalSegments":2}`,
		`{"TransactItems":[{"Put":{"TableName":"fuzz","Item":{}}},{"Update":{}}]}`,
		`{"RequestItems":{"fuzz":[{"PutRequest":{"Item":{"pk":{"S":"a"}}},"DeleteRequest":{}}]}}`,
		`{"ShardIterator":"itr1.eyJhIjoieCJ9"}`,
		`{"StreamArn":"arn:aws:dynamodb:us-east-1:123456789012:table/fuzz/stream/x","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":"1"}`,
		`{"TableName":"x","KeySchema":[{"AttributeName":"a","KeyType":"RANGE"}]}`,
		`[1,2]`, `{"TableName":7}`, `{"Item":{"a":{"S":"x","N":"1"}}}`, `not json`, ``,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	svc, err := New(Config{DataDir: f.TempDir(), Logger: cloudtest.Logger(f), TableDelay: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	for _, body := range []string{
		`{"TableName":"fuzz","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
		"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],
		"GlobalSecondaryIndexes":[{"IndexName":"gsi","KeySchema":[{"AttributeName":"g","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],
		"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}}`,
	} {
		if code, out := call(svc, "DynamoDB_20120810.CreateTable", []byte(body)); code != 200 {
			f.Fatalf("create table: %d %s", code, out)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		target := fuzzOps[int(op)%len(fuzzOps)]
		code, out := call(svc, target, body)
		if code >= 500 {
			t.Fatalf("%s %q: status %d %s", target, body, code, out)
		}
		if !json.Valid(out) {
			t.Fatalf("%s %q: response is not JSON: %s", target, body, out)
		}
	})
}

func call(svc *Service, target string, body []byte) (int, []byte) {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", target)
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r = r.WithContext(protocol.WithIdentity(context.Background(), protocol.Identity{AccountID: cloudtest.Account, Region: "us-east-1"}))
	w := httptest.NewRecorder()
	svc.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

func TestUnknownOperationAndBadJSON(t *testing.T) {
	t.Parallel()
	svc, err := New(Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	tests := []struct {
		target, body, typ string
	}{
		{"DynamoDB_20120810.Nope", `{}`, "com.amazon.coral.service#UnknownOperationException"},
		{"DynamoDB_20120810.PutItem", `{"TableName":`, "com.amazon.coral.service#SerializationException"},
		{"DynamoDB_20120810.PutItem", `{"TableName":5}`, "com.amazon.coral.service#SerializationException"},
		{"DynamoDBStreams_20120810.DescribeStream", `{}`, "com.amazon.coral.validate#ValidationException"},
		{"DynamoDB_20120810.PutItem", `{"TableName":"x","Item":{"a":{"S":"x","N":"1"}}}`, "com.amazon.coral.validate#ValidationException"},
		{"DynamoDB_20120810.PutItem", `{"TableName":"x","Item":{"a":{}}}`, "com.amazon.coral.validate#ValidationException"},
		{"DynamoDB_20120810.PutItem", `{"TableName":"x","Item":{"a":{"S":1}}}`, "com.amazon.coral.service#SerializationException"},
		{"DynamoDB_20120810.DescribeTable", `{"TableName":"nope"}`, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"},
	}
	for _, tt := range tests {
		code, out := call(svc, tt.target, []byte(tt.body))
		var e struct {
			Type string `json:"__type"`
		}
		json.Unmarshal(out, &e)
		if code != 400 || e.Type != tt.typ {
			t.Errorf("%s %s: got %d %s, want 400 %s", tt.target, tt.body, code, out, tt.typ)
		}
	}
}

// FuzzFastItem checks the one-pass item decoder against attr's: the same
// item or both an error.
func FuzzFastItem(f *testing.F) {
	for _, s := range []string{
		`{"a":{"S":"x"},"b":{"N":"1.50"},"c":{"BOOL":true},"d":{"NULL":true},"e":{"M":{"x":{"L":[{"S":"\u00e9\n"},{"SS":["a","b"]}]}}},"f":{"NS":["1","2"]},"g":{"B":"AAE="},"h":{"BS":["AQ=="]}}`,
		`{"a":{"S":null}}`, `{"a":{}}`, `{"a":{"S":"x","N":"1"}}`, `{"a":{"S":"x","S":"y"}}`, `{"a":{"L":null}}`, `{"a":{"L":[null]}}`,
		`{"a":{"M":null}}`, `{"a":{"SS":[null]}}`, `{"a":{"S":1}}`, `{"a":{"BOOL":"true"}}`, `{"a":{"NULL":false}}`, `{"a":null}`, `null`,
		`{"a":{"X":1}}`, `{"a":{"S":"\xff"}}`, `{"\u0061":{"S":"\ud83d\ude00"}}`, `{}`, `{"a":{"L":[]},"b":{"SS":[]},"c":{"M":{}}}`, `[]`, `"s"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want attr.Item
		errWant := json.Unmarshal(b, &want)
		var got fastItem
		errGot := json.Unmarshal(b, &got)
		if (errWant == nil) != (errGot == nil) {
			t.Fatalf("%q: attr error %v, fast error %v", b, errWant, errGot)
		}
		if errWant == nil && !reflect.DeepEqual(want, attr.Item(got)) {
			t.Fatalf("%q: attr %#v, fast %#v", b, want, attr.Item(got))
		}
	})
}

// TestEncodeItem: encodeItem writes what encoding/json writes.
func TestEncodeItem(t *testing.T) {
	t.Parallel()
	items := []string{
		`{"a":{"S":"x"},"b":{"N":"1.5"},"c<&>\"":{"M":{"é":{"L":[{"NULL":true},{"BOOL":false}]}}},"d":{"SS":["a"]},"e":{"B":"AAE="},"f":{"BS":["AQ=="]},"g":{"NS":["1"]}}`,
		`{}`, `{"\u0001\n":{"S":"\u2028"}}`,
	}
	for _, s := range items {
		var it attr.Item
		if err := json.Unmarshal([]byte(s), &it); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(it)
		got, err := json.Marshal(itemJSON(it))
		if err != nil || string(got) != string(want) {
			t.Errorf("got %s, %v; want %s", got, err, want)
		}
		raw, _ := encodeItem(nil, it)
		if string(raw) != string(want) {
			t.Errorf("encodeItem: got %s, want %s", raw, want)
		}
	}
}
