package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// sourceZip zips source files (mode 0644) for an interpreted runtime.
func sourceZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, src := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(src))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// TestInterpretedRuntimes: python3.x and nodejs functions are created as
// Lambda creates them and run through the Runtime API with the python3 and
// node on PATH: the handler's result, its context, its exceptions (Unhandled,
// with errorType) and a missing module (Runtime.ImportModuleError).
func TestInterpretedRuntimes(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	cases := []struct {
		lang, runtime, handler string
		files                  map[string]string
	}{
		{"python3", "python3.12", "lambda_function.lambda_handler", map[string]string{"lambda_function.py": `
import os
def lambda_handler(event, context):
    print("seen", event)
    if event.get("fail"):
        raise ValueError("bad input")
    return {"echo": event, "name": context.function_name, "arn": context.invoked_function_arn,
            "left": context.get_remaining_time_in_millis() > 0, "region": os.environ["AWS_REGION"]}
`}},
		{"node", "nodejs20.x", "index.handler", map[string]string{"index.js": `
exports.handler = async (event, context) => {
  console.log("seen", JSON.stringify(event));
  if (event.fail) { const e = new Error("bad input"); e.name = "ValueError"; throw e; }
  return { echo: event, name: context.functionName, arn: context.invokedFunctionArn,
           left: context.getRemainingTimeInMillis() > 0, region: process.env.AWS_REGION };
};
`}},
	}
	for _, tc := range cases {
		t.Run(tc.runtime, func(t *testing.T) {
			if _, err := exec.LookPath(tc.lang); err != nil {
				t.Skipf("no %s on PATH", tc.lang)
			}
			name := "fn-" + tc.lang
			created := createFunction(t, c, name, sourceZip(t, tc.files), func(in *awslambda.CreateFunctionInput) {
				in.Runtime, in.Handler = types.Runtime(tc.runtime), aws.String(tc.handler)
			})
			assert.Equal(t, types.Runtime(tc.runtime), created.Runtime)
			out := invoke(t, c, name, `{"a":1}`, withTail)
			require.Nil(t, out.FunctionError, "%s", out.Payload)
			var got map[string]any
			require.NoError(t, json.Unmarshal(out.Payload, &got))
			assert.Equal(t, map[string]any{"echo": map[string]any{"a": 1.0}, "name": name, "arn": aws.ToString(created.FunctionArn), "left": true, "region": "us-east-1"}, got)
			assert.Contains(t, tailOf(t, out), "seen")

			out = invoke(t, c, name, `{"fail":true}`, nil)
			assert.Equal(t, "Unhandled", aws.ToString(out.FunctionError))
			fe := fnErrorOf(t, out)
			assert.Equal(t, "ValueError", fe.Type)
			assert.Equal(t, "bad input", fe.Message)
		})
	}

	if _, err := exec.LookPath("python3"); err == nil {
		createFunction(t, c, "no-module", sourceZip(t, map[string]string{"other.py": "x = 1\n"}), func(in *awslambda.CreateFunctionInput) {
			in.Runtime, in.Handler = types.RuntimePython312, aws.String("lambda_function.lambda_handler")
		})
		out := invoke(t, c, "no-module", `{}`, nil)
		assert.Equal(t, "Unhandled", aws.ToString(out.FunctionError))
		assert.Equal(t, "Runtime.ImportModuleError", fnErrorOf(t, out).Type, "%s", out.Payload)
	}

	// A runtime the local cloud keeps without running.
	createFunction(t, c, "java", sourceZip(t, map[string]string{"A.class": "x"}), func(in *awslambda.CreateFunctionInput) {
		in.Runtime, in.Handler = types.RuntimeJava21, aws.String("example.Handler::handleRequest")
	})
	out := invoke(t, c, "java", `{}`, nil)
	assert.Equal(t, "Runtime.InvalidEntrypoint", fnErrorOf(t, out).Type)
}

// TestInterpretedRuntimeLayers: a Python or Node.js function imports
// modules from its layers (python/, nodejs/node_modules/ in the layer zip,
// where AWS's /opt puts them), a later layer's module before an earlier
// one's.
func TestInterpretedRuntimeLayers(t *testing.T) {
	t.Parallel()
	_, url := testService(t, nil)
	c := client(url, cloudtest.Account)
	ctx := context.Background()
	publish := func(name string, files map[string]string) string {
		out, err := c.PublishLayerVersion(ctx, &awslambda.PublishLayerVersionInput{LayerName: aws.String(name), Content: &types.LayerVersionContentInput{ZipFile: sourceZip(t, files)}})
		require.NoError(t, err)
		return aws.ToString(out.LayerVersionArn)
	}
	cases := []struct {
		lang, runtime, handler string
		base, override         map[string]string
		code                   map[string]string
	}{
		{"python3", "python3.12", "app.handler",
			map[string]string{"python/greet.py": "def hello():\n    return 'base'\n", "python/lib/python3.12/site-packages/extra.py": "NAME = 'site'\n"},
			map[string]string{"python/greet.py": "def hello():\n    return 'override'\n"},
			map[string]string{"app.py": "import greet, extra\ndef handler(event, context):\n    return greet.hello() + '/' + extra.NAME\n"}},
		{"node", "nodejs20.x", "app.handler",
			map[string]string{"nodejs/node_modules/greet/index.js": "exports.hello = () => 'base';\n", "nodejs/node20/node_modules/extra/index.js": "exports.NAME = 'site';\n"},
			map[string]string{"nodejs/node_modules/greet/index.js": "exports.hello = () => 'override';\n"},
			map[string]string{"app.js": "const greet = require('greet'), extra = require('extra');\nexports.handler = async () => greet.hello() + '/' + extra.NAME;\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.runtime, func(t *testing.T) {
			if _, err := exec.LookPath(tc.lang); err != nil {
				t.Skipf("no %s on PATH", tc.lang)
			}
			base := publish("base-"+tc.lang, tc.base)
			over := publish("over-"+tc.lang, tc.override)
			name := "layered-" + tc.lang
			createFunction(t, c, name, sourceZip(t, tc.code), func(in *awslambda.CreateFunctionInput) {
				in.Runtime, in.Handler, in.Layers = types.Runtime(tc.runtime), aws.String(tc.handler), []string{base, over}
			})
			out := invoke(t, c, name, `{}`, nil)
			require.Nil(t, out.FunctionError, "%s", out.Payload)
			assert.Equal(t, `"override/site"`, string(out.Payload))
		})
	}
}

// TestRuntimeVersion: INIT_START names runtimes as AWS's log lines do.
func TestRuntimeVersion(t *testing.T) {
	for rt, want := range map[string]string{"provided.al2023": "provided:al2023", "provided": "provided", "python3.12": "python:3.12", "nodejs20.x": "nodejs:20", "java21": "java:21", "ruby3.3": "ruby:3.3"} {
		assert.Equal(t, want, runtimeVersion(rt), rt)
	}
}
