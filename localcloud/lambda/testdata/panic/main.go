// Command panic is a test function that fails on request: {"panic": "msg"}
// panics, {"error": "msg"} returns an error, {"exit": n} exits the process.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

type input struct {
	Panic string `json:"panic"`
	Error string `json:"error"`
	Exit  *int   `json:"exit"`
}

func main() {
	lambda.Start(func(ctx context.Context, in input) (map[string]any, error) {
		switch {
		case in.Panic != "":
			panic(in.Panic)
		case in.Error != "":
			return nil, errors.New(in.Error)
		case in.Exit != nil:
			os.Exit(*in.Exit)
		}
		return map[string]any{"ok": true, "pid": os.Getpid()}, nil
	})
}
