package lambda

import (
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// fionreadPipe is a Linux pipe seen the way Windows' PeekNamedPipe shows
// one (bytes waiting, then EOF once the writers are gone), so the polled
// reader that Windows uses runs here on a real pipe.
type fionreadPipe struct {
	f  *os.File
	fd int
}

func (p fionreadPipe) buffered() (int, error) {
	n, err := unix.IoctlGetInt(p.fd, unix.TIOCINQ)
	if err != nil || n > 0 {
		return n, err
	}
	fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return 0, err
	}
	if fds[0].Revents&unix.POLLHUP != 0 {
		return 0, io.EOF
	}
	return 0, nil
}

func (p fionreadPipe) Read(b []byte) (int, error) { return p.f.Read(b) }

func testPeekPipe(t *testing.T) (*os.File, peekPipe, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, fionreadPipe{f: r, fd: int(r.Fd())}, w
}
