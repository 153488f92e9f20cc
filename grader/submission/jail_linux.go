//go:build linux

package submission

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// enterJail makes dir this process's root: run inside the user and mount
// namespaces the sandbox starts it in, it bind-mounts dir onto itself,
// gives it /dev/null, /tmp and (best effort) a /proc of its own PID
// namespace, pivots into it and detaches the old root, so nothing of the
// machine's file system (other submissions, the gradebook, credentials,
// home directories) is reachable from the local cloud or the functions it
// runs. It returns data's path inside the jail.
func enterJail(dir, data string) (string, error) {
	rel, err := filepath.Rel(dir, data)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("data directory %s is not inside %s", data, dir)
	}
	steps := []struct {
		what string
		f    func() error
	}{
		{"make mounts private", func() error { return syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, "") }},
		{"bind the sandbox", func() error { return syscall.Mount(dir, dir, "", syscall.MS_BIND|syscall.MS_REC, "") }},
		{"make folders", func() error {
			for _, d := range []string{"dev", "tmp", "proc", ".old", rel} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
					return err
				}
			}
			return os.WriteFile(filepath.Join(dir, "dev", "null"), nil, 0o600)
		}},
		{"bind /dev/null", func() error {
			return syscall.Mount("/dev/null", filepath.Join(dir, "dev", "null"), "", syscall.MS_BIND, "")
		}},
		{"pivot_root", func() error { return syscall.PivotRoot(dir, filepath.Join(dir, ".old")) }},
		{"chdir /", func() error { return syscall.Chdir("/") }},
		{"detach the old root", func() error { return syscall.Unmount("/.old", syscall.MNT_DETACH) }},
		{"remove /.old", func() error { return os.Remove("/.old") }},
	}
	for _, s := range steps {
		if err := s.f(); err != nil {
			return "", fmt.Errorf("%s: %w", s.what, err)
		}
	}
	// A /proc of the sandbox's own PID namespace lets the local cloud read its
	// functions' memory use; without it that number is only estimated.
	syscall.Mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
	return filepath.Join("/", rel), nil
}
