package s3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// OpenObject opens the body of key in bucket as a GetObject by the caller
// in ctx would and returns it with its size: the bucket must be theirs and
// in their region (PermanentRedirect otherwise, as S3 answers a request
// sent to another region's endpoint), version must be "" or "null". An
// object over max bytes is refused with EntityTooLarge before it is
// opened. Lambda copies deployment packages this way.
func (s *Service) OpenObject(ctx context.Context, bucket, key, version string, max int64) (io.ReadCloser, int64, error) {
	b, err := s.ownBucket(ctx, bucket)
	if err != nil {
		return nil, 0, err
	}
	if region := protocol.IdentityFrom(ctx).Region; b.Region != region {
		e := protocol.StatusErrorf(http.StatusMovedPermanently, "PermanentRedirect", "The bucket is in this region: %s. Please use this region to retry the request", b.Region)
		return nil, 0, withField(e, "BucketName", bucket)
	}
	if version != "" && version != "null" {
		return nil, 0, errInvalidArgument("versionId", version, "Invalid version id specified")
	}
	o, ok, err := s.db.object(ctx, bucket, key)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, errNoSuchKey(key)
	}
	if o.Size > max {
		e := protocol.Errorf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return nil, 0, withField(e, "MaxSizeAllowed", strconv.FormatInt(max, 10))
	}
	f, err := os.Open(s.db.path(b.Account, o.File))
	if err != nil {
		return nil, 0, fmt.Errorf("open body of %s: %w", key, err)
	}
	return f, o.Size, nil
}

// WriteObject stores what body yields as key in bucket, as a PutObject by
// the caller in ctx would: their bucket, S3's size cap, an MD5 ETag.
// CloudWatch Logs' export tasks write their files this way.
func (s *Service) WriteObject(ctx context.Context, bucket, key, contentType string, body io.Reader) error {
	b, err := s.ownBucket(ctx, bucket)
	if err != nil {
		return err
	}
	if len(key) > maxKeyLen {
		return protocol.Errorf("KeyTooLongError", "Your key is too long")
	}
	f, err := s.db.tempFile()
	if err != nil {
		return err
	}
	sum, crc := md5.New(), checksumAlgorithms["crc64nvme"]()
	n, err := io.Copy(io.MultiWriter(f, sum, crc), io.LimitReader(body, s.maxSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > s.maxSize {
		err = withField(protocol.Errorf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"), "MaxSizeAllowed", strconv.FormatInt(s.maxSize, 10))
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	o := object{Bucket: b.Name, Key: key, Size: n, ETag: `"` + hex.EncodeToString(sum.Sum(nil)) + `"`, ContentType: contentType,
		Headers: map[string]string{}, ChecksumAlgo: "CRC64NVME", Checksum: base64.StdEncoding.EncodeToString(crc.Sum(nil)), Modified: s.now().UTC()}
	return s.store(ctx, b, o, f.Name())
}
