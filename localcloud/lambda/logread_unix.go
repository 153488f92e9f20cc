//go:build unix

package lambda

import (
	"os"
	"syscall"
)

// pollable says the log pipe can be read without blocking through its
// RawConn, which lets drain take what the process wrote so far.
const pollable = true

func readFD(fd uintptr, b []byte) (int, error) { return syscall.Read(int(fd), b) }

// newPeekPipe is not needed where pipes are pollable.
func newPeekPipe(*os.File) peekPipe { return nil }
