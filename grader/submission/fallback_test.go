//go:build linux

package submission_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader"
)

// TestSandboxFallsBackWhenNamespacesAreRefused: where the namespaced child
// cannot start (here a wrapper refuses --jail, as a kernel or Docker's
// seccomp profile would), the submission is still graded, with the weaker
// isolation, and the instructor is warned.
func TestSandboxFallsBackWhenNamespacesAreRefused(t *testing.T) {
	ctx := context.Background()
	src := startCloud(t)
	solved(t, src, "lab1")
	path := filepath.Join(t.TempDir(), "sub.zip")
	require.NoError(t, os.WriteFile(path, export(t, src, nil), 0o600))

	exe, err := os.Executable()
	require.NoError(t, err)
	wrapper := filepath.Join(t.TempDir(), "refuse-jail")
	require.NoError(t, os.WriteFile(wrapper, []byte(`#!/bin/sh
for a in "$@"; do
	if [ "$a" = "--jail" ]; then echo "operation not permitted" >&2; exit 1; fi
done
exec "`+exe+`" "$@"
`), 0o755))
	var logs bytes.Buffer
	sb := sandbox(t)
	sb.Exe = wrapper
	sb.Log = slog.New(slog.NewTextHandler(&logs, nil))
	rs, err := sb.Grade(ctx, path, []string{"lab1"})
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	for _, r := range rs {
		assert.Equal(t, grader.Pass, r.Status, "%s: %s", r.CheckID, r.Reason)
	}
	assert.Contains(t, logs.String(), "Linux namespaces refused")
	assert.Contains(t, logs.String(), `isolation="own process group, rlimits, empty environment"`)
}
