package s3

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Request bodies come plain or aws-chunked: SigV4 streaming uploads
// (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or
// STREAMING-UNSIGNED-PAYLOAD-TRAILER, Content-Encoding: aws-chunked) send
// "<hex size>[;chunk-signature=...]\r\n<bytes>\r\n" chunks, a zero-size
// chunk, then trailing headers such as x-amz-checksum-crc32. Chunk
// signatures are not verified: the local cloud trusts its callers' keys.

// chunked reports whether r's body is aws-chunked.
func chunked(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("x-amz-content-sha256"), "STREAMING-") ||
		strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked")
}

func errIncompleteBody() *protocol.Error {
	return protocol.Errorf("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")
}

func errMissingContentLength() *protocol.Error {
	return protocol.StatusErrorf(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
}

// payload returns r's object bytes and their declared length.
func payload(r *http.Request) (io.Reader, *chunkReader, int64, error) {
	if !chunked(r) {
		if r.ContentLength < 0 {
			return nil, nil, 0, errMissingContentLength()
		}
		return r.Body, nil, r.ContentLength, nil
	}
	n, err := strconv.ParseInt(r.Header.Get("x-amz-decoded-content-length"), 10, 64)
	if err != nil || n < 0 {
		return nil, nil, 0, errMissingContentLength()
	}
	c := &chunkReader{br: bufio.NewReaderSize(r.Body, 4096)}
	return c, c, n, nil
}

// readPayload reads a small body (an operation's XML) of at most max bytes.
func readPayload(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, _, n, err := payload(r)
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, errMalformedXML()
	}
	b, err := io.ReadAll(io.LimitReader(body, max))
	if err != nil {
		return nil, bodyError(err)
	}
	return b, nil
}

// bodyError is the answer to a body that could not be read.
func bodyError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return protocol.Errorf("RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
	}
	return errIncompleteBody()
}

// maxTrailers bounds the bytes of an aws-chunked body's trailing headers:
// the SDKs send one checksum and at most a signature.
const maxTrailers = 8 << 10

func errMalformedTrailer() *protocol.Error {
	return protocol.Errorf("MalformedTrailerError", "The request contained trailing data that was not well-formed or did not conform to our published schema.")
}

// chunkReader decodes an aws-chunked body and keeps its trailers.
type chunkReader struct {
	br       *bufio.Reader
	left     int64 // bytes left in the current chunk
	started  bool
	done     bool
	trailers map[string]string
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// next reads the next chunk header, or the trailers after the last chunk.
func (c *chunkReader) next() error {
	if c.started {
		if crlf, err := c.line(); err != nil || crlf != "" {
			return errIncompleteBody()
		}
	}
	c.started = true
	head, err := c.line()
	if err != nil {
		return err
	}
	size, _, _ := strings.Cut(head, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if err != nil || n < 0 {
		return protocol.Errorf("InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes")
	}
	if n > 0 {
		c.left = n
		return nil
	}
	c.done = true
	c.trailers = map[string]string{}
	for size := 0; ; {
		l, err := c.line()
		if err == io.EOF || err == nil && l == "" {
			return nil
		}
		if err != nil {
			return err
		}
		if size += len(l); size > maxTrailers {
			// A trailer section that never ends is not read (nor kept)
			// for as long as it comes.
			return errMalformedTrailer()
		}
		k, v, _ := strings.Cut(l, ":")
		c.trailers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
}

// line reads one CRLF-terminated line of at most 4 KiB.
func (c *chunkReader) line() (string, error) {
	b, err := c.br.ReadSlice('\n')
	if err == io.EOF && len(b) == 0 {
		return "", io.EOF
	}
	if err != nil {
		return "", errIncompleteBody()
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// crc64NVME is the CRC-64/NVME table (polynomial 0xad93d23594c93659,
// reflected), the algorithm S3 calls CRC64NVME.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksumAlgorithms are the full-object checksums S3 computes, by the
// name its headers use after "x-amz-checksum-".
var checksumAlgorithms = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64NVME) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

// received is a request body stored in a temporary file.
type received struct {
	tmp          string
	size         int64
	md5          []byte
	checksumAlgo string // upper case, "" for none
	checksum     string
}

// receive stores r's body in a temporary file, checking its length against
// the size cap, Content-MD5 and any x-amz-checksum-* header or trailer.
// The caller keeps or removes the file.
func (s *Service) receive(w http.ResponseWriter, r *http.Request, max int64) (*received, error) {
	body, cr, n, err := payload(r)
	if err != nil {
		return nil, err
	}
	if n > max {
		e := protocol.Errorf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return nil, withField(withField(e, "ProposedSize", strconv.FormatInt(n, 10)), "MaxSizeAllowed", strconv.FormatInt(max, 10))
	}
	var wantMD5 []byte
	if v := r.Header.Get("Content-MD5"); v != "" {
		wantMD5, err = base64.StdEncoding.DecodeString(v)
		if err != nil || len(wantMD5) != md5.Size {
			return nil, protocol.Errorf("InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
	}
	algo, want := "", ""
	for name := range checksumAlgorithms {
		if v := r.Header.Get("x-amz-checksum-" + name); v != "" {
			algo, want = name, v
		}
	}
	if algo == "" {
		if t := strings.ToLower(r.Header.Get("x-amz-trailer")); strings.HasPrefix(t, "x-amz-checksum-") {
			algo = strings.TrimPrefix(t, "x-amz-checksum-")
		} else {
			algo = strings.ToLower(r.Header.Get("x-amz-sdk-checksum-algorithm"))
		}
		if _, ok := checksumAlgorithms[algo]; !ok {
			// S3 gives every object uploaded without a checksum a
			// full-object CRC64NVME (its default data integrity
			// protection since December 2024).
			algo = "crc64nvme"
		}
	}
	f, err := s.db.tempFile()
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	sum := md5.New()
	dst := io.MultiWriter(f, sum)
	var ck hash.Hash
	if algo != "" {
		ck = checksumAlgorithms[algo]()
		dst = io.MultiWriter(f, sum, ck)
	}
	got, err := io.Copy(dst, io.LimitReader(body, n+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if got != n {
		return nil, errIncompleteBody()
	}
	if cr != nil {
		// Drain to the trailers.
		if m, err := io.Copy(io.Discard, cr); err != nil || m != 0 {
			return nil, errIncompleteBody()
		}
		if want == "" && algo != "" {
			want = cr.trailers["x-amz-checksum-"+algo]
		}
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write s3 body: %w", err)
	}
	md := sum.Sum(nil)
	if wantMD5 != nil && !bytes.Equal(md, wantMD5) {
		e := protocol.Errorf("BadDigest", "The Content-MD5 you specified did not match what we received.")
		return nil, withField(withField(e, "ExpectedDigest", hex.EncodeToString(wantMD5)), "CalculatedDigest", base64.StdEncoding.EncodeToString(md))
	}
	rec := &received{tmp: f.Name(), size: n, md5: md}
	if ck != nil {
		computed := base64.StdEncoding.EncodeToString(ck.Sum(nil))
		if want != "" && want != computed {
			return nil, protocol.Errorf("BadDigest", "The %s you specified did not match the calculated checksum.", strings.ToUpper(algo))
		}
		rec.checksumAlgo, rec.checksum = strings.ToUpper(algo), computed
	}
	keep = true
	return rec, nil
}
