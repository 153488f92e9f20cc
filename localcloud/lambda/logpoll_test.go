//go:build linux || windows

package lambda

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// polledReader starts the polled log reader (Windows' way) on a real pipe
// and returns the pipe's write end, the lines read so far, and a channel
// closed when the reader ends.
func polledReader(t *testing.T) (*logReader, *os.File, func() []string, chan struct{}) {
	r, p, w := testPeekPipe(t)
	var mu sync.Mutex
	var lines []string
	lr := newLogReader(r, func(l string) {
		mu.Lock()
		lines = append(lines, l)
		mu.Unlock()
	})
	lr.peek = p
	done := make(chan struct{})
	go func() {
		lr.run()
		close(done)
	}()
	t.Cleanup(func() {
		w.Close()
		<-done
	})
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
	return lr, w, got, done
}

// TestPolledLogReaderDrain: what a function wrote before it answered is
// in its log when the invocation ends (drain), also a last line without a
// newline, while the reader polls concurrently; nothing is read twice.
func TestPolledLogReaderDrain(t *testing.T) {
	lr, w, got, _ := polledReader(t)
	write := func(s string) {
		_, err := w.WriteString(s)
		require.NoError(t, err)
	}
	for round := range 50 {
		want := got()
		for i := range 3 {
			line := fmt.Sprintf("round %d line %d", round, i)
			write(line + "\n")
			want = append(want, line)
		}
		write("no newline\r")
		want = append(want, "no newline\r")
		lr.drain()
		require.Equal(t, want, got(), "round %d: drain returned before every written line was read", round)
	}
}

// TestPolledLogReaderLongLineAndEOF: a line longer than the read buffer
// arrives whole, and the reader ends once the writer is gone.
func TestPolledLogReaderLongLineAndEOF(t *testing.T) {
	lr, w, got, done := polledReader(t)
	long := strings.Repeat("x", 3*len(lr.buf)/2)
	_, err := w.WriteString(long + "\nlast")
	require.NoError(t, err)
	w.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the reader did not end when the writer closed")
	}
	assert.Equal(t, []string{long, "last"}, got())
	lr.drain() // after the end: no effect, no panic
	assert.Len(t, got(), 2)
}
