package kit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/labkit-dev/labkit"
)

// completeMark is written last into an extracted source tree: a folder
// without it is an extraction that was interrupted.
const completeMark = ".labkit-complete"

// sourcesStamp names a copy of src: a hash of every file's path and bytes,
// so a binary with other sources never reuses a stale copy.
func sourcesStamp(src fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash the built-in sources: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// extractSources writes src (a module's go.mod, go.sum and function
// sources) into base/<stamp> unless a complete copy is there already, and
// returns that folder. It extracts into a temporary folder and renames it,
// so a concurrent `lab` or an interrupted one never leaves a partial tree
// in use.
func extractSources(src fs.FS, base string) (string, error) {
	stamp, err := sourcesStamp(src)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, stamp)
	if fileExists(filepath.Join(dir, completeMark)) {
		return dir, nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("extract the built-in sources: %w", err)
	}
	tmp, err := os.MkdirTemp(base, stamp+".tmp-")
	if err != nil {
		return "", fmt.Errorf("extract the built-in sources: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; a leftover otherwise
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(tmp, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		return copyFile(src, p, to)
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, completeMark), []byte(stamp+"\n"), 0o644)
	}
	if err != nil {
		return "", fmt.Errorf("extract the built-in sources into %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another lab extracted the same sources meanwhile: use its copy.
		if fileExists(filepath.Join(dir, completeMark)) {
			return dir, nil
		}
		return "", fmt.Errorf("extract the built-in sources: %w", err)
	}
	return dir, nil
}

func copyFile(src fs.FS, p, to string) error {
	in, err := src.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", path.Base(p), err)
	}
	return out.Close()
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// builtinRoot is the source tree of the binary's own sources, extracted
// into the user cache directory (or cacheBase when set).
func builtinRoot(cacheBase string) (string, error) {
	if cacheBase == "" {
		uc, err := os.UserCacheDir()
		if err != nil {
			return "", errors.New("cannot find the labkit sources: run the kit inside your labkit checkout, or set a user cache directory (" + err.Error() + ")")
		}
		cacheBase = filepath.Join(uc, "labkit")
	}
	return extractSources(labkit.Sources, filepath.Join(cacheBase, "src"))
}
