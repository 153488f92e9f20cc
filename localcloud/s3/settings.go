package s3

import (
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A bucket's policy and tags are kept as documents of the bucket: stored
// and answered as S3 does, not enforced (the local cloud authorises no
// request by policy; every bucket is its owner's alone).

const (
	docPolicy  = "policy"
	docTagging = "tagging"
)

func (d *db) bucketDoc(ctx context.Context, bucket, kind string) (string, bool, error) {
	var body string
	err := d.sql.QueryRowContext(ctx, `SELECT body FROM bucket_docs WHERE bucket = ? AND kind = ?`, bucket, kind).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read bucket %s: %w", kind, err)
	}
	return body, true, nil
}

func (d *db) setBucketDoc(ctx context.Context, bucket, kind, body string) error {
	_, err := d.sql.ExecContext(ctx, `INSERT OR REPLACE INTO bucket_docs (bucket, kind, body) VALUES (?, ?, ?)`, bucket, kind, body)
	if err != nil {
		return fmt.Errorf("store bucket %s: %w", kind, err)
	}
	return nil
}

func (d *db) deleteBucketDoc(ctx context.Context, bucket, kind string) error {
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM bucket_docs WHERE bucket = ? AND kind = ?`, bucket, kind); err != nil {
		return fmt.Errorf("delete bucket %s: %w", kind, err)
	}
	return nil
}

// serveBucketDoc serves ?policy and ?tagging: PUT, GET and DELETE.
func (s *Service) serveBucketDoc(w http.ResponseWriter, r *http.Request, t target, kind string) error {
	b, err := s.ownBucket(r.Context(), t.bucket)
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodPut:
		body, err := readPayload(w, r, 20<<10)
		if err != nil {
			return err
		}
		doc, err := checkDoc(kind, body)
		if err != nil {
			return err
		}
		if err := s.db.setBucketDoc(r.Context(), b.Name, kind, doc); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodDelete:
		if err := s.db.deleteBucketDoc(r.Context(), b.Name, kind); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodGet:
		doc, ok, err := s.db.bucketDoc(r.Context(), b.Name, kind)
		if err != nil {
			return err
		}
		if kind == docPolicy {
			if !ok {
				return withField(protocol.StatusErrorf(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist"), "BucketName", b.Name)
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(doc))
			return nil
		}
		if !ok {
			return withField(protocol.StatusErrorf(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist"), "BucketName", b.Name)
		}
		var tags tagging
		if err := json.Unmarshal([]byte(doc), &tags.Tags); err != nil {
			return fmt.Errorf("decode bucket tags: %w", err)
		}
		tags.Xmlns = xmlns
		return writeXML(w, tags)
	}
	return errMethodNotAllowed(r.Method, "BUCKET")
}

type tag struct {
	Key   string `xml:"Key" json:"k"`
	Value string `xml:"Value" json:"v"`
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Tags    []tag    `xml:"TagSet>Tag"`
}

// checkDoc validates a policy (JSON whose first byte is '{') or a tag set
// (S3's tag rules) and returns what to store.
func checkDoc(kind string, body []byte) (string, error) {
	if kind == docPolicy {
		trimmed := strings.TrimSpace(string(body))
		if !strings.HasPrefix(trimmed, "{") || !json.Valid([]byte(trimmed)) {
			return "", protocol.Errorf("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
		}
		return string(body), nil
	}
	var in tagging
	if err := xml.Unmarshal(body, &in); err != nil {
		return "", errMalformedXML()
	}
	if len(in.Tags) > 50 {
		return "", protocol.Errorf("BadRequest", "Bucket tag count cannot be greater than 50")
	}
	seen := map[string]bool{}
	for _, t := range in.Tags {
		switch {
		case seen[t.Key]:
			return "", protocol.Errorf("InvalidTag", "Cannot provide multiple Tags with the same key")
		case strings.HasPrefix(t.Key, "aws:"):
			return "", protocol.Errorf("InvalidTag", "System tags cannot be added/updated by requester")
		case t.Key == "" || len([]rune(t.Key)) > 128:
			return "", protocol.Errorf("InvalidTag", "The TagKey you have provided is invalid")
		case len([]rune(t.Value)) > 256:
			return "", protocol.Errorf("InvalidTag", "The TagValue you have provided is invalid")
		}
		seen[t.Key] = true
	}
	b, _ := json.Marshal(in.Tags)
	return string(b), nil
}
