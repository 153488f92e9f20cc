// Package target builds the AWS configuration the kit and the grader use for
// a learner's target: the local cloud at an endpoint, or real AWS through the
// standard profile/region chain, optionally assuming a role with an external
// id (an instructor grading a learner's account).
package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultLocalEndpoint is the local cloud's default address.
const DefaultLocalEndpoint = "http://127.0.0.1:4566"

// Spec says which account to reach.
type Spec struct {
	// Kind is "local" (default) or "aws".
	Kind string
	// Endpoint is the local cloud's URL (local only).
	Endpoint string
	// Account is the local account to act in (local only; default
	// 000000000000). Real AWS takes the account from the credentials.
	Account string
	Profile string
	Region  string
	// RoleARN, when set, is assumed (with ExternalID) before anything else.
	RoleARN    string
	ExternalID string
}

// Name describes the target for people ("local cloud at http://...").
func (s Spec) Name() string {
	if s.Kind == "aws" {
		n := "AWS"
		if s.Profile != "" {
			n += " profile " + s.Profile
		}
		if s.Region != "" {
			n += " in " + s.Region
		}
		return n
	}
	return "local cloud at " + s.endpoint()
}

// LocalEndpoint is the local cloud's URL for a local target, "" for AWS.
func (s Spec) LocalEndpoint() string {
	if s.Kind == "aws" {
		return ""
	}
	return s.endpoint()
}

func (s Spec) endpoint() string {
	if s.Endpoint == "" {
		return DefaultLocalEndpoint
	}
	return s.Endpoint
}

// Config returns the aws.Config for s.
func Config(ctx context.Context, s Spec) (aws.Config, error) {
	var cfg aws.Config
	var err error
	switch s.Kind {
	case "", "local":
		acct := s.Account
		if acct == "" {
			acct = "000000000000"
		}
		region := s.Region
		if region == "" {
			region = "us-east-1"
		}
		cfg, err = config.LoadDefaultConfig(ctx,
			config.WithRegion(region),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(acct, "local", "")),
			config.WithBaseEndpoint(s.endpoint()),
			config.WithSharedConfigFiles([]string{}),
			config.WithSharedCredentialsFiles([]string{}),
		)
	case "aws":
		opts := []func(*config.LoadOptions) error{}
		if s.Profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(s.Profile))
		}
		if s.Region != "" {
			opts = append(opts, config.WithRegion(s.Region))
		}
		cfg, err = config.LoadDefaultConfig(ctx, opts...)
		if err == nil && cfg.Region == "" {
			err = errors.New("no region: pass --region or set one in your AWS profile")
		}
	default:
		return aws.Config{}, fmt.Errorf("unknown target %q: want local or aws", s.Kind)
	}
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config for %s: %w", s.Name(), err)
	}
	if s.RoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), s.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if s.ExternalID != "" {
				o.ExternalID = aws.String(s.ExternalID)
			}
			o.RoleSessionName = "labkit-grader"
			o.Duration = 15 * time.Minute
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}
