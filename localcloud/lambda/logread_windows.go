package lambda

import "syscall"

// pollable is false: Windows anonymous pipes are not in the poller, so the
// log pipe is read by a blocking loop and drain takes nothing extra.
const pollable = false

func readFD(fd uintptr, b []byte) (int, error) { return syscall.Read(syscall.Handle(fd), b) }
