package cloudtest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// CreateTable creates a DynamoDB table and waits, with the SDK's waiter as
// on AWS, until it is ACTIVE: the local cloud's tables are CREATING for a
// moment, like DynamoDB's. It returns the ACTIVE table's description.
func CreateTable(t testing.TB, db *dynamodb.Client, in *dynamodb.CreateTableInput) *types.TableDescription {
	t.Helper()
	if _, err := db.CreateTable(Context(t), in); err != nil {
		t.Fatalf("CreateTable %s: %v", aws.ToString(in.TableName), err)
	}
	return WaitTable(t, db, aws.ToString(in.TableName))
}

// WaitTable waits until the table is ACTIVE (after CreateTable or
// UpdateTable) and returns its description.
func WaitTable(t testing.TB, db *dynamodb.Client, name string) *types.TableDescription {
	t.Helper()
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 200*time.Millisecond
	})
	out, err := w.WaitForOutput(Context(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute)
	if err != nil {
		t.Fatalf("wait for table %s to be ACTIVE: %v", name, err)
	}
	return out.Table
}

// WaitTableGone waits until a deleted table no longer exists.
func WaitTableGone(t testing.TB, db *dynamodb.Client, name string) {
	t.Helper()
	w := dynamodb.NewTableNotExistsWaiter(db, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(Context(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("wait for table %s to be deleted: %v", name, err)
	}
}
