package s3

import (
	"context"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// AllowsService reports whether bucket's policy lets one of the service
// principals (e.g. logs.amazonaws.com) do action on resource: a statement
// allows it (Principal "*" or {"Service": ...} naming one of them, Action
// and Resource matching, "*" and "?" wildcards as IAM's) and none denies
// it. Conditions are not evaluated. The local cloud otherwise enforces no
// bucket policy; the services AWS makes write through one (CloudWatch Logs
// exports) ask here first. A bucket that does not exist is NoSuchBucket.
func (s *Service) AllowsService(ctx context.Context, bucket string, services []string, action, resource string) (bool, error) {
	if _, ok, err := s.db.bucket(ctx, bucket); err != nil || !ok {
		if err == nil {
			err = errNoSuchBucket(bucket)
		}
		return false, err
	}
	body, ok, err := s.db.bucketDoc(ctx, bucket, docPolicy)
	if err != nil || !ok {
		return false, err
	}
	return protocol.PolicyAllows(body, func(st protocol.PolicyStatement) bool {
		// A bucket policy statement names its resources: one without
		// Resource covers nothing here.
		_, hasResource := st["Resource"]
		return hasResource && namesService(st, services) && st.Covers(action, resource)
	}), nil
}

// namesService reports whether the statement's Principal is "*" or names
// "*" or one of services among its AWS or Service principals.
func namesService(st protocol.PolicyStatement, services []string) bool {
	switch p := st["Principal"].(type) {
	case string:
		return p == "*"
	case map[string]any:
		for _, v := range append(protocol.PolicyStrings(p["AWS"]), protocol.PolicyStrings(p["Service"])...) {
			if v == "*" {
				return true
			}
			for _, s := range services {
				if strings.EqualFold(v, s) {
					return true
				}
			}
		}
	}
	return false
}
