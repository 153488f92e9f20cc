// Command sleep is a test function: it sleeps for the payload's "ms"
// milliseconds and can start a child process ("spawn") to prove that the
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
	MS    int  `json:"ms"`
	Spawn bool `json:"spawn"`
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
		time.Sleep(time.Duration(in.MS) * time.Millisecond)
		return out, nil
	})
}
