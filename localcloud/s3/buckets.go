package s3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// canonicalID is the account's S3 canonical user id: 64 hex digits, the
// same every time for the same account.
func canonicalID(account string) string {
	sum := sha256.Sum256([]byte("labkit s3 canonical user " + account))
	return hex.EncodeToString(sum[:])
}

type owner struct {
	ID string `xml:"ID"`
}

// ownBucket returns the caller's bucket called name: NoSuchBucket when
// there is none, AccessDenied when another account owns it (the local
// cloud has no bucket policies or ACLs that could grant access).
func (s *Service) ownBucket(ctx context.Context, name string) (bucket, error) {
	b, ok, err := s.db.bucket(ctx, name)
	switch {
	case err != nil:
		return bucket{}, err
	case !ok:
		return bucket{}, errNoSuchBucket(name)
	case b.Account != protocol.IdentityFrom(ctx).AccountID:
		return bucket{}, errAccessDenied()
	}
	return b, nil
}

type listBucketsResult struct {
	XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
	Xmlns             string        `xml:"xmlns,attr"`
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	Owner             owner         `xml:"Owner"`
	ContinuationToken string        `xml:"ContinuationToken,omitempty"`
	Prefix            string        `xml:"Prefix,omitempty"`
}

type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

// listBuckets is ListBuckets: the caller's buckets in name order, filtered
// by prefix and bucket-region, max-buckets (1 to 10,000) at a time.
func (s *Service) listBuckets(w http.ResponseWriter, r *http.Request) error {
	id := protocol.IdentityFrom(r.Context())
	q := r.URL.Query()
	limit := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("max-buckets", v, "Argument max-buckets must be an integer between 1 and 10000")
		}
		limit = n
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return errInvalidArgument("continuation-token", tok, "The continuation token provided is incorrect")
		}
		after = string(b)
	}
	all, err := s.db.buckets(r.Context(), id.AccountID)
	if err != nil {
		return err
	}
	out := listBucketsResult{Xmlns: xmlns, Owner: owner{ID: canonicalID(id.AccountID)}, Prefix: q.Get("prefix"), Buckets: []bucketEntry{}}
	for _, b := range all {
		if b.Name <= after || !strings.HasPrefix(b.Name, out.Prefix) {
			continue
		}
		if region := q.Get("bucket-region"); region != "" && b.Region != region {
			continue
		}
		if len(out.Buckets) == limit {
			out.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(out.Buckets[limit-1].Name))
			break
		}
		out.Buckets = append(out.Buckets, bucketEntry{Name: b.Name, CreationDate: timeISO(b.Created), BucketRegion: b.Region})
	}
	return writeXML(w, out)
}

type createBucketConfiguration struct {
	LocationConstraint string `xml:"LocationConstraint"`
}

// createBucket is CreateBucket. The us-east-1 endpoint creates a bucket in
// us-east-1 without a LocationConstraint and in any other region with
// one; another region's endpoint requires its own region as the
// constraint. Names are global: another account's bucket is
// BucketAlreadyExists; the caller's own is BucketAlreadyOwnedByYou, except
// that us-east-1 answers 200 for a bucket of its own there (AWS's legacy
// behaviour).
func (s *Service) createBucket(w http.ResponseWriter, r *http.Request, t target) error {
	ctx := r.Context()
	id := protocol.IdentityFrom(ctx)
	if !validBucketName(t.bucket) {
		return errInvalidBucketName(t.bucket)
	}
	var cfg createBucketConfiguration
	body, err := readPayload(w, r, 1<<20)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var probe struct {
			Inner []byte `xml:",innerxml"`
		}
		// An empty <CreateBucketConfiguration/> is malformed, as S3 says.
		if err := xml.Unmarshal(body, &probe); err != nil || len(strings.TrimSpace(string(probe.Inner))) == 0 {
			return errMalformedXML()
		}
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return errMalformedXML()
		}
	}
	region := id.Region
	switch lc := cfg.LocationConstraint; {
	case id.Region == "us-east-1" && lc == "us-east-1":
		return withField(protocol.Errorf("InvalidLocationConstraint", "The specified location-constraint is not valid"), "LocationConstraint", lc)
	case id.Region == "us-east-1" && lc != "":
		if lc == "EU" {
			lc = "eu-west-1"
		}
		region = lc
	case id.Region != "us-east-1" && lc == "":
		return protocol.Errorf("IllegalLocationConstraintException", "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case id.Region != "us-east-1" && lc != id.Region:
		return protocol.Errorf("IllegalLocationConstraintException", "The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
	}
	existing, created, err := s.db.createBucket(ctx, bucket{Name: t.bucket, Account: id.AccountID, Region: region, Created: s.now()})
	switch {
	case err != nil:
		return err
	case !created && existing.Account != id.AccountID:
		return withField(protocol.StatusErrorf(http.StatusConflict, "BucketAlreadyExists", "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."), "BucketName", t.bucket)
	case !created && !(existing.Region == "us-east-1" && region == "us-east-1"):
		return withField(protocol.StatusErrorf(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it."), "BucketName", t.bucket)
	}
	w.Header().Set("Location", "/"+t.bucket)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// headBucket is HeadBucket: 200 with the bucket's region, or the error's
// status without a body.
func (s *Service) headBucket(w http.ResponseWriter, r *http.Request, t target) error {
	b, ok, err := s.db.bucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	if ok {
		// S3 tells the region even to callers it refuses, so that
		// clients can find where a bucket is.
		w.Header().Set("x-amz-bucket-region", b.Region)
	}
	if _, err := s.ownBucket(r.Context(), t.bucket); err != nil {
		return err
	}
	w.Header().Set("x-amz-access-point-alias", "false")
	w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketLocation is GetBucketLocation: the region as its
// LocationConstraint, empty for us-east-1.
func (s *Service) getBucketLocation(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	lc := b.Region
	if lc == "us-east-1" {
		lc = ""
	}
	return writeXML(w, struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		Xmlns   string   `xml:"xmlns,attr"`
		Value   string   `xml:",chardata"`
	}{Xmlns: xmlns, Value: lc})
}

// getBucketVersioning is GetBucketVersioning: local buckets are never
// versioned, and a bucket that never was answers an empty configuration.
func (s *Service) getBucketVersioning(w http.ResponseWriter, r *http.Request, t target) error {
	if _, err := s.ownBucket(r.Context(), t.bucket); err != nil {
		return err
	}
	return writeXML(w, struct {
		XMLName xml.Name `xml:"VersioningConfiguration"`
		Xmlns   string   `xml:"xmlns,attr"`
	}{Xmlns: xmlns})
}

// deleteBucket is DeleteBucket: 204, or BucketNotEmpty while it holds
// objects.
func (s *Service) deleteBucket(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	empty, files, err := s.db.deleteBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	if !empty {
		return withField(protocol.StatusErrorf(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty"), "BucketName", t.bucket)
	}
	s.db.remove(b.Account, files...)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
