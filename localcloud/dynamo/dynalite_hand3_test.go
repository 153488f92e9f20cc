package dynamo

// readCases are Query, Scan, batch and tag requests.
func readCases() []diffCase {
	var out []diffCase
	add := func(cat, op string, bodies ...string) {
		for _, b := range bodies {
			out = append(out, diffCase{cat: cat, name: op + " " + b, op: op, body: b})
		}
	}
	q := func(table, rest string) string { return `{"TableName":"` + table + `",` + rest + `}` }
	for _, t := range []string{"abc", "hash", "range"} {
		add("query", "Query", q(t, `"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a AND b = :a AND c = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a OR b = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a < :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a AND b > :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a AND begins_with(b, :a)","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a AND b BETWEEN :b AND :a","ExpressionAttributeValues":{":a":{"S":"a"},":b":{"S":"b"}}`),
			q(t, `"KeyConditionExpression":"a = :a AND contains(b, :a)","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a AND NOT b = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","FilterExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","FilterExpression":"b = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","ProjectionExpression":"a.b","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","ProjectionExpression":"a[0]","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","FilterExpression":"a.b = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","ExpressionAttributeValues":{":a":{"N":"1"}}`),
			q(t, `"KeyConditionExpression":"a = :a","IndexName":"index3","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"c = :a","IndexName":"index3","ConsistentRead":true,"ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"c = :a","IndexName":"index4","Select":"ALL_ATTRIBUTES","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","IndexName":"index2","Select":"ALL_ATTRIBUTES","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","Select":"SPECIFIC_ATTRIBUTES","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","Select":"ALL_PROJECTED_ATTRIBUTES","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","Select":"COUNT","ProjectionExpression":"a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","ReturnConsumedCapacity":"INDEXES","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditionExpression":"a = :a","IndexName":"whatever","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"ExclusiveStartKey":{"a":{"S":"y"}}`),
			q(t, `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"Limit":1,"ReturnConsumedCapacity":"TOTAL"`),
			q(t, `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]},"b":{"ComparisonOperator":"NULL"}}`),
			q(t, `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"QueryFilter":{"a":{"ComparisonOperator":"NULL"}}`),
			q(t, `"KeyConditions":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"QueryFilter":{"c":{"ComparisonOperator":"NULL"}},"IndexName":"index1"`),
		)
		add("scan", "Scan", q(t, `"Segment":0,"TotalSegments":2`), q(t, `"FilterExpression":"a.b = :a","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"ProjectionExpression":"a, b.c, #d[1]","ExpressionAttributeNames":{"#d":"d"}`),
			q(t, `"IndexName":"index3","ConsistentRead":true`), q(t, `"IndexName":"index4","Select":"ALL_ATTRIBUTES"`),
			q(t, `"IndexName":"whatever"`), q(t, `"Select":"SPECIFIC_ATTRIBUTES"`), q(t, `"Limit":1,"ReturnConsumedCapacity":"INDEXES"`),
			q(t, `"ExclusiveStartKey":{"a":{"S":"x"}}`), q(t, `"ExclusiveStartKey":{"z":{"S":"x"}}`),
			q(t, `"ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]}},"ConditionalOperator":"OR"`),
			q(t, `"FilterExpression":"a = :a AND b = :b","ExpressionAttributeValues":{":a":{"S":"x"}}`),
			q(t, `"Segment":1,"TotalSegments":1`), q(t, `"Segment":1`), q(t, `"TotalSegments":2`))
	}
	for _, body := range []string{`{"RequestItems":{}}`, `{"RequestItems":{"abc":{}}}`, `{"RequestItems":{"abc":{"Keys":[]}}}`,
		`{"RequestItems":{"abc":{"Keys":[{"a":{"S":"x"}},{"a":{"S":"x"}}]}}}`, `{"RequestItems":{"abc":{"Keys":[{"a":{"S":"x"}}]}}}`,
		`{"RequestItems":{"hash":{"Keys":[{"a":{"S":"x"}},{"a":{"S":"x"}}]}}}`, `{"RequestItems":{"hash":{"Keys":[{"a":{"S":"x"}}],"AttributesToGet":["a","a"]}}}`,
		`{"RequestItems":{"hash":{"Keys":[{"a":{"S":"x"}}],"ProjectionExpression":"a","AttributesToGet":["a"]}}}`,
		`{"RequestItems":{"hash":{"Keys":[{"a":{"S":"x"}}]}},"ReturnConsumedCapacity":"TOTAL"}`,
		`{"RequestItems":{"hash":{"Keys":[{"a":{"S":"x"}}],"ConsistentRead":true}},"ReturnConsumedCapacity":"INDEXES"}`,
		`{"RequestItems":{"hash":{"Keys":[{"a":{"S":"x"}}],"ExpressionAttributeNames":{}}}}`} {
		add("batch", "BatchGetItem", body)
	}
	for _, body := range []string{`{"RequestItems":{}}`, `{"RequestItems":{"abc":[]}}`, `{"RequestItems":{"abc":[{}]}}`,
		`{"RequestItems":{"abc":[{"PutRequest":{"Item":{}},"DeleteRequest":{"Key":{}}}]}}`, `{"RequestItems":{"abc":[{"PutRequest":{"Item":{"a":{"S":"x"}}}}]}}`,
		`{"RequestItems":{"hash":[{"PutRequest":{"Item":{"a":{"S":"x"}}}},{"DeleteRequest":{"Key":{"a":{"S":"x"}}}}]}}`,
		`{"RequestItems":{"hash":[{"PutRequest":{"Item":{"a":{"S":"x"}}}}]},"ReturnConsumedCapacity":"TOTAL"}`,
		`{"RequestItems":{"hash":[{"PutRequest":{"Item":{"a":{"S":"y"}}}}]},"ReturnConsumedCapacity":"INDEXES","ReturnItemCollectionMetrics":"SIZE"}`} {
		add("batch", "BatchWriteItem", body)
	}
	arn := "arn:aws:dynamodb:us-east-1:123456789012:table/"
	add("tags", "TagResource", `{}`, `{"ResourceArn":""}`, `{"ResourceArn":"abcd"}`, `{"ResourceArn":"a:b:c:d:e:f"}`, `{"ResourceArn":"a:b:c:d:e/f"}`,
		`{"ResourceArn":"a:b:c:d:e:f/g"}`, `{"ResourceArn":"a:b:c:d:e:f/g","Tags":[]}`, `{"ResourceArn":"`+arn+`ab","Tags":[]}`,
		`{"ResourceArn":"`+arn+`abcd","Tags":[]}`, `{"ResourceArn":"`+arn+`abcd","Tags":[{"Key":"a","Value":"b"}]}`)
	add("tags", "UntagResource", `{}`, `{"ResourceArn":""}`, `{"ResourceArn":"abcd"}`, `{"ResourceArn":"a:b:c:d:e:f/g"}`,
		`{"ResourceArn":"a:b:c:d:e:f/g","TagKeys":[]}`, `{"ResourceArn":"`+arn+`abcd","TagKeys":[]}`, `{"ResourceArn":"`+arn+`abcd","TagKeys":["a"]}`)
	add("tags", "ListTagsOfResource", `{}`, `{"ResourceArn":""}`, `{"ResourceArn":"abcd"}`, `{"ResourceArn":"a:b:c:d:e:f/g"}`,
		`{"ResourceArn":"`+arn+`ab"}`, `{"ResourceArn":"`+arn+`abcd"}`, `{"ResourceArn":"`+arn+`hash"}`)
	return out
}
