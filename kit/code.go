package kit

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/kit/bundle"
)

// modulePath is the labkit module, whose tree holds the function sources.
const modulePath = "github.com/labkit-dev/labkit"

// sourceDirs maps a name key of a function to its folder under solutions/
// (and starter/, where the learner has a starter for it).
var sourceDirs = map[string]string{
	"authorizerFunction": "order-authorizer",
	"intakeFunction":     "order-intake",
	"publisherFunction":  "order-publisher",
	"inventoryWorker":    "inventory-worker",
	"accountingWorker":   "accounting-worker",
	"inventoryService":   "downstream/inventory-service",
	"accountingService":  "downstream/accounting-service",
	"monolithFunction":   "monolith",
}

// lambdaArch returns the Lambda architecture name of the kit's Arch.
func (k *Kit) lambdaArch() (string, error) {
	switch k.Arch {
	case "":
		if runtime.GOARCH == "arm64" {
			return "arm64", nil
		}
		return "x86_64", nil
	case "x86_64", "amd64":
		return "x86_64", nil
	case "arm64", "aarch64":
		return "arm64", nil
	}
	return "", fmt.Errorf("unsupported architecture %q: want x86_64 or arm64", k.Arch)
}

// root returns the labkit source tree.
func (k *Kit) root() (string, error) {
	if k.Root != "" {
		return k.Root, nil
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if modOf(filepath.Join(d, "go.mod")) == modulePath {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	// Built by `go install` (no -trimpath), this file's path is in the
	// module cache, where the module's sources are.
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		d := filepath.Dir(filepath.Dir(file)) // kit/code.go -> root
		if modOf(filepath.Join(d, "go.mod")) == modulePath {
			return d, nil
		}
	}
	// A prebuilt binary: the sources it carries, extracted once.
	base := ""
	if k.CacheDir != "" {
		base = filepath.Dir(k.CacheDir)
	}
	return builtinRoot(base)
}

// modOf returns the module path declared in the go.mod file at p, or "".
func modOf(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// sourceDir returns the directory of the function with name key built from
// "solutions", "starter" or a directory.
func (k *Kit) sourceDir(key, from string) (string, error) {
	switch from {
	case "", "solutions", "starter":
		if from == "" {
			from = "solutions"
		}
		root, err := k.root()
		if err != nil {
			return "", err
		}
		sub, ok := sourceDirs[key]
		if !ok {
			return "", fmt.Errorf("no source folder for %s", key)
		}
		d := filepath.Join(root, from, filepath.FromSlash(sub))
		if _, err := os.Stat(d); err != nil {
			return "", fmt.Errorf("no %s code for %s (%s): %w", from, k.name(key), d, err)
		}
		return d, nil
	}
	if fi, err := os.Stat(from); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("--from %s: not a directory (want starter, solutions or a folder with a Go main package)", from)
	}
	return filepath.Abs(from)
}

// zip returns the function zip built from dir, from the cache when the
// sources have not changed, and its CodeSha256 (base64 SHA-256, as Lambda
// reports it).
func (k *Kit) zip(ctx context.Context, dir string) ([]byte, string, error) {
	arch, err := k.lambdaArch()
	if err != nil {
		return nil, "", err
	}
	goarch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[arch]
	goos := k.goos()
	h, err := sourceHash(dir, goos+"/"+goarch)
	if err != nil {
		return nil, "", err
	}
	cache := k.CacheDir
	if cache == "" {
		if uc, err := os.UserCacheDir(); err == nil {
			cache = filepath.Join(uc, "labkit", "zips")
		} else {
			cache = filepath.Join(os.TempDir(), "labkit-zips")
		}
	}
	path := filepath.Join(cache, h+".zip")
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return b, codeSha(b), nil
	}
	k.logf("  building %s (%s/%s)", relish(dir), goos, goarch)
	b, err := bundle.Build(ctx, dir, bundle.Options{OS: goos, Arch: goarch})
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(cache, 0o755); err == nil {
		tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, path) // a cache: failing to keep it only costs a rebuild
		}
	}
	return b, codeSha(b), nil
}

// goos is the OS the kit builds functions for.
func (k *Kit) goos() string {
	if k.OS == "" {
		return runtime.GOOS
	}
	return k.OS
}

func codeSha(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// relish shortens dir for progress lines.
func relish(dir string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return dir
}

// sourceHash hashes what a build of dir depends on: its files, the
// packages of its own module it imports (transitively), the module's
// go.mod and go.sum, the toolchain and the architecture.
func sourceHash(dir, platform string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "v1 %s %s\n", runtime.Version(), platform)
	modRoot, modPath := findModule(dir)
	seen := map[string]bool{}
	var walk func(d string) error
	walk = func(d string) error {
		if seen[d] {
			return nil
		}
		seen[d] = true
		ents, err := os.ReadDir(d)
		if err != nil {
			return fmt.Errorf("read sources %s: %w", d, err)
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		var deps []string
		for _, n := range names {
			p := filepath.Join(d, n)
			b, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("read sources: %w", err)
			}
			fmt.Fprintf(h, "%s %d\n", p, len(b))
			h.Write(b)
			if modRoot == "" {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, b, parser.ImportsOnly)
			if err != nil {
				continue // go build will say what is wrong
			}
			for _, im := range f.Imports {
				ip, _ := strconv.Unquote(im.Path.Value)
				if rest, ok := strings.CutPrefix(ip, modPath+"/"); ok {
					deps = append(deps, filepath.Join(modRoot, filepath.FromSlash(rest)))
				}
			}
		}
		for _, dep := range deps {
			if err := walk(dep); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return "", err
	}
	// Sub-folders of the function itself (embedded files and the like).
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || p == dir || filepath.Dir(p) == dir {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil {
			fmt.Fprintf(h, "%s %d\n", p, len(b))
			h.Write(b)
		}
		return nil
	})
	if modRoot != "" {
		for _, n := range []string{"go.mod", "go.sum"} {
			b, _ := os.ReadFile(filepath.Join(modRoot, n))
			fmt.Fprintf(h, "%s %d\n", n, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// findModule returns the root and path of the module holding dir.
func findModule(dir string) (root, path string) {
	for d := dir; ; d = filepath.Dir(d) {
		if p := modOf(filepath.Join(d, "go.mod")); p != "" {
			return d, p
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}
