package dynamo

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// seedQuery makes table "q" (pk S, sk N) with 3 partitions of 10 items and
// a GSI on (status, amount).
func seedQuery(t testing.TB) *env {
	t.Helper()
	e := newEnv(t)
	createTable(t, e.db, "qtab", withRange("sk", types.ScalarAttributeTypeN),
		withGSI("byStatus", "status", types.ScalarAttributeTypeS, "amount", types.ScalarAttributeTypeN, types.ProjectionTypeInclude, "note"),
		withGSI("byOwner", "owner", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeKeysOnly))
	for p := range 3 {
		for i := range 10 {
			it := item{"pk": s(fmt.Sprintf("p%d", p)), "sk": n(fmt.Sprint(i - 3)), "amount": n(fmt.Sprint(100 - i)), "note": s("n"), "other": s("o"),
				"name": s(fmt.Sprintf("item-%c", 'a'+i))}
			if i%2 == 0 {
				it["status"] = s("OPEN")
			}
			if i == 0 {
				it["owner"] = s("me")
			}
			put(t, e.db, "qtab", it)
		}
	}
	return e
}

func sks(t testing.TB, items []item) string {
	t.Helper()
	var out []string
	for _, it := range items {
		out = append(out, num(t, it, "sk"))
	}
	return strings.Join(out, ",")
}

func TestQuery(t *testing.T) {
	t.Parallel()
	e := seedQuery(t)
	tests := []struct {
		name    string
		kce     string
		values  item
		forward *bool
		filter  string
		want    string
	}{
		{"all", "pk = :p", item{":p": s("p1")}, nil, "", "-3,-2,-1,0,1,2,3,4,5,6"},
		{"backward", "pk = :p", item{":p": s("p1")}, aws.Bool(false), "", "6,5,4,3,2,1,0,-1,-2,-3"},
		{"eq", "pk = :p AND sk = :v", item{":p": s("p1"), ":v": n("2")}, nil, "", "2"},
		{"lt", "pk = :p AND sk < :v", item{":p": s("p1"), ":v": n("-1")}, nil, "", "-3,-2"},
		{"le", "pk = :p AND sk <= :v", item{":p": s("p1"), ":v": n("-1")}, nil, "", "-3,-2,-1"},
		{"gt", "pk = :p AND sk > :v", item{":p": s("p1"), ":v": n("4.5")}, nil, "", "5,6"},
		{"ge", "pk = :p AND sk >= :v", item{":p": s("p1"), ":v": n("5")}, nil, "", "5,6"},
		{"between", "pk = :p AND sk BETWEEN :a AND :b", item{":p": s("p1"), ":a": n("-1"), ":b": n("1")}, nil, "", "-1,0,1"},
		{"between backward", "pk = :p AND sk BETWEEN :a AND :b", item{":p": s("p1"), ":a": n("-1"), ":b": n("1")}, aws.Bool(false), "", "1,0,-1"},
		{"filter", "pk = :p", item{":p": s("p1"), ":st": s("OPEN")}, nil, "#status = :st", "-3,-1,1,3,5"},
		{"no partition", "pk = :p", item{":p": s("zz")}, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &dynamodb.QueryInput{TableName: aws.String("qtab"), KeyConditionExpression: aws.String(tt.kce), ExpressionAttributeValues: tt.values, ScanIndexForward: tt.forward}
			if tt.filter != "" {
				in.FilterExpression = aws.String(tt.filter)
				in.ExpressionAttributeNames = map[string]string{"#status": "status"}
			}
			out, err := e.db.Query(ctx(t), in)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if got := sks(t, out.Items); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			if tt.filter != "" && out.ScannedCount != 10 {
				t.Errorf("ScannedCount: got %d, want 10", out.ScannedCount)
			}
		})
	}
}

func TestQueryBeginsWithAndErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	createTable(t, e.db, "bwtab", withRange("sk", types.ScalarAttributeTypeS))
	for _, sk := range []string{"ORDER#1", "ORDER#2", "ORDERX", "PROFILE", "ORD"} {
		put(t, e.db, "bwtab", item{"pk": s("u"), "sk": s(sk)})
	}
	out, err := e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("bwtab"), KeyConditionExpression: aws.String("pk = :p AND begins_with(sk, :pre)"),
		ExpressionAttributeValues: item{":p": s("u"), ":pre": s("ORDER#")}})
	if err != nil || out.Count != 2 {
		t.Fatalf("begins_with: got %v, %v; want 2", out, err)
	}
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("bwtab"), KeyConditionExpression: aws.String("sk = :p"), ExpressionAttributeValues: item{":p": s("u")}})
	wantCode(t, err, "ValidationException")
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("bwtab"), KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :b AND :a"),
		ExpressionAttributeValues: item{":p": s("u"), ":a": s("A"), ":b": s("B")}})
	wantCode(t, err, "ValidationException")
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("bwtab"), IndexName: aws.String("nope"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": s("u")}})
	wantValidation(t, err, "The table does not have the specified index: nope")
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("bwtab"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": n("1")}})
	wantValidation(t, err, "One or more parameter values were invalid: Condition parameter type does not match schema type")
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("bwtab")})
	wantValidation(t, err, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
}

func TestQueryPagination(t *testing.T) {
	t.Parallel()
	e := seedQuery(t)
	for _, forward := range []bool{true, false} {
		p := dynamodb.NewQueryPaginator(e.db, &dynamodb.QueryInput{TableName: aws.String("qtab"), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: item{":p": s("p2")}, Limit: aws.Int32(3), ScanIndexForward: aws.Bool(forward)})
		var all []item
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("Query page: %v", err)
			}
			pages++
			all = append(all, out.Items...)
		}
		want := "-3,-2,-1,0,1,2,3,4,5,6"
		if !forward {
			want = "6,5,4,3,2,1,0,-1,-2,-3"
		}
		if got := sks(t, all); got != want {
			t.Errorf("forward=%v: got %s, want %s", forward, got, want)
		}
		if pages != 4 {
			t.Errorf("forward=%v pages: got %d, want 4", forward, pages)
		}
	}
}

func TestQueryGSI(t *testing.T) {
	t.Parallel()
	e := seedQuery(t)
	c := ctx(t)
	// INCLUDE projection: keys + note only; sorted by amount
	p := dynamodb.NewQueryPaginator(e.db, &dynamodb.QueryInput{TableName: aws.String("qtab"), IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("#s = :s AND amount > :a"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: item{":s": s("OPEN"), ":a": n("93")}, Limit: aws.Int32(2)})
	var all []item
	for p.HasMorePages() {
		out, err := p.NextPage(c)
		if err != nil {
			t.Fatalf("Query GSI: %v", err)
		}
		all = append(all, out.Items...)
	}
	// amounts 94 (i=6), 96 (i=4), 98 (i=2), 100 (i=0) in 3 partitions = 12 items
	if len(all) != 12 {
		t.Fatalf("GSI items: got %d, want 12", len(all))
	}
	prev := 0
	for _, it := range all {
		if _, ok := it["other"]; ok {
			t.Errorf("INCLUDE projection leaked attribute other: %v", it)
		}
		if _, ok := it["note"]; !ok {
			t.Errorf("INCLUDE projection lost attribute note: %v", it)
		}
		a, _ := strconv.Atoi(num(t, it, "amount"))
		if a < prev {
			t.Errorf("GSI order: %d after %d", a, prev)
		}
		prev = a
	}
	// KEYS_ONLY, sparse
	out, err := e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("qtab"), IndexName: aws.String("byOwner"),
		KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s("me")}})
	if err != nil || out.Count != 3 || len(out.Items[0]) != 3 {
		t.Fatalf("KEYS_ONLY: got %v, %v", out, err)
	}
	_, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("qtab"), IndexName: aws.String("byOwner"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s("me")}})
	wantValidation(t, err, "Consistent reads are not supported on global secondary indexes")
	// GSI follows updates and deletes
	if _, err := e.db.DeleteItem(c, &dynamodb.DeleteItemInput{TableName: aws.String("qtab"), Key: item{"pk": s("p0"), "sk": n("-3")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateItem(c, &dynamodb.UpdateItemInput{TableName: aws.String("qtab"), Key: item{"pk": s("p1"), "sk": n("-3")},
		UpdateExpression: aws.String("REMOVE #o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}}); err != nil {
		t.Fatal(err)
	}
	out, err = e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("qtab"), IndexName: aws.String("byOwner"), Select: types.SelectCount,
		KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s("me")}})
	if err != nil || out.Count != 1 || out.Items != nil {
		t.Fatalf("after delete/update: got count %d items %v, %v; want 1", out.Count, out.Items, err)
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	e := seedQuery(t)
	c := ctx(t)
	// pagination visits every item once
	p := dynamodb.NewScanPaginator(e.db, &dynamodb.ScanInput{TableName: aws.String("qtab"), Limit: aws.Int32(7)})
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(c)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for _, it := range out.Items {
			k := str(t, it, "pk") + "/" + num(t, it, "sk")
			if seen[k] {
				t.Errorf("item %s twice", k)
			}
			seen[k] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("scan: got %d items, want 30", len(seen))
	}
	// filter + count
	out, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("qtab"), Select: types.SelectCount, FilterExpression: aws.String("amount >= :a"),
		ExpressionAttributeValues: item{":a": n("98")}})
	if err != nil || out.Count != 9 || out.ScannedCount != 30 || out.Items != nil {
		t.Fatalf("Scan COUNT: got %d/%d %v, %v; want 9/30", out.Count, out.ScannedCount, out.Items, err)
	}
	// segments partition the table
	total := 0
	for seg := range 4 {
		out, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("qtab"), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(4)})
		if err != nil {
			t.Fatalf("Scan segment: %v", err)
		}
		total += int(out.Count)
	}
	if total != 30 {
		t.Errorf("segments: got %d items, want 30", total)
	}
	_, err = e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("qtab"), Segment: aws.Int32(4), TotalSegments: aws.Int32(4)})
	wantCode(t, err, "ValidationException")
	// scan a GSI
	out, err = e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("qtab"), IndexName: aws.String("byStatus"), ProjectionExpression: aws.String("pk, amount")})
	if err != nil || out.Count != 15 || len(out.Items[0]) != 2 {
		t.Fatalf("Scan GSI: got %v, %v", out, err)
	}
}

func TestPageLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	createTable(t, e.db, "big", withRange("sk", types.ScalarAttributeTypeN))
	blob := strings.Repeat("x", 100*1024)
	for i := range 25 {
		put(t, e.db, "big", item{"pk": s("p"), "sk": n(fmt.Sprint(i)), "blob": s(blob)})
	}
	out, err := e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("big"), KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: item{":p": s("p")}})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if out.Count >= 25 || out.Count < 9 || out.LastEvaluatedKey == nil {
		t.Errorf("1 MB page: got %d items, LEK %v; want about 10 and a LastEvaluatedKey", out.Count, out.LastEvaluatedKey)
	}
}

func TestLocalSecondaryIndexAndCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	cloudtest.CreateTable(t, e.db, &dynamodb.CreateTableInput{
		TableName:   aws.String("lsi"),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("at"), AttributeType: types.ScalarAttributeTypeN}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("byTime"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("at"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
	})
	for i, sk := range []string{"c", "a", "b"} {
		put(t, e.db, "lsi", item{"pk": s("u"), "sk": s(sk), "at": n(fmt.Sprint(10 - i))})
	}
	out, err := e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("lsi"), IndexName: aws.String("byTime"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("pk = :p AND #at >= :t"), ExpressionAttributeNames: map[string]string{"#at": "at"},
		ExpressionAttributeValues: item{":p": s("u"), ":t": n("9")}, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatalf("Query LSI: %v", err)
	}
	var got []string
	for _, it := range out.Items {
		got = append(got, str(t, it, "sk"))
	}
	if strings.Join(got, ",") != "a,c" {
		t.Errorf("LSI order: got %v, want a,c (at 9, 10)", got)
	}
	if out.ConsumedCapacity == nil || *out.ConsumedCapacity.CapacityUnits <= 0 || out.ConsumedCapacity.Table == nil {
		t.Errorf("ConsumedCapacity INDEXES: got %+v", out.ConsumedCapacity)
	}
	d := mustDescribe(t, e, "lsi")
	if len(d.LocalSecondaryIndexes) != 1 || *d.LocalSecondaryIndexes[0].ItemCount != 3 {
		t.Errorf("DescribeTable LSI: got %+v", d.LocalSecondaryIndexes)
	}
	pi, err := e.db.PutItem(c, &dynamodb.PutItemInput{TableName: aws.String("lsi"), Item: item{"pk": s("u"), "sk": s("d"), "at": n("1")}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || pi.ConsumedCapacity == nil || *pi.ConsumedCapacity.CapacityUnits != 1 {
		t.Errorf("PutItem capacity: got %+v, %v", pi.ConsumedCapacity, err)
	}
}

func TestSelectAllAttributesOnKeysOnlyIndex(t *testing.T) {
	t.Parallel()
	e := seedQuery(t)
	_, err := e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("qtab"), IndexName: aws.String("byOwner"), Select: types.SelectAllAttributes,
		KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s("me")}})
	wantValidation(t, err, "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index byOwner because its projection type is not ALL")
}

func TestKeyInFilter(t *testing.T) {
	t.Parallel()
	names := map[string]string{"#s": "sk", "#x": "x"}
	tests := []struct{ filter, want string }{
		{"sk > :v", "sk"},
		{"#s > :v", "sk"},
		{"attribute_exists(pk)", "pk"},
		{"a.sk = :v AND #x = :pk", ""},
		{"size(x) > :n OR NOT contains(tags, :t)", ""},
		{"x = :v and (pk = :p)", "pk"},
	}
	for _, tt := range tests {
		if got := keyInFilter(tt.filter, names, "pk", "sk"); got != tt.want {
			t.Errorf("keyInFilter(%q): got %q, want %q", tt.filter, got, tt.want)
		}
	}
	e := seedQuery(t)
	_, err := e.db.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("qtab"), KeyConditionExpression: aws.String("pk = :p"),
		FilterExpression: aws.String("sk > :v"), ExpressionAttributeValues: item{":p": s("p1"), ":v": n("1")}})
	wantValidation(t, err, "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk")
}
