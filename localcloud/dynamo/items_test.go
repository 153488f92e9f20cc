package dynamo

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestPutGetItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "items", withRange("sk", types.ScalarAttributeTypeN))
	type order struct {
		PK    string            `dynamodbav:"pk"`
		SK    int               `dynamodbav:"sk"`
		Total float64           `dynamodbav:"total"`
		Tags  []string          `dynamodbav:"tags,stringset"`
		Meta  map[string]string `dynamodbav:"meta"`
		Lines []int             `dynamodbav:"lines"`
		Paid  bool              `dynamodbav:"paid"`
		Note  *string           `dynamodbav:"note"`
		Blob  []byte            `dynamodbav:"blob"`
	}
	want := order{PK: "o1", SK: 1, Total: 12.5, Tags: []string{"a", "b"}, Meta: map[string]string{"k": "v"}, Lines: []int{1, 2}, Paid: true, Blob: []byte{0, 1, 2}}
	av, err := attributevalue.MarshalMap(want)
	if err != nil {
		t.Fatal(err)
	}
	put(t, e.db, "items", av)
	out, err := e.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: item{"pk": s("o1"), "sk": n("1")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	var got order
	if err := attributevalue.UnmarshalMap(out.Item, &got); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if got.PK != want.PK || got.Total != 12.5 || len(got.Tags) != 2 || got.Meta["k"] != "v" || len(got.Lines) != 2 || !got.Paid || got.Note != nil || string(got.Blob) != string(want.Blob) {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
	// numbers come back canonical
	put(t, e.db, "items", item{"pk": s("n"), "sk": n("01.50"), "x": n("1.0E2")})
	out, _ = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: item{"pk": s("n"), "sk": n("1.5")}})
	if out.Item == nil || num(t, out.Item, "x") != "100" || num(t, out.Item, "sk") != "1.5" {
		t.Errorf("canonical numbers: got %v", out.Item)
	}
	// projection
	out, err = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: item{"pk": s("o1"), "sk": n("1")},
		ProjectionExpression: aws.String("#t, meta.k, #l[1]"), ExpressionAttributeNames: map[string]string{"#t": "total", "#l": "lines"}})
	if err != nil {
		t.Fatalf("GetItem projection: %v", err)
	}
	if len(out.Item) != 3 || num(t, out.Item, "total") != "12.5" {
		t.Errorf("projection: got %v", out.Item)
	}
	// missing item
	out, err = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: item{"pk": s("none"), "sk": n("1")}})
	if err != nil || out.Item != nil {
		t.Errorf("missing item: got %v, %v", out.Item, err)
	}
	// consumed capacity
	out, err = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: item{"pk": s("o1"), "sk": n("1")}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || out.ConsumedCapacity == nil || *out.ConsumedCapacity.CapacityUnits != 0.5 || *out.ConsumedCapacity.TableName != "items" {
		t.Errorf("ConsumedCapacity: got %+v, %v", out.ConsumedCapacity, err)
	}
}

func TestItemValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "valid", withRange("sk", types.ScalarAttributeTypeS), withGSI("byG", "g", types.ScalarAttributeTypeN, "", "", types.ProjectionTypeAll))
	tbl := aws.String("valid")
	big := strings.Repeat("x", 400*1024)
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"get wrong key name", func() error {
			_, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: tbl, Key: item{"pk": s("a"), "x": s("b")}})
			return err
		}, "The provided key element does not match the schema"},
		{"get missing range", func() error {
			_, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: tbl, Key: item{"pk": s("a")}})
			return err
		}, "The provided key element does not match the schema"},
		{"get wrong type", func() error {
			_, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: tbl, Key: item{"pk": n("1"), "sk": s("b")}})
			return err
		}, "The provided key element does not match the schema"},
		{"put missing key", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a")}})
			return err
		}, "One or more parameter values were invalid: Missing the key sk in the item"},
		{"put key type", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": n("1")}})
			return err
		}, "One or more parameter values were invalid: Type mismatch for key sk expected: S actual: N"},
		{"put empty key", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s(""), "sk": s("1")}})
			return err
		}, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{"put index key type", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1"), "g": s("x")}})
			return err
		}, "One or more parameter values were invalid: Type mismatch for Index Key g Expected: N Actual: S IndexName: byG"},
		{"put big hash key", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s(strings.Repeat("k", 2049)), "sk": s("1")}})
			return err
		}, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"}, // sic, as DynamoDB
		{"get big range key", func() error {
			_, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: tbl, Key: item{"pk": s("a"), "sk": s(strings.Repeat("k", 1025))}})
			return err
		}, "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"},
		{"put too big", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1"), "big": s(big)}})
			return err
		}, "Item size has exceeded the maximum allowed size"},
		{"update too big", func() error {
			_, err := e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a"), "sk": s("1")},
				UpdateExpression: aws.String("SET big = :b"), ExpressionAttributeValues: item{":b": s(big)}})
			return err
		}, "Item size to update has exceeded the maximum allowed size"},
		{"put empty set", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1"), "set": ss()}})
			return err
		}, "One or more parameter values were invalid: An string set  may not be empty"},
		{"put bad number", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1"), "x": n("abc")}})
			return err
		}, ""},
		{"unused value", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1")},
				ConditionExpression: aws.String("attribute_not_exists(pk)"), ExpressionAttributeValues: item{":unused": s("x")}})
			return err
		}, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"},
		{"unused name", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1")},
				ConditionExpression: aws.String("attribute_not_exists(pk)"), ExpressionAttributeNames: map[string]string{"#u": "u"}})
			return err
		}, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"},
		{"names without expression", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1")},
				ExpressionAttributeNames: map[string]string{"#u": "u"}})
			return err
		}, "ExpressionAttributeNames can only be specified when using expressions"},
		{"undefined value", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1")},
				ConditionExpression: aws.String("x = :x")})
			return err
		}, "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x"},
		{"bad return values", func() error {
			_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "sk": s("1")}, ReturnValues: types.ReturnValueAllNew})
			return err
		}, "ReturnValues can only be ALL_OLD or NONE"},
		{"update key", func() error {
			_, err := e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a"), "sk": s("1")},
				UpdateExpression: aws.String("SET pk = :v"), ExpressionAttributeValues: item{":v": s("b")}})
			return err
		}, "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
		{"syntax error", func() error {
			_, err := e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a"), "sk": s("1")},
				UpdateExpression: aws.String("SET = :v"), ExpressionAttributeValues: item{":v": s("b")}})
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantValidation(t, tt.call(), tt.msg)
		})
	}
	// missing table: typed error
	_, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("nope"), Item: item{"pk": s("a")}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || *nf.Message != "Requested resource not found" {
		t.Fatalf("PutItem missing table: got %v, want ResourceNotFoundException", err)
	}
}

func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "cond")
	tbl := aws.String("cond")
	// create-if-absent
	in := &dynamodb.PutItemInput{TableName: tbl, Item: item{"pk": s("a"), "v": n("1")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if _, err := e.db.PutItem(c, in); err != nil {
		t.Fatalf("first conditional put: %v", err)
	}
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err := e.db.PutItem(c, in)
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("second conditional put: got %v, want ConditionalCheckFailedException", err)
	}
	if ccf.Item == nil || num(t, ccf.Item, "v") != "1" {
		t.Errorf("ConditionalCheckFailedException.Item: got %v, want the old item", ccf.Item)
	}
	if *ccf.Message != "The conditional request failed" {
		t.Errorf("message: got %q", *ccf.Message)
	}
	// without ReturnValuesOnConditionCheckFailure: no item
	in.ReturnValuesOnConditionCheckFailure = ""
	_, err = e.db.PutItem(c, in)
	if !errors.As(err, &ccf) || ccf.Item != nil {
		t.Fatalf("conditional put without RVOCCF: got %v item %v", err, ccf.Item)
	}

	// optimistic locking with UpdateItem
	up := func(expect string) error {
		_, err := e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a")},
			UpdateExpression: aws.String("SET v = v + :one"), ConditionExpression: aws.String("v = :expect"),
			ExpressionAttributeValues: item{":one": n("1"), ":expect": n(expect)}})
		return err
	}
	if err := up("1"); err != nil {
		t.Fatalf("update v=1: %v", err)
	}
	if err := up("1"); !errors.As(err, &ccf) {
		t.Fatalf("stale update: got %v, want ConditionalCheckFailedException", err)
	}
	// conditional delete
	_, err = e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: tbl, Key: item{"pk": s("a")},
		ConditionExpression: aws.String("v > :n"), ExpressionAttributeValues: item{":n": n("5")}})
	if !errors.As(err, &ccf) {
		t.Fatalf("conditional delete: got %v, want ConditionalCheckFailedException", err)
	}
	del, err := e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: tbl, Key: item{"pk": s("a")},
		ConditionExpression: aws.String("v = :n"), ExpressionAttributeValues: item{":n": n("2")}, ReturnValues: types.ReturnValueAllOld})
	if err != nil || num(t, del.Attributes, "v") != "2" {
		t.Fatalf("delete ALL_OLD: got %v, %v", del, err)
	}
	// condition on a missing item
	_, err = e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: tbl, Key: item{"pk": s("a")}, ConditionExpression: aws.String("attribute_exists(pk)")})
	if !errors.As(err, &ccf) {
		t.Fatalf("delete missing with attribute_exists: got %v, want ConditionalCheckFailedException", err)
	}
}

func TestUpdateItemReturnValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "upd")
	tbl := aws.String("upd")
	// creates the item when missing
	out, err := e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a")},
		UpdateExpression: aws.String("SET #c = if_not_exists(#c, :zero) + :one, tags = :t"), ExpressionAttributeNames: map[string]string{"#c": "count"},
		ExpressionAttributeValues: item{":zero": n("0"), ":one": n("1"), ":t": ss("x")}, ReturnValues: types.ReturnValueAllNew})
	if err != nil {
		t.Fatalf("UpdateItem create: %v", err)
	}
	if num(t, out.Attributes, "count") != "1" || str(t, out.Attributes, "pk") != "a" {
		t.Errorf("ALL_NEW: got %v", out.Attributes)
	}
	tests := []struct {
		rv   types.ReturnValue
		want map[string]string // attribute -> count value, "" means absent
		n    int
	}{
		{types.ReturnValueNone, nil, 0},
		{types.ReturnValueAllOld, map[string]string{"count": "2"}, 3},
		{types.ReturnValueUpdatedOld, map[string]string{"count": "3"}, 1},
		{types.ReturnValueUpdatedNew, map[string]string{"count": "5"}, 1},
		{types.ReturnValueAllNew, map[string]string{"count": "6"}, 3},
	}
	for _, tt := range tests {
		out, err := e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a")},
			UpdateExpression: aws.String("ADD #c :one"), ExpressionAttributeNames: map[string]string{"#c": "count"},
			ExpressionAttributeValues: item{":one": n("1")}, ReturnValues: tt.rv})
		if err != nil {
			t.Fatalf("UpdateItem %s: %v", tt.rv, err)
		}
		if len(out.Attributes) != tt.n {
			t.Errorf("%s: got %v, want %d attributes", tt.rv, out.Attributes, tt.n)
		}
		for k, v := range tt.want {
			if got := num(t, out.Attributes, k); got != v {
				t.Errorf("%s: %s got %s, want %s", tt.rv, k, got, v)
			}
		}
	}
	// REMOVE and DELETE from a set
	out, err = e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: tbl, Key: item{"pk": s("a")},
		UpdateExpression: aws.String("REMOVE #c DELETE tags :t"), ExpressionAttributeNames: map[string]string{"#c": "count"},
		ExpressionAttributeValues: item{":t": ss("x")}, ReturnValues: types.ReturnValueAllNew})
	if err != nil || len(out.Attributes) != 1 {
		t.Fatalf("REMOVE/DELETE: got %v, %v; want only pk", out, err)
	}
}

func TestUpdateItemWithoutExpression(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "noexpr", withRange("sk", types.ScalarAttributeTypeN))
	out, err := e.db.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("noexpr"), Key: item{"pk": s("a"), "sk": n("01.50")}, ReturnValues: types.ReturnValueAllNew})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	if num(t, out.Attributes, "sk") != "1.5" || len(out.Attributes) != 2 {
		t.Errorf("created item: got %v, want the canonical key", out.Attributes)
	}
}

func TestUpdatePaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, want string }{
		{"SET a = :v", "a"},
		{"SET a.b = list_append(a.b, :l), #c[1] = if_not_exists(#c, :z) REMOVE d, e.f ADD g :one DELETE h :s", "a.b|#c[1]|d|e.f|g|h"},
		{"set a=:v remove b", "a|b"},
		{"ADD #count :inc", "#count"},
	}
	for _, tt := range tests {
		if got := strings.Join(updatePaths(tt.expr), "|"); got != tt.want {
			t.Errorf("updatePaths(%q): got %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestUpdatedNestedReturnValues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "nested")
	put(t, e.db, "nested", item{"pk": s("a"), "m": &types.AttributeValueMemberM{Value: item{"x": n("1"), "y": n("2")}}, "other": s("o")})
	out, err := e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: aws.String("nested"), Key: item{"pk": s("a")},
		UpdateExpression: aws.String("SET m.x = :v"), ExpressionAttributeValues: item{":v": n("5")}, ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	m, ok := out.Attributes["m"].(*types.AttributeValueMemberM)
	if !ok || len(out.Attributes) != 1 || len(m.Value) != 1 || num(t, m.Value, "x") != "5" {
		t.Errorf("UPDATED_NEW: got %v, want {m: {x: 5}}", out.Attributes)
	}
	out, err = e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: aws.String("nested"), Key: item{"pk": s("a")},
		UpdateExpression: aws.String("REMOVE m.y"), ReturnValues: types.ReturnValueUpdatedOld})
	if err != nil {
		t.Fatalf("UpdateItem: %v", err)
	}
	m, ok = out.Attributes["m"].(*types.AttributeValueMemberM)
	if !ok || len(m.Value) != 1 || num(t, m.Value, "y") != "2" {
		t.Errorf("UPDATED_OLD: got %v, want {m: {y: 2}}", out.Attributes)
	}
}
