package s3

import (
	"context"
	"net/http"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// sigV2Regions are the regions whose S3 still takes Signature Version 2
// (the "s3" signature version of botocore's endpoints.json): those opened
// before 2014. Every other region takes only SigV4.
var sigV2Regions = map[string]bool{"us-east-1": true, "us-west-1": true, "us-west-2": true, "eu-west-1": true,
	"ap-northeast-1": true, "ap-southeast-1": true, "ap-southeast-2": true, "sa-east-1": true}

// sigV2 reports whether r is signed with Signature Version 2: an
// "AWS AKID:signature" Authorization header or an AWSAccessKeyId/Signature
// presigned query.
func sigV2(r *http.Request) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return strings.HasPrefix(auth, "AWS ")
	}
	q := r.URL.Query()
	return q.Get("AWSAccessKeyId") != "" && q.Get("Signature") != ""
}

// checkSigV2 refuses a SigV2 request for a bucket of a SigV4-only region
// as S3 does, before the operation runs.
func (s *Service) checkSigV2(ctx context.Context, r *http.Request, t target) error {
	if t.bucket == "" || !sigV2(r) {
		return nil
	}
	b, ok, err := s.db.bucket(ctx, t.bucket)
	if err != nil || !ok || sigV2Regions[b.Region] {
		return err
	}
	return protocol.Errorf("InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
}
