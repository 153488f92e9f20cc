package dynamo

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/smithy-go"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

type env struct {
	dir     string
	svc     *Service
	url     string
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
}

// testTableDelay keeps the package's tests fast while every one of them
// still meets CREATING tables and has to wait as on AWS.
const testTableDelay = 20 * time.Millisecond

// newEnv starts a Service in a temporary data dir behind a real listener.
func newEnv(t testing.TB) *env {
	t.Helper()
	return openEnv(t, t.TempDir())
}

func openEnv(t testing.TB, dir string) *env {
	t.Helper()
	svc, err := New(Config{DataDir: dir, Logger: cloudtest.Logger(t), TableDelay: testTableDelay})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	e := &env{dir: dir, svc: svc, url: cloudtest.Serve(t, svc.Route())}
	e.db = e.client(cloudtest.Account)
	e.streams = dynamodbstreams.NewFromConfig(cloudtest.Config(e.url, cloudtest.Account, "us-east-1"))
	return e
}

func (e *env) client(account string) *dynamodb.Client {
	return dynamodb.NewFromConfig(cloudtest.Config(e.url, account, "us-east-1"))
}

type tableOpt func(*dynamodb.CreateTableInput)

func withRange(name string, typ types.ScalarAttributeType) tableOpt {
	return func(in *dynamodb.CreateTableInput) {
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(name), KeyType: types.KeyTypeRange})
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: typ})
	}
}

func withStream(view types.StreamViewType) tableOpt {
	return func(in *dynamodb.CreateTableInput) {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}
	}
}

func withGSI(name, hash string, hashType types.ScalarAttributeType, rng string, rngType types.ScalarAttributeType, proj types.ProjectionType, include ...string) tableOpt {
	return func(in *dynamodb.CreateTableInput) {
		defined := map[string]bool{}
		for _, d := range in.AttributeDefinitions {
			defined[*d.AttributeName] = true
		}
		ks := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
		if !defined[hash] {
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(hash), AttributeType: hashType})
			defined[hash] = true
		}
		if rng != "" {
			ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
			if !defined[rng] {
				in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(rng), AttributeType: rngType})
			}
		}
		p := &types.Projection{ProjectionType: proj}
		if len(include) > 0 {
			p.NonKeyAttributes = include
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: ks, Projection: p})
	}
}

// createTable makes a PAY_PER_REQUEST table with string hash key "pk".
func createTable(t testing.TB, db *dynamodb.Client, name string, opts ...tableOpt) *types.TableDescription {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
	}
	for _, o := range opts {
		o(in)
	}
	return cloudtest.CreateTable(t, db, in)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func s(v string) types.AttributeValue     { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue     { return &types.AttributeValueMemberN{Value: v} }
func bl(v bool) types.AttributeValue      { return &types.AttributeValueMemberBOOL{Value: v} }
func ss(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }

type item = map[string]types.AttributeValue

func str(t testing.TB, it item, name string) string {
	t.Helper()
	v, ok := it[name].(*types.AttributeValueMemberS)
	if !ok {
		t.Fatalf("attribute %s: got %#v, want S", name, it[name])
	}
	return v.Value
}

func num(t testing.TB, it item, name string) string {
	t.Helper()
	v, ok := it[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s: got %#v, want N", name, it[name])
	}
	return v.Value
}

func put(t testing.TB, db *dynamodb.Client, table string, it item) {
	t.Helper()
	if _, err := db.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
}

// wantCode asserts err is an API error with the given code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

// wantValidation asserts a ValidationException whose message is msg.
func wantValidation(t testing.TB, err error, msg string) {
	t.Helper()
	wantCode(t, err, "ValidationException")
	var ae smithy.APIError
	errors.As(err, &ae)
	if msg != "" && ae.ErrorMessage() != msg {
		t.Fatalf("got message %q, want %q", ae.ErrorMessage(), msg)
	}
}
