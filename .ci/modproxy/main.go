// Command modproxy publishes one commit of a git repository as a module
// version in a file-system GOPROXY (the proxy protocol's layout: @v/list,
// VERSION.info, VERSION.mod, VERSION.zip), so that `go install
// MODULE/cmd@VERSION` (or @latest, which the proxy's @latest file answers
// with this version, as proxy.golang.org does for an untagged module) can
// be tried as a user would without publishing. The zip is made by
// golang.org/x/mod/zip.CreateFromVCS, from the commit's files (git
// archive), as the go command makes it in direct mode.
//
//	go run . -repo DIR -commit REV -out PROXYDIR
//
// It prints the pseudo-version (v0.0.0-<commit time UTC>-<12 hex>).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func main() {
	repo := flag.String("repo", ".", "the git repository (its root holds go.mod)")
	rev := flag.String("commit", "HEAD", "the commit to publish")
	out := flag.String("out", "", "the proxy directory (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "modproxy: -out is required")
		os.Exit(2)
	}
	v, err := publish(*repo, *rev, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
	fmt.Println(v)
}

func git(repo string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(b)), nil
}

func publish(repo, rev, out string) (string, error) {
	hash, err := git(repo, "rev-parse", "--verify", rev+"^{commit}")
	if err != nil {
		return "", err
	}
	unix, err := git(repo, "show", "-s", "--format=%ct", hash)
	if err != nil {
		return "", err
	}
	secs, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return "", fmt.Errorf("commit time %q: %w", unix, err)
	}
	when := time.Unix(secs, 0).UTC()
	gomod, err := git(repo, "show", hash+":go.mod")
	if err != nil {
		return "", err
	}
	gomod += "\n"
	path := modfile.ModulePath([]byte(gomod))
	if path == "" {
		return "", fmt.Errorf("no module line in go.mod at %s", hash)
	}
	version := module.PseudoVersion("v0", "", when, hash[:12])
	m := module.Version{Path: path, Version: version}
	esc, err := module.EscapePath(path)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(out, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		return "", err
	}
	// CreateFromVCS wants the folder holding .git: a linked worktree's
	// commits are its main repository's.
	common, err := git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		zf.Close()
		return "", err
	}
	if err := modzip.CreateFromVCS(zf, m, filepath.Dir(common), hash, ""); err != nil {
		zf.Close()
		return "", fmt.Errorf("module zip: %w", err)
	}
	if err := zf.Close(); err != nil {
		return "", err
	}
	info, _ := json.Marshal(map[string]any{"Version": version, "Time": when.Format(time.RFC3339)})
	files := map[string][]byte{
		version + ".info": info,
		version + ".mod":  []byte(gomod),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	// $base/$module/@latest: what a proxy answers for a module without
	// release tags, so that @latest resolves to this commit.
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "@latest"), info, 0o644); err != nil {
		return "", err
	}
	list := filepath.Join(dir, "list")
	old, _ := os.ReadFile(list)
	if !bytes.Contains(old, []byte(version+"\n")) {
		if err := os.WriteFile(list, append(old, version+"\n"...), 0o644); err != nil {
			return "", err
		}
	}
	return version, nil
}
