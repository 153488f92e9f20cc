package dynamo

import "strings"

// handCases are requests written by hand for what the model cannot
// generate: table definitions, item and key values, expressions, legacy
// conditions, batches, tags and lifecycle. Table "abc" does not exist;
// hash, hashN, range, rangeN and rangeB are makeDiffTables' tables.
func handCases() []diffCase {
	var out []diffCase
	add := func(cat, op string, bodies ...string) {
		for _, b := range bodies {
			out = append(out, diffCase{cat: cat, name: op + " " + b, op: op, body: b})
		}
	}
	ad := `"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"}]`
	ks := `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"}]`
	pt := `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}`
	ad2 := `"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}]`
	ks2 := `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}]`
	lsi := func(s string) string { return `"LocalSecondaryIndexes":[` + s + `]` }
	gsi := func(s string) string { return `"GlobalSecondaryIndexes":[` + s + `]` }
	ct := func(parts ...string) string { return `{"TableName":"abc",` + strings.Join(parts, ",") + `}` }
	add("table", "CreateTable",
		`{"TableName":""}`, `{"TableName":"a;"}`, `{"TableName":"abc;"}`, `{"TableName":"abc"}`,
		ct(ad, ks), ct(ad, ks, `"BillingMode":"PAY_PER_REQUEST"`, pt), ct(ad, ks, `"BillingMode":"PROVISIONED"`),
		ct(ad, ks, `"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}`),
		ct(ad, ks, `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1000000000001}`),
		ct(ad, ks, `"ProvisionedThroughput":{"ReadCapacityUnits":0,"WriteCapacityUnits":0}`),
		ct(ad, `"KeySchema":[{"AttributeName":"b","KeyType":"HASH"}]`, pt),
		ct(ad, `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"a","KeyType":"RANGE"}]`, pt),
		ct(ad2, `"KeySchema":[{"AttributeName":"a","KeyType":"RANGE"},{"AttributeName":"b","KeyType":"HASH"}]`, pt),
		ct(ad2, `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"HASH"}]`, pt),
		ct(ad2, `"KeySchema":[{"AttributeName":"a","KeyType":"RANGE"}]`, pt),
		ct(ad2, ks, pt),
		ct(ad, `"KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}]`, pt),
		ct(ad, ks, pt, lsi(``)),
		ct(ad, ks, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"c","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"},{"AttributeName":"a","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL","NonKeyAttributes":["c"]}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE"}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks2, pt, lsi(strings.Repeat(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},`, 5)+`{"IndexName":"abd","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":[]}}`)),
		ct(ad, ks, pt, gsi(``)),
		ct(ad, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"c","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY","NonKeyAttributes":["c"]},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}`)),
		ct(ad2, ks, `"BillingMode":"PAY_PER_REQUEST"`, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`},{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}`)),
		ct(ad2, ks, pt, gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1}}`)),
		ct(ad2, ks2, pt, lsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"a","KeyType":"HASH"},{"AttributeName":"b","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`), gsi(`{"IndexName":"abc","KeySchema":[{"AttributeName":"b","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}`)),
		`{"TableName":"hash",`+ad+`,`+ks+`,`+pt+`}`,
	)
	add("table", "DescribeTable", `{"TableName":"abc"}`, `{"TableName":""}`, `{"TableName":"hash"}`)
	add("table", "DeleteTable", `{"TableName":"abc"}`, `{"TableName":""}`)
	add("table", "DescribeTimeToLive", `{"TableName":"abc"}`, `{"TableName":"hash"}`, `{"TableName":""}`)
	add("table", "ListTables", `{}`, `{"Limit":0}`, `{"Limit":101}`, `{"ExclusiveStartTableName":""}`, `{"ExclusiveStartTableName":"a;"}`, `{"Limit":1}`, `{"ExclusiveStartTableName":"hash","Limit":2}`)
	ut := func(parts ...string) string { return `{"TableName":"abc",` + strings.Join(parts, ",") + `}` }
	add("table", "UpdateTable",
		`{"TableName":"abc"}`, ut(`"GlobalSecondaryIndexUpdates":[]`), ut(`"GlobalSecondaryIndexUpdates":[{}]`),
		ut(`"GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"abc"}},{"Delete":{"IndexName":"abc"}}]`),
		ut(`"ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1000000000001}`),
		ut(`"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}`),
		ut(`"BillingMode":"PROVISIONED"`),
		ut(`"GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"abc","ProvisionedThroughput":{"ReadCapacityUnits":1000000000001,"WriteCapacityUnits":1}}}]`),
		`{"TableName":"hash","ProvisionedThroughput":{"ReadCapacityUnits":10,"WriteCapacityUnits":5}}`,
		`{"TableName":"hash","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"abc","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}}}]}`,
		`{"TableName":"hash","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"abc"}}]}`,
		`{"TableName":"range","GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"index3","KeySchema":[{"AttributeName":"c","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}}]}`,
		`{"TableName":"hash","GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"abc","KeySchema":[{"AttributeName":"z","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},`+pt+`}}]}`,
	)
	out = append(out, itemCases()...)
	out = append(out, readCases()...)
	out = append(out, functionalCases()...)
	out = append(out, suiteCases()...)
	out = append(out, suiteCases2()...)
	return out
}
