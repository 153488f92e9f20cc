package s3

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Multipart uploads, as `aws s3 cp` and the SDKs' upload managers send
// files over 8 MB: CreateMultipartUpload, UploadPart, CompleteMultipartUpload
// (parts in ascending order, each but the last at least 5 MiB, ETag
// "<md5 of the parts' md5s>-<count>"), AbortMultipartUpload, ListParts and
// ListMultipartUploads. Parts are files like objects' bodies; completing
// concatenates them into the object's file.

// minPartSize is S3's smallest part but the last: 5 MiB.
const minPartSize = 5 << 20

func errNoSuchUpload(id string) *protocol.Error {
	e := protocol.StatusErrorf(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	return withField(e, "UploadId", id)
}

// ownUpload returns the upload t's uploadId names, for t's bucket and key.
func (s *Service) ownUpload(r *http.Request, t target) (bucket, upload, error) {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return bucket{}, upload{}, err
	}
	id := r.URL.Query().Get("uploadId")
	u, ok, err := s.db.upload(r.Context(), id)
	if err != nil {
		return bucket{}, upload{}, err
	}
	if !ok || u.Bucket != b.Name || u.Key != t.key {
		return bucket{}, upload{}, errNoSuchUpload(id)
	}
	return b, u, nil
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// createUpload is CreateMultipartUpload: the object's Content-Type and
// metadata are taken now.
func (s *Service) createUpload(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	ct, headers, err := objectHeaders(r)
	if err != nil {
		return err
	}
	var raw [48]byte
	rand.Read(raw[:])
	u := upload{ID: base64.RawURLEncoding.EncodeToString(raw[:]), Bucket: b.Name, Key: t.key, Initiated: s.now().UTC(), ContentType: ct, Headers: headers}
	if err := s.db.createUpload(r.Context(), u); err != nil {
		return err
	}
	return writeXML(w, initiateResult{Xmlns: xmlns, Bucket: b.Name, Key: t.key, UploadID: u.ID})
}

// uploadPart is UploadPart: part numbers 1 to 10,000; a number sent again
// replaces its part. An upload's parts together stay within the object
// cap (EntityTooLarge).
func (s *Service) uploadPart(w http.ResponseWriter, r *http.Request, t target) error {
	if r.Method != http.MethodPut {
		return errMethodNotAllowed(r.Method, "OBJECT")
	}
	if r.Header.Get("x-amz-copy-source") != "" {
		return errNotImplemented() // UploadPartCopy
	}
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return errInvalidArgument("partNumber", q.Get("partNumber"), "Part number must be an integer between 1 and 10000, inclusive")
	}
	b, u, err := s.ownUpload(r, t)
	if err != nil {
		return err
	}
	// The upload's other parts and this one must fit in one object: parts
	// past the cap could never be completed, only fill the disk.
	stored, err := s.db.parts(r.Context(), u.ID)
	if err != nil {
		return err
	}
	budget := s.maxSize
	for _, p := range stored {
		if p.Number != n {
			budget -= p.Size
		}
	}
	rec, err := s.receive(w, r, max(budget, 0))
	if err != nil {
		return err
	}
	file, err := s.db.keep(b.Account, rec.tmp)
	if err != nil {
		os.Remove(rec.tmp)
		return err
	}
	p := part{Number: n, Size: rec.size, ETag: `"` + hex.EncodeToString(rec.md5) + `"`, Modified: s.now().UTC(), File: file}
	old, gone, err := s.db.putPart(r.Context(), u.ID, p)
	if err != nil || gone {
		s.db.remove(b.Account, file)
		if gone {
			return errNoSuchUpload(u.ID)
		}
		return err
	}
	s.db.remove(b.Account, old)
	w.Header().Set("ETag", p.ETag)
	w.Header().Set("x-amz-server-side-encryption", "AES256")
	if h := "x-amz-checksum-" + strings.ToLower(rec.checksumAlgo); r.Header.Get(h) != "" || strings.EqualFold(r.Header.Get("x-amz-trailer"), h) {
		w.Header().Set(h, rec.checksum) // the part checksum the client sent
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

type completeRequest struct {
	Parts []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// completeUpload is CompleteMultipartUpload.
func (s *Service) completeUpload(w http.ResponseWriter, r *http.Request, t target) error {
	b, u, err := s.ownUpload(r, t)
	if err != nil {
		return err
	}
	body, err := readPayload(w, r, 2<<20)
	if err != nil {
		return err
	}
	var req completeRequest
	if err := xml.Unmarshal(body, &req); err != nil || len(req.Parts) == 0 {
		return errMalformedXML()
	}
	stored, err := s.db.parts(r.Context(), u.ID)
	if err != nil {
		return err
	}
	byNumber := map[int]part{}
	for _, p := range stored {
		byNumber[p.Number] = p
	}
	var chosen []part
	var total int64
	sums := md5.New()
	for i := 1; i < len(req.Parts); i++ {
		if req.Parts[i].PartNumber <= req.Parts[i-1].PartNumber {
			return protocol.Errorf("InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
	}
	for i, rp := range req.Parts {
		p, ok := byNumber[rp.PartNumber]
		if !ok || strings.Trim(rp.ETag, `"`) != strings.Trim(p.ETag, `"`) {
			e := protocol.Errorf("InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
			return withField(withField(e, "PartNumber", strconv.Itoa(rp.PartNumber)), "ETag", rp.ETag)
		}
		if i < len(req.Parts)-1 && p.Size < minPartSize {
			e := protocol.Errorf("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
			return withField(withField(e, "ProposedSize", strconv.FormatInt(p.Size, 10)), "MinSizeAllowed", strconv.Itoa(minPartSize))
		}
		raw, _ := hex.DecodeString(strings.Trim(p.ETag, `"`))
		sums.Write(raw)
		total += p.Size
		chosen = append(chosen, p)
	}
	if total > s.maxSize {
		e := protocol.Errorf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return withField(withField(e, "ProposedSize", strconv.FormatInt(total, 10)), "MaxSizeAllowed", strconv.FormatInt(s.maxSize, 10))
	}
	tmp, crc, err := s.concat(b.Account, chosen)
	if err != nil {
		return err
	}
	o := object{Bucket: b.Name, Key: u.Key, Size: total, ETag: fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(chosen)),
		ContentType: u.ContentType, Headers: u.Headers, ChecksumAlgo: "CRC64NVME", Checksum: crc, Modified: s.now().UTC()}
	if err := s.store(r.Context(), b, o, tmp); err != nil {
		return err
	}
	files, _, err := s.db.deleteUpload(r.Context(), u.ID)
	if err != nil {
		return err
	}
	s.db.remove(b.Account, files...)
	return writeXML(w, completeResult{Xmlns: xmlns, Location: "/" + b.Name + "/" + u.Key, Bucket: b.Name, Key: u.Key, ETag: o.ETag})
}

// concat writes parts' files one after another into a temporary file and
// returns it with the whole object's CRC64NVME (base64), the full-object
// checksum S3 gives a multipart upload made without checksums.
func (s *Service) concat(account string, parts []part) (string, string, error) {
	out, err := s.db.tempFile()
	if err != nil {
		return "", "", err
	}
	crc := checksumAlgorithms["crc64nvme"]()
	dst := io.MultiWriter(out, crc)
	for _, p := range parts {
		if err = appendFile(dst, s.db.path(account, p.File)); err != nil {
			break
		}
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", "", fmt.Errorf("join parts: %w", err)
	}
	return out.Name(), base64.StdEncoding.EncodeToString(crc.Sum(nil)), nil
}

func appendFile(dst io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(dst, f)
	return err
}

// abortUpload is AbortMultipartUpload: 204, the parts deleted.
func (s *Service) abortUpload(w http.ResponseWriter, r *http.Request, t target) error {
	b, u, err := s.ownUpload(r, t)
	if err != nil {
		return err
	}
	files, found, err := s.db.deleteUpload(r.Context(), u.ID)
	if err != nil {
		return err
	}
	if !found {
		return errNoSuchUpload(u.ID)
	}
	s.db.remove(b.Account, files...)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type partEntry struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
}

type listPartsResult struct {
	XMLName              xml.Name    `xml:"ListPartsResult"`
	Xmlns                string      `xml:"xmlns,attr"`
	Bucket               string      `xml:"Bucket"`
	Key                  string      `xml:"Key"`
	UploadID             string      `xml:"UploadId"`
	PartNumberMarker     int         `xml:"PartNumberMarker"`
	NextPartNumberMarker int         `xml:"NextPartNumberMarker"`
	MaxParts             int         `xml:"MaxParts"`
	IsTruncated          bool        `xml:"IsTruncated"`
	Parts                []partEntry `xml:"Part"`
	Initiator            owner       `xml:"Initiator"`
	Owner                owner       `xml:"Owner"`
	StorageClass         string      `xml:"StorageClass"`
}

// listParts is ListParts, max-parts (up to 1,000) after part-number-marker.
func (s *Service) listParts(w http.ResponseWriter, r *http.Request, t target) error {
	if r.Method != http.MethodGet {
		return errMethodNotAllowed(r.Method, "OBJECT")
	}
	b, u, err := s.ownUpload(r, t)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	maxParts, marker := 1000, 0
	if v := q.Get("max-parts"); v != "" {
		if maxParts, err = strconv.Atoi(v); err != nil || maxParts < 0 {
			return errInvalidArgument("max-parts", v, "Provided max-parts not an integer or within integer range")
		}
		maxParts = min(maxParts, 1000)
	}
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return errInvalidArgument("part-number-marker", v, "Provided part-number-marker not an integer or within integer range")
		}
	}
	parts, err := s.db.parts(r.Context(), u.ID)
	if err != nil {
		return err
	}
	own := owner{ID: canonicalID(b.Account)}
	out := listPartsResult{Xmlns: xmlns, Bucket: b.Name, Key: u.Key, UploadID: u.ID, PartNumberMarker: marker, MaxParts: maxParts,
		Initiator: own, Owner: own, StorageClass: "STANDARD"}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(out.Parts) == maxParts {
			out.IsTruncated = true
			break
		}
		out.Parts = append(out.Parts, partEntry{PartNumber: p.Number, LastModified: timeISO(p.Modified), ETag: p.ETag, Size: p.Size})
		out.NextPartNumberMarker = p.Number
	}
	return writeXML(w, out)
}

type uploadEntry struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	Initiator    owner  `xml:"Initiator"`
	Owner        owner  `xml:"Owner"`
	StorageClass string `xml:"StorageClass"`
	Initiated    string `xml:"Initiated"`
}

type listUploadsResult struct {
	XMLName        xml.Name      `xml:"ListMultipartUploadsResult"`
	Xmlns          string        `xml:"xmlns,attr"`
	Bucket         string        `xml:"Bucket"`
	KeyMarker      string        `xml:"KeyMarker"`
	UploadIDMarker string        `xml:"UploadIdMarker"`
	Prefix         string        `xml:"Prefix"`
	MaxUploads     int           `xml:"MaxUploads"`
	IsTruncated    bool          `xml:"IsTruncated"`
	Uploads        []uploadEntry `xml:"Upload"`
}

// listUploads is ListMultipartUploads: the bucket's uploads in progress
// (the first 1,000, by key), filtered by prefix.
func (s *Service) listUploads(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	prefix := r.URL.Query().Get("prefix")
	ups, err := s.db.uploads(r.Context(), b.Name, prefix)
	if err != nil {
		return err
	}
	own := owner{ID: canonicalID(b.Account)}
	out := listUploadsResult{Xmlns: xmlns, Bucket: b.Name, Prefix: prefix, MaxUploads: 1000}
	for _, u := range ups {
		out.Uploads = append(out.Uploads, uploadEntry{Key: u.Key, UploadID: u.ID, Initiator: own, Owner: own, StorageClass: "STANDARD", Initiated: timeISO(u.Initiated)})
	}
	return writeXML(w, out)
}
