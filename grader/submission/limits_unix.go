//go:build unix

package submission

import (
	"fmt"
	"syscall"
)

// applyLimits sets this process's soft and hard limits, which every process
// it starts inherits and none can raise.
func applyLimits(l Limits) error {
	for _, r := range []struct {
		name     string
		resource int
		value    uint64
	}{
		{"CPU", syscall.RLIMIT_CPU, l.CPUSeconds},
		{"AS", syscall.RLIMIT_AS, l.AddressMiB << 20},
		{"FSIZE", syscall.RLIMIT_FSIZE, l.FileMiB << 20},
		{"NOFILE", syscall.RLIMIT_NOFILE, l.OpenFiles},
	} {
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(r.resource, &cur); err != nil {
			return fmt.Errorf("get RLIMIT_%s: %w", r.name, err)
		}
		v := min(r.value, cur.Max)
		if err := syscall.Setrlimit(r.resource, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
			return fmt.Errorf("set RLIMIT_%s to %d: %w", r.name, v, err)
		}
	}
	return nil
}
