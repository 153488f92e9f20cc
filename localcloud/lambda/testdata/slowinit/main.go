// Command slowinit is a test function whose init phase takes INIT_SLEEP_MS
// milliseconds, or fails when INIT_FAIL is set.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	if os.Getenv("INIT_FAIL") != "" {
		fmt.Fprintln(os.Stderr, "init failed on purpose")
		os.Exit(3)
	}
	ms, _ := strconv.Atoi(os.Getenv("INIT_SLEEP_MS"))
	time.Sleep(time.Duration(ms) * time.Millisecond)
	lambda.Start(func(ctx context.Context) (string, error) { return "ready", nil })
}
