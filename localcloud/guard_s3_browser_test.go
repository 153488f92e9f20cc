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
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
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

// htmlFunction is a bootstrap that answers every invocation with an HTML
// page, as a learner's HTTP API may (one that echoes input is reflected
// script).
const htmlFunction = "#!/bin/sh\nwhile true; do\n" +
	"  curl -sS -D /tmp/h.$$ -o /dev/null \"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next\" || exit 1\n" +
	"  id=$(grep -i '^lambda-runtime-aws-request-id:' /tmp/h.$$ | tr -d '\\r' | cut -d' ' -f2)\n" +
	"  curl -sS -X POST -d '{\"statusCode\":200,\"headers\":{\"content-type\":\"text/html\"},\"body\":\"<!doctype html><title>page</title>\"}' " +
	"\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$id/response\" >/dev/null\ndone\n"

// TestBrowserExecutePathPageIsSandboxed: an HTTP API's page reached by the
// cloud's own address (/_aws/execute-api/ID/...; a link from another site
// is followed there) renders sandboxed too, so its script reaches no
// service; by its own host name (ID.execute-api.localhost) it is another
// origin already.
func TestBrowserExecutePathPageIsSandboxed(t *testing.T) {
	g := startGuarded(t, localcloud.Config{})
	ctx := headlessChromium(t)
	cfg := sdkConfig(g.url)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("000000000000", "local", "")
	bg := context.Background()
	fns := awslambda.NewFromConfig(cfg)
	fn, err := fns.CreateFunction(bg, &awslambda.CreateFunctionInput{FunctionName: aws.String("page"), Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &lambdatypes.FunctionCode{ZipFile: shellZip(t, htmlFunction)}})
	require.NoError(t, err)
	api, err := apigatewayv2.NewFromConfig(cfg).CreateApi(bg, &apigatewayv2.CreateApiInput{Name: aws.String("site"), ProtocolType: "HTTP", Target: fn.FunctionArn})
	require.NoError(t, err)
	_, err = fns.AddPermission(bg, &awslambda.AddPermissionInput{FunctionName: aws.String("page"), StatementId: aws.String("apigw"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("apigateway.amazonaws.com")})
	require.NoError(t, err)

	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, chromedp.Navigate(g.url+"/_aws/execute-api/"+aws.ToString(api.ApiId)+"/hello")))
	title, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.title`))
	require.NoError(t, err)
	require.Equal(t, "page", title, "the API's page renders")
	got, err := chromedp.Run(sctx, chromedp.Evaluate[string](fmt.Sprintf(storedPageAttack, g.createBody("evil")), chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.Equal(t, "refused,refused", got, "the page's calls reached no service")
	_, err = fns.GetFunction(bg, &awslambda.GetFunctionInput{FunctionName: aws.String("evil")})
	assert.Error(t, err, "no function was created")
	_, err = os.Stat(g.canary)
	assert.True(t, os.IsNotExist(err), "the page ran a bootstrap: %v", err)
}
