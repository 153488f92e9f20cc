package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// Options configures Build.
type Options struct {
	// Arch is the target architecture, "amd64" or "arm64" (the Lambda
	// architectures x86_64 and arm64); empty means the machine's own.
	Arch string
	// OS is the target operating system, a GOOS: "linux" for AWS (the
	// default of the lab kit's AWS target); empty means the machine's own,
	// which is what the local cloud can run.
	OS string
	// Stdout and Stderr receive the go command's output; nil discards it
	// (a failed build's output is still part of the returned error).
	Stdout, Stderr io.Writer
}

// EntryName is the name of the executable the provided runtimes start.
const EntryName = "bootstrap"

// EntryFor is the bootstrap's name in a zip built for goos: bootstrap.exe
// on Windows (what the local cloud on Windows starts), else bootstrap.
func EntryFor(goos string) string {
	if goos == "windows" {
		return EntryName + ".exe"
	}
	return EntryName
}

// magic is the start of an executable for each GOOS this package builds.
var magic = map[string][]string{
	"linux":   {"\x7fELF"},
	"darwin":  {"\xcf\xfa\xed\xfe", "\xca\xfe\xba\xbe"},
	"windows": {"MZ"},
}

// zipTime is the modification time of every entry: the earliest a zip can
// hold, so that the archive does not change with the clock.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Build compiles the Go main package in dir for opts.OS/opts.Arch and
// returns a zip holding one entry, EntryFor(OS), with mode 0755.
func Build(ctx context.Context, dir string, opts Options) ([]byte, error) {
	arch, err := normalizeArch(opts.Arch)
	if err != nil {
		return nil, err
	}
	goos := opts.OS
	if goos == "" {
		goos = runtime.GOOS
	}
	if _, ok := magic[goos]; !ok {
		return nil, errors.New("unsupported operating system " + goos + ": want linux, darwin or windows")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("package %s: not a directory", dir)
	}
	goBin, err := goCommand()
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp("", "lab-bundle-")
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, EntryFor(goos))

	var captured bytes.Buffer // go build reports errors on stderr
	// -buildvcs=false keeps the zip the same when only unrelated files of
	// the repository change (VCS stamping records the dirty flag).
	cmd := exec.CommandContext(ctx, goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+arch)
	cmd.Stdout = writerOr(opts.Stdout, io.Discard)
	cmd.Stderr = io.MultiWriter(&captured, writerOr(opts.Stderr, io.Discard))
	if err := cmd.Run(); err != nil {
		msg := bytes.TrimSpace(captured.Bytes())
		if len(msg) > 0 {
			return nil, fmt.Errorf("package %s: go build (GOOS=%s GOARCH=%s): %w\n%s", dir, goos, arch, err, msg)
		}
		return nil, fmt.Errorf("package %s: go build (GOOS=%s GOARCH=%s): %w", dir, goos, arch, err)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("package %s: %w", dir, err)
	}
	if !isExecutable(bin, goos) {
		return nil, fmt.Errorf("package %s: go build did not produce an executable: is %s a main package (package main with func main)?", dir, dir)
	}
	return ZipAs(EntryFor(goos), bin)
}

// BuildFile builds like Build and writes the zip to out.
func BuildFile(ctx context.Context, dir, out string, opts Options) error {
	b, err := Build(ctx, dir, opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

func isExecutable(bin []byte, goos string) bool {
	for _, m := range magic[goos] {
		if bytes.HasPrefix(bin, []byte(m)) {
			return true
		}
	}
	return false
}

// Zip returns a deterministic zip holding bin as the executable "bootstrap".
func Zip(bin []byte) ([]byte, error) { return ZipAs(EntryName, bin) }

// ZipAs returns a deterministic zip holding bin as the executable name.
func ZipAs(name string, bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
	// SetMode records Unix permissions in the external attributes (creator
	// Unix), which is what Lambda and unzip read to mark the file executable.
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	if _, err := w.Write(bin); err != nil {
		return nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip bootstrap: %w", err)
	}
	return buf.Bytes(), nil
}

// normalizeArch maps the accepted spellings to GOARCH values.
func normalizeArch(a string) (string, error) {
	switch a {
	case "":
		return runtime.GOARCH, nil
	case "amd64", "x86_64":
		return "amd64", nil
	case "arm64", "aarch64":
		return "arm64", nil
	}
	return "", errors.New("unsupported architecture " + a + ": Lambda runs amd64 (x86_64) or arm64")
}

// ErrNoGo is returned by Build when no Go toolchain can be found: Lambda
// functions are built from source, so `lab` needs one on the machine.
var ErrNoGo = errors.New("building a function needs the Go toolchain (Go 1.26 or newer), and there is no `go` command on PATH: " +
	"install Go from https://go.dev/dl/ (or brew install go, winget install GoLang.Go), then open a new terminal")

// goCommand returns the go command on PATH, else the one of the toolchain
// that built this program when it is still there, else ErrNoGo.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := runtime.GOROOT(); root != "" { //nolint:staticcheck // fallback only
		if p := filepath.Join(root, "bin", "go"+exeSuffix()); fileExists(p) {
			return p, nil
		}
	}
	return "", ErrNoGo
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func writerOr(w, def io.Writer) io.Writer {
	if w == nil {
		return def
	}
	return w
}
