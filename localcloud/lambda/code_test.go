package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// lyingZip has one stored entry whose header claims size bytes.
func lyingZip(t testing.TB, size uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "bootstrap", Method: zip.Store, UncompressedSize64: size, CompressedSize64: 1, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	zw.Close()
	return buf.Bytes()
}

func TestCodeChecks(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	echoBin := unzipEntry(t, zipOf(t, "echo"), "bootstrap")
	tests := []struct {
		name string
		zip  []byte
		ok   bool
	}{
		{"too large unzipped", lyingZip(t, maxUnzipped+1), false},
		{"absolute path", zipFiles(t, map[string]fileSpec{"/etc/evil": {[]byte("x"), 0o644}}), false},
		{"climbs out", zipFiles(t, map[string]fileSpec{"a/../../evil": {[]byte("x"), 0o644}}), false},
		{"symlink out", zipFiles(t, map[string]fileSpec{"bootstrap": {[]byte("../../../../bin/sh"), fs.ModeSymlink | 0o777}}), false},
		{"symlink absolute", zipFiles(t, map[string]fileSpec{"bootstrap": {[]byte("/bin/sh"), fs.ModeSymlink | 0o777}}), false},
		{"symlink inside", zipFiles(t, map[string]fileSpec{"bin/real": {echoBin, 0o755}, "bootstrap": {[]byte("bin/real"), fs.ModeSymlink | 0o777}}), true},
		{"nested dirs", zipFiles(t, map[string]fileSpec{"bootstrap": {echoBin, 0o755}, "conf/app/settings.json": {[]byte("{}"), 0o644}}), true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "code" + string(rune('a'+i))
			_, err := c.CreateFunction(context.Background(), &awslambda.CreateFunctionInput{
				FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
				Role: aws.String(testRole), Code: &types.FunctionCode{ZipFile: tt.zip},
			})
			if !tt.ok {
				wantCode(t, err, "InvalidParameterValueException")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out := invoke(t, c, name, `{"x":1}`, nil); string(out.Payload) != `{"x":1}` {
				t.Errorf("got %s", out.Payload)
			}
		})
	}
}

func TestUnpackCountsRealBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A header that understates the size does not get past the budget.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("big")
	w.Write(bytes.Repeat([]byte{0}, 1<<20))
	zw.Close()
	zp := filepath.Join(dir, "code.zip")
	os.WriteFile(zp, buf.Bytes(), 0o644)
	zr, err := zip.OpenReader(zp)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := extract(root, zr.File[0], "out", 0o644, 1000); err == nil {
		t.Errorf("extract wrote 1 MiB within a 1000-byte budget")
	}
	if err := unpack(zp, filepath.Join(dir, "task")); err != nil {
		t.Errorf("unpack: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "task", "big")); err != nil || fi.Size() != 1<<20 {
		t.Errorf("got %v, %v; want the 1 MiB file", fi, err)
	}
}
