// Command sleep is a test function: it sleeps for the payload's "ms"
// milliseconds (or, given "until", until that file exists, at most "ms")
// and can start a child process ("spawn") to prove that the
// whole process group is stopped.
package main

import (
	"context"
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type input struct {
	MS    int    `json:"ms"`
	Spawn bool   `json:"spawn"`
	Until string `json:"until"`
}

type output struct {
	Slept    int `json:"slept"`
	PID      int `json:"pid"`
	ChildPID int `json:"childPid,omitempty"`
}

func main() {
	lambda.Start(func(ctx context.Context, in input) (output, error) {
		out := output{Slept: in.MS, PID: os.Getpid()}
		if in.Spawn {
			cmd := exec.Command("sleep", "60")
			if err := cmd.Start(); err != nil {
				return out, err
			}
			out.ChildPID = cmd.Process.Pid
		}
		deadline := time.Now().Add(time.Duration(in.MS) * time.Millisecond)
		if in.Until == "" {
			time.Sleep(time.Until(deadline))
			return out, nil
		}
		for time.Now().Before(deadline) {
			if _, err := os.Stat(in.Until); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return out, nil
	})
}
