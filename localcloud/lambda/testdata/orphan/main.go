// Command orphan is a test function that tries to leave a process behind:
// it starts a copy of itself as detached as the OS lets it (Unix: setsid, a
// new session and process group, out of the bootstrap's; Windows: breaking
// away from the bootstrap's job, else a new process group without a
// console), writes its own pid, that child's and how it detached to the
// payload's pidFile, then hangs ("hang"), crashes ("crash") once the file
// pidFile+".go" exists, or answers ("return"). The child shares the
// bootstrap's standard output and error: it holds the log pipe's write end.
package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type input struct {
	Mode    string `json:"mode"`
	PIDFile string `json:"pidFile"`
}

type output struct {
	PID      int `json:"pid"`
	ChildPID int `json:"childPid"`
}

func main() {
	if os.Getenv("ORPHAN_CHILD") == "1" {
		// The escaped child: its parent's death must not end it, only the
		// cloud's tree control. (A goroutine blocked forever would end
		// it: Go reports the deadlock and exits.)
		for {
			time.Sleep(time.Hour)
		}
	}
	lambda.Start(func(ctx context.Context, in input) (output, error) {
		out := output{PID: os.Getpid()}
		self, err := os.Executable()
		if err != nil {
			return out, err
		}
		cmd, how, err := startDetached(func() *exec.Cmd {
			cmd := exec.Command(self)
			cmd.Env = append(os.Environ(), "ORPHAN_CHILD=1")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			return cmd
		})
		if err != nil {
			return out, err
		}
		out.ChildPID = cmd.Process.Pid
		pids := strconv.Itoa(out.PID) + " " + strconv.Itoa(out.ChildPID) + " " + how
		if err := os.WriteFile(in.PIDFile, []byte(pids), 0o600); err != nil {
			return out, err
		}
		switch in.Mode {
		case "hang":
			time.Sleep(time.Hour)
		case "crash":
			// The test's signal that it has seen the environment.
			for range 3000 {
				if _, err := os.Stat(in.PIDFile + ".go"); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			os.Exit(2)
		}
		return out, nil
	})
}
