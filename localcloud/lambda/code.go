package lambda

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// entrypoint is the executable a function's environment starts: bootstrap
// for the provided runtimes; go1.x ran the Handler file.
func entrypoint(f *function, dir string) string {
	if f.Runtime == "go1.x" {
		if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil && f.Handler != "" {
			return filepath.Join(dir, filepath.Clean("/" + f.Handler)[1:])
		}
	}
	return filepath.Join(dir, "bootstrap")
}

// rebuildHint tells the learner how to produce a bootstrap this machine runs.
func rebuildHint() string {
	return fmt.Sprintf("rebuild with `go run ./cmd/lab package <dir>` (GOOS=linux GOARCH=%s)", runtime.GOARCH)
}

// checkEntrypoint reports why path cannot be started here as a Lambda
// bootstrap, or nil when it can.
func checkEntrypoint(path string) error {
	name := filepath.Base(path)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(path); lerr == nil {
			return fmt.Errorf("%s is a symbolic link to a file that is not in the zip", name)
		}
		return fmt.Errorf("the zip has no file named %s at its root", name)
	}
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", name, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory, not an executable", name)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable (mode %04o): zip it with its executable bit set", name, fi.Mode().Perm())
	}
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", name, err)
	}
	defer fh.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(fh, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return checkELF(fh, name)
	case bytes.HasPrefix(head, []byte("#!")):
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			return fmt.Errorf("%s starts with #! but names no interpreter", name)
		}
		if _, err := os.Stat(fields[0]); err != nil {
			return fmt.Errorf("%s is a script for %s, which this machine does not have", name, fields[0])
		}
		return nil
	case bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}) || bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}) || bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return fmt.Errorf("%s is a macOS (Mach-O) executable; Lambda runs Linux executables", name)
	case bytes.HasPrefix(head, []byte("MZ")):
		return fmt.Errorf("%s is a Windows executable; Lambda runs Linux executables", name)
	}
	return fmt.Errorf("%s is neither a Linux executable (ELF) nor a script starting with #!", name)
}

// hostMachine is the ELF machine this process runs on.
func hostMachine() elf.Machine {
	switch runtime.GOARCH {
	case "amd64":
		return elf.EM_X86_64
	case "arm64":
		return elf.EM_AARCH64
	case "386":
		return elf.EM_386
	case "arm":
		return elf.EM_ARM
	case "riscv64":
		return elf.EM_RISCV
	}
	return elf.EM_NONE
}

var machineArch = map[elf.Machine]string{
	elf.EM_X86_64: "amd64 (x86_64)", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm", elf.EM_RISCV: "riscv64",
}

func checkELF(r io.ReaderAt, name string) error {
	ef, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("%s is a damaged ELF file: %v", name, err)
	}
	defer ef.Close()
	if ef.Machine != hostMachine() {
		arch := machineArch[ef.Machine]
		if arch == "" {
			arch = ef.Machine.String()
		}
		return fmt.Errorf("%s is built for %s but this machine is %s", name, arch, machineArch[hostMachine()])
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return fmt.Errorf("%s is an ELF %s, not an executable", name, ef.Type)
	}
	if ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("%s is built for %s, not Linux", name, ef.OSABI)
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
		if err != nil {
			break
		}
		interp := strings.TrimRight(string(b), "\x00")
		if _, err := os.Stat(interp); err != nil {
			return fmt.Errorf("%s is dynamically linked against %s, which this machine lacks (build with CGO_ENABLED=0)", name, interp)
		}
	}
	return nil
}

// entrypointError is what an invocation of a function whose bootstrap
// cannot run answers.
func entrypointError(reqID, path string, problem error) *fnError {
	return &fnError{
		Type:    "Runtime.InvalidEntrypoint",
		Message: fmt.Sprintf("RequestId: %s Error: Couldn't find valid bootstrap(s): [%s]: %v; %s", reqID, path, problem, rebuildHint()),
	}
}
