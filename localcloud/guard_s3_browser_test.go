package localcloud_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud"
)

// storedPageAttack is what a hostile HTML object's script would run once
// the learner opens the object in the browser: same-origin calls (no
// preflight, no Origin check to fail) that create a function and invoke it.
const storedPageAttack = `(async () => {
  const auth = "AWS4-HMAC-SHA256 Credential=000000000000/20261207/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00";
  const call = (path, body) => fetch(location.origin + path, {method: "POST", headers: {"Authorization": auth, "Content-Type": "application/json"}, body})
    .then(r => String(r.status)).catch(e => "refused");
  return [await call("/2015-03-31/functions", %q), await call("/2015-03-31/functions/evil/invocations", "{}")].join(",");
})()`

// TestBrowserStoredS3PageIsSandboxed: an HTML object opened in the browser
// (a presigned URL the learner pastes) renders at the cloud's own origin,
// where a script's calls pass the guard as the cloud's own. Objects are
// served sandboxed (an opaque origin), so such a page reaches no service.
func TestBrowserStoredS3PageIsSandboxed(t *testing.T) {
	g := startGuarded(t, localcloud.Config{})
	ctx := headlessChromium(t)
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bg := context.Background()
	_, err := c.CreateBucket(bg, &s3.CreateBucketInput{Bucket: aws.String("labkit-uploads")})
	require.NoError(t, err)
	_, err = c.PutObject(bg, &s3.PutObjectInput{Bucket: aws.String("labkit-uploads"), Key: aws.String("avatar.html"), ContentType: aws.String("text/html"),
		Body: strings.NewReader("<!doctype html><title>avatar</title><p>hello</p>")})
	require.NoError(t, err)
	url, err := s3.NewPresignClient(c).PresignGetObject(bg, &s3.GetObjectInput{Bucket: aws.String("labkit-uploads"), Key: aws.String("avatar.html")})
	require.NoError(t, err)

	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, chromedp.Navigate(url.URL)))
	title, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	require.Equal(t, "avatar", title, "the object renders")
	got, err := chromedp.Run(sctx, chromedp.Evaluate[string](fmt.Sprintf(storedPageAttack, g.createBody("evil")), chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.Equal(t, "refused,refused", got, "the page's calls reached no service")

	fns, err := g.lambda().ListFunctions(bg, &awslambda.ListFunctionsInput{})
	require.NoError(t, err)
	assert.Empty(t, fns.Functions, "functions after the stored page ran")
	_, err = os.Stat(g.canary)
	assert.True(t, os.IsNotExist(err), "the stored page ran a bootstrap: %v", err)
}
