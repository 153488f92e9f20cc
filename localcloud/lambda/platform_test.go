package lambda

import (
	"bytes"
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

// TestBinPlatform reads headers of each format without building anything:
// the machine fields decide the answer.
func TestBinPlatform(t *testing.T) {
	elfHead := func(machine uint16) []byte {
		b := make([]byte, 64)
		copy(b, "\x7fELF\x02\x01\x01")
		b[16] = 2 // ET_EXEC
		b[18], b[19] = byte(machine), byte(machine>>8)
		b[20] = 1 // EV_CURRENT
		b[52] = 64
		return b
	}
	machoHead := func(cpu uint32) []byte {
		b := make([]byte, 32)
		copy(b, "\xcf\xfa\xed\xfe")
		b[4], b[5], b[6], b[7] = byte(cpu), byte(cpu>>8), byte(cpu>>16), byte(cpu>>24)
		b[12] = 2 // MH_EXECUTE
		return b
	}
	peHead := func(machine uint16) []byte {
		b := make([]byte, 0x80+24+240)
		copy(b, "MZ")
		b[0x3c] = 0x80
		copy(b[0x80:], "PE\x00\x00")
		b[0x84], b[0x85] = byte(machine), byte(machine>>8)
		b[0x94] = 240                 // SizeOfOptionalHeader
		b[0x98], b[0x99] = 0x0b, 0x02 // PE32+
		b[0x98+108] = 16              // NumberOfRvaAndSizes
		return b
	}
	tests := []struct {
		name   string
		head   []byte
		want   string
		format int
	}{
		{"linux amd64", elfHead(62), "linux/amd64", fmtELF},
		{"linux arm64", elfHead(183), "linux/arm64", fmtELF},
		{"darwin arm64", machoHead(0x0100000c), "darwin/arm64", fmtMachO},
		{"darwin amd64", machoHead(0x01000007), "darwin/amd64", fmtMachO},
		{"windows amd64", peHead(0x8664), "windows/amd64", fmtPE},
		{"windows arm64", peHead(0xaa64), "windows/arm64", fmtPE},
		{"text", []byte("hello, world"), "", fmtUnknown},
		{"empty", nil, "", fmtUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, format, err := binPlatform(bytes.NewReader(tt.head))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.format, format)
		})
	}
	_, format, err := binPlatform(bytes.NewReader([]byte("\xcf\xfa\xed\xfe short")))
	assert.Equal(t, fmtMachO, format)
	assert.ErrorContains(t, err, "damaged Mach-O")
}
