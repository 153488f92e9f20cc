package dynamo

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBatchWriteAndGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "bt1")
	createTable(t, e.db, "bt2", withRange("sk", types.ScalarAttributeTypeN))
	var reqs1, reqs2 []types.WriteRequest
	for i := range 12 {
		reqs1 = append(reqs1, types.WriteRequest{PutRequest: &types.PutRequest{Item: item{"pk": s(fmt.Sprint(i)), "v": n(fmt.Sprint(i))}}})
		reqs2 = append(reqs2, types.WriteRequest{PutRequest: &types.PutRequest{Item: item{"pk": s("p"), "sk": n(fmt.Sprint(i))}}})
	}
	out, err := e.db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bt1": reqs1, "bt2": reqs2}})
	if err != nil {
		t.Fatalf("BatchWriteItem: %v", err)
	}
	if len(out.UnprocessedItems) != 0 {
		t.Errorf("UnprocessedItems: got %v", out.UnprocessedItems)
	}
	// delete two, put one
	_, err = e.db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bt1": {
		{DeleteRequest: &types.DeleteRequest{Key: item{"pk": s("0")}}},
		{DeleteRequest: &types.DeleteRequest{Key: item{"pk": s("1")}}},
		{PutRequest: &types.PutRequest{Item: item{"pk": s("x")}}},
	}}})
	if err != nil {
		t.Fatalf("BatchWriteItem delete: %v", err)
	}
	g, err := e.db.BatchGetItem(c, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"bt1": {Keys: []item{{"pk": s("0")}, {"pk": s("2")}, {"pk": s("x")}}, ProjectionExpression: aws.String("pk")},
		"bt2": {Keys: []item{{"pk": s("p"), "sk": n("11")}}, ConsistentRead: aws.Bool(true)},
	}})
	if err != nil {
		t.Fatalf("BatchGetItem: %v", err)
	}
	if len(g.Responses["bt1"]) != 2 || len(g.Responses["bt2"]) != 1 || len(g.UnprocessedKeys) != 0 {
		t.Errorf("BatchGetItem: got %v", g.Responses)
	}
	for _, it := range g.Responses["bt1"] {
		if len(it) != 1 {
			t.Errorf("projection: got %v", it)
		}
	}

	// limits and duplicates
	var many []types.WriteRequest
	for i := range 26 {
		many = append(many, types.WriteRequest{PutRequest: &types.PutRequest{Item: item{"pk": s(fmt.Sprint(i))}}})
	}
	_, err = e.db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bt1": many}})
	wantCode(t, err, "ValidationException")
	_, err = e.db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"bt1": {
		{PutRequest: &types.PutRequest{Item: item{"pk": s("d")}}}, {DeleteRequest: &types.DeleteRequest{Key: item{"pk": s("d")}}}}}})
	wantValidation(t, err, "Provided list of item keys contains duplicates")
	_, err = e.db.BatchWriteItem(c, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"missing": many[:1]}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("batch to missing table: got %v, want ResourceNotFoundException", err)
	}
	var keys []item
	for i := range 101 {
		keys = append(keys, item{"pk": s(fmt.Sprint(i))})
	}
	// Over 100 keys for one table break the list's constraint; over 100
	// over all tables are too many (dynalite's test/batchGetItem.js,
	// recorded from DynamoDB).
	_, err = e.db.BatchGetItem(c, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"bt1": {Keys: keys}}})
	wantCode(t, err, "ValidationException")
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Regexp(t, `^1 validation error detected: Value '\[.+\]' at 'requestItems.bt1.member.keys' failed to satisfy constraint: Member must have length less than or equal to 100$`, ae.ErrorMessage())
	_, err = e.db.BatchGetItem(c, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"bt1": {Keys: keys[:100]}, "bt2": {Keys: keys[100:]}}})
	wantValidation(t, err, "Too many items requested for the BatchGetItem call")
}

func TestTransactions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "accounts", withStream(types.StreamViewTypeNewImage))
	createTable(t, e.db, "ledger")
	put(t, e.db, "accounts", item{"pk": s("alice"), "balance": n("100")})
	put(t, e.db, "accounts", item{"pk": s("bob"), "balance": n("0")})

	transfer := func(amount, token string) error {
		in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String("accounts"), Key: item{"pk": s("alice")},
				UpdateExpression: aws.String("SET balance = balance - :a"), ConditionExpression: aws.String("balance >= :a"),
				ExpressionAttributeValues: item{":a": n(amount)}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Update: &types.Update{TableName: aws.String("accounts"), Key: item{"pk": s("bob")},
				UpdateExpression: aws.String("SET balance = balance + :a"), ExpressionAttributeValues: item{":a": n(amount)}}},
			{Put: &types.Put{TableName: aws.String("ledger"), Item: item{"pk": s("tx-" + amount)}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String("accounts"), Key: item{"pk": s("carol")}, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		}}
		if token != "" {
			in.ClientRequestToken = aws.String(token)
		}
		_, err := e.db.TransactWriteItems(c, in)
		return err
	}
	if err := transfer("30", "tok-1"); err != nil {
		t.Fatalf("transfer 30: %v", err)
	}
	// the same token again is not applied twice
	if err := transfer("30", "tok-1"); err != nil {
		t.Fatalf("idempotent retry: %v", err)
	}
	err := transfer("500", "")
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("overdraft: got %v, want TransactionCanceledException", err)
	}
	codes := ""
	for _, r := range tce.CancellationReasons {
		codes += aws.ToString(r.Code) + " "
	}
	if codes != "ConditionalCheckFailed None None None " {
		t.Errorf("CancellationReasons: got %q", codes)
	}
	if it := tce.CancellationReasons[0].Item; it == nil || num(t, it, "balance") != "70" {
		t.Errorf("reason item: got %v, want alice with 70", it)
	}
	g, err := e.db.TransactGetItems(c, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("accounts"), Key: item{"pk": s("alice")}}},
		{Get: &types.Get{TableName: aws.String("accounts"), Key: item{"pk": s("bob")}, ProjectionExpression: aws.String("balance")}},
		{Get: &types.Get{TableName: aws.String("accounts"), Key: item{"pk": s("carol")}}},
	}})
	if err != nil {
		t.Fatalf("TransactGetItems: %v", err)
	}
	if num(t, g.Responses[0].Item, "balance") != "70" || num(t, g.Responses[1].Item, "balance") != "30" || len(g.Responses[1].Item) != 1 || g.Responses[2].Item != nil {
		t.Errorf("balances after transfer: got %v", g.Responses)
	}
	// two operations on one item
	_, err = e.db.TransactWriteItems(c, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("ledger"), Item: item{"pk": s("z")}}},
		{Delete: &types.Delete{TableName: aws.String("ledger"), Key: item{"pk": s("z")}}},
	}})
	wantValidation(t, err, "Transaction request cannot include multiple operations on one item")
	// stream: the successful transaction's two updates, nothing from the cancelled one
	recs := readAll(t, e, *mustDescribe(t, e, "accounts").LatestStreamArn, "TRIM_HORIZON")
	if len(recs) != 4 { // 2 inserts + 2 modifies
		t.Errorf("stream records: got %d, want 4", len(recs))
	}
}

func mustDescribe(t testing.TB, e *env, name string) *types.TableDescription {
	t.Helper()
	out, err := e.db.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	return out.Table
}
