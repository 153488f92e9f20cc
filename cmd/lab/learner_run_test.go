package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/labkit-dev/labkit/kit"
)

// shellBlocks returns the ```sh blocks of the markdown between the heading
// that starts with from and the next "## " heading.
func shellBlocks(t *testing.T, md, from string) []string {
	t.Helper()
	start := strings.Index(md, "\n"+from)
	if start < 0 {
		t.Fatalf("no heading %q", from)
	}
	sec := md[start+1:]
	if end := strings.Index(sec[3:], "\n## "); end >= 0 {
		sec = sec[:end+3]
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)\n *```").FindAllStringSubmatch(sec, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestLab2CurlCommandsAsPrinted is a learner following lab 2's step 4 to the
// letter (issue 11, "how we will know"): its shell blocks are taken from
// lab.md as printed and run by bash with the real curl and AWS CLI, with
// only the endpoint substituted (`aws` carries --endpoint-url, as the
// README's alias does; `lab token` answers what this command line printed).
// Each block must answer what the text says to observe, first against the
// intake `lab solve lab2` deploys (the reference, written as the starter's
// TODO says), then against an intake that parses req.Body as it comes,
// ignoring isBase64Encoded, as the TODO used to say: the commands as
// printed send JSON with its Content-Type, so they work for both (before
// the fix, the second one answered 400 on body).
func TestLab2CurlCommandsAsPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("deploys lab 2 and drives curl and the AWS CLI")
	}
	lookPaths(t, "bash", "curl", "aws")
	t.Parallel()
	url := kitCloud(t)
	cfgFile := filepath.Join(t.TempDir(), "config.json")
	target := []string{"--endpoint", url, "--config", cfgFile}
	if code, out, errs := lab(t, append([]string{"solve", "lab2"}, target...)...); code != 0 {
		t.Fatalf("lab solve lab2: exit %d\n%s\n%s", code, out, errs)
	}
	code, tokOut, errs := lab(t, append([]string{"token", "--channel", "web"}, target...)...)
	if code != 0 {
		t.Fatalf("lab token: exit %d (%s)", code, errs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := &kit.Kit{AWS: aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("000000000000", "local", "")}}
	apiURL, err := k.Endpoint(ctx, "api")
	if err != nil || apiURL == "" {
		t.Fatalf("the API's endpoint: %q, %v", apiURL, err)
	}

	t.Run("reference intake", func(t *testing.T) { runLab2Step4(t, ctx, url, apiURL, strings.TrimSpace(tokOut)) })

	dir, err := filepath.Abs("../../grader/checks/testdata/broken-intake")
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errs := lab(t, append([]string{"deploy", "order-intake", "--from", dir}, target...)...); code != 0 {
		t.Fatalf("lab deploy order-intake --from broken-intake: exit %d\n%s\n%s", code, out, errs)
	}
	setEnv(t, ctx, k.AWS, "order-intake", "BROKEN", "nobase64")
	t.Run("intake ignoring isBase64Encoded", func(t *testing.T) { runLab2Step4(t, ctx, url, apiURL, strings.TrimSpace(tokOut)) })
}

// setEnv sets one environment variable of a function, keeping the others,
// and waits for the update to finish.
func setEnv(t *testing.T, ctx context.Context, cfg aws.Config, function, key, value string) {
	t.Helper()
	c := lambda.NewFromConfig(cfg)
	cur, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &function})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	if cur.Environment != nil {
		maps.Copy(env, cur.Environment.Variables)
	}
	env[key] = value
	if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: &function,
		Environment: &lambdatypes.Environment{Variables: env}}); err != nil {
		t.Fatal(err)
	}
	for {
		got, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: &function})
		if err != nil {
			t.Fatal(err)
		}
		if got.LastUpdateStatus != lambdatypes.LastUpdateStatusInProgress {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the function's update did not finish")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runLab2Step4 runs lab 2 step 4's shell blocks as printed and checks each
// answers what the text promises.
func runLab2Step4(t *testing.T, ctx context.Context, url, apiURL, tok string) {
	bash, curl, awsCLI := lookPaths(t, "bash", "curl", "aws")
	md, err := os.ReadFile("../../labs/week1/lab2-intake-api/lab.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(t, string(md), "## Step 4")
	// What the text promises under each block, in order.
	promises := []struct {
		what string
		want []*regexp.Regexp
	}{
		{"401 without a token, then 403", []*regexp.Regexp{regexp.MustCompile(`^401\n403\n$`)}},
		{"201 ACCEPTED", []*regexp.Regexp{regexp.MustCompile(`^\{"orderId":"[^"]+","status":"ACCEPTED"\}\n$`)}},
		{"the stored order, status ACCEPTED and totalCents 998", []*regexp.Regexp{
			regexp.MustCompile(`"status":"ACCEPTED"`), regexp.MustCompile(`"status":\s*"ACCEPTED"`), regexp.MustCompile(`"totalCents":\s*"998"`)}},
		{"400 ValidationError on lines[0].quantity, then 403 ChannelMismatch", []*regexp.Regexp{
			regexp.MustCompile(`"code":"ValidationError".*"field":"lines\[0\]\.quantity"|"field":"lines\[0\]\.quantity".*"code":"ValidationError"`),
			regexp.MustCompile(`"code":"ChannelMismatch"`)}},
	}
	if len(blocks) != len(promises) {
		t.Fatalf("lab 2 step 4 has %d shell blocks, this test knows %d: update it with the text", len(blocks), len(promises))
	}
	prelude := strings.Join([]string{
		"set -eo pipefail",
		"export AWS_ACCESS_KEY_ID=000000000000 AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=",
		"aws() { " + awsCLI + " --endpoint-url '" + url + "' \"$@\"; }",
		// `lab token --channel web` answers what this command line printed.
		"lab() { [ \"$*\" = 'token --channel web' ] || { echo \"unexpected lab $*\" >&2; return 2; }; echo '" + tok + "'; }",
		"curl() { " + curl + " \"$@\"; }",
		"API_URL='" + apiURL + "'",
	}, "\n")
	script := prelude
	for i, b := range blocks {
		script += "\n" + b + "\necho '--- block " + string(rune('1'+i)) + " ---'"
	}
	cmd := exec.CommandContext(ctx, bash, "-c", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the lab's commands failed: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	outs := regexp.MustCompile(`--- block \d ---\n`).Split(stdout.String(), -1)
	for i, p := range promises {
		got := outs[i]
		for _, re := range p.want {
			if !re.MatchString(got) {
				t.Errorf("block %d: want %s (%s), got:\n%s", i+1, p.what, re, got)
			}
		}
	}
}

// lookPaths finds programs on PATH, or skips the test.
func lookPaths(t *testing.T, names ...string) (a, b, c string) {
	t.Helper()
	var got []string
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			t.Skipf("%s is not installed", n)
		}
		got = append(got, p)
	}
	return got[0], got[1], got[2]
}
