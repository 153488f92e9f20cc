package dynamo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// The expected bodies in this file are DynamoDB's (its Coral framework's
// error types and message members), as a conformance suite run against
// real DynamoDB records them; none is copied from this package's output.

// wantBody calls op with body on the service and asserts status 400 and
// exactly the JSON object want.
func wantBody(t *testing.T, svc *Service, op, body string, want map[string]any) {
	t.Helper()
	code, out := call(svc, "DynamoDB_20120810."+op, []byte(body))
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	assert.Equal(t, 400, code, "%s %s", op, body)
	assert.Equal(t, want, got, "%s %s", op, body)
}

func serialization(msg string) map[string]any {
	return map[string]any{"__type": "com.amazon.coral.service#SerializationException", "Message": msg}
}

func validation(msg string) map[string]any {
	return map[string]any{"__type": "com.amazon.coral.validate#ValidationException", "message": msg}
}

func TestErrorBodiesAreDynamoDBs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantBody(t, e.svc, "PutItem", `{"TableName":"abc","Item":{"a":{}}}`,
		validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"))
	wantBody(t, e.svc, "DescribeTable", `{"TableName":"no_such_table"}`,
		map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "Requested resource not found: Table: no_such_table not found"})
	// The type is checked before anything else: no table, no item needed.
	wantBody(t, e.svc, "PutItem", `{"TableName":23}`, serialization("NUMBER_VALUE cannot be converted to String"))
	wantBody(t, e.svc, "Query", `{"ExpressionAttributeValues":{":v":{"L":[{"BS":[true]}]}}}`, serialization("only base-64-encoded strings are convertible to bytes"))
	wantBody(t, e.svc, "CreateTable", `{"ProvisionedThroughput":{"ReadCapacityUnits":"23"}}`, serialization("STRING_VALUE cannot be converted to Long"))
	// Constraints are checked before the table is looked up.
	wantBody(t, e.svc, "GetItem", `{"TableName":"no;such"}`, validation("2 validation errors detected: "+
		"Value 'no;such' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "+
		"Value null at 'key' failed to satisfy constraint: Member must not be null"))
	wantBody(t, e.svc, "DescribeTable", `{}`, validation("The parameter 'TableName' is required but was not present in the request"))
	// A body that is not JSON: the type alone.
	wantBody(t, e.svc, "PutItem", `{"TableName":`, map[string]any{"__type": "com.amazon.coral.service#SerializationException"})
}

// withBody makes the SDK send body instead of what it serialized: the
// request is still signed and routed as the SDK does it.
func withBody(body string) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Serialize.Add(middleware.SerializeMiddlewareFunc("replaceBody", func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					r, err := req.SetStream(bytes.NewReader([]byte(body)))
					if err != nil {
						return middleware.SerializeOutput{}, middleware.Metadata{}, err
					}
					in.Request = r
				}
				return next.HandleSerialize(ctx, in)
			}), middleware.After)
		})
	}
}

// TestSDKReadsDynamoDBErrors: aws-sdk-go-v2 maps the Coral types to their
// codes (the part after '#') and reads both message members.
func TestSDKReadsDynamoDBErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	_, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("abc"), Item: map[string]types.AttributeValue{"a": &types.AttributeValueMemberS{Value: "x"}}}, withBody(`{"TableName":true}`))
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, "SerializationException", ae.ErrorCode())
	assert.Equal(t, "TRUE_VALUE cannot be converted to String", ae.ErrorMessage())

	_, err = e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("abc"), Item: map[string]types.AttributeValue{"a": &types.AttributeValueMemberS{Value: "x"}}}, withBody(`{"TableName":"abc","Item":{"a":{}}}`))
	wantValidation(t, err, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")

	_, err = e.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no_such_table")})
	var nf *types.ResourceNotFoundException
	require.True(t, errors.As(err, &nf), "%v", err)
	assert.Equal(t, "Requested resource not found: Table: no_such_table not found", nf.ErrorMessage())
}

// TestProtocolEdges: signed requests DynamoDB cannot route to an operation
// or parse, through the router as a client sends them.
func TestProtocolEdges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct{ target, body, want string }{
		{"", `{}`, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`},
		{"whatever", `{}`, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`},
		{"DynamoDB_20120810.ListTable", `{}`, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`},
		{"DynamoDB_20120810.ListTables", `hi`, `{"__type":"com.amazon.coral.service#SerializationException"}`},
	} {
		code, body := cloudtest.PostJSON(t, e.url, c.target, "dynamodb", []byte(c.body))
		assert.Equal(t, 400, code, "target %q body %q: %s", c.target, c.body, body)
		assert.JSONEq(t, c.want, body, "target %q body %q", c.target, c.body)
	}
}

// TestRequestBodyLimit: a DynamoDB call whose body is over 16 MiB is
// refused before it is read, 413 with no body (the front end's limit,
// dynalite's test/connection.js recorded from DynamoDB); 16 MiB is read
// and answered by the service (here its own size check).
func TestRequestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pad := func(n int) []byte {
		b := []byte(`{"TableName":"abc","x":"`)
		b = append(b, bytes.Repeat([]byte("a"), n-len(b)-2)...)
		return append(b, '"', '}')
	}
	code, body := cloudtest.PostJSON(t, e.url, "DynamoDB_20120810.DescribeTable", "dynamodb", pad(16<<20+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Empty(t, body)
	code, body = cloudtest.PostJSON(t, e.url, "DynamoDB_20120810.DescribeTable", "dynamodb", pad(16<<20))
	assert.Equal(t, 400, code, "an operation's answer: %s", body)
	assert.Contains(t, body, `"__type":`)
}

// TestJSONContentTypeAnswered: a call sent as application/json is answered
// as application/json, success or error; the awsJson type as itself; a
// signed call with neither type nor body as application/json (dynalite's
// test/listTables.js and connection.js, recorded from DynamoDB: "should
// return UnknownOperationException and set CORS if using Origin").
func TestJSONContentTypeAnswered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct{ requestType, target, body, want string }{
		{"application/json", "ListTables", `{}`, "application/json"},
		{"application/json", "ListTables", `{"Limit":0}`, "application/json"},
		{"application/x-amz-json-1.0", "ListTables", `{}`, "application/x-amz-json-1.0"},
		{"application/x-amz-json-1.0", "ListTables", `{"Limit":0}`, "application/x-amz-json-1.0"},
		{"", "", "", "application/json"},
		{"", "ListTable", "", "application/json"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		if c.target != "" {
			r.Header.Set("X-Amz-Target", "DynamoDB_20120810."+c.target)
		}
		if c.requestType != "" {
			r.Header.Set("Content-Type", c.requestType)
		}
		r = r.WithContext(protocol.WithIdentity(context.Background(), protocol.Identity{AccountID: cloudtest.Account, Region: "us-east-1"}))
		w := httptest.NewRecorder()
		e.svc.ServeHTTP(w, r)
		assert.Equal(t, c.want, w.Header().Get("Content-Type"), "%q %s %s", c.requestType, c.target, c.body)
	}
}

// TestListTablesConstraintOrder: ListTables lists Limit's failure before
// ExclusiveStartTableName's (dynalite's test/listTables.js).
func TestListTablesConstraintOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantBody(t, e.svc, "ListTables", `{"ExclusiveStartTableName":"a;","Limit":500}`, validation("3 validation errors detected: "+
		"Value '500' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100; "+
		"Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "+
		"Value 'a;' at 'exclusiveStartTableName' failed to satisfy constraint: Member must have length greater than or equal to 3"))
}

// TestEmptyBodyRefused: a call whose body is empty is a
// SerializationException with no message, as DynamoDB answers it (dynalite's
// test/listTables.js "should return 400 if no body", recorded from
// DynamoDB); "{}" is a call without members.
func TestEmptyBodyRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		body, want string
		code       int
	}{
		{"", `{"__type":"com.amazon.coral.service#SerializationException"}`, 400},
		{"  ", `{"__type":"com.amazon.coral.service#SerializationException"}`, 400},
		{"{}", `{"TableNames":[]}`, 200},
	} {
		code, out := call(e.svc, "DynamoDB_20120810.ListTables", []byte(c.body))
		assert.Equal(t, c.code, code, "%q", c.body)
		assert.JSONEq(t, c.want, string(out), "%q", c.body)
	}
}
