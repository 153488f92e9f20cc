package dynamo

// functionalCases are successful requests in sequence (both servers keep
// the same state), for LABKIT_DYNALITE_BODIES=1 to compare whole answers.
func functionalCases() []diffCase {
	var out []diffCase
	add := func(op string, bodies ...string) {
		for _, b := range bodies {
			out = append(out, diffCase{cat: "functional", name: op + " " + b, op: op, body: b})
		}
	}
	pt := `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}`
	add("CreateTable",
		`{"TableName":"fn1","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],"BillingMode":"PAY_PER_REQUEST"}`,
		`{"TableName":"fn2","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"RANGE","AttributeName":"b"}],`+pt+
			`,"LocalSecondaryIndexes":[{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]}`,
		`{"TableName":"fn3","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],`+pt+
			`,"GlobalSecondaryIndexes":[{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"},`+pt+`}]}`,
		`{"TableName":"fn4","AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}],"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}],`+pt+`,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_IMAGE"}}`,
	)
	add("PutItem",
		`{"TableName":"hash","Item":{"a":{"S":"f1"},"n":{"N":"1.50"},"s":{"SS":["b","a"]},"m":{"M":{"x":{"L":[{"N":"-0"},{"B":"AAE="}]}}}},"ReturnValues":"ALL_OLD"}`,
		`{"TableName":"hash","Item":{"a":{"S":"f1"},"n":{"N":"2"}},"ReturnValues":"ALL_OLD","ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"range","Item":{"a":{"S":"f"},"b":{"S":"1"},"c":{"S":"c1"},"d":{"S":"d1"},"e":{"S":"e1"}},"ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","Item":{"a":{"S":"f"},"b":{"S":"2"},"c":{"S":"c2"},"d":{"S":"d2"}}}`,
		`{"TableName":"range","Item":{"a":{"S":"f"},"b":{"S":"3"},"x":{"S":"x"}}}`,
	)
	add("GetItem",
		`{"TableName":"hash","Key":{"a":{"S":"f1"}},"ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"hash","Key":{"a":{"S":"f1"}},"ConsistentRead":true,"ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"hash","Key":{"a":{"S":"f1"}},"AttributesToGet":["n","zz"]}`,
		`{"TableName":"hash","Key":{"a":{"S":"nope"}},"ReturnConsumedCapacity":"TOTAL"}`,
	)
	add("UpdateItem",
		`{"TableName":"hash","Key":{"a":{"S":"f1"}},"UpdateExpression":"SET n = n + :one, l = list_append(if_not_exists(l, :e), :l)","ExpressionAttributeValues":{":one":{"N":"1"},":e":{"L":[]},":l":{"L":[{"S":"x"}]}},"ReturnValues":"UPDATED_NEW","ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"hash","Key":{"a":{"S":"f2"}},"ReturnValues":"ALL_NEW"}`,
		`{"TableName":"hash","Key":{"a":{"S":"f2"}},"AttributeUpdates":{"z":{"Action":"ADD","Value":{"NS":["1","2"]}}},"ReturnValues":"ALL_OLD"}`,
	)
	add("Query",
		`{"TableName":"range","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"f"}},"ReturnConsumedCapacity":"TOTAL"}`,
		`{"TableName":"range","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"f"}},"Limit":2,"ScanIndexForward":false}`,
		`{"TableName":"range","KeyConditionExpression":"a = :a AND b > :b","ExpressionAttributeValues":{":a":{"S":"f"},":b":{"S":"1"}},"Select":"COUNT"}`,
		`{"TableName":"range","IndexName":"index1","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"f"}},"ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","IndexName":"index2","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"f"}}}`,
		`{"TableName":"range","IndexName":"index3","KeyConditionExpression":"c = :c","ExpressionAttributeValues":{":c":{"S":"c1"}},"ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","IndexName":"index4","KeyConditionExpression":"c = :c","ExpressionAttributeValues":{":c":{"S":"c1"}}}`,
		`{"TableName":"range","KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"f"}]}},"QueryFilter":{"c":{"ComparisonOperator":"NOT_NULL"}}}`,
		`{"TableName":"range","KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"f"}},"ExclusiveStartKey":{"a":{"S":"f"},"b":{"S":"1"}}}`,
	)
	add("Scan",
		`{"TableName":"range","ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","Limit":1}`,
		`{"TableName":"range","IndexName":"index3"}`,
		`{"TableName":"range","FilterExpression":"attribute_exists(x)","Select":"COUNT"}`,
		`{"TableName":"hash","ProjectionExpression":"n, m.x[1]"}`,
	)
	add("BatchGetItem",
		`{"RequestItems":{"hash":{"Keys":[{"a":{"S":"f1"}},{"a":{"S":"nope"}}],"ProjectionExpression":"a"},"range":{"Keys":[{"a":{"S":"f"},"b":{"S":"1"}}],"ConsistentRead":true}},"ReturnConsumedCapacity":"TOTAL"}`)
	add("BatchWriteItem",
		`{"RequestItems":{"hash":[{"DeleteRequest":{"Key":{"a":{"S":"f2"}}}},{"PutRequest":{"Item":{"a":{"S":"f3"}}}}]},"ReturnConsumedCapacity":"INDEXES","ReturnItemCollectionMetrics":"SIZE"}`)
	add("DeleteItem",
		`{"TableName":"hash","Key":{"a":{"S":"f3"}},"ReturnValues":"ALL_OLD","ReturnConsumedCapacity":"INDEXES"}`,
		`{"TableName":"range","Key":{"a":{"S":"f"},"b":{"S":"3"}},"ReturnItemCollectionMetrics":"SIZE"}`,
	)
	add("ListTables", `{"Limit":2}`, `{"ExclusiveStartTableName":"fn2"}`)
	add("DescribeTable", `{"TableName":"fn1"}`, `{"TableName":"fn3"}`, `{"TableName":"fn4"}`, `{"TableName":"range"}`)
	add("UpdateTable", `{"TableName":"hash","ProvisionedThroughput":{"ReadCapacityUnits":11,"WriteCapacityUnits":5}}`)
	add("DeleteTable", `{"TableName":"fn1"}`, `{"TableName":"fn2"}`, `{"TableName":"fn3"}`, `{"TableName":"fn4"}`)
	return out
}
