package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controller end (what a
// terminal emulator reads and writes) and the terminal the program uses.
func openPTY(t *testing.T) (controller, tty *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { controller.Close() })
	fd := int(controller.Fd())
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0), "unlock the pty")
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	require.NoError(t, err)
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { tty.Close() })
	return controller, tty
}

// TestClassPasswdOnTerminalHasNoEcho types the password into a real
// pseudo-terminal: the terminal shows the prompt but not the password (the
// terminal's echo is off while it is read, and on again after), and the
// stored hash is of what was typed.
func TestClassPasswdOnTerminalHasNoEcho(t *testing.T) {
	t.Parallel()
	controller, tty := openPTY(t)
	const pw = "typed-on-a-terminal-42"

	var screen bytes.Buffer
	var mu sync.Mutex
	go func() { // what the terminal shows: everything written to it, echo included
		buf := make([]byte, 1024)
		for {
			n, err := controller.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	data := t.TempDir()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- runClassPasswd(context.Background(), []string{"--data", data}, tty, &out, tty) }()

	// Type only once echo is off (the prompt is written after).
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		prompted := strings.Contains(screen.String(), "not shown")
		mu.Unlock()
		if prompted {
			break
		}
		require.True(t, time.Now().Before(deadline), "no prompt on the terminal")
		time.Sleep(10 * time.Millisecond)
	}
	_, err := controller.WriteString(pw + "\r")
	require.NoError(t, err)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("lab class passwd did not finish reading the terminal")
	}
	assert.True(t, storedHashMatches(t, data, pw))

	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	require.NoError(t, err)
	assert.NotZero(t, termios.Lflag&unix.ECHO, "echo is on again afterwards")
	// Anything echoed would have been written before the newline the
	// command prints after reading; give the reader a moment to drain.
	_, err = tty.WriteString("end-of-test\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(screen.String(), "end-of-test")
	}, 10*time.Second, 10*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.NotContains(t, screen.String(), pw, "the password was echoed on the terminal:\n%q", screen.String())
}
