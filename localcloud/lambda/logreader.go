package lambda

// How a function process's output becomes log lines.

import (
	"bytes"
	"os"
	"sync"
	"syscall"
)

// logReader turns a process's output pipe into lines. Reads happen under mu,
// so drain can consume everything the process wrote before it answered.
type logReader struct {
	mu      sync.Mutex
	f       *os.File
	rc      syscall.RawConn
	buf     []byte
	partial []byte
	onLine  func(string)
	eof     bool
	peek    peekPipe // set where the pipe is not pollable (Windows)
}

const maxLogLine = 256 * 1024

func newLogReader(f *os.File, onLine func(string)) *logReader {
	lr := &logReader{f: f, buf: make([]byte, 64*1024), onLine: onLine}
	if pollable {
		if rc, err := f.SyscallConn(); err == nil {
			lr.rc = rc
		}
	} else {
		lr.peek = newPeekPipe(f)
	}
	return lr
}

// run reads until the pipe's last writer is gone.
func (lr *logReader) run() {
	defer lr.f.Close()
	if lr.peek != nil {
		lr.runPolled(lr.peek)
		return
	}
	if lr.rc == nil {
		lr.runBlocking()
		return
	}
	for {
		done := false
		err := lr.rc.Read(func(fd uintptr) bool {
			lr.mu.Lock()
			defer lr.mu.Unlock()
			if lr.eof {
				done = true
				return true
			}
			n, err := readFD(fd, lr.buf)
			if err == syscall.EAGAIN {
				return false
			}
			if err == syscall.EINTR {
				return true
			}
			if n <= 0 || err != nil {
				lr.finish()
				done = true
				return true
			}
			lr.consume(lr.buf[:n])
			return true
		})
		if err != nil || done {
			lr.mu.Lock()
			lr.finish()
			lr.mu.Unlock()
			return
		}
	}
}

func (lr *logReader) runBlocking() {
	for {
		n, err := lr.f.Read(lr.buf)
		lr.mu.Lock()
		if n > 0 {
			lr.consume(lr.buf[:n])
		}
		if err != nil {
			lr.finish()
			lr.mu.Unlock()
			return
		}
		lr.mu.Unlock()
	}
}

// drain consumes whatever the process has written so far, including a last
// line without its newline.
func (lr *logReader) drain() {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.peek != nil {
		lr.readBuffered(lr.peek)
		lr.flushPartial()
		return
	}
	if lr.eof || lr.rc == nil {
		return
	}
	lr.rc.Control(func(fd uintptr) {
		for {
			n, err := readFD(fd, lr.buf)
			if n > 0 {
				lr.consume(lr.buf[:n])
				continue
			}
			if err == syscall.EINTR {
				continue
			}
			if err == nil && n == 0 {
				lr.finish()
			}
			return
		}
	})
	lr.flushPartial()
}

// flushPartial hands on a last line without its newline; lr.mu is held.
func (lr *logReader) flushPartial() {
	if len(lr.partial) > 0 {
		lr.onLine(string(lr.partial))
		lr.partial = lr.partial[:0]
	}
}

func (lr *logReader) consume(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			lr.partial = append(lr.partial, b...)
			if len(lr.partial) >= maxLogLine {
				lr.onLine(string(lr.partial))
				lr.partial = lr.partial[:0]
			}
			return
		}
		line := b[:i]
		if len(lr.partial) > 0 {
			line = append(lr.partial, line...)
			lr.partial = lr.partial[:0]
		}
		lr.onLine(string(bytes.TrimSuffix(line, []byte("\r"))))
		b = b[i+1:]
	}
}

func (lr *logReader) finish() {
	if lr.eof {
		return
	}
	lr.eof = true
	if len(lr.partial) > 0 {
		lr.onLine(string(lr.partial))
		lr.partial = nil
	}
}
