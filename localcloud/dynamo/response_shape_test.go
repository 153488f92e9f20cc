package dynamo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/conformance"
)

// TestResponsesMatchBotocoreShapes holds every DynamoDB operation the
// service implements to botocore's output shape for it, read from the
// model at test time: no key DynamoDB never sends (at any depth), every
// required member present, every value of its member's JSON type, an
// AttributeValue with exactly one type. The requests ask for what makes
// optional members appear (ReturnValues, ReturnConsumedCapacity INDEXES,
// ReturnItemCollectionMetrics, pages, indexes, streams, tags).
func TestResponsesMatchBotocoreShapes(t *testing.T) {
	t.Parallel()
	m := shapeModel(t)
	e := newEnv(t)
	arn := "arn:aws:dynamodb:us-east-1:" + cloudtest.Account + ":table/shapes"
	key := `{"pk":{"S":"a"},"sk":{"N":"1"}}`
	rc := `,"ReturnConsumedCapacity":"INDEXES"`
	calls := []struct{ op, body string }{
		{"CreateTable", `{"TableName":"shapes","BillingMode":"PROVISIONED","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5},` +
			`"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"},{"AttributeName":"l","AttributeType":"S"}],` +
			`"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],` +
			`"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["x"]},"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}],` +
			`"LocalSecondaryIndexes":[{"IndexName":"byL","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"l","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],` +
			`"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},"SSESpecification":{"Enabled":true},"Tags":[{"Key":"k","Value":"v"}]}`},
		{"DescribeTable", `{"TableName":"shapes"}`},
		{"ListTables", `{"Limit":1}`},
		{"DescribeContinuousBackups", `{"TableName":"shapes"}`},
		{"UpdateContinuousBackups", `{"TableName":"shapes","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}`},
		{"DescribeContinuousBackups", `{"TableName":"shapes"}`},
		{"TagResource", `{"ResourceArn":"` + arn + `","Tags":[{"Key":"k2","Value":"v2"}]}`},
		{"ListTagsOfResource", `{"ResourceArn":"` + arn + `"}`},
		{"UntagResource", `{"ResourceArn":"` + arn + `","TagKeys":["k2"]}`},
		{"DescribeTimeToLive", `{"TableName":"shapes"}`},
		{"UpdateTimeToLive", `{"TableName":"shapes","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"ttl"}}`},
		{"DescribeTimeToLive", `{"TableName":"shapes"}`},
		{"DescribeLimits", `{}`},
		{"DescribeEndpoints", `{}`},
		{"PutItem", `{"TableName":"shapes","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"g"},"l":{"S":"l"},"x":{"M":{"y":{"L":[{"BOOL":true},{"NULL":true},{"BS":["AAE="]}]}}}}` + rc + `,"ReturnItemCollectionMetrics":"SIZE"}`},
		{"PutItem", `{"TableName":"shapes","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"g"},"ns":{"NS":["1","2"]},"ss":{"SS":["a"]}},"ReturnValues":"ALL_OLD"` + rc + `,"ReturnItemCollectionMetrics":"SIZE"}`},
		{"PutItem", `{"TableName":"shapes","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"g":{"S":"g"}},"ReturnConsumedCapacity":"TOTAL"}`},
		{"GetItem", `{"TableName":"shapes","Key":` + key + rc + `}`},
		{"UpdateItem", `{"TableName":"shapes","Key":` + key + `,"UpdateExpression":"SET n = :n","ExpressionAttributeValues":{":n":{"N":"3"}},"ReturnValues":"ALL_NEW"` + rc + `,"ReturnItemCollectionMetrics":"SIZE"}`},
		{"UpdateItem", `{"TableName":"shapes","Key":` + key + `,"UpdateExpression":"ADD n :n","ExpressionAttributeValues":{":n":{"N":"1"}},"ReturnValues":"UPDATED_OLD"}`},
		{"Query", `{"TableName":"shapes","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}},"Limit":1` + rc + `}`},
		{"Query", `{"TableName":"shapes","IndexName":"byG","KeyConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"g"}},"Select":"COUNT"` + rc + `}`},
		{"Query", `{"TableName":"shapes","IndexName":"byL","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}` + rc + `}`},
		{"Scan", `{"TableName":"shapes","Limit":1,"Segment":0,"TotalSegments":1` + rc + `}`},
		{"BatchGetItem", `{"RequestItems":{"shapes":{"Keys":[` + key + `,{"pk":{"S":"no"},"sk":{"N":"1"}}],"ConsistentRead":true}}` + rc + `}`},
		{"BatchWriteItem", `{"RequestItems":{"shapes":[{"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"N":"1"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"a"},"sk":{"N":"2"}}}}]}` + rc + `,"ReturnItemCollectionMetrics":"SIZE"}`},
		{"TransactWriteItems", `{"TransactItems":[{"Put":{"TableName":"shapes","Item":{"pk":{"S":"c"},"sk":{"N":"1"}}}},{"Update":{"TableName":"shapes","Key":` + key +
			`,"UpdateExpression":"SET z = :z","ExpressionAttributeValues":{":z":{"S":"z"}}}}]` + rc + `,"ReturnItemCollectionMetrics":"SIZE"}`},
		{"TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"shapes","Key":` + key + `}},{"Get":{"TableName":"shapes","Key":{"pk":{"S":"no"},"sk":{"N":"1"}}}}]` + rc + `}`},
		{"DeleteItem", `{"TableName":"shapes","Key":` + key + `,"ReturnValues":"ALL_OLD"` + rc + `,"ReturnItemCollectionMetrics":"SIZE"}`},
		{"UpdateTable", `{"TableName":"shapes","ProvisionedThroughput":{"ReadCapacityUnits":6,"WriteCapacityUnits":6}}`},
		{"DeleteTable", `{"TableName":"shapes"}`},
	}
	implemented := map[string]bool{}
	for _, c := range calls {
		implemented[c.op] = true
		if c.op == "DeleteTable" || c.op == "UpdateTable" || strings.HasPrefix(c.op, "Update") && c.op != "UpdateItem" {
			waitActive(t, e.url, "shapes")
		}
		code, out := call(e.svc, "DynamoDB_20120810."+c.op, []byte(c.body))
		if code != 200 {
			t.Fatalf("%s %s: %d %s", c.op, c.body, code, out)
		}
		for _, v := range m.CheckJSON(c.op, out) {
			t.Errorf("%s", v)
		}
		if c.op == "CreateTable" {
			waitActive(t, e.url, "shapes")
		}
	}
	// Every operation the service serves is covered.
	for op := range e.svc.api.Ops {
		if m.Has(op) && !implemented[op] {
			t.Errorf("%s is served but not held to its output shape here", op)
		}
	}
}

// shapeModel is botocore's DynamoDB model for the response checks:
// AttributeValue is a union (one type per value; newer models mark it so,
// and aws-sdk-go-v2's types.AttributeValue is one), and the members of
// newerMembers are accepted.
func shapeModel(t *testing.T) *conformance.Model {
	m := conformance.LoadForTest(t, "dynamodb")
	m.Shapes["AttributeValue"].Union = true
	m.Newer = newerMembers
	return m
}

// newerMembers are members DynamoDB added after the botocore model Debian
// ships (python3-botocore 1.29): the aws-sdk-go-v2 types this module builds with have them
// (TestNewerMembersAreInTheSDK holds that), so DynamoDB sends them.
var newerMembers = map[string][]string{
	"TableDescription":               {"DeletionProtectionEnabled"},
	"PointInTimeRecoveryDescription": {"RecoveryPeriodInDays"},
}

// TestNewerMembersAreInTheSDK: each member the shape test takes beyond the
// installed model is in the SDK's type of the same name.
func TestNewerMembersAreInTheSDK(t *testing.T) {
	conformance.VerifyNewer(t, shapeModel(t), map[string]reflect.Type{
		"TableDescription":               reflect.TypeFor[types.TableDescription](),
		"PointInTimeRecoveryDescription": reflect.TypeFor[types.PointInTimeRecoveryDescription](),
	})
}
