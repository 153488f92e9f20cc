package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// State is the learner's: every account's data, function code and
// environments. Databases and their -wal and -shm files are created 0600
// (SQLite gives its side files the database's mode) and folders 0700, so
// other users of the machine read nothing.

// createPrivate creates path empty with mode 0600 when it does not exist
// and takes group and other permissions off it and its SQLite side files
// when it does.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if _, err := tighten(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// TightenDir takes group and other permissions off dir and everything under
// it (links are not followed), for data directories made by older versions
// or by hand. It returns how many it changed. On Windows, where modes are
// not permissions, it does nothing.
func TightenDir(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		changed, err := tighten(p)
		if changed {
			n++
		}
		return err
	})
	return n, err
}

// tighten removes group and other permissions from path.
func tighten(path string) (bool, error) {
	if runtime.GOOS == "windows" {
		return false, nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 || fi.Mode().Perm()&0o077 == 0 {
		return false, nil
	}
	if err := os.Chmod(path, fi.Mode().Perm()&^0o077); err != nil {
		return false, fmt.Errorf("make %s private: %w", path, err)
	}
	return true, nil
}
