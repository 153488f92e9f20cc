package localcloud_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// openToOthers lists what under dir group or other users can read, write or
// enter.
func openToOthers(t *testing.T, dir string) []string {
	t.Helper()
	var open []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		if fi.Mode()&fs.ModeSymlink == 0 && fi.Mode().Perm()&0o077 != 0 {
			open = append(open, fi.Mode().String()+" "+p)
		}
		return nil
	}))
	return open
}

// TestStateIsPrivate: every service's database, its -wal and -shm, the
// DynamoDB journal, the function code cache and its unpacked folders are
// the learner's only (they were created 0644 and 0755).
func TestStateIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not permissions on Windows")
	}
	g := startGuarded(t, localcloud.Config{})
	ctx := context.Background()
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	db := dynamodb.NewFromConfig(cfg)
	cloudtest.CreateTable(t, db, &dynamodb.CreateTableInput{TableName: aws.String("orders"), BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}}})
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "o-1"}}})
	require.NoError(t, err)
	_, err = sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	require.NoError(t, err)
	g.zip = shellZip(t, "#!/bin/sh\necho hello\n")
	_, err = g.lambda().CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: g.zip},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"SECRET": "s"}}})
	require.NoError(t, err)
	_, err = g.lambda().Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("f")}) // unpacks the code
	require.NoError(t, err)

	assert.Empty(t, openToOthers(t, g.data))
	matches, _ := filepath.Glob(filepath.Join(g.data, "*.db-wal"))
	assert.NotEmpty(t, matches, "the test should see WAL files")
}

// TestExistingStateIsMadePrivate: a data directory left open by an older
// version (or by hand) is tightened when the cloud opens it.
func TestExistingStateIsMadePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not permissions on Windows")
	}
	dir := t.TempDir()
	c, err := localcloud.New(localcloud.Config{DataDir: dir})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lambda", "old"), 0o755))
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	}))
	require.NotEmpty(t, openToOthers(t, dir))
	c, err = localcloud.New(localcloud.Config{DataDir: dir})
	require.NoError(t, err)
	defer c.Close()
	assert.Empty(t, openToOthers(t, dir))
}
