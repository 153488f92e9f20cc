package submission

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"
)

// FormatVersion is the archive format this package writes and reads.
const FormatVersion = 1

// The limits Read enforces. A function's code is held to Lambda's own
// limits (50 MiB zipped for a direct upload, 250 MiB unzipped).
const (
	MaxArchiveBytes  = 128 << 20
	MaxAccountBytes  = 4 << 20
	MaxManifestBytes = 1 << 20
	MaxCodeBytes     = 50 << 20
	MaxUnzippedCode  = 250 << 20
	MaxCodeEntries   = 10000
	MaxFunctions     = 50
)

// The archive's fixed file names.
const (
	manifestFile = "manifest.json"
	accountFile  = "account.json"
)

// Manifest is an archive's manifest.json.
type Manifest struct {
	Format     int       `json:"format"`
	ExportedAt time.Time `json:"exportedAt"`
	KitVersion string    `json:"kitVersion"`
	// Account, Region and Endpoint are where the archive was exported
	// from; Import rewrites them to the importing account's.
	Account  string `json:"account"`
	Region   string `json:"region"`
	Endpoint string `json:"endpoint,omitempty"`
	// Partition is the partition the exporting account's ARNs name
	// (arn:aws-cn:... in cn-north-1); empty is aws, as archives made
	// before it was recorded.
	Partition string `json:"partition,omitempty"`
	// Names are the learner's resource names (labs.DefaultNames keys) the
	// grader must look for.
	Names map[string]string `json:"names,omitempty"`
	Files []File            `json:"files"`
}

// File is one file of the archive as the manifest records it.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Archive is a submission held in memory: validated when it came from Read.
type Archive struct {
	Manifest Manifest
	Account  Account
	// Code holds each function's zip by archive file name (functions/<name>.zip).
	Code map[string][]byte
}

// ErrInvalid is wrapped by every error that refuses an archive.
var ErrInvalid = errors.New("invalid submission")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// kitVersion names the lab kit that exports: the module version, or the VCS
// revision of a development build.
func kitVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && (v == "" || v == "(devel)") {
			v = "devel+" + s.Value
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}

// codeFile is the archive file holding a function's code.
func codeFile(function string) string { return "functions/" + function + ".zip" }

var codeName = regexp.MustCompile(`^functions/[A-Za-z0-9_-]{1,64}\.zip$`)

// Write writes a as a zip: manifest.json first (with every other file's size
// and SHA-256), then account.json and the function zips. a.Manifest.Files is
// filled in.
func Write(w io.Writer, a *Archive) error {
	acct, err := json.MarshalIndent(a.Account, "", "  ")
	if err != nil {
		return fmt.Errorf("encode account: %w", err)
	}
	files := map[string][]byte{accountFile: acct}
	for name, b := range a.Code {
		files[name] = b
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	a.Manifest.Format = FormatVersion
	a.Manifest.Files = a.Manifest.Files[:0]
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		a.Manifest.Files = append(a.Manifest.Files, File{Name: n, Size: int64(len(files[n])), SHA256: hex.EncodeToString(sum[:])})
	}
	man, err := json.MarshalIndent(a.Manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	zw := zip.NewWriter(w)
	put := func(name string, b []byte, method uint16) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: a.Manifest.ExportedAt})
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		_, err = fw.Write(b)
		return err
	}
	if err := put(manifestFile, man, zip.Deflate); err != nil {
		return err
	}
	for _, n := range names {
		method := zip.Deflate
		if n != accountFile {
			method = zip.Store // already compressed
		}
		if err := put(n, files[n], method); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}

// ReadFile reads and validates the archive at path.
func ReadFile(path string) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open submission: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open submission: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, invalidf("%s is not a regular file", path)
	}
	return Read(f, st.Size())
}

// Read reads and validates an archive of size bytes: only the files the
// format knows, each within its limit and matching the manifest's size and
// SHA-256, JSON without unknown fields, resources that validate, and
// function zips that hold a bootstrap executable. Every refusal wraps
// ErrInvalid and says what was wrong.
func Read(r io.ReaderAt, size int64) (*Archive, error) {
	if size > MaxArchiveBytes {
		return nil, invalidf("the archive is %d bytes, over the %d-byte limit", size, MaxArchiveBytes)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, invalidf("not a zip archive: %v", err)
	}
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return nil, invalidf("the archive holds %q twice", f.Name)
		}
		if f.Name != manifestFile && f.Name != accountFile && !codeName.MatchString(f.Name) {
			return nil, invalidf("unexpected file %q in the archive (want manifest.json, account.json and functions/<name>.zip only)", f.Name)
		}
		if !f.Mode().IsRegular() {
			return nil, invalidf("%q is not a regular file", f.Name)
		}
		entries[f.Name] = f
	}
	mf, ok := entries[manifestFile]
	if !ok {
		return nil, invalidf("no manifest.json")
	}
	manBytes, err := readEntry(mf, MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	a := &Archive{Code: map[string][]byte{}}
	if err := decodeStrict(manBytes, &a.Manifest); err != nil {
		return nil, invalidf("manifest.json: %v", err)
	}
	if a.Manifest.Format != FormatVersion {
		return nil, invalidf("manifest.json: format %d, this lab kit reads format %d (update the lab kit or export again)", a.Manifest.Format, FormatVersion)
	}
	if err := checkManifest(&a.Manifest, entries); err != nil {
		return nil, err
	}
	var total int64
	for _, fe := range a.Manifest.Files {
		limit := int64(MaxCodeBytes)
		if fe.Name == accountFile {
			limit = MaxAccountBytes
		}
		if fe.Size > limit {
			return nil, invalidf("%s is %d bytes, over the %d-byte limit", fe.Name, fe.Size, limit)
		}
		if total += fe.Size; total > MaxArchiveBytes {
			return nil, invalidf("the archive's files add up to over %d bytes", MaxArchiveBytes)
		}
		b, err := readEntry(entries[fe.Name], fe.Size)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != fe.Size || hex.EncodeToString(sum[:]) != fe.SHA256 {
			return nil, invalidf("%s does not match its checksum in manifest.json (size %d, want %d)", fe.Name, len(b), fe.Size)
		}
		if fe.Name == accountFile {
			if err := decodeStrict(b, &a.Account); err != nil {
				return nil, invalidf("account.json: %v", err)
			}
			continue
		}
		a.Code[fe.Name] = b
	}
	if err := validateAccount(&a.Account, a.Code); err != nil {
		return nil, err
	}
	return a, nil
}

// checkManifest checks that the manifest lists exactly the archive's files.
func checkManifest(m *Manifest, entries map[string]*zip.File) error {
	seen := map[string]bool{}
	for _, f := range m.Files {
		if seen[f.Name] {
			return invalidf("manifest.json lists %q twice", f.Name)
		}
		seen[f.Name] = true
		if _, ok := entries[f.Name]; !ok || f.Name == manifestFile {
			return invalidf("manifest.json lists %q, which the archive does not hold", f.Name)
		}
		if f.Size < 0 || len(f.SHA256) != 64 {
			return invalidf("manifest.json: %q has a bad size or sha256", f.Name)
		}
	}
	for name := range entries {
		if name != manifestFile && !seen[name] {
			return invalidf("%q is in the archive but not in manifest.json", name)
		}
	}
	if !seen[accountFile] {
		return invalidf("no account.json")
	}
	return nil
}

// readEntry reads f, refusing more than limit bytes whatever its header
// claims (a zip bomb's header lies).
func readEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, invalidf("%s unpacks to %d bytes, over its %d-byte limit", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, invalidf("%s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, invalidf("%s: %v", f.Name, err)
	}
	if int64(len(b)) > limit {
		return nil, invalidf("%s unpacks to more than its %d-byte limit", f.Name, limit)
	}
	return b, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// checkCode checks a function's zip: a readable zip within Lambda's limits,
// no entry escaping its folder, no links, and an executable named bootstrap
// (ELF or Mach-O) at its root.
func checkCode(name string, b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return invalidf("function code %s is not a zip: %v", name, err)
	}
	if len(zr.File) > MaxCodeEntries {
		return invalidf("function code %s has %d files, over %d", name, len(zr.File), MaxCodeEntries)
	}
	var total uint64
	var boot *zip.File
	for _, f := range zr.File {
		if !safeEntry(f.Name) {
			return invalidf("function code %s: entry %q points outside the function's folder", name, f.Name)
		}
		if f.Mode()&os.ModeSymlink != 0 {
			return invalidf("function code %s: entry %q is a symbolic link", name, f.Name)
		}
		if total += f.UncompressedSize64; total > MaxUnzippedCode {
			return invalidf("function code %s unpacks to over %d bytes", name, MaxUnzippedCode)
		}
		if f.Name == "bootstrap" {
			boot = f
		}
	}
	if boot == nil || !boot.Mode().IsRegular() {
		return invalidf("function code %s has no bootstrap file at its root: build it with `lab package`", name)
	}
	rc, err := boot.Open()
	if err != nil {
		return invalidf("function code %s: bootstrap: %v", name, err)
	}
	defer rc.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(rc, head); err != nil || !isExecutable(head) {
		return invalidf("function code %s: bootstrap is not an executable (ELF or Mach-O): build it with `lab package`", name)
	}
	return nil
}

var execMagic = [][]byte{{0x7f, 'E', 'L', 'F'}, {0xcf, 0xfa, 0xed, 0xfe}, {0xce, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe}}

func isExecutable(head []byte) bool {
	return slices.ContainsFunc(execMagic, func(m []byte) bool { return bytes.Equal(head, m) })
}

// safeEntry reports whether a zip entry name stays inside its folder.
func safeEntry(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00:") {
		return false
	}
	return !slices.Contains(strings.Split(name, "/"), "..")
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
