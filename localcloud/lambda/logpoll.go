package lambda

import "time"

// peekPipe is a pipe's read end that says how many bytes it holds, for
// systems whose pipes the runtime poller cannot watch (Windows' anonymous
// pipes). Reading only what it holds never blocks, so the log reader and
// drain can share the pipe under the reader's lock, and drain takes every
// byte the function wrote before it answered.
type peekPipe interface {
	// buffered returns how many bytes can be read without blocking; an
	// error (io.EOF) once every writer is gone and nothing is left.
	buffered() (int, error)
	Read(b []byte) (int, error)
}

// The polled reader waits pollMin after data, doubling to pollMax while
// the pipe stays empty: a function's lines reach its log stream within
// pollMax while it runs, and all of them by the end of the invocation
// (drain).
const (
	pollMin = time.Millisecond
	pollMax = 25 * time.Millisecond
)

// runPolled reads p until every writer is gone, never blocking in a read.
func (lr *logReader) runPolled(p peekPipe) {
	wait := pollMin
	for {
		lr.mu.Lock()
		got, done := lr.readBuffered(p)
		lr.mu.Unlock()
		if done {
			return
		}
		if got {
			wait = pollMin
			continue
		}
		time.Sleep(wait)
		wait = min(2*wait, pollMax)
	}
}

// readBuffered consumes what p holds now; lr.mu is held. done is true once
// the pipe is finished.
func (lr *logReader) readBuffered(p peekPipe) (got, done bool) {
	for !lr.eof {
		n, err := p.buffered()
		if err != nil {
			lr.finish()
			break
		}
		if n == 0 {
			return got, false
		}
		m, err := p.Read(lr.buf[:min(n, len(lr.buf))])
		if m > 0 {
			lr.consume(lr.buf[:m])
			got = true
		}
		if err != nil {
			lr.finish()
		}
	}
	return got, true
}
