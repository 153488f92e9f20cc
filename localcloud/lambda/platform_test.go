package lambda

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/kit/bundle"
	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestInvokeOtherPlatform deploys zips built (by the real go toolchain) for
// an OS this machine is not: the first invoke fails, before any process
// starts, with Runtime.InvalidEntrypoint naming both platforms and the
// commands that rebuild it.
func TestInvokeOtherPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles for darwin and windows")
	}
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	tests := []struct{ goos, goarch, entry string }{
		{"darwin", "arm64", "bootstrap"},
		{"windows", "amd64", "bootstrap.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			t.Parallel()
			if tt.goos == runtime.GOOS {
				t.Skip("this machine runs " + tt.goos)
			}
			code, err := bundle.Build(context.Background(), "testdata/echo", bundle.Options{OS: tt.goos, Arch: tt.goarch})
			require.NoError(t, err)
			name := "from-" + tt.goos
			createFunction(t, c, name, code, nil)
			start := time.Now()
			out := invoke(t, c, name, `{}`, withTail)
			took := time.Since(start)
			e := fnErrorOf(t, out)
			assert.Equal(t, "Runtime.InvalidEntrypoint", e.Type)
			for _, want := range []string{
				tt.entry + " is built for " + tt.goos + "/" + tt.goarch,
				"this local cloud runs on " + runtime.GOOS + "/" + runtime.GOARCH,
				"`lab deploy " + name + "`",
				"`lab package DIR`",
			} {
				assert.Contains(t, e.Message, want)
			}
			assert.Contains(t, tailOf(t, out), "Runtime.InvalidEntrypoint")
			assert.False(t, strings.Contains(tailOf(t, out), "INIT_START"), "no process may start")
			t.Logf("failed in %v: %s", took, e.Message)
		})
	}
}
