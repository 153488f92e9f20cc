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
// for the provided runtimes (bootstrap.exe when the zip has it and no
// bootstrap: what lab package builds for Windows); go1.x ran the Handler
// file.
func entrypoint(f *function, dir string) string {
	boot := filepath.Join(dir, "bootstrap")
	if _, err := os.Lstat(boot); err != nil {
		if _, err := os.Stat(boot + ".exe"); err == nil {
			return boot + ".exe"
		}
		if f.Runtime == "go1.x" && f.Handler != "" {
			return filepath.Join(dir, filepath.Clean("/" + f.Handler)[1:])
		}
	}
	return boot
}

// rebuildHint tells the learner how to produce a bootstrap this machine runs.
func rebuildHint(fnName string) string {
	return fmt.Sprintf("rebuild it for %s with `lab deploy %s` (a lab's function) or `lab package DIR` and upload the zip again (update-function-code)", hostPlatform(), fnName)
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
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
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
	if bytes.HasPrefix(head, []byte("#!")) {
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) == 0 {
			return fmt.Errorf("%s starts with #! but names no interpreter", name)
		}
		if _, err := os.Stat(fields[0]); err != nil {
			return fmt.Errorf("%s is a script for %s, which this machine does not have", name, fields[0])
		}
		return nil
	}
	platform, format, err := binPlatform(fh)
	switch {
	case err != nil:
		return fmt.Errorf("%s is %v", name, err)
	case format == fmtUnknown:
		return fmt.Errorf("%s is neither an executable (ELF, Mach-O or PE) nor a script starting with #!", name)
	case platform != hostPlatform():
		return fmt.Errorf("%s is built for %s, but this local cloud runs on %s and starts only bootstraps built for it", name, platform, hostPlatform())
	case format == fmtELF:
		return checkELF(fh, name)
	}
	return nil
}

func checkELF(r io.ReaderAt, name string) error {
	ef, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("%s is a damaged ELF file: %v", name, err)
	}
	defer ef.Close()
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return fmt.Errorf("%s is an ELF %s, not an executable", name, ef.Type)
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
func entrypointError(reqID, fnName, path string, problem error) *fnError {
	return &fnError{
		Type:    "Runtime.InvalidEntrypoint",
		Message: fmt.Sprintf("RequestId: %s Error: Couldn't find valid bootstrap(s): [%s]: %v; %s", reqID, path, problem, rebuildHint(fnName)),
	}
}
