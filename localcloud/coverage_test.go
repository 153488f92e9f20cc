package localcloud_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/localtest"
)

// botocoreData is where Debian's python3-botocore keeps AWS's service
// models, the ground truth for which operations a service has.
const botocoreData = "/usr/lib/python3/dist-packages/botocore/data"

// unservedOperations are the operations of those models the local cloud
// does not serve: IAM's Organizations access reports need AWS
// Organizations, which the local cloud does not have.
var unservedOperations = map[string][]string{
	"iam": {"GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport"},
}

// serviceModel is the part of a botocore service-2.json this test reads.
type serviceModel struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		Protocol     string `json:"protocol"`
		JSONVersion  string `json:"jsonVersion"`
		TargetPrefix string `json:"targetPrefix"`
		SigningName  string `json:"signingName"`
		EndpointPfx  string `json:"endpointPrefix"`
	} `json:"metadata"`
	Operations map[string]struct {
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
	} `json:"operations"`
}

// loadModel reads the newest API version of a service's model.
func loadModel(t *testing.T, service string) serviceModel {
	t.Helper()
	versions, _ := filepath.Glob(filepath.Join(botocoreData, service, "*", "service-2.json"))
	if len(versions) == 0 {
		t.Skipf("no botocore model for %s under %s (apt-get install python3-botocore)", service, botocoreData)
	}
	sort.Strings(versions)
	b, err := os.ReadFile(versions[len(versions)-1])
	require.NoError(t, err)
	var m serviceModel
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

var uriParamRE = regexp.MustCompile(`\{[^}]+\}`)

// operationRequest builds a signed, minimal request for an operation in
// the model's protocol: enough to reach the operation's handler, which may
// then refuse the empty input.
func operationRequest(t *testing.T, endpoint string, m serviceModel, op string) *http.Request {
	t.Helper()
	md := m.Metadata
	var body []byte
	var req *http.Request
	var err error
	switch md.Protocol {
	case "query":
		body = []byte(url.Values{"Action": {op}, "Version": {md.APIVersion}}.Encode())
		req, err = http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	case "json":
		body = []byte("{}")
		req, err = http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-amz-json-"+md.JSONVersion)
		req.Header.Set("X-Amz-Target", md.TargetPrefix+"."+op)
	case "rest-json":
		h := m.Operations[op].HTTP
		uri := uriParamRE.ReplaceAllString(h.RequestURI, "x")
		body = []byte("{}")
		req, err = http.NewRequest(h.Method, endpoint+uri, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
	default:
		t.Fatalf("protocol %s", md.Protocol)
	}
	name := md.SigningName
	if name == "" {
		name = md.EndpointPfx
	}
	signRequest(t, req, body, "AKIDCOVERAGETEST", name)
	return req
}

// signRequest signs req, whose body is body, with SigV4 for service in
// us-east-1 as the access key id (the local cloud takes a twelve-digit one
// as the account; it checks no signature).
func signRequest(t testing.TB, req *http.Request, body []byte, accessKey, service string) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: "secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// unknownOperation reports whether a response says no handler serves the
// operation: the router's or a service's unknown-operation answer.
func unknownOperation(resp *http.Response, body []byte) bool {
	code := resp.Header.Get("X-Amzn-Errortype")
	var x struct {
		Error struct{ Code string } `xml:"Error"`
	}
	if xml.Unmarshal(body, &x) == nil && x.Error.Code != "" {
		code = x.Error.Code
	}
	var j struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &j) == nil && j.Type != "" {
		code = j.Type
	}
	code = code[strings.LastIndex(code, "#")+1:]
	code, _, _ = strings.Cut(code, ":")
	switch code {
	case "UnknownOperationException", "InvalidAction", "UnknownOperation", "NotImplemented":
		return true
	}
	return false
}

// TestEveryModelOperationIsServed sends every operation of botocore's
// models of SQS, SNS, Lambda, API Gateway v2, IAM, STS and CloudWatch Logs
// to a real local cloud and checks that a handler answers it (any answer
// but the unknown-operation one), except the operations listed in
// unservedOperations. It logs the counts per service.
func TestEveryModelOperationIsServed(t *testing.T) {
	endpoint, _ := localtest.Serve(t)
	for _, service := range []string{"sqs", "sns", "lambda", "apigatewayv2", "iam", "sts", "logs"} {
		t.Run(service, func(t *testing.T) {
			m := loadModel(t, service)
			var unserved []string
			for op := range m.Operations {
				resp, err := http.DefaultClient.Do(operationRequest(t, endpoint, m, op))
				require.NoError(t, err, op)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if unknownOperation(resp, body) {
					unserved = append(unserved, op)
				}
			}
			sort.Strings(unserved)
			t.Logf("%s: %d of %d operations served; not served: %v", service, len(m.Operations)-len(unserved), len(m.Operations), unserved)
			want := unservedOperations[service]
			if want == nil {
				want = []string{}
			}
			if unserved == nil {
				unserved = []string{}
			}
			assert.Equal(t, want, unserved)
		})
	}
}
