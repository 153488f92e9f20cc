package localcloud_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwlogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// TestFunctionPrintingForeverIsCapped: a function that prints without end
// (here `yes`, for its two-second timeout) grew logs.db by 259 MB in 10 s.
// Its output is now capped per function: logs.db stays small and the log
// group says how much was dropped.
func TestFunctionPrintingForeverIsCapped(t *testing.T) {
	if _, err := os.Stat("/usr/bin/yes"); err != nil {
		t.Skip("needs yes(1)")
	}
	g := startGuarded(t, localcloud.Config{})
	ctx := context.Background()
	g.zip = shellZip(t, "#!/bin/sh\nexec /usr/bin/yes 'a function stuck in a loop prints the same line again and again and again'\n")
	_, err := g.lambda().CreateFunction(ctx, &awslambda.CreateFunctionInput{FunctionName: aws.String("spam"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: g.zip}, Timeout: aws.Int32(2)})
	require.NoError(t, err)
	start := time.Now()
	out, err := g.lambda().Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String("spam")})
	require.NoError(t, err)
	assert.Contains(t, string(out.Payload), "Task timed out")
	t.Logf("invoke returned after %v", time.Since(start))

	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	logs := cwlogs.NewFromConfig(cfg)
	var note string
	waitUntil(t, 15*time.Second, func() bool {
		res, err := logs.FilterLogEvents(ctx, &cwlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/spam"), FilterPattern: aws.String("LABKIT_LOG_QUOTA")})
		if err != nil || len(res.Events) == 0 {
			return false
		}
		note = aws.ToString(res.Events[0].Message)
		return true
	})
	require.NotEmpty(t, note, "no note of dropped output in the log group")
	t.Logf("note found after %v", time.Since(start))
	assert.Contains(t, note, "bytes a second per function")
	t.Logf("note: %s", note)

	var size int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(filepath.Join(g.data, "logs.db"+suffix)); err == nil {
			t.Logf("logs.db%s: %d", suffix, fi.Size())
			size += fi.Size()
		}
	}
	t.Logf("logs.db with its WAL: %.1f MB", float64(size)/1e6)
	assert.Less(t, size, int64(24<<20), "logs.db grew past the quota")
}
