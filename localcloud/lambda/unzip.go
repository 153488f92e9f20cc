package lambda

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A function's zip is hostile input: the unzipper writes only inside the
// function's folder whatever the archive holds. Every create goes through
// an os.Root (no path, link or race leaves it), and the archive is refused
// before anything is written when it has an absolute or climbing name, a
// device, pipe or socket, a name twice (or a name under a link or file), a
// link that leads outside the folder (followed through every other link of
// the archive, so chains of links to ".." are seen), more than maxEntries
// entries, more than Lambda's 250 MB unzipped, or an entry that expands more
// than maxRatio times (a zip bomb; deflate itself tops out near 1,032).

const (
	// maxRatio bounds an entry's uncompressed size over its compressed size,
	// for entries over ratioFloor bytes. Go binaries compress about 2.5:1.
	maxRatio   = 200
	ratioFloor = 1 << 20
	// maxLinkHops bounds link resolution, as the kernel's 40 for paths.
	maxLinkHops = 40
	// maxLinkTarget is the longest link target read (PATH_MAX).
	maxLinkTarget = 4096
)

// errBadZip is what Lambda answers for a zip it cannot open.
func errBadZip(why string) error {
	return protocol.Errorf("InvalidParameterValueException", "Could not unzip uploaded file. Please check your file, then try to upload again. (%s)", why)
}

// errUnzippedSize is Lambda's answer for code over its unzipped limit.
func errUnzippedSize() error {
	return protocol.Errorf("InvalidParameterValueException", "Unzipped size must be smaller than %d bytes", maxUnzipped)
}

// member is one entry of a checked archive.
type member struct {
	f      *zip.File
	rel    string      // cleaned, slash-separated, relative
	kind   fs.FileMode // 0 (regular), fs.ModeDir or fs.ModeSymlink
	target string      // a link's target
}

// checkZip validates an uploaded zip without unpacking it, answering
// CreateFunction and UpdateFunctionCode with Lambda's errors.
func checkZip(b []byte) error {
	if len(b) == 0 {
		return protocol.Errorf("InvalidParameterValueException", "Uploaded file must be a non-empty zip")
	}
	if len(b) > maxZipped {
		return protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the CreateFunction operation", maxZipped)
	}
	return checkArchive(b)
}

// checkArchive checks a zip of any size (one from S3, whose size S3 and the
// unzipped limit bound).
func checkArchive(b []byte) error {
	if len(b) == 0 {
		return protocol.Errorf("InvalidParameterValueException", "Uploaded file must be a non-empty zip")
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return errBadZip(err.Error())
	}
	_, err = inspect(zr)
	return err
}

// inspect checks every entry of zr (see the comment at the top of this
// file) and returns them in archive order.
func inspect(zr *zip.Reader) ([]member, error) {
	if len(zr.File) > maxEntries {
		return nil, errBadZip(fmt.Sprintf("the zip has %d entries; the local cloud unpacks at most %d", len(zr.File), maxEntries))
	}
	var (
		members []member
		kinds   = map[string]fs.FileMode{} // case-folded name -> what is there
		links   = map[string]string{}      // case-folded name -> target
		total   uint64
	)
	for _, f := range zr.File {
		rel, err := safeName(f.Name)
		if err != nil {
			return nil, errBadZip(err.Error())
		}
		m := member{f: f, rel: rel, kind: f.Mode().Type()}
		switch m.kind {
		case 0, fs.ModeDir:
		case fs.ModeSymlink:
			if m.target, err = readLink(f); err != nil {
				return nil, err
			}
		default:
			return nil, errBadZip(fmt.Sprintf("entry %q is a device, pipe or socket, not a file", f.Name))
		}
		if rel == "." {
			continue
		}
		if err := claim(kinds, rel, m.kind); err != nil {
			return nil, errBadZip(err.Error())
		}
		if m.kind == fs.ModeSymlink {
			links[fold(rel)] = m.target
		}
		total += f.UncompressedSize64
		if total > maxUnzipped {
			return nil, errUnzippedSize()
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > maxRatio {
			return nil, errBadZip(fmt.Sprintf("entry %q would expand %d times; the local cloud refuses compression ratios over %d", f.Name, f.UncompressedSize64/max(f.CompressedSize64, 1), maxRatio))
		}
		members = append(members, m)
	}
	for _, m := range members {
		if m.kind != fs.ModeSymlink {
			continue
		}
		if _, ok := resolveLink(links, path.Dir(m.rel), m.target, 0); !ok {
			return nil, errBadZip(fmt.Sprintf("entry %q is a symbolic link that leads outside the function's directory", m.f.Name))
		}
	}
	return members, nil
}

// fold is the key names are compared by: case-insensitive file systems
// (macOS, Windows) treat "A" and "a" as one name.
func fold(rel string) string { return strings.ToLower(rel) }

// claim records that rel holds an entry of kind, refusing a name given
// twice and a name under a link or a file (it would be written through the
// link or fail half-way).
func claim(kinds map[string]fs.FileMode, rel string, kind fs.FileMode) error {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		p := fold(strings.Join(parts[:i], "/"))
		switch k, ok := kinds[p]; {
		case !ok:
			kinds[p] = fs.ModeDir
		case k == fs.ModeSymlink:
			return fmt.Errorf("entry %q is under the symbolic link %q", rel, strings.Join(parts[:i], "/"))
		case k != fs.ModeDir:
			return fmt.Errorf("entry %q is under the file %q", rel, strings.Join(parts[:i], "/"))
		}
	}
	k, ok := kinds[fold(rel)]
	if ok && !(k == fs.ModeDir && kind == fs.ModeDir) {
		return fmt.Errorf("entry %q appears twice in the zip", rel)
	}
	kinds[fold(rel)] = kind
	return nil
}

// resolveLink follows target from dir through the archive's links and
// returns where it leads, ok=false when it leaves the root, is absolute or
// takes more than maxLinkHops links.
func resolveLink(links map[string]string, dir, target string, hops int) (string, bool) {
	target = strings.ReplaceAll(target, `\`, "/")
	if hops > maxLinkHops || path.IsAbs(target) || filepath.VolumeName(target) != "" || strings.Contains(target, ":") {
		return "", false
	}
	var cur []string
	if dir != "." {
		cur = strings.Split(dir, "/")
	}
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(cur) == 0 {
				return "", false
			}
			cur = cur[:len(cur)-1]
		default:
			cur = append(cur, c)
			p := strings.Join(cur, "/")
			t, isLink := links[fold(p)]
			if !isLink {
				continue
			}
			r, ok := resolveLink(links, path.Dir(p), t, hops+1)
			if !ok {
				return "", false
			}
			cur = nil
			if r != "." {
				cur = strings.Split(r, "/")
			}
		}
	}
	if len(cur) == 0 {
		return ".", true
	}
	return strings.Join(cur, "/"), true
}

// safeName returns the cleaned relative slash-separated path of a zip
// entry, refusing absolute paths, drive and UNC names and paths that climb
// out of the task root.
func safeName(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if n == "" || strings.HasPrefix(n, "/") || filepath.IsAbs(n) || filepath.VolumeName(n) != "" || strings.Contains(n, ":") || strings.Contains(n, "\x00") {
		return "", fmt.Errorf("entry %q has an absolute, drive or empty path", name)
	}
	clean := path.Clean(n)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("entry %q points outside the function's directory", name)
	}
	return clean, nil
}

func readLink(f *zip.File) (string, error) {
	if f.UncompressedSize64 >= maxLinkTarget {
		return "", errBadZip(fmt.Sprintf("entry %q is a symbolic link with a target over %d bytes", f.Name, maxLinkTarget))
	}
	rc, err := f.Open()
	if err != nil {
		return "", errBadZip(fmt.Sprintf("entry %q: %v", f.Name, err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget))
	if err != nil {
		return "", errBadZip(fmt.Sprintf("entry %q: %v", f.Name, err))
	}
	if len(b) == 0 || len(b) >= maxLinkTarget || bytes.IndexByte(b, 0) >= 0 {
		return "", errBadZip(fmt.Sprintf("entry %q is a symbolic link with an empty, overlong or binary target", f.Name))
	}
	return string(b), nil
}

// unpack extracts zipPath into dir (created atomically: extracted beside it
// and renamed), counting the bytes actually written against Lambda's limit.
// Folders are 0700 and files readable by their owner only: a function's
// code and configuration are the learner's.
func unpack(zipPath, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("open code %s: %w", zipPath, err)
	}
	defer zr.Close()
	members, err := inspect(&zr.Reader)
	if err != nil {
		return fmt.Errorf("unpack code: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".unpack-*")
	if err != nil {
		return fmt.Errorf("unpack code: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := extractAll(tmp, members); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return nil // another invocation unpacked it first
		}
		return fmt.Errorf("unpack code: %w", err)
	}
	return nil
}

// extractAll writes members under dir through an os.Root.
func extractAll(dir string, members []member) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("unpack code: %w", err)
	}
	defer root.Close()
	var written int64
	for _, m := range members {
		if m.kind == fs.ModeDir {
			if err := root.MkdirAll(m.rel, 0o700); err != nil {
				return fmt.Errorf("unpack %s: %w", m.f.Name, err)
			}
			continue
		}
		if d := path.Dir(m.rel); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return fmt.Errorf("unpack %s: %w", m.f.Name, err)
			}
		}
		if m.kind == fs.ModeSymlink {
			if err := root.Symlink(m.target, m.rel); err != nil {
				return fmt.Errorf("unpack %s: %w", m.f.Name, err)
			}
			continue
		}
		perm := m.f.Mode().Perm()
		if m.f.CreatorVersion>>8 == 0 && m.f.ExternalAttrs == 0 {
			perm = 0o644 // no Unix mode recorded
		}
		n, err := extract(root, m.f, m.rel, perm&0o700|0o400, maxUnzipped-written)
		if err != nil {
			return err
		}
		written += n
	}
	return nil
}

// extract writes f's content to rel under root, refusing to write more
// than budget bytes. The file must not exist: O_EXCL also refuses to follow
// a link left at its name.
func extract(root *os.Root, f *zip.File, rel string, perm fs.FileMode, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	defer rc.Close()
	if perm&0o111 != 0 {
		// An executable is written with no fork under way: a child forked
		// while it is open for writing holds a copy of the descriptor until
		// its own exec, and starting the bootstrap in that window fails
		// with "text file busy" (ETXTBSY; golang.org/issue/22315, seen in
		// TestInvokeInitFailures). os/exec takes ForkLock for writing.
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
	}
	out, err := root.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return 0, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("unpack %s: %w", f.Name, err)
	}
	if n > budget {
		return n, fmt.Errorf("unzipped code is larger than %d bytes", maxUnzipped)
	}
	return n, nil
}
