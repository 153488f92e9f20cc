package dynamo

import (
	"errors"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cond(op types.ComparisonOperator, vals ...types.AttributeValue) types.Condition {
	return types.Condition{ComparisonOperator: op, AttributeValueList: vals}
}

func expectOp(op types.ComparisonOperator, vals ...types.AttributeValue) types.ExpectedAttributeValue {
	return types.ExpectedAttributeValue{ComparisonOperator: op, AttributeValueList: vals}
}

// wantConditionFailed asserts err is DynamoDB's failed-condition error.
func wantConditionFailed(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	var ccf *types.ConditionalCheckFailedException
	require.True(t, errors.As(err, &ccf), "got %v; %v", err, msgAndArgs)
	assert.Equal(t, "The conditional request failed", ccf.ErrorMessage())
}

// TestLegacyExpected: every ComparisonOperator, Exists and Value forms and
// ConditionalOperator, on PutItem, UpdateItem and DeleteItem, against an
// item {pk, s: "hello", n: 5, ss: {x, y}, l: [1]}.
func TestLegacyExpected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "exp")
	stored := item{"pk": s("k"), "s": s("hello"), "n": n("5"), "ss": ss("x", "y"), "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{n("1")}}}
	tests := []struct {
		name     string
		expected map[string]types.ExpectedAttributeValue
		or       bool
		pass     bool
	}{
		{"EQ", map[string]types.ExpectedAttributeValue{"s": expectOp("EQ", s("hello"))}, false, true},
		{"EQ other", map[string]types.ExpectedAttributeValue{"s": expectOp("EQ", s("bye"))}, false, false},
		{"EQ set in any order", map[string]types.ExpectedAttributeValue{"ss": expectOp("EQ", ss("y", "x"))}, false, true},
		{"EQ missing", map[string]types.ExpectedAttributeValue{"zz": expectOp("EQ", s("hello"))}, false, false},
		{"NE", map[string]types.ExpectedAttributeValue{"s": expectOp("NE", s("bye"))}, false, true},
		{"NE same", map[string]types.ExpectedAttributeValue{"s": expectOp("NE", s("hello"))}, false, false},
		{"LE", map[string]types.ExpectedAttributeValue{"n": expectOp("LE", n("5"))}, false, true},
		{"LE below", map[string]types.ExpectedAttributeValue{"n": expectOp("LE", n("4.9"))}, false, false},
		{"LT", map[string]types.ExpectedAttributeValue{"n": expectOp("LT", n("6"))}, false, true},
		{"LT equal", map[string]types.ExpectedAttributeValue{"n": expectOp("LT", n("5"))}, false, false},
		{"GE", map[string]types.ExpectedAttributeValue{"s": expectOp("GE", s("hello"))}, false, true},
		{"GE above", map[string]types.ExpectedAttributeValue{"s": expectOp("GE", s("help"))}, false, false},
		{"GT", map[string]types.ExpectedAttributeValue{"n": expectOp("GT", n("-1"))}, false, true},
		{"GT other type", map[string]types.ExpectedAttributeValue{"n": expectOp("GT", s("1"))}, false, false},
		{"NOT_NULL", map[string]types.ExpectedAttributeValue{"s": expectOp("NOT_NULL")}, false, true},
		{"NOT_NULL missing", map[string]types.ExpectedAttributeValue{"zz": expectOp("NOT_NULL")}, false, false},
		{"NULL missing", map[string]types.ExpectedAttributeValue{"zz": expectOp("NULL")}, false, true},
		{"NULL present", map[string]types.ExpectedAttributeValue{"s": expectOp("NULL")}, false, false},
		{"CONTAINS substring", map[string]types.ExpectedAttributeValue{"s": expectOp("CONTAINS", s("ell"))}, false, true},
		{"CONTAINS set element", map[string]types.ExpectedAttributeValue{"ss": expectOp("CONTAINS", s("y"))}, false, true},
		{"CONTAINS list element", map[string]types.ExpectedAttributeValue{"l": expectOp("CONTAINS", n("1"))}, false, true},
		{"CONTAINS no", map[string]types.ExpectedAttributeValue{"s": expectOp("CONTAINS", s("bye"))}, false, false},
		{"NOT_CONTAINS", map[string]types.ExpectedAttributeValue{"ss": expectOp("NOT_CONTAINS", s("z"))}, false, true},
		{"NOT_CONTAINS no", map[string]types.ExpectedAttributeValue{"s": expectOp("NOT_CONTAINS", s("ell"))}, false, false},
		{"BEGINS_WITH", map[string]types.ExpectedAttributeValue{"s": expectOp("BEGINS_WITH", s("he"))}, false, true},
		{"BEGINS_WITH no", map[string]types.ExpectedAttributeValue{"s": expectOp("BEGINS_WITH", s("lo"))}, false, false},
		{"IN", map[string]types.ExpectedAttributeValue{"n": expectOp("IN", n("1"), n("5"))}, false, true},
		{"IN no", map[string]types.ExpectedAttributeValue{"n": expectOp("IN", n("1"), n("2"))}, false, false},
		{"BETWEEN", map[string]types.ExpectedAttributeValue{"n": expectOp("BETWEEN", n("5"), n("10"))}, false, true},
		{"BETWEEN no", map[string]types.ExpectedAttributeValue{"n": expectOp("BETWEEN", n("6"), n("10"))}, false, false},
		{"Value", map[string]types.ExpectedAttributeValue{"s": {Value: s("hello")}}, false, true},
		{"Value with EQ", map[string]types.ExpectedAttributeValue{"s": {Value: s("hello"), ComparisonOperator: "EQ"}}, false, true},
		{"Value other", map[string]types.ExpectedAttributeValue{"s": {Value: s("bye")}}, false, false},
		{"Exists true with Value", map[string]types.ExpectedAttributeValue{"n": {Exists: aws.Bool(true), Value: n("5.0")}}, false, true},
		{"Exists false", map[string]types.ExpectedAttributeValue{"zz": {Exists: aws.Bool(false)}}, false, true},
		{"Exists false present", map[string]types.ExpectedAttributeValue{"s": {Exists: aws.Bool(false)}}, false, false},
		{"AND all", map[string]types.ExpectedAttributeValue{"s": {Value: s("hello")}, "zz": {Exists: aws.Bool(false)}, "n": expectOp("GE", n("5"))}, false, true},
		{"AND one fails", map[string]types.ExpectedAttributeValue{"s": {Value: s("hello")}, "n": expectOp("GT", n("5"))}, false, false},
		{"OR one passes", map[string]types.ExpectedAttributeValue{"s": {Value: s("bye")}, "n": expectOp("GE", n("5"))}, true, true},
		{"OR none", map[string]types.ExpectedAttributeValue{"s": {Value: s("bye")}, "n": expectOp("GT", n("5"))}, true, false},
	}
	key := item{"pk": s("k")}
	for _, tc := range tests {
		var condOp types.ConditionalOperator
		if tc.or {
			condOp = types.ConditionalOperatorOr
		} else if len(tc.expected) > 1 {
			condOp = types.ConditionalOperatorAnd
		}
		// PutItem
		put(t, e.db, "exp", stored)
		_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("exp"), Item: item{"pk": s("k"), "put": bl(true)}, Expected: tc.expected, ConditionalOperator: condOp})
		got, gerr := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("exp"), Key: key, ConsistentRead: aws.Bool(true)})
		require.NoError(t, gerr)
		if tc.pass {
			require.NoError(t, err, "PutItem %s", tc.name)
			assert.Equal(t, item{"pk": s("k"), "put": bl(true)}, got.Item, "PutItem %s", tc.name)
		} else {
			wantConditionFailed(t, err, "PutItem", tc.name)
			assert.Len(t, got.Item, 5, "PutItem %s changed the item", tc.name)
		}
		// UpdateItem
		put(t, e.db, "exp", stored)
		_, err = e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("exp"), Key: key, Expected: tc.expected, ConditionalOperator: condOp,
			AttributeUpdates: map[string]types.AttributeValueUpdate{"upd": {Value: n("1")}}})
		if tc.pass {
			require.NoError(t, err, "UpdateItem %s", tc.name)
		} else {
			wantConditionFailed(t, err, "UpdateItem", tc.name)
		}
		// DeleteItem
		put(t, e.db, "exp", stored)
		_, err = e.db.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("exp"), Key: key, Expected: tc.expected, ConditionalOperator: condOp})
		if tc.pass {
			require.NoError(t, err, "DeleteItem %s", tc.name)
		} else {
			wantConditionFailed(t, err, "DeleteItem", tc.name)
		}
	}
	// No item: Exists false holds, a Value does not.
	_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("exp"), Item: item{"pk": s("new")}, Expected: map[string]types.ExpectedAttributeValue{"pk": {Exists: aws.Bool(false)}}})
	require.NoError(t, err)
	_, err = e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("exp"), Item: item{"pk": s("new2")}, Expected: map[string]types.ExpectedAttributeValue{"pk": {Value: s("new2")}}})
	wantConditionFailed(t, err)
}

// TestLegacyAttributeUpdates: PUT, ADD and DELETE as DynamoDB applies them,
// their ReturnValues, and the errors that need the stored item.
func TestLegacyAttributeUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "upd", withRange("sk", types.ScalarAttributeTypeS))
	key := item{"pk": s("k"), "sk": s("1")}
	update := func(ups map[string]types.AttributeValueUpdate, rv types.ReturnValue) (item, error) {
		out, err := e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key, AttributeUpdates: ups, ReturnValues: rv})
		if err != nil {
			return nil, err
		}
		return out.Attributes, nil
	}
	l := func(v ...types.AttributeValue) types.AttributeValue { return &types.AttributeValueMemberL{Value: v} }
	ns := func(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }

	// On a missing item: DELETEs are ignored, ADDs create, PUT sets.
	got, err := update(map[string]types.AttributeValueUpdate{
		"b": {Action: types.AttributeActionDelete},
		"c": {Action: types.AttributeActionDelete, Value: ss("a", "b")},
		"d": {Action: types.AttributeActionAdd, Value: n("5")},
		"e": {Action: types.AttributeActionAdd, Value: ss("a", "b")},
		"f": {Action: types.AttributeActionAdd, Value: l(s("a"), n("1"))},
		"g": {Value: s("put")}, // no Action: PUT
	}, types.ReturnValueUpdatedNew)
	require.NoError(t, err)
	assert.Equal(t, item{"d": n("5"), "e": ss("a", "b"), "f": l(s("a"), n("1")), "g": s("put")}, got)

	// On the item: ADD adds numbers, unions sets, appends lists.
	got, err = update(map[string]types.AttributeValueUpdate{
		"d": {Action: types.AttributeActionAdd, Value: n("-1.5")},
		"e": {Action: types.AttributeActionAdd, Value: ss("b", "c")},
		"f": {Action: types.AttributeActionAdd, Value: l(s("b"))},
		"h": {Action: types.AttributeActionPut, Value: ns("1", "2", "3")},
	}, types.ReturnValueUpdatedOld)
	require.NoError(t, err)
	assert.Equal(t, item{"d": n("5"), "e": ss("a", "b"), "f": l(s("a"), n("1"))}, got, "UPDATED_OLD has the old values of the updated attributes that existed")
	got, err = update(map[string]types.AttributeValueUpdate{
		"h": {Action: types.AttributeActionDelete, Value: ns("1", "4")},
		"g": {Action: types.AttributeActionDelete},
	}, types.ReturnValueAllNew)
	require.NoError(t, err)
	sortSet := func(v types.AttributeValue) []string {
		var out []string
		switch x := v.(type) {
		case *types.AttributeValueMemberSS:
			out = append(out, x.Value...)
		case *types.AttributeValueMemberNS:
			out = append(out, x.Value...)
		}
		sort.Strings(out)
		return out
	}
	assert.Equal(t, "3.5", num(t, got, "d"))
	assert.Equal(t, []string{"a", "b", "c"}, sortSet(got["e"]))
	assert.Equal(t, l(s("a"), n("1"), s("b")), got["f"])
	assert.Equal(t, []string{"2", "3"}, sortSet(got["h"]))
	assert.NotContains(t, got, "g")
	// Deleting every element removes the attribute.
	got, err = update(map[string]types.AttributeValueUpdate{"h": {Action: types.AttributeActionDelete, Value: ns("2", "3")}}, types.ReturnValueAllNew)
	require.NoError(t, err)
	assert.NotContains(t, got, "h")

	// Errors that need the item, with DynamoDB's messages.
	for _, tc := range []struct {
		ups map[string]types.AttributeValueUpdate
		msg string
	}{
		{map[string]types.AttributeValueUpdate{"e": {Action: types.AttributeActionDelete, Value: ns("1")}}, "Type mismatch for attribute to update"},
		{map[string]types.AttributeValueUpdate{"d": {Action: types.AttributeActionDelete, Value: ns("1")}}, "Type mismatch for attribute to update"},
		{map[string]types.AttributeValueUpdate{"e": {Action: types.AttributeActionAdd, Value: ns("1")}}, "Type mismatch for attribute to update"},
		{map[string]types.AttributeValueUpdate{"e": {Action: types.AttributeActionAdd, Value: n("1")}}, "Type mismatch for attribute to update"},
		{map[string]types.AttributeValueUpdate{"d": {Action: types.AttributeActionAdd, Value: l(n("1"))}}, "Type mismatch for attribute to update"},
		{map[string]types.AttributeValueUpdate{"x": {Value: n("1")}, "sk": {Value: s("2")}}, invalid + "Cannot update attribute sk. This attribute is part of the key"},
		{map[string]types.AttributeValueUpdate{"pk": {Action: types.AttributeActionDelete}}, invalid + "Cannot update attribute pk. This attribute is part of the key"},
		{map[string]types.AttributeValueUpdate{"big": {Value: s(string(make([]byte, 400*1024)))}}, "Item size to update has exceeded the maximum allowed size"},
	} {
		_, err := update(tc.ups, "")
		wantValidation(t, err, tc.msg)
	}

	// Expected and AttributeUpdates together.
	_, err = e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		Expected:         map[string]types.ExpectedAttributeValue{"d": {Value: n("3.5")}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"d": {Action: types.AttributeActionAdd, Value: n("1")}}})
	require.NoError(t, err)
	_, err = e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("upd"), Key: key,
		Expected:         map[string]types.ExpectedAttributeValue{"d": {Value: n("3.5")}},
		AttributeUpdates: map[string]types.AttributeValueUpdate{"d": {Action: types.AttributeActionAdd, Value: n("1")}}})
	wantConditionFailed(t, err)
	out, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("upd"), Key: key, AttributesToGet: []string{"d", "nope"}})
	require.NoError(t, err)
	assert.Equal(t, item{"d": n("4.5")}, out.Item)
}

// legacyTables makes "lqt" (pk S, sk N; GSI byG on g) holding pk "a" with
// sk 1..5 (f = "x<sk>", g = "g", even sk have tag = "even") and pk "b" with
// sk 1, and "lht" (pk only) holding one item.
func legacyTables(t *testing.T, e *env) {
	t.Helper()
	createTable(t, e.db, "lqt", withRange("sk", types.ScalarAttributeTypeN), withGSI("byG", "g", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeAll))
	for i := 1; i <= 5; i++ {
		it := item{"pk": s("a"), "sk": n(strconv.Itoa(i)), "f": s("x" + strconv.Itoa(i)), "g": s("g")}
		if i%2 == 0 {
			it["tag"] = s("even")
		}
		put(t, e.db, "lqt", it)
	}
	put(t, e.db, "lqt", item{"pk": s("b"), "sk": n("1")})
	createTable(t, e.db, "lht")
	put(t, e.db, "lht", item{"pk": s("a"), "f": s("x")})
}

// TestLegacyKeyConditions: KeyConditions with each operator DynamoDB serves
// on the sort key, QueryFilter, AttributesToGet, and the key-schema errors.
func TestLegacyKeyConditions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	legacyTables(t, e)
	hashA := cond("EQ", s("a"))
	tests := []struct {
		name   string
		kc     map[string]types.Condition
		filter map[string]types.Condition
		or     bool
		want   string
	}{
		{"hash only", map[string]types.Condition{"pk": hashA}, nil, false, "1,2,3,4,5"},
		{"EQ", map[string]types.Condition{"pk": hashA, "sk": cond("EQ", n("3"))}, nil, false, "3"},
		{"LE", map[string]types.Condition{"pk": hashA, "sk": cond("LE", n("2"))}, nil, false, "1,2"},
		{"LT", map[string]types.Condition{"sk": cond("LT", n("2")), "pk": hashA}, nil, false, "1"},
		{"GE", map[string]types.Condition{"pk": hashA, "sk": cond("GE", n("4"))}, nil, false, "4,5"},
		{"GT", map[string]types.Condition{"pk": hashA, "sk": cond("GT", n("4"))}, nil, false, "5"},
		{"BETWEEN", map[string]types.Condition{"pk": hashA, "sk": cond("BETWEEN", n("2"), n("4"))}, nil, false, "2,3,4"},
		{"QueryFilter", map[string]types.Condition{"pk": hashA}, map[string]types.Condition{"tag": cond("EQ", s("even"))}, false, "2,4"},
		{"QueryFilter NULL", map[string]types.Condition{"pk": hashA}, map[string]types.Condition{"tag": cond("NULL")}, false, "1,3,5"},
		{"QueryFilter OR", map[string]types.Condition{"pk": hashA}, map[string]types.Condition{"tag": cond("NOT_NULL"), "f": cond("IN", s("x1"), s("x9"))}, true, "1,2,4"},
		{"QueryFilter AND", map[string]types.Condition{"pk": hashA}, map[string]types.Condition{"tag": cond("NOT_NULL"), "f": cond("BEGINS_WITH", s("x4"))}, false, "4"},
		{"QueryFilter CONTAINS", map[string]types.Condition{"pk": hashA}, map[string]types.Condition{"f": cond("NOT_CONTAINS", s("3"))}, false, "1,2,4,5"},
	}
	for _, tc := range tests {
		in := &dynamodb.QueryInput{TableName: aws.String("lqt"), KeyConditions: tc.kc, QueryFilter: tc.filter}
		if tc.or {
			in.ConditionalOperator = types.ConditionalOperatorOr
		} else if len(tc.filter) > 1 {
			in.ConditionalOperator = types.ConditionalOperatorAnd
		}
		out, err := e.db.Query(ctx(t), in)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, sks(t, out.Items), tc.name)
	}
	// BEGINS_WITH on a string sort key, on the index, AttributesToGet, and
	// KeyConditions with the expressions DynamoDB lets it go with.
	out, err := e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("lqt"), IndexName: aws.String("byG"),
		KeyConditions: map[string]types.Condition{"g": cond("EQ", s("g"))}, AttributesToGet: []string{"sk", "tag"}, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(2)})
	require.NoError(t, err)
	require.Len(t, out.Items, 2)
	for _, it := range out.Items { // items sharing an index key come in their key's hash order
		assert.Contains(t, it, "sk")
		_, tagged := it["tag"]
		assert.Len(t, it, map[bool]int{true: 2, false: 1}[tagged], "only sk and tag: %v", it)
	}
	out, err = e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("lqt"), KeyConditions: map[string]types.Condition{"pk": hashA},
		FilterExpression: aws.String("#t = :t"), ProjectionExpression: aws.String("sk"),
		ExpressionAttributeNames: map[string]string{"#t": "tag"}, ExpressionAttributeValues: map[string]types.AttributeValue{":t": s("even")}})
	require.NoError(t, err)
	assert.Equal(t, []map[string]types.AttributeValue{{"sk": n("2")}, {"sk": n("4")}}, out.Items)
	out, err = e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("lht"), KeyConditions: map[string]types.Condition{"pk": cond("EQ", s("a"))}, Select: types.SelectCount})
	require.NoError(t, err)
	assert.Equal(t, int32(1), out.Count)

	// Errors that need the key schema, with DynamoDB's messages.
	for _, tc := range []struct {
		table, index string
		kc           map[string]types.Condition
		filter       map[string]types.Condition
		msg          string
	}{
		{"lht", "", map[string]types.Condition{"pk": cond("NULL")}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"lht", "", map[string]types.Condition{"pk": cond("NE", s("a"))}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"lht", "", map[string]types.Condition{"pk": cond("IN", s("a"))}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"lqt", "", map[string]types.Condition{"pk": hashA, "sk": cond("NOT_NULL")}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"lqt", "", map[string]types.Condition{"pk": hashA, "sk": cond("CONTAINS", n("1"))}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"lht", "", map[string]types.Condition{"pk": cond("LE", s("a"))}, nil, "Query key condition not supported"},
		{"lht", "", map[string]types.Condition{"pk": cond("BEGINS_WITH", s("a"))}, nil, "Query key condition not supported"},
		{"lht", "", map[string]types.Condition{"pk": hashA, "sk": cond("EQ", s("a"))}, nil, "Query key condition not supported"},
		{"lqt", "", map[string]types.Condition{"z": cond("NULL")}, nil, "Query condition missed key schema element: pk"},
		{"lqt", "", map[string]types.Condition{"pk": hashA, "c": cond("NULL")}, nil, "Query condition missed key schema element: sk"},
		{"lqt", "byG", map[string]types.Condition{"pk": hashA}, nil, "Query condition missed key schema element: g"},
		{"lqt", "nope", map[string]types.Condition{"pk": hashA}, nil, "The table does not have the specified index: nope"},
		{"lqt", "", map[string]types.Condition{"pk": cond("EQ", n("1"))}, nil, invalid + "Condition parameter type does not match schema type"},
		{"lqt", "", map[string]types.Condition{"pk": hashA, "sk": cond("BEGINS_WITH", s("1"))}, nil, invalid + "Condition parameter type does not match schema type"},
		{"lqt", "", map[string]types.Condition{"pk": hashA}, map[string]types.Condition{"sk": cond("EQ", n("1"))}, "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk"},
	} {
		in := &dynamodb.QueryInput{TableName: aws.String(tc.table), KeyConditions: tc.kc, QueryFilter: tc.filter}
		if tc.index != "" {
			in.IndexName = aws.String(tc.index)
		}
		_, err := e.db.Query(ctx(t), in)
		wantValidation(t, err, tc.msg)
	}
	_, err = e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("lqt"), Select: types.SelectAllAttributes,
		KeyConditions: map[string]types.Condition{"pk": hashA}, AttributesToGet: []string{"f"}})
	wantValidation(t, err, "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES")
}

// TestLegacyScanFilterAndAttributesToGet: ScanFilter with AND and OR,
// AttributesToGet on Scan, GetItem and BatchGetItem.
func TestLegacyScanFilterAndAttributesToGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	legacyTables(t, e)
	scan := func(filter map[string]types.Condition, op types.ConditionalOperator, attrs ...string) []map[string]types.AttributeValue {
		out, err := e.db.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("lqt"), ScanFilter: filter, ConditionalOperator: op, AttributesToGet: attrs})
		require.NoError(t, err)
		return out.Items
	}
	assert.Len(t, scan(map[string]types.Condition{"pk": cond("EQ", s("b"))}, ""), 1)
	assert.Len(t, scan(map[string]types.Condition{"sk": cond("GE", n("2")), "tag": cond("NOT_NULL")}, types.ConditionalOperatorAnd), 2)
	assert.Len(t, scan(map[string]types.Condition{"pk": cond("EQ", s("b")), "tag": cond("NOT_NULL")}, types.ConditionalOperatorOr), 3)
	assert.Len(t, scan(map[string]types.Condition{"f": cond("BETWEEN", s("x2"), s("x3"))}, ""), 2)
	items := scan(map[string]types.Condition{"sk": cond("EQ", n("4"))}, "", "tag", "nope")
	assert.Equal(t, []map[string]types.AttributeValue{{"tag": s("even")}}, items)

	got, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("lqt"), Key: item{"pk": s("a"), "sk": n("2")}, AttributesToGet: []string{"f", "tag"}})
	require.NoError(t, err)
	assert.Equal(t, item{"f": s("x2"), "tag": s("even")}, got.Item)
	bout, err := e.db.BatchGetItem(ctx(t), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"lqt": {Keys: []map[string]types.AttributeValue{{"pk": s("a"), "sk": n("3")}}, AttributesToGet: []string{"f"}},
	}})
	require.NoError(t, err)
	assert.Equal(t, []map[string]types.AttributeValue{{"f": s("x3")}}, bout.Responses["lqt"])
	_, err = e.db.BatchGetItem(ctx(t), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"lqt": {Keys: []map[string]types.AttributeValue{{"pk": s("a"), "sk": n("3")}}, AttributesToGet: []string{"f"}, ProjectionExpression: aws.String("f")},
	}})
	wantValidation(t, err, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}")
}
