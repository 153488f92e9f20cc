package protocol

import (
	"strings"

	"github.com/labkit-dev/labkit/internal/partition"
)

// Partition is the partition of region, as the ARNs of its resources name
// it (aws, aws-cn, aws-us-gov...): see package partition.
func Partition(region string) string { return partition.Of(region) }

// PartitionOf is the partition of the region a request was signed for
// (its SigV4 credential scope): the partition of the ARNs it is answered
// with, global services' (IAM, STS) included.
func PartitionOf(id Identity) string { return Partition(id.Region) }

// IsPartition reports whether p names an AWS partition.
func IsPartition(p string) bool { return partition.Valid(p) }

// PartitionPattern is a regular expression (no anchors) that matches the
// partition field of an ARN in any partition, as AWS's API models write it
// ("aws[a-zA-Z-]*").
const PartitionPattern = `aws[a-zA-Z-]*`

// ARN formats an Amazon Resource Name of a regional resource, in region's
// partition.
func ARN(service, region, account, resource string) string {
	return "arn:" + Partition(region) + ":" + service + ":" + region + ":" + account + ":" + resource
}

// GlobalARN formats the ARN of a resource without a region (an IAM role,
// an STS session, a CloudWatch dashboard) in the partition of region, the
// region the request was made in.
func GlobalARN(region, service, account, resource string) string {
	return "arn:" + Partition(region) + ":" + service + "::" + account + ":" + resource
}

// RootARN is the ARN of account as a principal (arn:aws:iam::ACCOUNT:root)
// in the partition of region, the region of the request.
func RootARN(region, account string) string { return GlobalARN(region, "iam", account, "root") }

// IsRootARN reports whether s is the root principal ARN of account, in
// any partition.
func IsRootARN(s, account string) bool {
	a, ok := ParseARN(s)
	return ok && IsPartition(a.Partition) && a.Service == "iam" && a.Region == "" && a.Account == account && a.Resource == "root"
}

// InPartition reports whether ARN a is in the partition its region (or,
// for a global resource, the region of the request id) belongs to: an ARN
// that names another partition names a resource that is not there.
func InPartition(a ParsedARN, id Identity) bool {
	if a.Region == "" {
		return a.Partition == PartitionOf(id)
	}
	return a.Partition == Partition(a.Region)
}

// WithPartition returns s, an ARN, in partition p ("arn:aws:..." to
// "arn:aws-cn:..."); s that is not an ARN is returned unchanged.
func WithPartition(s, p string) string {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return s
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return s
	}
	return "arn:" + p + rest[i:]
}
