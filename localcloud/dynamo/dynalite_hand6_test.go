package dynamo

import (
	"fmt"
	"strings"
)

// suiteCases2 are more of dynalite's suite cases (test/createTable.js's
// index checks, test/listTables.js's call without a body,
// test/putItem.js's item-size bounds), checked mechanically.
func suiteCases2() []diffCase {
	var out []diffCase
	add := func(cat, op string, bodies ...string) {
		for _, b := range bodies {
			out = append(out, diffCase{cat: cat, name: op + " " + b, op: op, body: b})
		}
	}
	const (
		ad  = `"AttributeDefinitions":[{"AttributeName":"a","AttributeType":"S"},{"AttributeName":"b","AttributeType":"S"}]`
		ks1 = `"KeySchema":[{"KeyType":"HASH","AttributeName":"a"}]`
		ks2 = `"KeySchema":[{"KeyType":"HASH","AttributeName":"a"},{"KeyType":"RANGE","AttributeName":"b"}]`
		pt  = `"ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}`
	)
	key := func(parts ...string) string {
		var ks []string
		for _, p := range parts {
			name, typ, _ := strings.Cut(p, ":")
			ks = append(ks, `{"AttributeName":"`+name+`","KeyType":"`+typ+`"}`)
		}
		return `"KeySchema":[` + strings.Join(ks, ",") + `]`
	}
	gsi := func(name, ks, proj string) string {
		return `{"IndexName":"` + name + `",` + ks + `,` + pt + `,"Projection":` + proj + `}`
	}
	ct := func(ks string, more ...string) string {
		return `{"TableName":"abc",` + strings.Join(append([]string{ad, ks, pt}, more...), ",") + `}`
	}
	gsis := func(g ...string) string { return `"GlobalSecondaryIndexes":[` + strings.Join(g, ",") + `]` }
	var many []string
	for i := range 21 {
		many = append(many, gsi(fmt.Sprintf("abc%d", i), key("a:HASH", "b:RANGE"), `{"ProjectionType":"ALL"}`))
	}
	add("table", "CreateTable",
		ct(ks1, gsis(gsi("abc", key("c:RANGE"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("c:RANGE", "d:RANGE"), `{}`), gsi("abc", key("e:RANGE"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("a:RANGE"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("a:HASH", "a:HASH"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("a:HASH", "b:HASH"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("b:HASH", "a:RANGE"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("a:HASH", "c:RANGE"), `{}`))),
		ct(ks2, gsis(gsi("abc", key("a:HASH", "b:RANGE"), `{"NonKeyAttributes":["a"]}`))),
		ct(ks2, gsis(gsi("abc", key("a:HASH", "b:RANGE"), `{"ProjectionType":"KEYS_ONLY","NonKeyAttributes":["a"]}`))),
		ct(ks2, gsis(many...)),
		ct(ks2, gsis(gsi("abc", key("a:HASH", "b:RANGE"), `{"ProjectionType":"ALL"}`)),
			`"LocalSecondaryIndexes":[{"IndexName":"abc",`+key("a:HASH", "b:RANGE")+`,"Projection":{"ProjectionType":"ALL"}}]`),
	)
	add("table", "ListTables", ``)
	// Item sizes either side of 400 KB (the key is 10 characters).
	item := func(extra int, more string) string {
		return `{"TableName":"aaa","Item":{"a":{"S":"0123456789"},"b":{"S":"` + strings.Repeat("a", 409600-10-1-1-extra) + `"}` + more + `}}`
	}
	add("items", "PutItem", item(-1, ``), item(0, ``), item(20+1, `,"c":{"N":"1`+strings.Repeat("1", 37)+strings.Repeat("0", 88)+`"}`),
		item(2+1, `,"c":{"N":"1`+strings.Repeat("0", 125)+`"}`))
	return out
}
