package s3

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/localcloud/activity"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// DefaultMaxObjectSize is the largest object a PutObject, CopyObject or
// completed multipart upload may make: 1 GiB. AWS allows 5 GB in one PUT
// and 5 TB in parts; the local cloud keeps every byte on the learner's
// disk, and the largest thing a lab stores is a Lambda deployment package
// (at most 250 MB unzipped), so 1 GiB leaves room for any lab while a
// runaway upload loop cannot fill a laptop's disk one object at a time.
const DefaultMaxObjectSize int64 = 1 << 30

// DefaultUploadMaxAge is how old an unfinished multipart upload may be when
// the service starts before it is aborted: 7 days, the DaysAfterInitiation
// of the AbortIncompleteMultipartUpload lifecycle rule in the S3 user
// guide's example. AWS keeps an upload until it is completed or aborted
// (or a lifecycle rule aborts it) and bills its parts; the local cloud
// keeps parts on the learner's disk, where an abandoned upload would hold
// up to MaxObjectSize for ever.
const DefaultUploadMaxAge = 7 * 24 * time.Hour

// Config configures the S3 service.
type Config struct {
	// DataDir is the cloud's data directory: s3.db and the object bodies
	// under s3/<account>/ live there.
	DataDir string
	Logger  *slog.Logger
	Bus     *activity.Bus
	// MaxObjectSize bounds an object's size; 0 means DefaultMaxObjectSize.
	// Larger uploads fail with AWS's EntityTooLarge.
	MaxObjectSize int64
	// UploadMaxAge: multipart uploads initiated longer ago are aborted
	// when the service starts; 0 means DefaultUploadMaxAge, negative
	// keeps them all.
	UploadMaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is the local S3.
type Service struct {
	db      *db
	log     *slog.Logger
	bus     *activity.Bus
	maxSize int64
	now     func() time.Time
}

// New opens the S3 store under cfg.DataDir.
func New(cfg Config) (*Service, error) {
	d, err := openDB(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	s := &Service{db: d, log: cfg.Logger, bus: cfg.Bus, maxSize: cfg.MaxObjectSize, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxSize <= 0 {
		s.maxSize = DefaultMaxObjectSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	if age := cfg.UploadMaxAge; age >= 0 {
		if age == 0 {
			age = DefaultUploadMaxAge
		}
		n, err := s.abortUploadsBefore(context.Background(), s.now().Add(-age))
		if err != nil {
			d.sql.Close()
			return nil, fmt.Errorf("s3: %w", err)
		}
		if n > 0 {
			s.log.Info("aborted abandoned multipart uploads", "count", n, "initiated_before", s.now().Add(-age).UTC().Format(time.RFC3339))
		}
	}
	return s, nil
}

// Route tells the router which requests are S3's: every request signed
// for "s3", whatever its path (a bucket and key) and body (any content).
// Only a browser-based upload form reaches it unsigned (and is answered
// NotImplemented); other unsigned requests for a bucket are refused by
// anonymous; the guard's host and origin rules apply unchanged.
func (s *Service) Route() protocol.Route {
	return protocol.Route{Service: "s3", ByScope: true, RequestID: requestID, Handler: s, Unsigned: postUpload, Anonymous: s.anonymous}
}

// anonymous answers an unsigned request for a bucket or an object (in the
// path or a BUCKET.localhost host name) as S3 answers anonymous requests to
// a private bucket: 404 NoSuchBucket when the bucket does not exist, else
// 403 AccessDenied, whatever the operation; it reads no object and writes
// nothing. It leaves requests naming no valid bucket to the router.
func (s *Service) anonymous(w http.ResponseWriter, r *http.Request) bool {
	t := parseTarget(r)
	if !validBucketName(t.bucket) {
		return false
	}
	id := requestID()
	w.Header().Set("X-Amzn-RequestId", id)
	w.Header().Set("X-Amz-Request-Id", id)
	r = r.WithContext(protocol.WithRequestID(r.Context(), id))
	_, found, err := s.db.bucket(r.Context(), t.bucket)
	switch {
	case err != nil:
	case !found:
		err = errNoSuchBucket(t.bucket)
	default:
		err = errAccessDenied()
	}
	s.writeError(w, r, err)
	return true
}

// postUpload reports whether r is a browser-based upload: an HTML form
// POSTed to a bucket (multipart/form-data, path-style "/bucket" or
// virtual-host "/"), its signature in the form's fields. S3 answers it
// (NotImplemented here) whatever its headers; the guard's host and origin
// rules still apply, so another site's page is refused first.
func postUpload(r *http.Request) bool {
	if r.Method != http.MethodPost || r.URL.RawQuery != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return false
	}
	t := parseTarget(r)
	return t.key == "" && validBucketName(t.bucket)
}

// Close closes the database.
func (s *Service) Close() error { return s.db.sql.Close() }

// requestID makes S3's request ids: 16 upper-case hex digits.
func requestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// hostID is the x-amz-id-2 of a response, a random token as S3's is.
func hostID(*http.Request) string {
	var b [48]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// target is what a request addresses.
type target struct {
	bucket, key string
	query       map[string][]string
}

func (t target) has(sub string) bool { _, ok := t.query[sub]; return ok }

// parseTarget reads the bucket and key from the Host (virtual-host style)
// or the path (path-style). The key is the rest of the path, unescaped
// once, as S3 reads it: "a//b" and "../x" are keys like any other.
func parseTarget(r *http.Request) target {
	t := target{query: r.URL.Query()}
	path := r.URL.EscapedPath()
	if p, err := unescapePath(path); err == nil {
		path = p
	} else {
		path = r.URL.Path
	}
	path = strings.TrimPrefix(path, "/")
	if b := bucketFromHost(r.Host); b != "" {
		t.bucket, t.key = b, path
		return t
	}
	t.bucket, t.key, _ = strings.Cut(path, "/")
	return t
}

// unescapePath decodes %XX escapes and nothing else ("+" stays "+", as S3
// reads keys in paths).
func unescapePath(p string) (string, error) {
	if !strings.Contains(p, "%") {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i+2 >= len(p) {
			return "", fmt.Errorf("bad escape in %q", p)
		}
		v, err := strconv.ParseUint(p[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", p)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// unsupported are sub-resources of buckets and objects the local S3 does
// not serve: a request naming one answers NotImplemented.
var unsupported = []string{"accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "lifecycle", "logging", "metadataTable", "metrics", "notification", "object-lock",
	"ownershipControls", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore",
	"retention", "select", "session", "torrent", "website", "renameObject"}

// ServeHTTP dispatches a request to its operation by method, target and
// sub-resource, as S3's REST API defines them.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amz-id-2", hostID(r))
	t := parseTarget(r)
	err := s.checkRegion(w, r, t)
	if err == nil {
		err = s.serve(w, r, t)
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

// checkRegion answers a request for an existing bucket of the caller's
// that is signed for another region as S3's regional endpoints do: 301
// PermanentRedirect, with the bucket's region in x-amz-bucket-region (the
// AWS CLI and boto3 read it and retry there; the Go SDK reports the
// error). ListBuckets, CreateBucket, GetBucketLocation and requests
// without a region in their signature (SigV2 presigned URLs) are not
// checked.
func (s *Service) checkRegion(w http.ResponseWriter, r *http.Request, t target) error {
	if t.bucket == "" || t.key == "" && (r.Method == http.MethodPut && len(t.query) == 0 || t.has("location")) {
		return nil // ListBuckets, CreateBucket, GetBucketLocation: any region
	}
	cred, ok := protocol.ParseCredential(r)
	if !ok || cred.Region == "" {
		return nil
	}
	b, found, err := s.db.bucket(r.Context(), t.bucket)
	if err != nil || !found || b.Account != protocol.IdentityFrom(r.Context()).AccountID || b.Region == cred.Region {
		return err
	}
	w.Header().Set("x-amz-bucket-region", b.Region)
	e := protocol.StatusErrorf(http.StatusMovedPermanently, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.")
	return withField(withField(e, "Bucket", b.Name), "Endpoint", "s3."+b.Region+".amazonaws.com")
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request, t target) error {
	if err := s.checkSigV2(r.Context(), r, t); err != nil {
		return err
	}
	for _, sub := range unsupported {
		if t.has(sub) {
			return errNotImplemented()
		}
	}
	m := r.Method
	switch {
	case t.bucket == "":
		if m == http.MethodGet {
			return s.listBuckets(w, r)
		}
		return errMethodNotAllowed(m, "SERVICE")
	case t.key == "":
		return s.serveBucket(w, r, t)
	case t.has("tagging") || t.has("policy") || t.has("versions"):
		return errNotImplemented()
	case len(t.key) > maxKeyLen:
		return protocol.Errorf("KeyTooLongError", "Your key is too long")
	case !utf8.ValidString(t.key):
		// Keys are UTF-8: S3 cannot parse a path that decodes to less.
		return protocol.Errorf("InvalidURI", "Couldn't parse the specified URI.")
	}
	switch m {
	case http.MethodPut:
		switch {
		case t.has("uploadId") || t.has("partNumber"):
			return s.uploadPart(w, r, t)
		case r.Header.Get("x-amz-copy-source") != "":
			return s.copyObject(w, r, t)
		}
		return s.putObject(w, r, t)
	case http.MethodGet, http.MethodHead:
		if t.has("uploadId") {
			return s.listParts(w, r, t)
		}
		return s.getObject(w, r, t)
	case http.MethodDelete:
		if t.has("uploadId") {
			return s.abortUpload(w, r, t)
		}
		return s.deleteObject(w, r, t)
	case http.MethodPost:
		switch {
		case t.has("uploads"):
			return s.createUpload(w, r, t)
		case t.has("uploadId"):
			return s.completeUpload(w, r, t)
		}
	}
	return errMethodNotAllowed(m, "OBJECT")
}

func (s *Service) serveBucket(w http.ResponseWriter, r *http.Request, t target) error {
	switch {
	case t.has("policy"):
		return s.serveBucketDoc(w, r, t, docPolicy)
	case t.has("tagging"):
		return s.serveBucketDoc(w, r, t, docTagging)
	case t.has("versions") && r.Method == http.MethodGet:
		return s.listObjectVersions(w, r, t)
	case t.has("versions"):
		return errMethodNotAllowed(r.Method, "BUCKET")
	}
	switch r.Method {
	case http.MethodPut:
		if t.has("versioning") {
			return errNotImplemented()
		}
		return s.createBucket(w, r, t)
	case http.MethodHead:
		return s.headBucket(w, r, t)
	case http.MethodGet:
		switch {
		case t.has("location"):
			return s.getBucketLocation(w, r, t)
		case t.has("versioning"):
			return s.getBucketVersioning(w, r, t)
		case t.has("uploads"):
			return s.listUploads(w, r, t)
		case t.query["list-type"] != nil:
			return s.listObjectsV2(w, r, t)
		}
		return s.listObjects(w, r, t)
	case http.MethodDelete:
		return s.deleteBucket(w, r, t)
	case http.MethodPost:
		switch {
		case t.has("delete"):
			return s.deleteObjects(w, r, t)
		case postUpload(r):
			return errNotImplemented() // a browser-based (form) upload
		}
	}
	return errMethodNotAllowed(r.Method, "BUCKET")
}

// xmlns is S3's namespace, on the root of every XML answer.
const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// writeXML answers v as XML with status 200.
func writeXML(w http.ResponseWriter, v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	b = append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// readXML decodes a request body of at most 1 MiB into v; anything
// malformed is MalformedXML.
func readXML(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := protocol.ReadBody(w, r, 1<<20)
	if err != nil {
		return errMalformedXML()
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return errMalformedXML()
	}
	return nil
}

// timeISO is how S3's XML writes times.
func timeISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
