package s3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// ReadObject returns the bytes of key in bucket as a GetObject by the
// caller in ctx would: the bucket must be theirs and in their region
// (PermanentRedirect otherwise, as S3 answers a request sent to another
// region's endpoint), version must be "" or "null". An object over max
// bytes is refused with EntityTooLarge before it is read. Lambda reads
// deployment packages this way.
func (s *Service) ReadObject(ctx context.Context, bucket, key, version string, max int64) ([]byte, error) {
	b, err := s.ownBucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	if region := protocol.IdentityFrom(ctx).Region; b.Region != region {
		e := protocol.StatusErrorf(http.StatusMovedPermanently, "PermanentRedirect", "The bucket is in this region: %s. Please use this region to retry the request", b.Region)
		return nil, withField(e, "BucketName", bucket)
	}
	if version != "" && version != "null" {
		return nil, errInvalidArgument("versionId", version, "Invalid version id specified")
	}
	o, ok, err := s.db.object(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoSuchKey(key)
	}
	if o.Size > max {
		e := protocol.Errorf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		return nil, withField(e, "MaxSizeAllowed", strconv.FormatInt(max, 10))
	}
	f, err := os.Open(s.db.path(b.Account, o.File))
	if err != nil {
		return nil, fmt.Errorf("open body of %s: %w", key, err)
	}
	defer f.Close()
	out := make([]byte, o.Size)
	if _, err := io.ReadFull(f, out); err != nil {
		return nil, fmt.Errorf("read body of %s: %w", key, err)
	}
	return out, nil
}
