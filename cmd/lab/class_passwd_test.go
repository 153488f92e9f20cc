package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/labkit-dev/labkit/web/progress"
)

// storedHashMatches reports whether the instructor hash in data's database
// is the bcrypt hash of pw.
func storedHashMatches(t *testing.T, data, pw string) bool {
	t.Helper()
	store, err := progress.Open(context.Background(), filepath.Join(data, "progress.db"))
	require.NoError(t, err)
	defer store.Close()
	h, err := store.InstructorHash(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, h)
	return bcrypt.CompareHashAndPassword(h, []byte(pw)) == nil
}

// TestClassPasswdFromPipe: a script pipes the password on standard input
// (not a terminal): it is read as a line, and only its hash is stored.
func TestClassPasswdFromPipe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, want string
	}{
		{"line", "correct-horse-battery\n", "correct-horse-battery"},
		{"crlf", "correct-horse-battery\r\n", "correct-horse-battery"},
		{"no newline", "correct-horse-battery", "correct-horse-battery"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			go func() { w.WriteString(tc.input); w.Close() }()
			data := t.TempDir()
			var out, errb bytes.Buffer
			require.NoError(t, runClassPasswd(context.Background(), []string{"--data", data}, r, &out, &errb), errb.String())
			assert.Contains(t, out.String(), "saved a bcrypt hash")
			assert.NotContains(t, out.String()+errb.String(), tc.want, "the password is never printed")
			assert.True(t, storedHashMatches(t, data, tc.want))
			db, err := os.ReadFile(filepath.Join(data, "progress.db"))
			require.NoError(t, err)
			assert.NotContains(t, string(db), tc.want, "the password is not in the database")
		})
	}
}

// TestClassPasswdRefusesShort: too short a password is refused (exit 2)
// and nothing is stored.
func TestClassPasswdRefusesShort(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	go func() { w.WriteString("short\n"); w.Close() }()
	data := t.TempDir()
	var out, errb bytes.Buffer
	err = runClassPasswd(context.Background(), []string{"--data", data}, r, &out, &errb)
	var ee *exitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.code)
	assert.NoFileExists(t, filepath.Join(data, "progress.db"))
}
