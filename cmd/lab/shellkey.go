package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// localAccount is the local cloud account lab acts in.
func (r *resolved) localAccount() string { return first(r.spec.Account, "000000000000") }

// shellKeyNote says, on the local cloud, when the access key id exported in
// the learner's shell acts in another account than the one lab acts in: the
// local cloud puts a key like "test" in 123456789012, so a learner whose AWS
// CLI signs with it builds in an account the grader never looks at. It asks
// the local cloud itself (STS GetCallerIdentity signed with that key id), so
// keys the cloud issued and any future rule are answered as the CLI sees them.
// "" when there is nothing to say or the cloud could not tell.
func (r *resolved) shellKeyNote(ctx context.Context) string {
	key := os.Getenv("AWS_ACCESS_KEY_ID")
	if r.spec.Kind != "local" || r.spec.RoleARN != "" || key == "" {
		return ""
	}
	cfg := r.cfg.Copy()
	// Only the key id matters to the local cloud; the secret never leaves here.
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, "local", os.Getenv("AWS_SESSION_TOKEN"))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return ""
	}
	got, want := aws.ToString(out.Account), r.localAccount()
	if got == "" || got == want {
		return ""
	}
	return fmt.Sprintf("note: the AWS_ACCESS_KEY_ID in your environment acts in account %s on the local cloud, but lab acts in %s:\n"+
		"  what you created with the AWS CLI is in %s. Export the labs' key (export AWS_ACCESS_KEY_ID=%s) and create it again,\n"+
		"  or pass --account %s to lab.\n", got, want, got, want, got)
}
