package lambda

import (
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ntResumeProcess resumes every thread of a process started suspended (the
// os/exec package does not hand out the main thread's handle).
var ntResumeProcess = windows.NewLazySystemDLL("ntdll.dll").NewProc("NtResumeProcess")

// getProcessMemoryInfo is psapi's GetProcessMemoryInfo, exported by
// kernel32 since Windows 7.
var getProcessMemoryInfo = windows.NewLazySystemDLL("kernel32.dll").NewProc("K32GetProcessMemoryInfo")

// processMemoryCounters is PROCESS_MEMORY_COUNTERS (<psapi.h>).
type processMemoryCounters struct {
	cb                         uint32
	pageFaultCount             uint32
	peakWorkingSetSize         uintptr
	workingSetSize             uintptr
	quotaPeakPagedPoolUsage    uintptr
	quotaPagedPoolUsage        uintptr
	quotaPeakNonPagedPoolUsage uintptr
	quotaNonPagedPoolUsage     uintptr
	pagefileUsage              uintptr
	peakPagefileUsage          uintptr
}

type windowsStarter struct{}

func newHostStarter(*slog.Logger) procStarter { return windowsStarter{} }

// start creates a Job Object that kills its processes when its last handle
// closes (the cloud exiting closes it), starts the bootstrap suspended,
// puts it in the job and only then lets it run, so that everything it
// starts is in the job too.
func (windowsStarter) start(cmd *exec.Cmd, _ string) (procTree, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation, uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("set job object limits: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, err
	}
	t := &jobTree{job: job}
	// The tree keeps this handle to read the bootstrap's memory counters
	// (a pid may be reused once the process exits).
	const access = windows.PROCESS_SET_QUOTA | windows.PROCESS_TERMINATE | windows.PROCESS_SUSPEND_RESUME |
		windows.PROCESS_QUERY_LIMITED_INFORMATION | windows.PROCESS_VM_READ
	h, err := windows.OpenProcess(access, false, uint32(cmd.Process.Pid))
	if err == nil {
		t.proc = h
		err = windows.AssignProcessToJobObject(job, h)
	}
	if err == nil {
		if r, _, _ := ntResumeProcess.Call(uintptr(h)); r != 0 {
			err = fmt.Errorf("NtResumeProcess: status %#x", r)
		}
	}
	if err != nil {
		cmd.Process.Kill()
		t.kill()
		t.release()
		return nil, fmt.Errorf("put the bootstrap in its job object: %w", err)
	}
	return t, nil
}

func (windowsStarter) close() {}

// jobTree is a bootstrap and its descendants in one Job Object.
type jobTree struct {
	mu   sync.Mutex
	job  windows.Handle // 0 once released
	proc windows.Handle // the bootstrap, for its memory counters; 0 if none
}

func (t *jobTree) kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		windows.TerminateJobObject(t.job, 1)
	}
}

// peakMemoryMB is the larger of the job's peak committed memory (the whole
// tree's) and the bootstrap's peak working set (resident memory, what Linux
// reports): a system that does not account job memory (Wine answers 0)
// still gets a figure.
func (t *jobTree) peakMemoryMB() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return 0
	}
	var peak uint64
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	if err := windows.QueryInformationJobObject(t.job, windows.JobObjectExtendedLimitInformation, uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil); err == nil {
		peak = uint64(info.PeakJobMemoryUsed)
	}
	if t.proc != 0 {
		peak = max(peak, peakWorkingSet(t.proc))
	}
	return int((peak + 1<<20 - 1) >> 20)
}

// peakWorkingSet is a process's peak working set in bytes, 0 when it
// cannot be read.
func peakWorkingSet(h windows.Handle) uint64 {
	c := processMemoryCounters{cb: uint32(unsafe.Sizeof(processMemoryCounters{}))}
	if r, _, _ := getProcessMemoryInfo.Call(uintptr(h), uintptr(unsafe.Pointer(&c)), uintptr(c.cb)); r == 0 {
		return 0
	}
	return uint64(c.peakWorkingSetSize)
}

func (t *jobTree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		windows.CloseHandle(t.job)
		t.job = 0
	}
	if t.proc != 0 {
		windows.CloseHandle(t.proc)
		t.proc = 0
	}
}
