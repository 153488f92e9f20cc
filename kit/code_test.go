package kit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSourceHashFollowsModuleImports: the hash of a function changes with
// its own files and with the files of module packages it imports, and not
// with unrelated ones.
func TestSourceHashFollowsModuleImports(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("fn/main.go", "package main\n\nimport _ \"example.com/m/lib\"\n\nfunc main() {}\n")
	write("lib/lib.go", "package lib\n")
	write("other/other.go", "package other\n")
	fn := filepath.Join(root, "fn")
	h := func() string {
		t.Helper()
		s, err := sourceHash(fn, "amd64")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	h0 := h()
	if h() != h0 {
		t.Fatalf("hash is not stable")
	}
	write("other/other.go", "package other\n\nvar X = 1\n")
	if h() != h0 {
		t.Errorf("hash changed with a package the function does not import")
	}
	write("fn/main_test.go", "package main\n")
	if h() != h0 {
		t.Errorf("hash changed with a test file")
	}
	write("lib/lib.go", "package lib\n\nvar Y = 2\n")
	h1 := h()
	if h1 == h0 {
		t.Errorf("hash did not change with an imported package")
	}
	write("fn/main.go", "package main\n\nimport _ \"example.com/m/lib\"\n\nfunc main() { println() }\n")
	if h() == h1 {
		t.Errorf("hash did not change with the function's code")
	}
	if a, _ := sourceHash(fn, "arm64"); a == h() {
		t.Errorf("hash does not depend on the architecture")
	}
}

// TestZipCache builds a function once and takes it from the cache after.
func TestZipCache(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	k := &Kit{Out: &out, CacheDir: t.TempDir()}
	dir, err := k.sourceDir("authorizerFunction", "solutions")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	z1, sha1, err := k.zip(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "building") {
		t.Errorf("first zip: got %q, want a build", out.String())
	}
	out.Reset()
	z2, sha2, err := k.zip(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || sha1 != sha2 || !bytes.Equal(z1, z2) {
		t.Errorf("second zip: built again (%q) or differs", out.String())
	}
}
