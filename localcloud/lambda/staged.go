package lambda

import (
	"archive/zip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// stagedZip is a deployment package on its way to its place under the data
// directory: a temporary file on the same file system, hashed as it was
// written. Code from S3 is copied there rather than read into memory, so
// concurrent calls naming 250 MB packages hold none of them in memory.
type stagedZip struct {
	path string
	size int64
	sum  [sha256.Size]byte
}

// stagingDir holds staged packages.
func (s *Service) stagingDir() string { return filepath.Join(s.cfg.DataDir, "lambda", ".staging") }

// stage writes what r yields to a new staged file, synced.
func (s *Service) stage(r io.Reader) (*stagedZip, error) {
	if err := os.MkdirAll(s.stagingDir(), 0o700); err != nil {
		return nil, fmt.Errorf("stage code: %w", err)
	}
	f, err := os.CreateTemp(s.stagingDir(), "code-*.zip")
	if err != nil {
		return nil, fmt.Errorf("stage code: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("stage code: %w", err)
	}
	z := &stagedZip{path: f.Name(), size: n}
	h.Sum(z.sum[:0])
	return z, nil
}

// check checks the staged archive as checkArchive checks one in memory.
func (z *stagedZip) check() error {
	if z.size == 0 {
		return protocol.Errorf("InvalidParameterValueException", "Uploaded file must be a non-empty zip")
	}
	zr, err := zip.OpenReader(z.path)
	if err != nil {
		return errBadZip(err.Error())
	}
	defer zr.Close()
	_, err = inspect(&zr.Reader)
	return err
}

// install moves the staged file to path, replacing what is there.
func (z *stagedZip) install(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := os.Rename(z.path, path); err != nil {
		return err
	}
	z.path = ""
	return nil
}

// remove deletes the staged file unless it was installed; z may be nil.
func (z *stagedZip) remove() {
	if z != nil && z.path != "" {
		os.Remove(z.path)
	}
}
