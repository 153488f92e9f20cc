// Package partition names the AWS partition a region belongs to, the first
// field of every ARN made there: aws, aws-cn (China), aws-us-gov
// (GovCloud), the isolated partitions and the European Sovereign Cloud.
// The local cloud builds its ARNs with it and the grader writes its hints
// with it; it knows regions only, so it answers the same for AWS and for
// the local cloud.
package partition

import "regexp"

// partitions are AWS's partitions and the regions of each, as botocore's
// data/partitions.json defines them: a region belongs to the first
// partition whose regionRegex matches it, or whose pseudo region
// ("aws-cn-global"...) it is. aws comes first but is tried last (Of).
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
	{"aws-eusc", regexp.MustCompile(`^eusc\-(de)\-\w+\-\d+$`)},
}

// Of is the partition of region, as the ARNs of its resources name it:
// aws-cn for China (cn-north-1), aws-us-gov for GovCloud (us-gov-west-1),
// aws-iso, aws-iso-b... for the isolated regions, aws for the others, for
// global resources' empty region and for names no partition claims.
// us-gov-west-1 matches the aws partition's regex too (us-...): the more
// specific partitions are tried first, as botocore's resolver prefers a
// partition that lists the region.
func Of(region string) string {
	for _, p := range partitions[1:] {
		if p.region.MatchString(region) || region == p.name+"-global" {
			return p.name
		}
	}
	return "aws"
}

// Valid reports whether p names an AWS partition.
func Valid(p string) bool {
	for _, q := range partitions {
		if q.name == p {
			return true
		}
	}
	return false
}
