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
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE|windows.PROCESS_SUSPEND_RESUME, false, uint32(cmd.Process.Pid))
	if err == nil {
		defer windows.CloseHandle(h)
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
	mu  sync.Mutex
	job windows.Handle // 0 once released
}

func (t *jobTree) kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		windows.TerminateJobObject(t.job, 1)
	}
}

// peakMemoryMB is the job's peak committed memory.
func (t *jobTree) peakMemoryMB() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return 0
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	if err := windows.QueryInformationJobObject(t.job, windows.JobObjectExtendedLimitInformation, uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil); err != nil {
		return 0
	}
	return int((info.PeakJobMemoryUsed + 1<<20 - 1) >> 20)
}

func (t *jobTree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		windows.CloseHandle(t.job)
		t.job = 0
	}
}
