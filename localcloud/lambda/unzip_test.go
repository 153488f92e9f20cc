package lambda

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// entry is one member of a hand-built archive, kept in order.
type entry struct {
	name string
	mode fs.FileMode
	data string // a link's target for symlinks
	raw  *zip.FileHeader
}

func link(name, target string) entry {
	return entry{name: name, mode: fs.ModeSymlink | 0o777, data: target}
}
func file(name, data string) entry { return entry{name: name, mode: 0o644, data: data} }

// orderedZip builds an archive with entries in the given order.
func orderedZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.raw != nil {
			w, err := zw.CreateRaw(e.raw)
			require.NoError(t, err)
			w.Write([]byte(e.data))
			continue
		}
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		w.Write([]byte(e.data))
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// outside is a function's folder with a sibling canary folder: unpacking
// must leave everything but the folder itself untouched.
type outside struct {
	parent, dir, canary string
}

func newOutside(t testing.TB) outside {
	t.Helper()
	parent := t.TempDir()
	o := outside{parent: parent, dir: filepath.Join(parent, "task"), canary: filepath.Join(parent, "canary")}
	require.NoError(t, os.Mkdir(o.canary, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(o.canary, "rc"), []byte("original"), 0o600))
	return o
}

// untouched reports what changed outside dir: new names in parent or the
// canary folder, or the canary file's content.
func (o outside) untouched(t testing.TB) {
	t.Helper()
	names := func(d string) []string {
		es, err := os.ReadDir(d)
		require.NoError(t, err)
		var out []string
		for _, e := range es {
			out = append(out, e.Name())
		}
		return out
	}
	for _, n := range names(o.parent) {
		assert.Contains(t, []string{"task", "canary", "code.zip"}, n, "a name written beside the function's folder")
	}
	assert.Equal(t, []string{"rc"}, names(o.canary), "the canary folder changed")
	b, err := os.ReadFile(filepath.Join(o.canary, "rc"))
	require.NoError(t, err)
	assert.Equal(t, "original", string(b), "the canary file was overwritten")
	// Nothing inside dir leads outside it.
	filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dir, _ := filepath.EvalSymlinks(o.dir)
			assert.True(t, real == dir || strings.HasPrefix(real, dir+string(filepath.Separator)), "link %s leads to %s", p, real)
		}
		return nil
	})
}

func (o outside) unpack(t testing.TB, archive []byte) error {
	t.Helper()
	zp := filepath.Join(o.parent, "code.zip")
	require.NoError(t, os.WriteFile(zp, archive, 0o600))
	return unpack(zp, o.dir)
}

func TestUnpackStaysInItsFolder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		entries []entry
	}{
		// The attack: each link is inside when read on its own, but
		// d/l/m is created through d/l (the root), so m points above it.
		{"chain of links to ..", []entry{link("d/l", ".."), link("d/l/m", ".."), file("d/l/m/canary/rc", "owned")}},
		{"chain of links, then a file beside", []entry{link("d/l", ".."), link("d/l/m", ".."), file("d/l/m/evil", "owned")}},
		{"link resolved through a later link", []entry{link("a/b/l1", "../.."), link("l2", "a/b/l1/.."), file("l2/evil", "owned")}},
		{"file written through a link", []entry{link("up", "../canary"), file("up/rc", "owned")}},
		{"absolute link", []entry{link("bootstrap", "/etc/passwd")}},
		{"absolute path", []entry{file("/tmp/evil", "owned")}},
		{"dot-dot path", []entry{file("a/../../evil", "owned")}},
		{"backslash dot-dot path", []entry{file(`a\..\..\evil`, "owned")}},
		{"Windows drive path", []entry{file(`C:\evil`, "owned")}},
		{"duplicate name following a link", []entry{link("x", "sub"), file("sub/keep", "1"), file("x", "owned")}},
		{"duplicate regular file", []entry{file("bootstrap", "one"), file("bootstrap", "two")}},
		{"named pipe", []entry{{name: "fifo", mode: fs.ModeNamedPipe | 0o644}}},
		{"device", []entry{{name: "null", mode: fs.ModeDevice | fs.ModeCharDevice | 0o644}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			archive := orderedZip(t, tt.entries...)
			o := newOutside(t)
			err := o.unpack(t, archive)
			assert.Error(t, err, "unpack accepted the archive")
			o.untouched(t)
			var pe *protocol.Error
			if assert.True(t, errors.As(checkZip(archive), &pe), "CreateFunction accepted the archive") {
				assert.Equal(t, "InvalidParameterValueException", pe.Code)
			}
		})
	}
}

func TestUnpackLimits(t *testing.T) {
	t.Parallel()
	many := make([]entry, maxEntries+1)
	for i := range many {
		many[i] = file("f/"+strconv.Itoa(i), "")
	}
	tests := []struct {
		name, msg string
		archive   []byte
	}{
		{"too many entries", "entries", orderedZip(t, many...)},
		{"compression ratio of a bomb", "compress", orderedZip(t, file("zeros", strings.Repeat("\x00", 8<<20)))},
		{"declared size over Lambda's limit", "Unzipped size must be smaller than 262144000 bytes", lyingZip(t, maxUnzipped+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkZip(tt.archive)
			var pe *protocol.Error
			require.True(t, errors.As(err, &pe), "checkZip: %v", err)
			assert.Equal(t, "InvalidParameterValueException", pe.Code)
			assert.Contains(t, pe.Message, tt.msg)
			o := newOutside(t)
			assert.Error(t, o.unpack(t, tt.archive))
		})
	}
}

func TestUnpackKeepsGoodArchives(t *testing.T) {
	t.Parallel()
	o := newOutside(t)
	archive := orderedZip(t, entry{name: "bin/", mode: fs.ModeDir | 0o755}, entry{name: "bin/real", mode: 0o755, data: "#!/bin/sh\n"},
		link("bootstrap", "bin/real"), link("bin/self", "../bin/real"), file("conf/app/settings.json", "{}"))
	require.NoError(t, checkZip(archive))
	require.NoError(t, o.unpack(t, archive))
	o.untouched(t)
	b, err := os.ReadFile(filepath.Join(o.dir, "bootstrap"))
	require.NoError(t, err)
	assert.Equal(t, "#!/bin/sh\n", string(b))
	fi, err := os.Stat(filepath.Join(o.dir, "bin", "real"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), "code files are the owner's only")
}

// FuzzUnpack builds archives from lines "L name target", "F name data" and
// "D name" and checks the invariant: whatever unpack does, nothing outside
// the function's folder changes and nothing inside leads out of it.
func FuzzUnpack(f *testing.F) {
	for _, s := range []string{
		"L d/l ..\nL d/l/m ..\nF d/l/m/canary/rc owned",
		"L a/b/l1 ../..\nL l2 a/b/l1/..\nF l2/evil x",
		"L up ../canary\nF up/rc owned",
		"L x sub\nF sub/keep 1\nF x owned",
		"F /abs x\nF a/../../evil x\nL b /etc",
		"D bin\nF bin/real x\nL bootstrap bin/real",
		"L a .\nL a/b ..\nL a/b/c ..\nF a/b/c/rc x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		var entries []entry
		for _, line := range strings.Split(spec, "\n") {
			kind, rest, _ := strings.Cut(line, " ")
			name, data, _ := strings.Cut(rest, " ")
			if name == "" || len(entries) > 64 {
				continue
			}
			switch kind {
			case "L":
				entries = append(entries, link(name, data))
			case "F":
				entries = append(entries, file(name, data))
			case "D":
				entries = append(entries, entry{name: name + "/", mode: fs.ModeDir | 0o755})
			}
		}
		if len(entries) == 0 {
			return
		}
		o := newOutside(t)
		o.unpack(t, orderedZip(t, entries...))
		o.untouched(t)
	})
}
