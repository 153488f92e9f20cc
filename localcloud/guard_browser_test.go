package localcloud_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// lockedBuffer collects the cloud's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// headlessChromium starts Debian's chromium, or skips (fails in CI, which
// installs it), as web/browser_test.go does.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
		}
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true))
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// attackPage is what a hostile site serves: fetches in no-cors mode (which
// need no preflight) to create a function and invoke one, then form posts
// into a hidden frame.
const attackPage = `<!doctype html><title>cute cats</title>
<iframe name="sink"></iframe>
<form id="inv" method="POST" enctype="text/plain" target="sink" action="%[1]s/2015-03-31/functions/mine/invocations"><input name="{}" value=""></form>
<form id="sns" method="POST" target="sink" action="%[1]s/"><input name="Action" value="CreateTopic"><input name="Name" value="evil"><input name="Version" value="2010-03-31"></form>
<script>
async function attack() {
  const opts = body => ({method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body});
  await fetch(%[1]q + "/2015-03-31/functions", opts(%[2]q)).catch(() => {});
  await fetch(%[1]q + "/2015-03-31/functions/evil/invocations", opts("{}")).catch(() => {});
  await fetch(%[1]q + "/2015-03-31/functions/mine/invocations", opts("{}")).catch(() => {});
  const posted = form => new Promise(done => {
    document.querySelector("iframe").onload = () => done();
    document.getElementById(form).submit();
  });
  await posted("inv");
  await posted("sns");
  return "done";
}
</script>`

func TestBrowserDriveByIsRefused(t *testing.T) {
	logs := &lockedBuffer{}
	g := startGuarded(t, localcloud.Config{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := headlessChromium(t)
	// The learner's function, as the README has them create it.
	_, err := g.lambda().CreateFunction(context.Background(), &awslambda.CreateFunctionInput{FunctionName: aws.String("mine"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: g.zip}})
	require.NoError(t, err)

	page := fmt.Sprintf(attackPage, g.url, g.createBody("evil"))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(page))
	}))
	t.Cleanup(evil.Close)

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, chromedp.Navigate(evil.URL)))
	got, err := chromedp.Run(sctx, chromedp.Evaluate[string](`attack()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, "done", got)

	// Every attempt reached the cloud (the browser did not block it for
	// us) and was refused there.
	assert.Equal(t, 5, logs.count("refused a request"), "refusals logged")
	fns, err := g.lambda().ListFunctions(context.Background(), &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
	require.Len(t, fns.Functions, 1, "functions after the drive-by")
	assert.Equal(t, "mine", aws.ToString(fns.Functions[0].FunctionName))
	_, err = os.Stat(g.canary)
	assert.True(t, os.IsNotExist(err), "the drive-by ran a bootstrap: %v", err)
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	topics, err := sns.NewFromConfig(cfg).ListTopics(context.Background(), &sns.ListTopicsInput{})
	require.NoError(t, err)
	assert.Empty(t, topics.Topics, "topics after the form post")
}
