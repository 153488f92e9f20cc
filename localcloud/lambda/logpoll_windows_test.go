package lambda

import (
	"os"
	"testing"
)

func testPeekPipe(t *testing.T) (*os.File, peekPipe, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, newPeekPipe(r), w
}
