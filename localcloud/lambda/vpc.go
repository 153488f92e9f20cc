package lambda

import (
	"regexp"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// VpcConfig and KMSKeyArn are kept and answered as given; the local cloud
// has no VPC to attach a function to and no key to encrypt its
// environment with, so neither changes how the function runs.

// vpcConfig is the VpcConfig of requests (SubnetIds, SecurityGroupIds,
// Ipv6AllowedForDualStack) and answers (VpcConfigResponse, with VpcId).
type vpcConfig struct {
	SubnetIds               []string `json:"SubnetIds"`
	SecurityGroupIds        []string `json:"SecurityGroupIds"`
	VpcID                   string   `json:"VpcId"`
	Ipv6AllowedForDualStack *bool    `json:"Ipv6AllowedForDualStack,omitempty"`
}

// kmsKeyRE is the model's KMSKeyArn pattern ("" is allowed: no key).
var kmsKeyRE = regexp.MustCompile(`^((arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|())$`)

// setVpc applies a request's VpcConfig (nil leaves it as it is; no subnets
// and no security groups detach the function).
func (f *function) setVpc(in *vpcConfig) error {
	if in == nil {
		return nil
	}
	if len(in.SubnetIds) > 16 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length less than or equal to 16", javaList(in.SubnetIds, 256))
	}
	if len(in.SecurityGroupIds) > 5 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must have length less than or equal to 5", javaList(in.SecurityGroupIds, 256))
	}
	f.Vpc = nil
	if len(in.SubnetIds) > 0 || len(in.SecurityGroupIds) > 0 {
		// VpcId is the subnets' VPC, which only EC2 knows: the local cloud
		// has none, and answers "" rather than an ID of a VPC that is not.
		f.Vpc = &vpcConfig{SubnetIds: append([]string{}, in.SubnetIds...), SecurityGroupIds: append([]string{}, in.SecurityGroupIds...), Ipv6AllowedForDualStack: in.Ipv6AllowedForDualStack}
	}
	return nil
}

// javaList prints values as a Java list, as AWS's validation messages do
// (truncated to n characters).
func javaList(v []string, n int) string { return "[" + truncate(strings.Join(v, ", "), n) + "]" }

// setKMSKey applies a request's KMSKeyArn (nil leaves it; "" removes it).
func (f *function) setKMSKey(arn *string) error {
	if arn == nil {
		return nil
	}
	if !kmsKeyRE.MatchString(*arn) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'kMSKeyArn' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()", truncate(*arn, 200))
	}
	f.KMSKey = *arn
	return nil
}

// setLoggingVpcKMS applies the three settings CreateFunction and
// UpdateFunctionConfiguration take alike, in that order, answering the
// first refusal.
func (f *function) setLoggingVpcKMS(lc *loggingConfig, vpc *vpcConfig, kms *string) error {
	if err := f.setLogging(lc); err != nil {
		return err
	}
	if err := f.setVpc(vpc); err != nil {
		return err
	}
	return f.setKMSKey(kms)
}
