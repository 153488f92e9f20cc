package lambda

import (
	"context"
	"errors"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// CodeSource is what Lambda asks S3 for a deployment package named by
// Code.S3Bucket/S3Key/S3ObjectVersion (CreateFunction, UpdateFunctionCode)
// or Content.S3Bucket/... (PublishLayerVersion).
type CodeSource interface {
	// ReadObject returns an object's bytes as the caller in ctx may read
	// them with GetObject: the bucket must be theirs and in their region.
	// An object over max bytes is refused before it is read. Errors S3
	// would answer are *protocol.Error with S3's code and message.
	ReadObject(ctx context.Context, bucket, key, version string, max int64) ([]byte, error)
}

// s3Code fetches a deployment package from S3, answering S3's errors as
// Lambda does: InvalidParameterValueException "Error occurred while
// GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: ...".
func (s *Service) s3Code(ctx context.Context, bucket, key, version string) ([]byte, error) {
	if s.cfg.Code == nil {
		return nil, protocol.Errorf("InvalidParameterValueException", "This local cloud has no S3 to take code from: pass the zip as ZipFile")
	}
	b, err := s.cfg.Code.ReadObject(ctx, bucket, key, version, maxUnzipped)
	var e *protocol.Error
	if errors.As(err, &e) {
		return nil, protocol.Errorf("InvalidParameterValueException", "Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %s", e.Code, e.Message)
	}
	if err != nil {
		return nil, err
	}
	if err := checkArchive(b); err != nil {
		return nil, err
	}
	return b, nil
}

// errTwoCodeSources answers code given both inline and in S3.
func errTwoCodeSources() error {
	return protocol.Errorf("InvalidParameterValueException", "Provide the code once: either ZipFile, or S3Bucket and S3Key.")
}
