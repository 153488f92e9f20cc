package bundle_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/kit/bundle"
)

// readBootstrap returns the zip's only entry, failing unless it is the
// executable bootstrap.
func readBootstrap(t testing.TB, b []byte) (*zip.File, []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("read zip: %v", err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("got %d entries, want 1", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != "bootstrap" {
		t.Fatalf("got entry %q, want bootstrap", f.Name)
	}
	if got := f.Mode().Perm(); got != 0o755 {
		t.Errorf("got mode %v, want 0755", got)
	}
	if got := f.ExternalAttrs >> 16; got&0o111 == 0 {
		t.Errorf("external attributes %o lack the executable bits", got)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	bin, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return f, bin
}

func machine(t testing.TB, bin []byte) elf.Machine {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not ELF: %v", err)
	}
	return ef.Machine
}

func TestBuild(t *testing.T) {
	ctx := context.Background()
	b, err := bundle.Build(ctx, "testdata/hello", bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, bin := readBootstrap(t, b)
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if got := machine(t, bin); want != 0 && got != want {
		t.Errorf("got machine %v, want %v", got, want)
	}
	if !f.Modified.Equal(f.Modified.UTC()) || f.Modified.Year() != 1980 {
		t.Errorf("got modified %v, want the fixed 1980 timestamp", f.Modified)
	}

	again, err := bundle.Build(ctx, "testdata/hello", bundle.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Errorf("two builds of the same source differ: the zip is not deterministic")
	}

	out := filepath.Join(t.TempDir(), "fn.zip")
	if err := bundle.BuildFile(ctx, "testdata/hello", out, bundle.Options{Arch: runtime.GOARCH}); err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, b) {
		t.Errorf("BuildFile wrote different bytes than Build returned")
	}
}

func TestBuildOtherArch(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiling the runtime for another architecture is slow on a cold cache")
	}
	other, want := "arm64", elf.EM_AARCH64
	if runtime.GOARCH == "arm64" {
		other, want = "amd64", elf.EM_X86_64
	}
	b, err := bundle.Build(context.Background(), "testdata/hello", bundle.Options{Arch: other})
	if err != nil {
		t.Fatal(err)
	}
	_, bin := readBootstrap(t, b)
	if got := machine(t, bin); got != want {
		t.Errorf("got machine %v, want %v", got, want)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dir, arch, want string
	}{
		{"not main", "testdata/notmain", "", "main package"},
		{"compile error", "testdata/broken", "", "undefinedCall"},
		{"missing dir", "testdata/nope", "", "testdata/nope"},
		{"bad arch", "testdata/hello", "386", "unsupported architecture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := bundle.Build(context.Background(), tt.dir, bundle.Options{Arch: tt.arch})
			if err == nil {
				t.Fatalf("got no error, want one mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestZipIsExecutableForUnzip(t *testing.T) {
	t.Parallel()
	b, err := bundle.Zip([]byte("\x7fELF fake"))
	if err != nil {
		t.Fatal(err)
	}
	f, bin := readBootstrap(t, b)
	if string(bin) != "\x7fELF fake" {
		t.Errorf("got content %q", bin)
	}
	if f.CreatorVersion>>8 != 3 {
		t.Errorf("got creator %d, want 3 (Unix) so unzip honours the mode", f.CreatorVersion>>8)
	}
}

func ExampleBuild() {
	zipBytes, err := bundle.Build(context.Background(), "testdata/hello", bundle.Options{Arch: "amd64"})
	if err != nil {
		panic(err)
	}
	_ = zipBytes // upload as Code.ZipFile with CreateFunction
}

// TestBuildForOS: the local cloud on a Mac or a Windows laptop runs
// bootstraps built for it; Windows's is bootstrap.exe.
func TestBuildForOS(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiling the runtime for another OS is slow on a cold cache")
	}
	t.Parallel()
	tests := []struct {
		goos, arch, entry, magic string
	}{
		{"darwin", "arm64", "bootstrap", "\xcf\xfa\xed\xfe"},
		{"windows", "amd64", "bootstrap.exe", "MZ"},
		{"linux", "", "bootstrap", "\x7fELF"},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			t.Parallel()
			b, err := bundle.Build(context.Background(), "testdata/hello", bundle.Options{OS: tt.goos, Arch: tt.arch})
			require.NoError(t, err)
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			require.NoError(t, err)
			require.Len(t, zr.File, 1)
			assert.Equal(t, tt.entry, zr.File[0].Name)
			assert.Equal(t, tt.entry, bundle.EntryFor(tt.goos))
			rc, err := zr.File[0].Open()
			require.NoError(t, err)
			head := make([]byte, 4)
			_, err = io.ReadFull(rc, head)
			rc.Close()
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(head), tt.magic), "got header %q", head)
		})
	}
	_, err := bundle.Build(context.Background(), "testdata/hello", bundle.Options{OS: "plan9"})
	require.ErrorContains(t, err, "unsupported operating system plan9")
}
