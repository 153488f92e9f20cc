package protocol

import (
	"regexp"
	"strings"
)

// partitions are AWS's partitions and the regions of each, as botocore's
// data/partitions.json (and endpoints.json) define them: a region belongs to
// the first partition whose regionRegex matches it, or whose pseudo region
// ("aws-cn-global"...) it is.
var partitions = []struct {
	name   string
	region *regexp.Regexp
}{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`)},
	{"aws-cn", regexp.MustCompile(`^cn\-\w+\-\d+$`)},
	{"aws-us-gov", regexp.MustCompile(`^us\-gov\-\w+\-\d+$`)},
	{"aws-iso", regexp.MustCompile(`^us\-iso\-\w+\-\d+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us\-isob\-\w+\-\d+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu\-isoe\-\w+\-\d+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us\-isof\-\w+\-\d+$`)},
}

// Partition is the partition of region, as the ARNs of its resources name
// it: aws-cn for China (cn-north-1), aws-us-gov for GovCloud
// (us-gov-west-1), aws-iso, aws-iso-b... for the isolated regions, aws for
// the others, for global resources' empty region and for names no
// partition claims. us-gov-west-1 matches the aws partition's regex too
// (us-...): the more specific partitions are tried first, as botocore's
// resolver prefers a partition that lists the region.
func Partition(region string) string {
	for _, p := range partitions[1:] {
		if p.region.MatchString(region) || region == p.name+"-global" {
			return p.name
		}
	}
	return "aws"
}

// PartitionOf is the partition of the region a request was signed for
// (its SigV4 credential scope): the partition of the ARNs it is answered
// with, global services' (IAM, STS) included.
func PartitionOf(id Identity) string { return Partition(id.Region) }

// IsPartition reports whether p names an AWS partition.
func IsPartition(p string) bool {
	for _, q := range partitions {
		if q.name == p {
			return true
		}
	}
	return false
}

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
