package lambda

import (
	"errors"
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// pollable is false: Windows anonymous pipes are not in the poller, so the
// log pipe is read through PeekNamedPipe (peekPipe), which also lets drain
// take everything the process wrote before it answered.
const pollable = false

func readFD(fd uintptr, b []byte) (int, error) { return syscall.Read(syscall.Handle(fd), b) }

var peekNamedPipe = windows.NewLazySystemDLL("kernel32.dll").NewProc("PeekNamedPipe")

// windowsPipe is an anonymous pipe's read end.
type windowsPipe struct {
	f *os.File
	h uintptr
}

func newPeekPipe(f *os.File) peekPipe { return windowsPipe{f: f, h: f.Fd()} }

// buffered asks PeekNamedPipe for the bytes waiting; a pipe whose writers
// are all gone answers ERROR_BROKEN_PIPE.
func (p windowsPipe) buffered() (int, error) {
	var avail uint32
	r, _, err := peekNamedPipe.Call(p.h, 0, 0, 0, uintptr(unsafe.Pointer(&avail)), 0)
	if r == 0 {
		if errors.Is(err, windows.ERROR_BROKEN_PIPE) {
			return 0, io.EOF
		}
		return 0, err
	}
	return int(avail), nil
}

func (p windowsPipe) Read(b []byte) (int, error) { return p.f.Read(b) }
