package s3

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// listing is what ListObjects and ListObjectsV2 share: the keys (and
// common prefixes) after a marker, in key order.
type listing struct {
	contents  []object
	prefixes  []string
	truncated bool
	last      string // the last key or common prefix returned
}

// list walks bucket's keys under prefix that sort after marker, rolling
// keys that contain delimiter after the prefix into common prefixes, until
// maxKeys entries (keys and prefixes together) are taken.
func (s *Service) list(r *http.Request, bucket, prefix, delimiter, marker string, maxKeys int) (listing, error) {
	var l listing
	if maxKeys == 0 {
		return l, nil // S3 answers max-keys=0 with nothing, not truncated
	}
	after := marker
	for {
		batch, err := s.db.objectsAfter(r.Context(), bucket, prefix, after, 1000)
		if err != nil {
			return listing{}, err
		}
		for _, o := range batch {
			after = o.Key
			if !strings.HasPrefix(o.Key, prefix) {
				return l, nil
			}
			entry, cp := o.Key, ""
			if delimiter != "" {
				if i := strings.Index(o.Key[len(prefix):], delimiter); i >= 0 {
					cp = o.Key[:len(prefix)+i+len(delimiter)]
					entry = cp
				}
			}
			if entry <= marker || cp != "" && len(l.prefixes) > 0 && l.prefixes[len(l.prefixes)-1] == cp {
				continue
			}
			if len(l.contents)+len(l.prefixes) == maxKeys {
				l.truncated = true
				return l, nil
			}
			if cp != "" {
				l.prefixes = append(l.prefixes, cp)
			} else {
				l.contents = append(l.contents, o)
			}
			l.last = entry
		}
		if len(batch) < 1000 {
			return l, nil
		}
	}
}

type listEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
	ChecksumAlgo string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listV2Result struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Xmlns                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []listEntry    `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
}

type listV1Result struct {
	XMLName        xml.Name       `xml:"ListBucketResult"`
	Xmlns          string         `xml:"xmlns,attr"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	Contents       []listEntry    `xml:"Contents"`
	CommonPrefixes []commonPrefix `xml:"CommonPrefixes"`
}

// listRequest finds the caller's bucket t names, then reads the list
// parameters every listing takes (a missing bucket answers first).
func (s *Service) listRequest(r *http.Request, t target) (b bucket, prefix, delimiter, encoding string, maxKeys int, err error) {
	if b, err = s.ownBucket(r.Context(), t.bucket); err != nil {
		return b, "", "", "", 0, err
	}
	prefix, delimiter, encoding, maxKeys, err = listParams(t)
	return b, prefix, delimiter, encoding, maxKeys, err
}

// listParams reads what both list versions take: prefix, delimiter,
// max-keys (0 to 1,000; more is 1,000) and encoding-type (only "url").
func listParams(t target) (prefix, delimiter, encoding string, maxKeys int, err error) {
	get := func(k string) string {
		if v := t.query[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	maxKeys = 1000
	if v := get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", "", "", 0, errInvalidArgument("max-keys", v, "Provided max-keys not an integer or within integer range")
		}
		maxKeys = min(n, 1000)
	}
	encoding = get("encoding-type")
	if encoding != "" && encoding != "url" {
		return "", "", "", 0, errInvalidArgument("encoding-type", encoding, "Invalid Encoding Method specified in Request")
	}
	return get("prefix"), get("delimiter"), encoding, maxKeys, nil
}

// encoder returns how names are written: as they are, or URL-encoded
// when encoding-type=url asked for it.
func encoder(encoding string) func(string) string {
	if encoding != "url" {
		return func(s string) string { return s }
	}
	return func(s string) string { return strings.ReplaceAll(urlEncode(s), "%2F", "/") }
}

// urlEncode escapes s as S3 does for encoding-type=url: unreserved
// characters kept, a space as "+", every other byte as %XX.
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

func entries(l listing, enc func(string) string, withOwner *owner) ([]listEntry, []commonPrefix) {
	var cs []listEntry
	for _, o := range l.contents {
		e := listEntry{Key: enc(o.Key), LastModified: timeISO(o.Modified), ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD", Owner: withOwner}
		if o.ChecksumAlgo != "" {
			e.ChecksumAlgo, e.ChecksumType = o.ChecksumAlgo, "FULL_OBJECT"
		}
		cs = append(cs, e)
	}
	var ps []commonPrefix
	for _, p := range l.prefixes {
		ps = append(ps, commonPrefix{Prefix: enc(p)})
	}
	return cs, ps
}

// listObjectsV2 is ListObjectsV2: pages continue from an opaque
// continuation token (the last name returned) or start after StartAfter.
func (s *Service) listObjectsV2(w http.ResponseWriter, r *http.Request, t target) error {
	b, prefix, delimiter, encoding, maxKeys, err := s.listRequest(r, t)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	token, startAfter := q.Get("continuation-token"), q.Get("start-after")
	marker := startAfter
	if _, ok := q["continuation-token"]; ok {
		m, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return errInvalidArgument("continuation-token", token, "The continuation token provided is incorrect")
		}
		marker = string(m)
	}
	l, err := s.list(r, b.Name, prefix, delimiter, marker, maxKeys)
	if err != nil {
		return err
	}
	enc := encoder(encoding)
	var ow *owner
	if q.Get("fetch-owner") == "true" {
		ow = &owner{ID: canonicalID(b.Account)}
	}
	out := listV2Result{Xmlns: xmlns, Name: b.Name, Prefix: enc(prefix), Delimiter: enc(delimiter), MaxKeys: maxKeys, EncodingType: encoding,
		KeyCount: len(l.contents) + len(l.prefixes), IsTruncated: l.truncated, ContinuationToken: token, StartAfter: enc(startAfter)}
	out.Contents, out.CommonPrefixes = entries(l, enc, ow)
	if l.truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(l.last))
	}
	return writeXML(w, out)
}

// listObjects is ListObjects (version 1): pages continue after Marker;
// NextMarker is given when a delimiter was.
func (s *Service) listObjects(w http.ResponseWriter, r *http.Request, t target) error {
	b, prefix, delimiter, encoding, maxKeys, err := s.listRequest(r, t)
	if err != nil {
		return err
	}
	marker := r.URL.Query().Get("marker")
	l, err := s.list(r, b.Name, prefix, delimiter, marker, maxKeys)
	if err != nil {
		return err
	}
	enc := encoder(encoding)
	out := listV1Result{Xmlns: xmlns, Name: b.Name, Prefix: enc(prefix), Marker: enc(marker), MaxKeys: maxKeys, Delimiter: enc(delimiter),
		EncodingType: encoding, IsTruncated: l.truncated}
	out.Contents, out.CommonPrefixes = entries(l, enc, &owner{ID: canonicalID(b.Account)})
	if l.truncated && delimiter != "" {
		out.NextMarker = enc(l.last)
	}
	return writeXML(w, out)
}

type versionEntry struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner"`
}

type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Versions            []versionEntry `xml:"Version"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

// listObjectVersions is ListObjectVersions of an unversioned bucket: each
// object is its only version, "null", and there are no delete markers.
func (s *Service) listObjectVersions(w http.ResponseWriter, r *http.Request, t target) error {
	b, prefix, delimiter, encoding, maxKeys, err := s.listRequest(r, t)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	marker := q.Get("key-marker")
	l, err := s.list(r, b.Name, prefix, delimiter, marker, maxKeys)
	if err != nil {
		return err
	}
	enc := encoder(encoding)
	out := listVersionsResult{Xmlns: xmlns, Name: b.Name, Prefix: enc(prefix), KeyMarker: enc(marker), VersionIDMarker: q.Get("version-id-marker"),
		MaxKeys: maxKeys, Delimiter: enc(delimiter), EncodingType: encoding, IsTruncated: l.truncated}
	ow := &owner{ID: canonicalID(b.Account)}
	for _, o := range l.contents {
		out.Versions = append(out.Versions, versionEntry{Key: enc(o.Key), VersionID: "null", IsLatest: true, LastModified: timeISO(o.Modified),
			ETag: o.ETag, Size: o.Size, StorageClass: "STANDARD", Owner: ow})
	}
	for _, p := range l.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	if l.truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = enc(l.last), "null"
	}
	return writeXML(w, out)
}
