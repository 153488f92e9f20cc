package dynamo

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

func TestTableLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	desc := createTable(t, e.db, "orders", withRange("sk", types.ScalarAttributeTypeN), withStream(types.StreamViewTypeNewAndOldImages),
		withGSI("byStatus", "status", types.ScalarAttributeTypeS, "", "", types.ProjectionTypeKeysOnly))
	if got, want := *desc.TableArn, "arn:aws:dynamodb:us-east-1:123456789012:table/orders"; got != want {
		t.Errorf("TableArn: got %s, want %s", got, want)
	}
	if desc.TableStatus != types.TableStatusActive {
		t.Errorf("TableStatus: got %s, want ACTIVE", desc.TableStatus)
	}
	if desc.LatestStreamArn == nil || !strings.HasPrefix(*desc.LatestStreamArn, *desc.TableArn+"/stream/") {
		t.Errorf("LatestStreamArn: got %v", desc.LatestStreamArn)
	}

	cloudtest.WaitTable(t, e.db, "orders")
	out, err := e.db.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	d := out.Table
	if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("BillingModeSummary: got %+v", d.BillingModeSummary)
	}
	if len(d.GlobalSecondaryIndexes) != 1 || d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive ||
		*d.GlobalSecondaryIndexes[0].IndexArn != *d.TableArn+"/index/byStatus" {
		t.Errorf("GlobalSecondaryIndexes: got %+v", d.GlobalSecondaryIndexes)
	}
	if d.StreamSpecification == nil || !*d.StreamSpecification.StreamEnabled || d.StreamSpecification.StreamViewType != types.StreamViewTypeNewAndOldImages {
		t.Errorf("StreamSpecification: got %+v", d.StreamSpecification)
	}
	if d.CreationDateTime == nil || time.Since(*d.CreationDateTime) > time.Minute {
		t.Errorf("CreationDateTime: got %v", d.CreationDateTime)
	}
	if d.TableId == nil || len(*d.TableId) != 36 {
		t.Errorf("TableId: got %v", d.TableId)
	}

	// item count and size follow writes
	put(t, e.db, "orders", item{"pk": s("a"), "sk": n("1"), "status": s("NEW")})
	out, _ = e.db.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if got := *out.Table.ItemCount; got != 1 {
		t.Errorf("ItemCount: got %d, want 1", got)
	}
	if *out.Table.TableSizeBytes == 0 || *out.Table.GlobalSecondaryIndexes[0].ItemCount != 1 {
		t.Errorf("sizes: got table %d bytes, index %d items", *out.Table.TableSizeBytes, *out.Table.GlobalSecondaryIndexes[0].ItemCount)
	}

	_, err = e.db.CreateTable(c, &dynamodb.CreateTableInput{
		TableName: aws.String("orders"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("CreateTable twice: got %v, want ResourceInUseException", err)
	}

	del, err := e.db.DeleteTable(c, &dynamodb.DeleteTableInput{TableName: aws.String("orders")})
	if err != nil {
		t.Fatalf("DeleteTable: %v", err)
	}
	if del.TableDescription.TableStatus != types.TableStatusDeleting {
		t.Errorf("DeleteTable status: got %s, want DELETING", del.TableDescription.TableStatus)
	}
	cloudtest.WaitTableGone(t, e.db, "orders")
	_, err = e.db.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("DescribeTable after delete: got %v, want ResourceNotFoundException", err)
	}
	_, err = e.db.GetItem(c, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: item{"pk": s("a"), "sk": n("1")}})
	if !errors.As(err, &nf) {
		t.Fatalf("GetItem after delete: got %v, want ResourceNotFoundException", err)
	}

	// a new table of the same name starts empty
	createTable(t, e.db, "orders", withRange("sk", types.ScalarAttributeTypeN))
	sc, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("orders")})
	if err != nil || sc.Count != 0 {
		t.Fatalf("Scan of re-created table: got %v items, err %v; want 0", sc, err)
	}
}

func TestCreateTableValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pk := []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}
	pkDef := []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}
	tests := []struct {
		name string
		in   dynamodb.CreateTableInput
		msg  string
	}{
		{"undefined key", dynamodb.CreateTableInput{TableName: aws.String("tbl1"), BillingMode: types.BillingModePayPerRequest, KeySchema: pk,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS}}},
			"One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [x]"},
		{"extra definition", dynamodb.CreateTableInput{TableName: aws.String("tbl2"), BillingMode: types.BillingModePayPerRequest, KeySchema: pk,
			AttributeDefinitions: append(append([]types.AttributeDefinition{}, pkDef...), types.AttributeDefinition{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS})},
			"One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{"provisioned without throughput", dynamodb.CreateTableInput{TableName: aws.String("tbl3"), KeySchema: pk, AttributeDefinitions: pkDef},
			"One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"},
		{"on-demand with throughput", dynamodb.CreateTableInput{TableName: aws.String("tbl4"), BillingMode: types.BillingModePayPerRequest, KeySchema: pk, AttributeDefinitions: pkDef,
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}},
			"One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"},
		{"bad name", dynamodb.CreateTableInput{TableName: aws.String("a b"), BillingMode: types.BillingModePayPerRequest, KeySchema: pk, AttributeDefinitions: pkDef}, ""},
		{"range first", dynamodb.CreateTableInput{TableName: aws.String("tbl5"), BillingMode: types.BillingModePayPerRequest,
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeRange}}, AttributeDefinitions: pkDef},
			"Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.db.CreateTable(ctx(t), &tt.in)
			wantValidation(t, err, tt.msg)
		})
	}
}

func TestProvisionedAndUpdateTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	_, err := e.db.CreateTable(c, &dynamodb.CreateTableInput{
		TableName:             aws.String("prov"),
		KeySchema:             []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions:  []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)},
		SSESpecification:      &types.SSESpecification{Enabled: aws.Bool(true)},
		Tags:                  []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	cloudtest.WaitTable(t, e.db, "prov")
	d, _ := e.db.DescribeTable(c, &dynamodb.DescribeTableInput{TableName: aws.String("prov")})
	if got := *d.Table.ProvisionedThroughput.WriteCapacityUnits; got != 7 {
		t.Errorf("WCU: got %d, want 7", got)
	}
	if d.Table.SSEDescription == nil || d.Table.SSEDescription.Status != types.SSEStatusEnabled {
		t.Errorf("SSEDescription: got %+v", d.Table.SSEDescription)
	}

	// switch to on-demand, enable a stream, add a GSI
	put(t, e.db, "prov", item{"pk": s("a"), "g": s("x")})
	up, err := e.db.UpdateTable(c, &dynamodb.UpdateTableInput{
		TableName:            aws.String("prov"),
		BillingMode:          types.BillingModePayPerRequest,
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeKeysOnly},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("g"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("byG"), KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("g"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}}},
	})
	if err != nil {
		t.Fatalf("UpdateTable: %v", err)
	}
	first := *up.TableDescription.LatestStreamArn
	if up.TableDescription.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("BillingMode: got %s", up.TableDescription.BillingModeSummary.BillingMode)
	}
	cloudtest.WaitTable(t, e.db, "prov")
	q, err := e.db.Query(c, &dynamodb.QueryInput{TableName: aws.String("prov"), IndexName: aws.String("byG"),
		KeyConditionExpression: aws.String("g = :g"), ExpressionAttributeValues: item{":g": s("x")}})
	if err != nil || q.Count != 1 {
		t.Fatalf("Query new GSI: got %v, %v; want 1 item (backfilled)", q, err)
	}

	// disable, then re-enable: a new stream
	if _, err := e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: aws.String("prov"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatalf("disable stream: %v", err)
	}
	cloudtest.WaitTable(t, e.db, "prov")
	up, err = e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: aws.String("prov"),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatalf("re-enable stream: %v", err)
	}
	cloudtest.WaitTable(t, e.db, "prov")
	if second := *up.TableDescription.LatestStreamArn; second == first {
		t.Errorf("re-enabled stream ARN: got the old %s, want a new one", second)
	}

	// delete the GSI
	up, err = e.db.UpdateTable(c, &dynamodb.UpdateTableInput{TableName: aws.String("prov"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byG")}}}})
	if err != nil || len(up.TableDescription.GlobalSecondaryIndexes) != 0 {
		t.Fatalf("delete GSI: got %v, %v", up, err)
	}
}

func TestListTablesPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 5 {
		createTable(t, e.db, fmt.Sprintf("tbl-%d", i))
	}
	var names []string
	p := dynamodb.NewListTablesPaginator(e.db, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListTables: %v", err)
		}
		pages++
		names = append(names, out.TableNames...)
	}
	if got, want := strings.Join(names, ","), "tbl-0,tbl-1,tbl-2,tbl-3,tbl-4"; got != want {
		t.Errorf("tables: got %s, want %s", got, want)
	}
	if pages != 3 {
		t.Errorf("pages: got %d, want 3", pages)
	}
}

func TestTagsPITRTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	arn := *createTable(t, e.db, "tagged").TableArn
	if _, err := e.db.TagResource(c, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := e.db.UntagResource(c, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"a"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := e.db.ListTagsOfResource(c, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "b" {
		t.Fatalf("ListTagsOfResource: got %+v, %v; want [b]", tags, err)
	}
	_, err = e.db.ListTagsOfResource(c, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn + "x")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("ListTagsOfResource missing: got %v, want ResourceNotFoundException", err)
	}

	cb, err := e.db.DescribeContinuousBackups(c, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("tagged")})
	if err != nil || cb.ContinuousBackupsDescription.ContinuousBackupsStatus != types.ContinuousBackupsStatusEnabled ||
		cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusDisabled {
		t.Fatalf("DescribeContinuousBackups: got %+v, %v", cb, err)
	}
	ub, err := e.db.UpdateContinuousBackups(c, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("tagged"),
		PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil || ub.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		t.Fatalf("UpdateContinuousBackups: got %+v, %v", ub, err)
	}
	cb, _ = e.db.DescribeContinuousBackups(c, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("tagged")})
	if cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		t.Errorf("PITR after enable: got %s", cb.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus)
	}
	_, err = e.db.DescribeContinuousBackups(c, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String("nope")})
	var tnf *types.TableNotFoundException
	if !errors.As(err, &tnf) {
		t.Errorf("DescribeContinuousBackups missing: got %v, want TableNotFoundException", err)
	}

	if _, err := e.db.UpdateTimeToLive(c, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("tagged"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires")}}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
	ttl, err := e.db.DescribeTimeToLive(c, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("tagged")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || *ttl.TimeToLiveDescription.AttributeName != "expires" {
		t.Fatalf("DescribeTimeToLive: got %+v, %v", ttl, err)
	}
	lim, err := e.db.DescribeLimits(c, &dynamodb.DescribeLimitsInput{})
	if err != nil || *lim.TableMaxReadCapacityUnits == 0 {
		t.Fatalf("DescribeLimits: got %+v, %v", lim, err)
	}
	ep, err := e.db.DescribeEndpoints(c, &dynamodb.DescribeEndpointsInput{})
	if err != nil || len(ep.Endpoints) != 1 {
		t.Fatalf("DescribeEndpoints: got %+v, %v", ep, err)
	}
}

func TestAccountsIsolated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.client("210987654321")
	createTable(t, e.db, "mine")
	put(t, e.db, "mine", item{"pk": s("a")})
	_, err := other.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("mine"), Key: item{"pk": s("a")}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("other account GetItem: got %v, want ResourceNotFoundException", err)
	}
	lt, err := other.ListTables(ctx(t), &dynamodb.ListTablesInput{})
	if err != nil || len(lt.TableNames) != 0 {
		t.Fatalf("other account ListTables: got %v, %v; want none", lt.TableNames, err)
	}
	// the same name in the other account is a different table
	createTable(t, other, "mine")
	g, err := other.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("mine"), Key: item{"pk": s("a")}})
	if err != nil || g.Item != nil {
		t.Fatalf("other account's own table: got %v, %v; want no item", g.Item, err)
	}
	// another region of the same account is separate too
	west := dynamodb.NewFromConfig(cloudtest.Config(e.url, cloudtest.Account, "eu-west-1"))
	lt, _ = west.ListTables(ctx(t), &dynamodb.ListTablesInput{})
	if len(lt.TableNames) != 0 {
		t.Fatalf("other region ListTables: got %v, want none", lt.TableNames)
	}
}

func TestTTLExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := ctx(t)
	arn := *createTable(t, e.db, "ttl", withStream(types.StreamViewTypeOldImage)).LatestStreamArn
	if _, err := e.db.UpdateTimeToLive(c, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("ttl"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("exp")}}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
	now := time.Now()
	put(t, e.db, "ttl", item{"pk": s("past"), "exp": n(fmt.Sprint(now.Add(-time.Hour).Unix()))})
	put(t, e.db, "ttl", item{"pk": s("future"), "exp": n(fmt.Sprint(now.Add(time.Hour).Unix()))})
	put(t, e.db, "ttl", item{"pk": s("ancient"), "exp": n("1")})
	put(t, e.db, "ttl", item{"pk": s("none")})
	e.svc.expire(now)
	sc, err := e.db.Scan(c, &dynamodb.ScanInput{TableName: aws.String("ttl")})
	if err != nil || sc.Count != 3 {
		t.Fatalf("after expiry: got %d items, %v; want 3", sc.Count, err)
	}
	recs := readAll(t, e, arn, "TRIM_HORIZON")
	last := recs[len(recs)-1]
	if last.EventName != "REMOVE" || last.UserIdentity == nil || *last.UserIdentity.PrincipalId != "dynamodb.amazonaws.com" || *last.UserIdentity.Type != "Service" {
		t.Errorf("TTL record: got %+v", last)
	}
}

func TestTableByARN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := *createTable(t, e.db, "byarn").TableArn
	if _, err := e.db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String(arn), Item: item{"pk": s("a")}}); err != nil {
		t.Fatalf("PutItem by ARN: %v", err)
	}
	other := strings.Replace(arn, cloudtest.Account, "210987654321", 1)
	_, err := e.db.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String(other), Key: item{"pk": s("a")}})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetItem by another account's ARN: got %v, want ResourceNotFoundException", err)
	}
}
