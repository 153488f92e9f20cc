package dynamo

import "strings"

// suiteCases are requests taken from dynalite's own test suite (whose
// expectations were recorded from DynamoDB) that the generated and other
// hand cases miss: UpdateTable's checks once the table is found, and the
// order of items that share a global index key.
func suiteCases() []diffCase {
	var out []diffCase
	add := func(cat, op string, bodies ...string) {
		for _, b := range bodies {
			out = append(out, diffCase{cat: cat, name: op + " " + b, op: op, body: b})
		}
	}
	gsiUpdate := func(table, tp string) string {
		return `{"TableName":"` + table + `","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"abc","ProvisionedThroughput":{` + tp + `}}}]}`
	}
	add("table", "UpdateTable",
		gsiUpdate("abc", `"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001`),
		gsiUpdate("abc", `"ReadCapacityUnits":1000000000000,"WriteCapacityUnits":1000000000001`),
		gsiUpdate("hash", `"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001`),
		gsiUpdate("hash", `"ReadCapacityUnits":1000000000000,"WriteCapacityUnits":1000000000001`),
		`{"TableName":"hash","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"abc"}},{"Delete":{"IndexName":"abd"}},{"Delete":{"IndexName":"abe"}},{"Delete":{"IndexName":"abf"}},{"Delete":{"IndexName":"abg"}},{"Delete":{"IndexName":"abh"}}]}`,
	)
	// test/query.js "should query on basic hash global index": items
	// sharing index3's key come in their table key's hash order.
	item := func(a, b, c string) string {
		return `{"PutRequest":{"Item":{"a":{"S":"` + a + `"},"b":{"S":"` + b + `"},"c":{"S":"` + c + `"},"d":{"S":"a"}}}}`
	}
	add("functional", "BatchWriteItem", `{"RequestItems":{"range":[`+item("a", "a", "tie")+`,`+item("b", "b", "tie")+`,`+item("c", "e", "tie")+`,`+
		item("c", "d", "tie")+`,`+item("c", "c", "c")+`,`+item("d", "a", "tie")+`,`+item("e", "a", "tie")+`]}}`)
	add("functional", "Query",
		`{"TableName":"range","IndexName":"index3","KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"tie"}]}},"Limit":4,"ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","IndexName":"index3","KeyConditions":{"c":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"tie"}]}},"Limit":4,"ScanIndexForward":false}`,
	)
	// test/scan.js: the start key against an index's and the table's keys,
	// around Select, then the segment, before the filter's key paths; the
	// segments before the placeholders.
	esk := func(request string, keys ...string) {
		for _, k := range keys {
			add("scan", "Scan", `{`+request+`,"ExclusiveStartKey":`+k+`}`)
		}
	}
	esk(`"TableName":"range","IndexName":"index1"`, `{}`, `{"a":{"S":"a"}}`, `{"a":{"S":"a"},"c":{"N":"1"}}`, `{"a":{"S":"a"},"b":{"S":"1"},"c":{"S":"1"},"d":{"S":"1"}}`,
		`{"a":{"N":"1"},"x":{"S":"1"},"y":{"S":"1"}}`, `{"a":{"S":"a"},"b":{"S":"a"},"c":{"N":"1"}}`, `{"a":{"S":"1"},"b":{"N":"1"},"c":{"S":"a"}}`)
	esk(`"TableName":"range","IndexName":"index3"`, `{"c":{"S":"1"}}`, `{"a":{"S":"a"},"b":{"S":"a"},"c":{"S":"a"},"z":{"S":"a"}}`, `{"x":{"S":"1"},"y":{"S":"1"},"c":{"N":"1"}}`)
	esk(`"TableName":"range","IndexName":"index4","Select":"ALL_ATTRIBUTES"`, `{"c":{"S":"1"}}`, `{"a":{"S":"a"},"b":{"S":"1"},"c":{"S":"1"},"d":{"S":"1"},"e":{"S":"1"}}`)
	esk(`"TableName":"hash","FilterExpression":"attribute_exists(a.b.c)"`, `{}`, `{"a":{"N":"1"}}`, `{"a":{"M":{}}}`)
	for _, seg := range []string{`"TotalSegments":2`, `"Segment":1`, `"Segment":1,"TotalSegments":1`} {
		add("scan", "Scan", `{"TableName":"abc",`+seg+`,"FilterExpression":"","ExpressionAttributeNames":{},"ExpressionAttributeValues":{}}`)
	}
	// test/batchGetItem.js and batchWriteItem.js: the map's failures with
	// the top-level members'.
	add("batch", "BatchGetItem",
		`{"RequestItems":{"a":{}},"ReturnConsumedCapacity":"hi","ReturnItemCollectionMetrics":"hi"}`,
		`{"RequestItems":{"a":{"Keys":[]}}}`,
		`{"RequestItems":{"aa;":{}},"ReturnConsumedCapacity":"hi"}`)
	add("batch", "BatchWriteItem",
		`{"RequestItems":{"a":[]},"ReturnConsumedCapacity":"hi","ReturnItemCollectionMetrics":"hi"}`,
		`{"RequestItems":{"abc":[{"PutRequest":{},"DeleteRequest":{}}]},"ReturnConsumedCapacity":"hi"}`,
		`{"RequestItems":{"abc":[{"PutRequest":{}}]}}`)
	// test/getItem.js and others: an over-long partition key.
	long := `"` + strings.Repeat("k", 2049) + `"`
	add("keys", "GetItem", `{"TableName":"hash","Key":{"a":{"S":`+long+`}}}`)
	add("keys", "DeleteItem", `{"TableName":"hash","Key":{"a":{"S":`+long+`}}}`)
	add("keys", "PutItem", `{"TableName":"hash","Item":{"a":{"S":`+long+`}}}`)
	// test/listTables.js: Limit's failure first.
	add("constraint", "ListTables", `{"ExclusiveStartTableName":"a;","Limit":500}`)
	return out
}
