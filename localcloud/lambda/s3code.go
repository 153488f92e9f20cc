package lambda

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// CodeSource is what Lambda asks S3 for a deployment package named by
// Code.S3Bucket/S3Key/S3ObjectVersion (CreateFunction, UpdateFunctionCode)
// or Content.S3Bucket/... (PublishLayerVersion).
type CodeSource interface {
	// OpenObject opens an object's body as the caller in ctx may read it
	// with GetObject (the bucket must be theirs and in their region) and
	// returns it with its size. An object over max bytes is refused before
	// it is opened. Errors S3 would answer are *protocol.Error with S3's
	// code and message.
	OpenObject(ctx context.Context, bucket, key, version string, max int64) (io.ReadCloser, int64, error)
}

// packageCode stages a function's or a layer's code: the zip sent inline,
// or the S3 object bucket and key name. The caller removes it.
func (s *Service) packageCode(ctx context.Context, zipFile []byte, bucket, key, version string) (*stagedZip, error) {
	if bucket != "" || key != "" {
		if zipFile != nil {
			return nil, errTwoCodeSources()
		}
		return s.s3Code(ctx, bucket, key, version)
	}
	if err := checkZip(zipFile); err != nil {
		return nil, err
	}
	return s.stage(bytes.NewReader(zipFile))
}

// s3Code copies a deployment package from S3 to a staged file (up to 250
// MB: never held in memory), answering S3's errors as Lambda does:
// InvalidParameterValueException "Error occurred while GetObject. S3 Error
// Code: NoSuchBucket. S3 Error Message: ...".
func (s *Service) s3Code(ctx context.Context, bucket, key, version string) (*stagedZip, error) {
	if s.cfg.Code == nil {
		return nil, protocol.Errorf("InvalidParameterValueException", "This local cloud has no S3 to take code from: pass the zip as ZipFile")
	}
	body, size, err := s.cfg.Code.OpenObject(ctx, bucket, key, version, maxUnzipped)
	var e *protocol.Error
	if errors.As(err, &e) {
		return nil, protocol.Errorf("InvalidParameterValueException", "Error occurred while GetObject. S3 Error Code: %s. S3 Error Message: %s", e.Code, e.Message)
	}
	if err != nil {
		return nil, err
	}
	defer body.Close()
	z, err := s.stage(io.LimitReader(body, size))
	if err != nil {
		return nil, err
	}
	if err := z.check(); err != nil {
		z.remove()
		return nil, err
	}
	return z, nil
}

// errTwoCodeSources answers code given both inline and in S3.
func errTwoCodeSources() error {
	return protocol.Errorf("InvalidParameterValueException", "Provide the code once: either ZipFile, or S3Bucket and S3Key.")
}
