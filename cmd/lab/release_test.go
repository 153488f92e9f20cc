package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReleaseBinaryOutsideAClone is a learner with a prebuilt `lab` (built
// as .ci/release builds it: -trimpath, stripped, no VCS stamp) in a folder
// that is no clone: `lab solve lab2` builds the functions from the sources
// the binary carries (extracted into the user cache directory) and `lab
// check lab2` passes. Without a Go toolchain on PATH, solve fails and says
// what to install.
func TestReleaseBinaryOutsideAClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release binary and the lab 2 functions")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the user cache directory is moved with XDG_CACHE_HOME, which only Linux reads")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	t.Parallel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin", "lab")
	build := exec.Command(goBin, "build", "-tags", "nomsgpack", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	bout, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", bout)

	url := kitCloud(t)
	gocache, err := exec.Command(goBin, "env", "GOCACHE").Output()
	require.NoError(t, err)
	work := filepath.Join(tmp, "work") // no go.mod here or above
	require.NoError(t, os.MkdirAll(work, 0o755))
	run := func(env []string, args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = work
		cmd.Env = env
		var b bytes.Buffer
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), b.String()
		}
		require.NoError(t, err, b.String())
		return 0, b.String()
	}
	userEnv := func(cache, path string) []string {
		var env []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			switch k {
			case "PATH", "GOROOT", "XDG_CACHE_HOME", "LABKIT_CONFIG", "GOCACHE", "GOFLAGS":
				continue
			}
			env = append(env, kv)
		}
		return append(env, "PATH="+path, "XDG_CACHE_HOME="+cache,
			"LABKIT_CONFIG="+filepath.Join(tmp, "config.json"), "GOCACHE="+strings.TrimSpace(string(gocache)))
	}
	cache := filepath.Join(tmp, "cache")
	code, out := run(userEnv(cache, os.Getenv("PATH")), "solve", "lab2", "--endpoint", url)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, filepath.Join(cache, "labkit", "src")+string(filepath.Separator), "built from the sources the binary carries")
	code, out = run(userEnv(cache, os.Getenv("PATH")), "check", "lab2", "--endpoint", url, "--data", filepath.Join(tmp, "data"))
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, " 0 failed")

	// No Go: a fresh cache (nothing built yet) and a PATH without go.
	noGo := filepath.Join(tmp, "empty-bin")
	require.NoError(t, os.MkdirAll(noGo, 0o755))
	code, out = run(userEnv(filepath.Join(tmp, "cache2"), noGo), "solve", "lab2", "--endpoint", url, "--account", "111122223333")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "needs the Go toolchain")
	assert.Contains(t, out, "https://go.dev/dl/")
}
