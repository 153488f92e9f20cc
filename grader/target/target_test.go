package target

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalTargetActsInAccountAtEndpoint(t *testing.T) {
	ctx := context.Background()
	cfg, err := Config(ctx, Spec{Kind: "local", Endpoint: "http://127.0.0.1:4599", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:4599" {
		t.Errorf("got region %q endpoint %v, want us-east-1 at the local cloud", cfg.Region, cfg.BaseEndpoint)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil || creds.AccessKeyID != "123456789012" {
		t.Errorf("credentials: got %q, %v; want the account id as the access key", creds.AccessKeyID, err)
	}
	def, _ := Config(ctx, Spec{})
	if *def.BaseEndpoint != DefaultLocalEndpoint {
		t.Errorf("default endpoint %q", *def.BaseEndpoint)
	}
	if got := (Spec{}).Name(); got != "local cloud at "+DefaultLocalEndpoint {
		t.Errorf("name %q", got)
	}
}

func TestAWSTargetUsesProfileAndRegion(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	if _, err := Config(context.Background(), Spec{Kind: "aws", Profile: "no-such-profile"}); err == nil {
		t.Errorf("a missing profile was accepted")
	}
	cfg, err := Config(context.Background(), Spec{Kind: "aws", Region: "eu-west-1"})
	if err != nil || cfg.Region != "eu-west-1" || cfg.BaseEndpoint != nil {
		t.Errorf("got %v region %q endpoint %v", err, cfg.Region, cfg.BaseEndpoint)
	}
	if _, err := Config(context.Background(), Spec{Kind: "aws"}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("no region: got %v, want advice to pass --region", err)
	}
	if _, err := Config(context.Background(), Spec{Kind: "gcp"}); err == nil {
		t.Errorf("unknown target kind accepted")
	}
}
