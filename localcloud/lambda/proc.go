package lambda

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"os/exec"
)

// procTree is an environment's bootstrap process and every process it
// starts, controlled the way the host OS allows. Each implementation gives
// the same guarantee: the whole tree dies at a timeout, when the environment
// is reaped and when the cloud exits, including descendants that left the
// bootstrap's process group or session (setsid).
//
//   - Linux (proc_linux.go): a process group, Pdeathsig for the bootstrap,
//     a sweep of /proc for processes carrying the environment's marker, and
//     the watchdog (watchdog_unix.go) for descendants when the cloud dies.
//   - macOS (proc_darwin.go): a process group, the same sweep through the
//     kern.procargs2 sysctl, and the watchdog.
//   - Windows (proc_windows.go): a Job Object with
//     JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE; the process starts suspended and
//     runs only once it is in the job.
type procTree interface {
	// kill kills every process of the tree. It is safe to call more than
	// once and after the bootstrap has exited.
	kill()
	// peakMemoryMB is the bootstrap's peak memory so far in MiB, 0 when
	// the OS does not say.
	peakMemoryMB() int
	// release frees what the tree holds, once the bootstrap was reaped and
	// the tree killed.
	release()
}

// procStarter starts bootstraps as procTrees. A Service has one: it holds
// what outlives an environment (the watchdog on Unix).
type procStarter interface {
	// start starts cmd. marker is a "KEY=VALUE" entry of cmd.Env unique to
	// this environment; the processes that inherit it are its tree.
	start(cmd *exec.Cmd, marker string) (procTree, error)
	// close ends what the starter holds; environments are gone by then.
	close()
}

// newProcStarter returns the host OS's procStarter (newHostStarter in the
// proc_*.go files).
func newProcStarter(log *slog.Logger) procStarter { return newHostStarter(log) }

// environHas reports whether a NUL-separated environment block (the format
// of /proc/PID/environ) holds the entry marker exactly.
func environHas(block []byte, marker string) bool {
	for len(block) > 0 {
		entry, rest, _ := bytes.Cut(block, []byte{0})
		if string(entry) == marker {
			return true
		}
		block = rest
	}
	return false
}

// environMarkers calls found with each entry of a NUL-separated
// environment block that is one of markers.
func environMarkers(block []byte, markers map[string]bool, found func(marker string)) {
	for len(block) > 0 {
		entry, rest, _ := bytes.Cut(block, []byte{0})
		if markers[string(entry)] {
			found(string(entry))
		}
		block = rest
	}
}

// procArgsEnviron returns the environment block of a macOS kern.procargs2
// answer: a 32-bit argc, the executable path, NUL padding, argc arguments,
// then the environment, each NUL-terminated. Nil when b is malformed.
func procArgsEnviron(b []byte) []byte {
	if len(b) < 4 {
		return nil
	}
	argc := int(binary.LittleEndian.Uint32(b))
	rest := b[4:]
	// The executable path, then the NULs padding it.
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return nil
	}
	rest = rest[i:]
	for len(rest) > 0 && rest[0] == 0 {
		rest = rest[1:]
	}
	for ; argc > 0; argc-- {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
	}
	return rest
}

// rusage_info_v4 (<sys/resource.h>), which proc_pid_rusage fills for the
// flavor RUSAGE_INFO_V4: a 16-byte UUID then 35 uint64 fields, the 29th
// being ri_lifetime_max_phys_footprint (bytes).
const (
	rusageInfoV4                 = 4
	rusageInfoV4Size             = 16 + 35*8
	rusageLifetimeMaxFootprintAt = 16 + 28*8
)

// rusagePeakMB reads the lifetime peak physical footprint, in MiB rounded
// up, from a rusage_info_v4 (little-endian, as on every Mac); 0 when b is
// too short.
func rusagePeakMB(b []byte) int {
	if len(b) < rusageInfoV4Size {
		return 0
	}
	v := binary.LittleEndian.Uint64(b[rusageLifetimeMaxFootprintAt:])
	return int((v + 1<<20 - 1) >> 20)
}
