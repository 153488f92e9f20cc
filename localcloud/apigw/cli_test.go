package apigw

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// awsCLI runs Debian's AWS CLI v2 against endpoint as account and decodes
// its JSON output into out (when not nil).
func awsCLI(t testing.TB, endpoint, account string, out any, args ...string) {
	t.Helper()
	stdout, stderr, err := runCLI(t, endpoint, account, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	if out != nil {
		if err := json.Unmarshal(stdout, out); err != nil {
			t.Fatalf("aws %s: output %q is not JSON: %v", strings.Join(args, " "), stdout, err)
		}
	}
}

// The CLI's version is checked once per test binary: each start of the
// Python CLI costs seconds on a loaded machine.
var (
	cliVersionOnce sync.Once
	cliVersion     string
	cliVersionErr  error
)

func runCLI(t testing.TB, endpoint, account string, args ...string) ([]byte, string, error) {
	t.Helper()
	const bin = "/usr/bin/aws"
	cliVersionOnce.Do(func() {
		v, err := exec.Command(bin, "--version").CombinedOutput()
		cliVersion, cliVersionErr = string(v), err
	})
	if cliVersionErr != nil || !strings.HasPrefix(cliVersion, "aws-cli/2") {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s --version: %q %v: want aws-cli/2", bin, cliVersion, cliVersionErr)
		}
		t.Skipf("no AWS CLI v2 at %s", bin)
	}
	cmd := exec.Command(bin, append(args, "--endpoint-url", endpoint, "--output", "json")...)
	cmd.Env = []string{
		"HOME=" + t.TempDir(),
		"PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=" + account,
		"AWS_SECRET_ACCESS_KEY=x",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

func TestCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.set(fnARN("orders"), rawHandler(`{"statusCode":200,"body":"from cli api"}`))

	var api struct{ ApiId, ApiEndpoint, Name, ProtocolType, RouteSelectionExpression string }
	awsCLI(t, e.url, cloudtest.Account, &api, "apigatewayv2", "create-api", "--name", "x", "--protocol-type", "HTTP")
	if api.Name != "x" || api.ProtocolType != "HTTP" || api.ApiEndpoint != e.url+"/_aws/execute-api/"+api.ApiId {
		t.Fatalf("create-api: got %+v", api)
	}
	var integ struct{ IntegrationId, IntegrationType, PayloadFormatVersion string }
	awsCLI(t, e.url, cloudtest.Account, &integ, "apigatewayv2", "create-integration", "--api-id", api.ApiId,
		"--integration-type", "AWS_PROXY", "--integration-uri", fnARN("orders"), "--payload-format-version", "2.0")
	if integ.IntegrationType != "AWS_PROXY" || integ.PayloadFormatVersion != "2.0" || integ.IntegrationId == "" {
		t.Fatalf("create-integration: got %+v", integ)
	}
	var rt struct{ RouteId, RouteKey, Target string }
	awsCLI(t, e.url, cloudtest.Account, &rt, "apigatewayv2", "create-route", "--api-id", api.ApiId,
		"--route-key", "GET /orders/{orderId}", "--target", "integrations/"+integ.IntegrationId)
	if rt.RouteKey != "GET /orders/{orderId}" || rt.Target != "integrations/"+integ.IntegrationId {
		t.Fatalf("create-route: got %+v", rt)
	}
	var st struct {
		StageName  string
		AutoDeploy bool
	}
	awsCLI(t, e.url, cloudtest.Account, &st, "apigatewayv2", "create-stage", "--api-id", api.ApiId, "--stage-name", "$default", "--auto-deploy")
	if st.StageName != "$default" || !st.AutoDeploy {
		t.Fatalf("create-stage: got %+v", st)
	}
	var apis struct {
		Items []struct{ ApiId, Name string }
	}
	awsCLI(t, e.url, cloudtest.Account, &apis, "apigatewayv2", "get-apis")
	if len(apis.Items) != 1 || apis.Items[0].ApiId != api.ApiId {
		t.Fatalf("get-apis: got %+v", apis)
	}
	wantStatus(t, do(t, "GET", api.ApiEndpoint+"/orders/1", nil, nil), 200, "from cli api")

	// Errors come back with the CLI's error codes.
	_, stderr, err := runCLI(t, e.url, cloudtest.Account, "apigatewayv2", "get-api", "--api-id", "nope")
	if err == nil || !strings.Contains(stderr, "NotFoundException") {
		t.Errorf("get-api nope: got err %v stderr %q, want NotFoundException", err, stderr)
	}
}
