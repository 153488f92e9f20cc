package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCheckSaysWhenTheShellKeyActsInAnotherAccount: a learner whose AWS CLI
// signs with "test" (the local cloud puts it in 123456789012) and runs
// `lab check` is told that lab looks in 000000000000 and what to do; with
// the labs' key there is no note. The header names the account and region.
func TestCheckSaysWhenTheShellKeyActsInAnotherAccount(t *testing.T) {
	addr, dir := freeAddr(t), t.TempDir()
	startLab(t, "cloud", "--addr", addr, "--data", filepath.Join(dir, "data"), "--log-level", "error")
	waitHealthy(t, addr)
	check := func(key string, extra ...string) (string, string) {
		t.Setenv("AWS_ACCESS_KEY_ID", key)
		var out, errb bytes.Buffer
		args := append([]string{"check", "lab1", "--endpoint", "http://" + addr, "--no-record",
			"--config", filepath.Join(dir, "config.json")}, extra...)
		code := Run(context.Background(), args, &out, &errb)
		assert.Equal(t, 1, code, "lab 1 fails in an empty account:\n%s%s", out.String(), errb.String())
		return out.String(), errb.String()
	}

	out, errb := check("test")
	assert.Contains(t, out, "(account 000000000000, us-east-1)")
	assert.Contains(t, errb, "acts in account 123456789012 on the local cloud, but lab acts in 000000000000")
	assert.Contains(t, errb, "export AWS_ACCESS_KEY_ID=000000000000")
	assert.Contains(t, errb, "--account 123456789012")

	_, errb = check("000000000000")
	assert.NotContains(t, errb, "note:")

	out, errb = check("test", "--account", "123456789012")
	assert.Contains(t, out, "(account 123456789012, us-east-1)")
	assert.NotContains(t, errb, "note:")

	_, errb = check("444455556666")
	assert.Contains(t, errb, "acts in account 444455556666 on the local cloud, but lab acts in 000000000000")
}

// TestPackageHintNamesTheExportedEndpoint: `lab package`'s next-step line
// names the endpoint the learner exported (lab up on another port), not 4566.
func TestPackageHintNamesTheExportedEndpoint(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:24566")
	assert.Equal(t, "http://127.0.0.1:24566", localEndpointHint())
	t.Setenv("AWS_ENDPOINT_URL", "")
	assert.Equal(t, "http://127.0.0.1:4566", localEndpointHint())
}
