package dynamo

// badValues are attribute values DynamoDB refuses, each in its own way.
var badValues = []string{`{}`, `{"a":""}`, `{"S":""}`, `{"B":""}`, `{"N":""}`, `{"N":"b"}`, `{"N":"1e500"}`, `{"N":"1e-500"}`,
	`{"N":"123456789012345678901234567890123456789"}`, `{"NULL":false}`, `{"BOOL":true,"S":"a"}`,
	`{"SS":[]}`, `{"NS":[]}`, `{"BS":[]}`, `{"SS":["a","a"]}`, `{"NS":["1","1.0"]}`, `{"NS":["1","b"]}`, `{"BS":["Yg==","Yg=="]}`,
	`{"SS":["a",""]}`, `{"BS":["Yg==",""]}`, `{"M":{"a":{}}}`, `{"L":[{}]}`, `{"L":[{"N":"x"}]}`, `{"M":{"a":{"S":""}}}`}

func itemCases() []diffCase {
	var out []diffCase
	add := func(cat, op string, bodies ...string) {
		for _, b := range bodies {
			out = append(out, diffCase{cat: cat, name: op + " " + b, op: op, body: b})
		}
	}
	for _, v := range badValues {
		add("item-values", "PutItem", `{"TableName":"abc","Item":{"a":`+v+`}}`, `{"TableName":"hash","Item":{"a":{"S":"x"},"b":`+v+`}}`)
		add("item-values", "GetItem", `{"TableName":"abc","Key":{"a":`+v+`}}`)
		add("item-values", "DeleteItem", `{"TableName":"abc","Key":{"a":`+v+`}}`)
		add("item-values", "UpdateItem", `{"TableName":"abc","Key":{"a":`+v+`}}`,
			`{"TableName":"hash","Key":{"a":{"S":"x"}},"UpdateExpression":"SET b = :v","ExpressionAttributeValues":{":v":`+v+`}}`)
		add("item-values", "Query", `{"TableName":"abc","KeyConditionExpression":"a = :v","ExpressionAttributeValues":{":v":`+v+`}}`,
			`{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[`+v+`]}}}`,
			`{"TableName":"abc","KeyConditions":{"a":{"ComparisonOperator":"NULL"}},"ExclusiveStartKey":{"a":`+v+`}}`)
		add("item-values", "Scan", `{"TableName":"abc","ExclusiveStartKey":{"a":`+v+`}}`,
			`{"TableName":"abc","ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[`+v+`]}}}`)
		add("item-values", "BatchWriteItem", `{"RequestItems":{"abc":[{"PutRequest":{"Item":{"a":`+v+`}}}]}}`)
		add("item-values", "BatchGetItem", `{"RequestItems":{"abc":{"Keys":[{"a":`+v+`}]}}}`)
	}
	// Keys against the tables' schemas.
	for _, k := range []string{`{}`, `{"a":{"N":"1"}}`, `{"b":{"S":"1"}}`, `{"a":{"S":"1"},"b":{"S":"1"}}`, `{"a":{"S":""}}`, `{"a":{"B":"YQ=="}}`} {
		add("keys", "GetItem", `{"TableName":"hash","Key":`+k+`}`, `{"TableName":"range","Key":`+k+`}`)
		add("keys", "DeleteItem", `{"TableName":"hash","Key":`+k+`}`)
		add("keys", "UpdateItem", `{"TableName":"hash","Key":`+k+`}`, `{"TableName":"range","Key":`+k+`}`)
		add("keys", "PutItem", `{"TableName":"hash","Item":`+k+`}`, `{"TableName":"range","Item":`+k+`}`)
		add("keys", "BatchGetItem", `{"RequestItems":{"hash":{"Keys":[`+k+`]}}}`)
		add("keys", "BatchWriteItem", `{"RequestItems":{"hash":[{"DeleteRequest":{"Key":`+k+`}}]}}`, `{"RequestItems":{"hash":[{"PutRequest":{"Item":`+k+`}}]}}`)
	}
	add("keys", "PutItem", `{"TableName":"range","Item":{"a":{"S":"x"},"b":{"S":"y"},"c":{"N":"1"}}}`, `{"TableName":"range","Item":{"a":{"S":"x"},"b":{"S":"y"},"c":{"S":""}}}`,
		`{"TableName":"hashN","Item":{"a":{"N":"1.0"}}}`, `{"TableName":"rangeB","Item":{"a":{"S":"x"},"b":{"B":""}}}`)
	// Item operation parameters.
	add("items", "PutItem", `{"TableName":"abc","Item":{},"ReturnValues":"UPDATED_OLD"}`, `{"TableName":"abc","Item":{},"ReturnValues":"ALL_NEW"}`,
		`{"TableName":"abc","Item":{"a":{"S":"x"}},"ConditionExpression":""}`, `{"TableName":"abc","Item":{"a":{"S":"x"}},"ConditionExpression":"a = :a"}`,
		`{"TableName":"abc","Item":{"a":{"S":"x"}},"ConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"1"}},"Expected":{"a":{"Exists":false}}}`,
		`{"TableName":"abc","Item":{"a":{"S":"x"}},"ExpressionAttributeNames":{}}`, `{"TableName":"abc","Item":{"a":{"S":"x"}},"ExpressionAttributeValues":{}}`,
		`{"TableName":"abc","Item":{"a":{"S":"x"}},"ConditionalOperator":"OR"}`,
		`{"TableName":"hash","Item":{"a":{"S":"x"}},"ConditionExpression":"attribute_exists(a)"}`,
		`{"TableName":"hash","Item":{"a":{"S":"x"}},"ReturnValues":"ALL_OLD","ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"hash","Item":{"a":{"S":"x"}},"ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","Item":{"a":{"S":"x"},"b":{"S":"y"},"c":{"S":"z"}},"ReturnConsumedCapacity":"INDEXES","ReturnItemCollectionMetrics":"SIZE"}`,
		`{"TableName":"hash","Item":{"a":{"S":"x"},"b":{"S":"`+longString(409600)+`"}}}`)
	add("items", "GetItem", `{"TableName":"abc","Key":{},"AttributesToGet":["a","a"]}`, `{"TableName":"abc","Key":{},"ProjectionExpression":""}`,
		`{"TableName":"abc","Key":{},"ProjectionExpression":"a, a"}`, `{"TableName":"abc","Key":{},"ProjectionExpression":"a.b, a"}`,
		`{"TableName":"abc","Key":{},"ProjectionExpression":"#a","ExpressionAttributeNames":{"#b":"b"}}`,
		`{"TableName":"abc","Key":{},"ProjectionExpression":"a","ExpressionAttributeValues":{":a":{"S":"a"}}}`,
		`{"TableName":"abc","Key":{},"AttributesToGet":["a"],"ProjectionExpression":"a"}`,
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"ReturnConsumedCapacity":"INDEXES","ConsistentRead":true}`,
		`{"TableName":"hash","Key":{"a":{"S":"nope"}}}`)
	add("items", "DeleteItem", `{"TableName":"abc","Key":{},"ReturnValues":"ALL_NEW"}`, `{"TableName":"abc","Key":{},"ReturnValues":"UPDATED_NEW"}`,
		`{"TableName":"hash","Key":{"a":{"S":"nope"}},"ReturnValues":"ALL_OLD","ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"hash","Key":{"a":{"S":"nope"}},"ConditionExpression":"attribute_exists(a)"}`)
	ui := func(rest string) string { return `{"TableName":"abc","Key":{},` + rest + `}` }
	add("expressions", "UpdateItem",
		ui(`"UpdateExpression":""`), ui(`"UpdateExpression":"SET"`), ui(`"UpdateExpression":"SET a = b"`), ui(`"UpdateExpression":"SET a = :a"`),
		ui(`"UpdateExpression":"SET a = :a, a = :a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = :a REMOVE a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a.b = :a REMOVE a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = :a SET b = :a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"ADD a :a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"DELETE a :a","ExpressionAttributeValues":{":a":{"N":"1"}}`),
		ui(`"UpdateExpression":"SET a = size(:a)","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = if_not_exists(:a, b)","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = list_append(:a, b)","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = :a + :b","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"N":"1"}}`),
		ui(`"UpdateExpression":"SET a = nope(b)"`), ui(`"UpdateExpression":"SET #a = :a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"1"},":b":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"1"}},"ExpressionAttributeNames":{"#a":"a"}`),
		ui(`"UpdateExpression":"SET a[0] = :a","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"SET a = :a","ConditionExpression":"b = :b","ExpressionAttributeValues":{":a":{"S":"1"}}`),
		ui(`"UpdateExpression":"REMOVE a","ReturnValues":"hi"`),
		ui(`"AttributeUpdates":{"a":{"Action":"ADD","Value":{"S":"a"}}}`), ui(`"AttributeUpdates":{"a":{"Action":"DELETE","Value":{"S":"a"}}}`),
		ui(`"AttributeUpdates":{"a":{"Action":"PUT"}}`), ui(`"AttributeUpdates":{"a":{}}`),
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"UpdateExpression":"SET a = :a","ExpressionAttributeValues":{":a":{"S":"1"}}}`,
		`{"TableName":"range","Key":{"a":{"S":"x"},"b":{"S":"y"}},"UpdateExpression":"SET c = :a","ExpressionAttributeValues":{":a":{"N":"1"}}}`,
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"UpdateExpression":"SET b = :a","ExpressionAttributeValues":{":a":{"S":"1"}},"ReturnValues":"UPDATED_NEW","ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"UpdateExpression":"ADD b :a","ExpressionAttributeValues":{":a":{"N":"1"}},"ReturnValues":"UPDATED_NEW"}`,
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"UpdateExpression":"SET b.c = :a","ExpressionAttributeValues":{":a":{"N":"1"}}}`,
		`{"TableName":"hash","Key":{"a":{"S":"x"}},"UpdateExpression":"SET b[1] = :a","ExpressionAttributeValues":{":a":{"N":"1"}}}`,
	)
	pc := func(cond string, rest string) string {
		return `{"TableName":"abc","Item":{},"ConditionExpression":"` + cond + `"` + rest + `}`
	}
	for _, c := range []string{"a", "a =", "a = b AND", "(a = b", "a IN ()", "a BETWEEN b", "attribute_exists(a, b)", "attribute_type(a, b)",
		"begins_with(a)", "contains(a, b, c)", "size(a)", "a = b = c", "NOT", "a <> b OR", "nope(a)", "a = :a", "#a = b",
		"a.b[0] = c", "a[-1] = b", "a = b AND b = a AND b = a", "size(a) = b", "attribute_exists(size(a))", "a = a", "a IN (b, c, d)",
		"a BETWEEN b AND c", "attribute_type(a, :t)", "begins_with(a, b)", "a < b", "a >= b"} {
		add("expressions", "PutItem", pc(c, ``))
	}
	add("expressions", "PutItem", pc("attribute_type(a, :t)", `,"ExpressionAttributeValues":{":t":{"S":"X"}}`),
		pc("a BETWEEN :a AND :b", `,"ExpressionAttributeValues":{":a":{"N":"2"},":b":{"N":"1"}}`),
		pc("a BETWEEN :a AND :b", `,"ExpressionAttributeValues":{":a":{"N":"1"},":b":{"S":"1"}}`),
		pc("a = :a", `,"ExpressionAttributeValues":{":a":{"S":"1"}},"ExpressionAttributeNames":{"#a":"a"}`),
		pc("#a = :a", `,"ExpressionAttributeValues":{":a":{"S":"1"}},"ExpressionAttributeNames":{"#a":"a","#b":"b"}`),
		pc("a = :a", `,"ExpressionAttributeValues":{":a":{"S":"1"},"b":{"S":"1"}}`),
		pc("a = :a", `,"ExpressionAttributeValues":{":a":{"S":"1"}},"ExpressionAttributeNames":{"a":"a"}`),
		pc("begins_with(a, :a)", `,"ExpressionAttributeValues":{":a":{"N":"1"}}`),
		pc("contains(a, :a)", `,"ExpressionAttributeValues":{":a":{"SS":["1"]}}`),
		pc("size(a) < :a", `,"ExpressionAttributeValues":{":a":{"S":"1"}}`))
	return out
}

func longString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
