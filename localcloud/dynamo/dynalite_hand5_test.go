package dynamo

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
	return out
}
