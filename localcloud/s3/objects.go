package s3

import (
	"context"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// storedHeaders are the request headers an object keeps and answers on GET
// and HEAD, besides Content-Type and x-amz-meta-*.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", "X-Amz-Website-Redirect-Location"}

// maxMetadata is S3's limit on user metadata: 2 KB of names and values.
const maxMetadata = 2048

// objectHeaders reads the headers a PUT stores with an object.
func objectHeaders(r *http.Request) (contentType string, headers map[string]string, err error) {
	headers = map[string]string{}
	size := 0
	for k, v := range r.Header {
		lk := strings.ToLower(k)
		if name, ok := strings.CutPrefix(lk, "x-amz-meta-"); ok {
			headers[lk] = strings.Join(v, ",")
			size += len(name) + len(headers[lk])
		}
	}
	if size > maxMetadata {
		e := protocol.Errorf("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.")
		return "", nil, withField(e, "MaxSizeAllowed", strconv.Itoa(maxMetadata))
	}
	for _, k := range storedHeaders {
		v := r.Header.Get(k)
		if k == "Content-Encoding" {
			// aws-chunked describes the request, not the object.
			var kept []string
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(e); e != "" && e != "aws-chunked" {
					kept = append(kept, e)
				}
			}
			v = strings.Join(kept, ",")
		}
		if v != "" {
			headers[k] = v
		}
	}
	contentType = r.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "binary/octet-stream"
	}
	return contentType, headers, nil
}

// store keeps a received body (the temporary file tmp) as o.
func (s *Service) store(ctx context.Context, b bucket, o object, tmp string) error {
	return s.storeIf(ctx, b, o, tmp, nil)
}

// storeIf is store when check, given whether the key exists and its ETag,
// allows it (nil: always), decided atomically with the write.
func (s *Service) storeIf(ctx context.Context, b bucket, o object, tmp string, check func(exists bool, etag string) error) error {
	file, err := s.db.keep(b.Account, tmp)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	o.File = file
	old, gone, err := s.db.putObject(ctx, o, check)
	if err != nil || gone {
		s.db.remove(b.Account, file)
		if gone {
			return errNoSuchBucket(b.Name)
		}
		return err
	}
	s.db.remove(b.Account, old)
	return nil
}

// putObject is PutObject.
func (s *Service) putObject(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	ct, headers, err := objectHeaders(r)
	if err != nil {
		return err
	}
	check := writeCondition(r, t.key)
	if check != nil {
		// Refuse before the body is read when the answer is known.
		cur, ok, err := s.db.object(r.Context(), b.Name, t.key)
		if err != nil {
			return err
		}
		if err := check(ok, cur.ETag); err != nil {
			return err
		}
	}
	rec, err := s.receive(w, r, s.maxSize)
	if err != nil {
		return err
	}
	o := object{Bucket: b.Name, Key: t.key, Size: rec.size, ETag: `"` + hex.EncodeToString(rec.md5) + `"`, ContentType: ct, Headers: headers,
		ChecksumAlgo: rec.checksumAlgo, Checksum: rec.checksum, Modified: s.now().UTC()}
	if err := s.storeIf(r.Context(), b, o, rec.tmp, check); err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", o.ETag)
	h.Set("x-amz-server-side-encryption", "AES256")
	if o.ChecksumAlgo != "" {
		h.Set("x-amz-checksum-"+strings.ToLower(o.ChecksumAlgo), o.Checksum)
		h.Set("x-amz-checksum-type", "FULL_OBJECT")
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// lookup returns an object of the caller's bucket, checking versionId: an
// unversioned bucket's only version is "null".
func (s *Service) lookup(r *http.Request, t target) (bucket, object, error) {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return bucket{}, object{}, err
	}
	if v, ok := t.query["versionId"]; ok && (len(v) == 0 || v[0] != "null") {
		return bucket{}, object{}, errInvalidArgument("versionId", strings.Join(v, ""), "Invalid version id specified")
	}
	o, ok, err := s.db.object(r.Context(), b.Name, t.key)
	if err != nil {
		return bucket{}, object{}, err
	}
	if !ok {
		return bucket{}, object{}, errNoSuchKey(t.key)
	}
	return b, o, nil
}

// objectResponseHeaders sets the headers GET and HEAD answer an object with.
func objectResponseHeaders(h http.Header, o object) {
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", o.ContentType)
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-amz-server-side-encryption", "AES256")
	for k, v := range o.Headers {
		if strings.HasPrefix(k, "x-amz-meta-") {
			// As S3 sends them: lower case, not canonicalised.
			h[k] = []string{v}
			continue
		}
		h.Set(k, v)
	}
	// An object opened in the browser (a presigned URL) would render at
	// the cloud's own origin, whose pages the guard lets call every
	// service: an HTML or SVG object's script could create and invoke a
	// function. Sandboxed, it renders in an opaque origin whose calls the
	// guard refuses as another site's.
	h.Set("Content-Security-Policy", protocol.SandboxCSP)
}

// precondition applies If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since in the order S3 documents; done is true when it
// answered (304) or err holds the 412.
func precondition(w http.ResponseWriter, r *http.Request, o object) (done bool, err error) {
	mod := o.Modified.Truncate(time.Second)
	failed := func(cond string) (bool, error) {
		e := protocol.StatusErrorf(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return true, withField(e, "Condition", cond)
	}
	im := r.Header.Get("If-Match")
	if im != "" && !etagMatch(im, o.ETag) {
		return failed("If-Match")
	}
	if v := r.Header.Get("If-Unmodified-Since"); im == "" && v != "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return failed("If-Unmodified-Since")
		}
	}
	inm := r.Header.Get("If-None-Match")
	notModified := inm != "" && etagMatch(inm, o.ETag)
	if v := r.Header.Get("If-Modified-Since"); inm == "" && v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			notModified = true
		}
	}
	if notModified {
		w.Header().Set("ETag", o.ETag)
		w.Header().Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusNotModified)
		return true, nil
	}
	return false, nil
}

// writeCondition is a conditional PutObject's test (S3's conditional
// writes): If-None-Match "*" wants no object under the key, If-Match one
// with that ETag. nil when the request has neither.
func writeCondition(r *http.Request, key string) func(exists bool, etag string) error {
	inm, im := r.Header.Get("If-None-Match"), r.Header.Get("If-Match")
	if inm == "" && im == "" {
		return nil
	}
	failed := func(cond string) error {
		e := protocol.StatusErrorf(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return withField(e, "Condition", cond)
	}
	return func(exists bool, etag string) error {
		switch {
		case inm != "" && exists && etagMatch(inm, etag):
			return failed("If-None-Match")
		case im != "" && !exists:
			return errNoSuchKey(key)
		case im != "" && !etagMatch(im, etag):
			return failed("If-Match")
		}
		return nil
	}
}

// etagMatch reports whether an If-Match/If-None-Match list names etag.
func etagMatch(list, etag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag || `"`+v+`"` == etag {
			return true
		}
	}
	return false
}

// byteRange parses a single-range "bytes=" header against size: ok false
// means no usable range (S3 then answers the whole object), and err is
// InvalidRange when the range starts past the end.
func byteRange(v string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	unsatisfiable := func() (int64, int64, bool, error) {
		e := protocol.StatusErrorf(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
		return 0, 0, false, withField(withField(e, "RangeRequested", v), "ActualObjectSize", strconv.FormatInt(size, 10))
	}
	if a == "" { // the last b bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return unsatisfiable()
		}
		return max(size-n, 0), size - 1, true, nil
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end = size - 1
	var err2 error
	if b != "" {
		end, err2 = strconv.ParseInt(b, 10, 64)
	}
	if err1 != nil || err2 != nil || start < 0 || b != "" && end < start {
		return 0, 0, false, nil // not a range S3 reads: the whole object
	}
	if start >= size {
		return unsatisfiable()
	}
	return start, min(end, size-1), true, nil
}

// responseOverrides are the query parameters that set a GET's response
// headers.
var responseOverrides = map[string]string{"response-content-type": "Content-Type", "response-content-language": "Content-Language",
	"response-expires": "Expires", "response-cache-control": "Cache-Control", "response-content-disposition": "Content-Disposition",
	"response-content-encoding": "Content-Encoding"}

// getObject is GetObject and HeadObject: the object's headers and, for GET,
// its bytes (or one byte range of them), streamed from its file.
func (s *Service) getObject(w http.ResponseWriter, r *http.Request, t target) error {
	b, o, err := s.lookup(r, t)
	if err != nil {
		return err
	}
	if done, err := precondition(w, r, o); done || err != nil {
		return err
	}
	start, end, ranged, err := byteRange(r.Header.Get("Range"), o.Size)
	if err != nil {
		return err
	}
	if v, ok := t.query["partNumber"]; ok {
		// An object uploaded in one piece is its only part: part 1 is
		// the whole object, answered as a range.
		if strings.Contains(o.ETag, "-") {
			return errNotImplemented() // the parts of a multipart object are not kept apart
		}
		if len(v) == 0 || v[0] != "1" || o.Size == 0 {
			return protocol.StatusErrorf(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable")
		}
		start, end, ranged = 0, o.Size-1, true
		w.Header().Set("x-amz-mp-parts-count", "1")
	}
	h := w.Header()
	objectResponseHeaders(h, o)
	for q, hk := range responseOverrides {
		if v := t.query[q]; len(v) > 0 {
			h.Set(hk, v[0])
		}
	}
	if o.ChecksumAlgo != "" && !ranged && strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED") {
		h.Set("x-amz-checksum-"+strings.ToLower(o.ChecksumAlgo), o.Checksum)
		h.Set("x-amz-checksum-type", "FULL_OBJECT")
	}
	length, status := o.Size, http.StatusOK
	if ranged {
		length, status = end-start+1, http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, o.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	f, err := os.Open(s.db.path(b.Account, o.File))
	if err != nil {
		h.Del("Content-Length")
		return fmt.Errorf("open body of %s: %w", o.Key, err)
	}
	defer f.Close()
	w.WriteHeader(status)
	if _, err := io.Copy(w, io.NewSectionReader(f, start, length)); err != nil {
		s.log.DebugContext(r.Context(), "object body not sent whole", "bucket", b.Name, "err", err)
	}
	return nil
}

// deleteObject is DeleteObject: 204 whether or not the key existed.
func (s *Service) deleteObject(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	file, err := s.db.deleteObject(r.Context(), b.Name, t.key)
	if err != nil {
		return err
	}
	s.db.remove(b.Account, file)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"DeleteResult"`
	Xmlns   string          `xml:"xmlns,attr"`
	Deleted []deletedEntry  `xml:"Deleted"`
	Errors  []deleteFailure `xml:"Error"`
}

type deletedEntry struct {
	Key string `xml:"Key"`
}

type deleteFailure struct {
	Key     string `xml:"Key"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// deleteObjects is DeleteObjects: up to 1,000 keys, each reported deleted
// (missing keys too, as S3 does) unless Quiet.
func (s *Service) deleteObjects(w http.ResponseWriter, r *http.Request, t target) error {
	digest := r.Header.Get("Content-MD5") != "" || r.Header.Get("x-amz-trailer") != ""
	for name := range checksumAlgorithms {
		digest = digest || r.Header.Get("x-amz-checksum-"+name) != ""
	}
	if !digest {
		return protocol.Errorf("InvalidRequest", "Missing required header for this request: Content-MD5")
	}
	rec, err := s.receive(w, r, 2<<20)
	if err != nil {
		return err
	}
	body, err := os.ReadFile(rec.tmp)
	os.Remove(rec.tmp)
	if err != nil {
		return fmt.Errorf("read delete request: %w", err)
	}
	var req deleteRequest
	if err := xml.Unmarshal(body, &req); err != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return errMalformedXML()
	}
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	out := deleteResult{Xmlns: xmlns}
	for _, o := range req.Objects {
		if o.VersionID != "" && o.VersionID != "null" {
			out.Errors = append(out.Errors, deleteFailure{Key: o.Key, Code: "NoSuchVersion", Message: "The specified version does not exist."})
			continue
		}
		file, err := s.db.deleteObject(r.Context(), b.Name, o.Key)
		if err != nil {
			return err
		}
		s.db.remove(b.Account, file)
		if !req.Quiet {
			out.Deleted = append(out.Deleted, deletedEntry{Key: o.Key})
		}
	}
	return writeXML(w, out)
}

// copySource parses x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// URL-encoded.
func copySource(v string) (bucket, key, version string, err error) {
	v, q, _ := strings.Cut(v, "?")
	if q != "" {
		vals, _ := url.ParseQuery(q)
		version = vals.Get("versionId")
	}
	p, err := url.PathUnescape(strings.TrimPrefix(v, "/"))
	if err != nil {
		return "", "", "", errInvalidArgument("x-amz-copy-source", v, "Invalid copy source encoding")
	}
	bucket, key, _ = strings.Cut(p, "/")
	if bucket == "" || key == "" {
		return "", "", "", errInvalidArgument("x-amz-copy-source", v, "Invalid copy source object key")
	}
	return bucket, key, version, nil
}

type copyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

// copyObject is CopyObject: the source's bytes under the target key, with
// its metadata (COPY) or the request's (REPLACE).
func (s *Service) copyObject(w http.ResponseWriter, r *http.Request, t target) error {
	srcBucket, srcKey, version, err := copySource(r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	src := target{bucket: srcBucket, key: srcKey, query: map[string][]string{}}
	if version != "" {
		src.query["versionId"] = []string{version}
	}
	sb, so, err := s.lookup(r, src)
	if err != nil {
		return err
	}
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	o := so
	o.Bucket, o.Key, o.Modified = b.Name, t.key, s.now().UTC()
	switch d := r.Header.Get("x-amz-metadata-directive"); d {
	case "", "COPY":
		if sb.Name == b.Name && so.Key == t.key {
			return protocol.Errorf("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	case "REPLACE":
		if o.ContentType, o.Headers, err = objectHeaders(r); err != nil {
			return err
		}
	default:
		return errInvalidArgument("x-amz-metadata-directive", d, "Unknown metadata directive.")
	}
	tmp, err := s.copyFile(sb.Account, so.File)
	if err != nil {
		return err
	}
	if err := s.store(r.Context(), b, o, tmp); err != nil {
		return err
	}
	return writeXML(w, copyResult{Xmlns: xmlns, LastModified: timeISO(o.Modified), ETag: o.ETag})
}

// copyFile copies a stored body into a new temporary file.
func (s *Service) copyFile(account, file string) (string, error) {
	in, err := os.Open(s.db.path(account, file))
	if err != nil {
		return "", fmt.Errorf("open copy source: %w", err)
	}
	defer in.Close()
	out, err := s.db.tempFile()
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("copy object body: %w", err)
	}
	return out.Name(), nil
}
