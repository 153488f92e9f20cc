//go:build unix && !linux

package lambda

import (
	"errors"
	"syscall"
)

// processGone reports whether pid no longer runs.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
