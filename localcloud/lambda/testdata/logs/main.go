// Command logs is a test function: it writes the payload's "lines" to
// stdout and "errors" to stderr, then answers with how many it wrote.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type input struct {
	Lines  []string `json:"lines"`
	Errors []string `json:"errors"`
}

func main() {
	fmt.Println("init line from logs")
	lambda.Start(func(ctx context.Context, in input) (int, error) {
		for _, l := range in.Lines {
			fmt.Println(l)
		}
		for _, l := range in.Errors {
			fmt.Fprintln(os.Stderr, l)
		}
		return len(in.Lines) + len(in.Errors), nil
	})
}
