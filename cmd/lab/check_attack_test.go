package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileLab is a lab whose checks are the real lab 2 create-order check,
// aimed at two hostile APIs.
var hostileLab = map[string]string{
	"week1/lab9-hostile/lab.md": "---\nlab: lab9\nweek: 1\norder: 9\ntitle: Hostile\nsteps:\n  - {id: try-it, title: Try it}\n---\n# Hostile\n\n## Step 1: Try it\n\n[[check try-it]]\n",
	"week1/lab9-hostile/checks.yaml": `lab: lab9
checks:
  - id: escapes
    title: A valid order is accepted (escape API)
    step: try-it
    kind: api.create-order
    points: 1
    params: {api: escape-api, authorizer: authz, table: orders}
  - id: redirect
    title: A valid order is accepted (redirect API)
    step: try-it
    kind: api.create-order
    points: 1
    params: {api: redirect-api, authorizer: authz, table: orders}
`,
}

// escapeBody is what a hostile learner API answers: clear the screen, print
// a green PASS, conceal the rest, retitle the window, reorder with bidi.
const escapeBody = "\x1b[2J\x1b[H\x1b[32mPASS\x1b[0m all orders stored\x1b[8m concealed\x1b]0;pwned\x07 \u202eevil\r\n"

// TestCheckAgainstHostileLearnerAPI runs `lab check` against a local cloud
// whose HTTP APIs proxy to hostile servers: one answers with terminal
// escape sequences, one with a 302 to another loopback port that serves a
// secret. The report holds no ESC byte but keeps the readable text, and the
// grader never fetches the secret.
func TestCheckAgainstHostileLearnerAPI(t *testing.T) {
	var secretHits atomic.Int32
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		io.WriteString(w, "TOP-SECRET-metadata-credentials")
	}))
	t.Cleanup(secret.Close)
	learner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/escape":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, escapeBody)
		case "/redirect":
			http.Redirect(w, r, secret.URL+"/latest/meta-data/", http.StatusFound)
		}
	}))
	t.Cleanup(learner.Close)

	addr, dir := freeAddr(t), t.TempDir()
	startLab(t, "cloud", "--addr", addr, "--data", filepath.Join(dir, "data"), "--log-level", "error")
	waitHealthy(t, addr)
	endpoint := "http://" + addr
	ctx := context.Background()
	cfg := sdkConfig(endpoint)
	api := apigatewayv2.NewFromConfig(cfg)
	for name, path := range map[string]string{"escape-api": "/escape", "redirect-api": "/redirect"} {
		_, err := api.CreateApi(ctx, &apigatewayv2.CreateApiInput{Name: aws.String(name), ProtocolType: "HTTP", Target: aws.String(learner.URL + path)})
		require.NoError(t, err, "create %s", name)
	}
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("authz"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	_, err = lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("authz"),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Role: role.Role.Arn,
		Code:        &lambdatypes.FunctionCode{ZipFile: bootstrapZip(t)},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"TOKEN_SECRET": "hostile-test-secret-0123456789"}}})
	require.NoError(t, err)

	labsDir := filepath.Join(dir, "labs")
	for p, body := range hostileLab {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(labsDir, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(labsDir, p), []byte(body), 0o644))
	}
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"check", "lab9", "--labs-dir", labsDir, "--endpoint", endpoint, "--account", "123456789012",
		"--config", filepath.Join(dir, "config.json")}, &out, &errb)
	report := out.String() + errb.String()
	t.Logf("lab check exited %d:\n%s", code, report)
	assert.Equal(t, 1, code, "both checks must fail")
	assert.Contains(t, report, "checking 2 checks against")
	assert.Contains(t, report, "2 checks failed")
	assert.NotContains(t, report, "\x1b", "an escape sequence reached the terminal")
	assert.NotContains(t, report, "\u202e", "a bidi override reached the terminal")
	assert.NotContains(t, report, "\r", "a carriage return reached the terminal")
	assert.Contains(t, report, "FAIL  lab9/escapes")
	assert.Contains(t, report, "500 PASS all orders stored concealed evil", "the readable text of the answer is gone")
	assert.Contains(t, report, "FAIL  lab9/redirect")
	assert.Contains(t, report, "got 302", "the redirect is not reported")
	assert.Contains(t, report, "redirected to "+secret.URL)
	assert.NotContains(t, report, "TOP-SECRET")
	assert.Zero(t, secretHits.Load(), "the grader fetched the address the learner's API redirected to")
}

// bootstrapZip is a function zip whose bootstrap is never run here.
func bootstrapZip(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	require.NoError(t, err)
	io.WriteString(w, "#!/bin/sh\nexit 1\n")
	require.NoError(t, zw.Close())
	return b.Bytes()
}
