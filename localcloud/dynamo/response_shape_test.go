package dynamo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
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
	m := loadModel(t)
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
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v: %s", c.op, err, out)
		}
		if o := m.Operations[c.op].Output; o == nil {
			// No output shape: DynamoDB answers an empty object.
			if obj, ok := v.(map[string]any); !ok || len(obj) != 0 {
				t.Errorf("%s has no output shape in botocore, answered %s", c.op, out)
			}
		} else {
			for _, p := range m.shapeProblems(o.Shape, v, c.op) {
				t.Errorf("%s", p)
			}
		}
		if c.op == "CreateTable" {
			waitActive(t, e.url, "shapes")
		}
	}
	// Every operation the service serves is covered.
	for op := range e.svc.api.Ops {
		if _, ok := m.Operations[op]; ok && !implemented[op] {
			t.Errorf("%s is served but not held to its output shape here", op)
		}
	}
}

// newerMembers are members DynamoDB added after the botocore model Debian
// ships (python3-botocore 1.29): the aws-sdk-go-v2 types this module builds with have them
// (TestNewerMembersAreInTheSDK holds that), so DynamoDB sends them.
var newerMembers = map[string][]string{
	"TableDescription":               {"DeletionProtectionEnabled"},
	"PointInTimeRecoveryDescription": {"RecoveryPeriodInDays"},
}

func newerMember(shape, member string) bool { return slices.Contains(newerMembers[shape], member) }

// TestNewerMembersAreInTheSDK: each member the shape test takes beyond the
// installed model is in the SDK's type of the same name.
func TestNewerMembersAreInTheSDK(t *testing.T) {
	sdk := map[string]reflect.Type{
		"TableDescription":               reflect.TypeFor[types.TableDescription](),
		"PointInTimeRecoveryDescription": reflect.TypeFor[types.PointInTimeRecoveryDescription](),
	}
	for shape, members := range newerMembers {
		for _, mem := range members {
			if _, ok := sdk[shape].FieldByName(mem); !ok {
				t.Errorf("%s.%s is not in aws-sdk-go-v2's types.%s", shape, mem, shape)
			}
		}
	}
}

// shapeProblems lists how v, the JSON value at path, differs from shape
// name.
func (m *serviceModel) shapeProblems(name string, v any, path string) []string {
	sh := m.Shapes[name]
	var out []string
	bad := func(format string, args ...any) { out = append(out, path+": "+fmt.Sprintf(format, args...)) }
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("%T where botocore has structure %s", v, name)
			return out
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ref, ok := sh.Members[k]
			if !ok {
				if !newerMember(name, k) {
					bad("key %q is not a member of %s: DynamoDB never sends it", k, name)
				}
				continue
			}
			out = append(out, m.shapeProblems(ref.Shape, obj[k], path+"."+k)...)
		}
		for _, r := range sh.Required {
			if _, ok := obj[r]; !ok {
				bad("required member %q of %s is missing", r, name)
			}
		}
		if name == "AttributeValue" && len(obj) != 1 {
			bad("an AttributeValue with %d types", len(obj))
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			bad("%T where botocore has list %s", v, name)
			return out
		}
		for i, e := range arr {
			out = append(out, m.shapeProblems(sh.Member.Shape, e, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("%T where botocore has map %s", v, name)
			return out
		}
		for k, e := range obj {
			out = append(out, m.shapeProblems(sh.Value.Shape, e, path+"."+k)...)
		}
	case "string", "blob":
		if s, ok := v.(string); !ok {
			bad("%T where botocore has %s %s", v, sh.Type, name)
		} else if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, s) {
			bad("%q is not one of %s's values %v", s, name, sh.Enum)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("%T where botocore has boolean %s", v, name)
		}
	case "integer", "long", "double", "timestamp":
		if _, ok := v.(json.Number); !ok {
			bad("%T where botocore has %s %s", v, sh.Type, name)
		}
	}
	return out
}
