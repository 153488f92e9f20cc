package submission_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/grader/submission"
	"github.com/labkit-dev/labkit/kit/bundle"
)

// fakeELF is enough of an executable for the archive's checks (the local
// cloud checks the rest when it runs it).
var fakeELF = append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...)

type entry struct {
	name string
	data []byte
	mode os.FileMode
}

// zipOf builds a zip holding entries, in order.
func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func code(t testing.TB) []byte {
	b, err := bundle.Zip(fakeELF)
	require.NoError(t, err)
	return b
}

// validAccount is a small account with one function.
func validAccount() submission.Account {
	return submission.Account{
		Tables:    []submission.Table{{Name: "Orders", KeySchema: []submission.Key{{Name: "orderId", Type: "HASH"}}, Attributes: []submission.Attribute{{Name: "orderId", Type: "S"}}, BillingMode: "PAY_PER_REQUEST"}},
		Functions: []submission.Function{{Name: "order-intake", Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::123456789012:role/r", Code: "functions/order-intake.zip"}},
	}
}

// archiveOf writes an archive whose manifest matches its files (so the
// cases below reach the check they are about).
func archiveOf(t testing.TB, acct any, files map[string][]byte, mutateManifest func(m map[string]any)) []byte {
	t.Helper()
	ab, err := json.Marshal(acct)
	require.NoError(t, err)
	all := map[string][]byte{"account.json": ab}
	for k, v := range files {
		all[k] = v
	}
	var list []map[string]any
	var entries []entry
	for name, b := range all {
		sum := sha256.Sum256(b)
		list = append(list, map[string]any{"name": name, "size": len(b), "sha256": hex.EncodeToString(sum[:])})
		entries = append(entries, entry{name: name, data: b})
	}
	m := map[string]any{"format": 1, "exportedAt": time.Now().UTC(), "kitVersion": "test", "account": "123456789012", "region": "us-east-1", "files": list}
	if mutateManifest != nil {
		mutateManifest(m)
	}
	mb, err := json.Marshal(m)
	require.NoError(t, err)
	return zipOf(t, append([]entry{{name: "manifest.json", data: mb}}, entries...)...)
}

// bomb is a zip of one entry whose data inflates to 64 MiB of zeros and
// whose header claims claimed bytes.
func bomb(t testing.TB, name string, claimed uint64) []byte {
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	require.NoError(t, err)
	_, err = io.CopyN(fw, zeroReader{}, 64<<20)
	require.NoError(t, err)
	require.NoError(t, fw.Close())
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CompressedSize64: uint64(comp.Len()), UncompressedSize64: claimed})
	require.NoError(t, err)
	_, err = w.Write(comp.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadRefusesMalformedArchives(t *testing.T) {
	good := map[string][]byte{"functions/order-intake.zip": code(t)}
	withAccount := func(f func(a *submission.Account)) []byte {
		a := validAccount()
		f(&a)
		return archiveOf(t, a, good, nil)
	}
	withCode := func(c []byte) []byte {
		return archiveOf(t, validAccount(), map[string][]byte{"functions/order-intake.zip": c}, nil)
	}
	valid := archiveOf(t, validAccount(), good, nil)
	a, err := submission.Read(bytes.NewReader(valid), int64(len(valid)))
	require.NoError(t, err, "the valid base archive")
	require.Len(t, a.Account.Functions, 1)

	for _, tc := range []struct {
		name    string
		archive []byte
		size    int64 // 0: len(archive)
		want    string
	}{
		{"not a zip", []byte("hello, grader"), 0, "not a zip"},
		{"empty file", nil, 0, "not a zip"},
		{"over the size limit", valid, submission.MaxArchiveBytes + 1, "over the"},
		{"zip slip", zipOf(t, entry{name: "../../home/instructor/.bashrc", data: []byte("x")}), 0, "unexpected file"},
		{"absolute path", zipOf(t, entry{name: "/etc/cron.d/evil", data: []byte("x")}), 0, "unexpected file"},
		{"unknown file", zipOf(t, entry{name: "manifest.json", data: []byte("{}")}, entry{name: "notes.txt", data: []byte("x")}), 0, "unexpected file \"notes.txt\""},
		{"duplicate entry", zipOf(t, entry{name: "account.json", data: []byte("{}")}, entry{name: "account.json", data: []byte("{}")}), 0, "twice"},
		{"symlink entry", zipOf(t, entry{name: "account.json", data: []byte("/etc/passwd"), mode: os.ModeSymlink | 0o777}), 0, "not a regular file"},
		{"no manifest", zipOf(t, entry{name: "account.json", data: []byte("{}")}), 0, "no manifest.json"},
		{"manifest not JSON", zipOf(t, entry{name: "manifest.json", data: []byte("{")}), 0, "manifest.json"},
		{"manifest unknown field", archiveOf(t, validAccount(), good, func(m map[string]any) { m["runAfterImport"] = "rm -rf /" }), 0, "unknown field \"runAfterImport\""},
		{"future format", archiveOf(t, validAccount(), good, func(m map[string]any) { m["format"] = 99 }), 0, "format 99"},
		{"manifest lists a missing file", archiveOf(t, validAccount(), good, func(m map[string]any) {
			m["files"] = append(m["files"].([]map[string]any), map[string]any{"name": "functions/x.zip", "size": 1, "sha256": strings.Repeat("0", 64)})
		}), 0, "does not hold"},
		{"file missing from the manifest", archiveOf(t, validAccount(), good, func(m map[string]any) { m["files"] = m["files"].([]map[string]any)[:1] }), 0, "not in manifest.json"},
		{"bad checksum", archiveOf(t, validAccount(), good, func(m map[string]any) {
			for _, f := range m["files"].([]map[string]any) {
				f["sha256"] = strings.Repeat("ab", 32)
			}
		}), 0, "does not match its checksum"},
		{"account unknown field", archiveOf(t, map[string]any{"tables": []any{}, "secrets": []string{"x"}}, nil, nil), 0, "unknown field \"secrets\""},
		{"zip bomb with a lying header", bomb(t, "manifest.json", 100), 0, "manifest.json"},
		{"zip bomb", bomb(t, "manifest.json", 64<<20), 0, "unpacks to 67108864 bytes"},
		{"huge account.json", archiveOf(t, map[string]any{"tables": []map[string]any{{"name": strings.Repeat("a", submission.MaxAccountBytes)}}}, nil, nil), 0, "over the"},
		{"code without its function", archiveOf(t, submission.Account{}, good, nil), 0, "belongs to no function"},
		{"function without its code", archiveOf(t, validAccount(), nil, nil), 0, "is not in the archive"},
		{"function code not a zip", withCode([]byte("#!/bin/sh\nrm -rf ~\n")), 0, "is not a zip"},
		{"no bootstrap", withCode(zipOf(t, entry{name: "handler.py", data: []byte("print(1)")})), 0, "no bootstrap"},
		{"bootstrap is a script", withCode(zipOf(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\ncat ~/.aws/credentials\n")})), 0, "not an executable"},
		{"zip slip in function code", withCode(zipOf(t, entry{name: "bootstrap", data: fakeELF}, entry{name: "../../../.ssh/authorized_keys", data: []byte("ssh-ed25519 x")})), 0, "outside the function's folder"},
		{"symlink in function code", withCode(zipOf(t, entry{name: "bootstrap", data: fakeELF}, entry{name: "creds", data: []byte("/root/.aws/credentials"), mode: os.ModeSymlink | 0o777})), 0, "symbolic link"},
		{"runtime not provided", withAccount(func(a *submission.Account) { a.Functions[0].Runtime = "python3.12" }), 0, "runtime \"python3.12\""},
		{"bad function name", withAccount(func(a *submission.Account) { a.Functions[0].Name = "../x" }), 0, "function name"},
		{"HTTP subscription", withAccount(func(a *submission.Account) {
			a.Topics = []submission.Topic{{Name: "t", Subscriptions: []submission.Subscription{{Protocol: "https", Endpoint: "https://169.254.169.254/latest"}}}}
		}), 0, "only subscribe queues and functions"},
		{"HTTP integration", withAccount(func(a *submission.Account) {
			a.APIs = []submission.API{{ID: "a", Name: "api", Integrations: []submission.Integration{{ID: "i", Type: "HTTP_PROXY", URI: "http://10.0.0.1/admin"}}}}
		}), 0, "only integrate Lambda functions"},
		{"alarm that terminates instances", withAccount(func(a *submission.Account) {
			a.Alarms = []submission.Alarm{{Name: "x", Namespace: "AWS/EC2", Metric: "CPUUtilization", Period: 60, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold",
				AlarmActions: []string{"arn:aws:automate:us-east-1:ec2:terminate"}}}
		}), 0, "may only notify SNS topics"},
		{"environment too large", withAccount(func(a *submission.Account) { a.Functions[0].Env = map[string]string{"BIG": strings.Repeat("x", 5000)} }), 0, "over Lambda's 4 KB"},
		{"too many tables", withAccount(func(a *submission.Account) {
			for range 60 {
				a.Tables = append(a.Tables, a.Tables[0])
			}
		}), 0, "over 50"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(tc.archive))
			}
			_, err := submission.Read(bytes.NewReader(tc.archive), size)
			require.Error(t, err)
			assert.True(t, errors.Is(err, submission.ErrInvalid), "error does not wrap ErrInvalid: %v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestGradeRefusesBeforeStartingASandbox: a refused archive costs nothing
// but its own error.
func TestGradeRefusesBeforeStartingASandbox(t *testing.T) {
	path := t.TempDir() + "/bad.zip"
	require.NoError(t, os.WriteFile(path, zipOf(t, entry{name: "../evil", data: []byte("x")}), 0o600))
	sb := &submission.Sandbox{Exe: "/nonexistent/lab"} // would fail loudly if started
	_, err := sb.Grade(t.Context(), path, nil)
	require.ErrorIs(t, err, submission.ErrInvalid)
}

// FuzzRead: whatever the bytes, Read either refuses them with an error
// wrapping ErrInvalid or returns an archive that writes and reads back.
func FuzzRead(f *testing.F) {
	f.Add(archiveOf(f, validAccount(), map[string][]byte{"functions/order-intake.zip": code(f)}, nil))
	f.Add(zipOf(f, entry{name: "manifest.json", data: []byte(`{"format":1,"files":[]}`)}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := submission.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, submission.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := submission.Write(&buf, a); err != nil {
			t.Fatalf("write back: %v", err)
		}
		if _, err := submission.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
			t.Fatalf("read back: %v", err)
		}
	})
}
