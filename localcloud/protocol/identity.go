package protocol

import (
	"context"
	"net/http"
	"strings"
)

// DefaultAccount is the account that callers whose access key id is not a
// 12-digit number (and not a key the cloud issued) act in, and unsigned
// requests: 123456789012, the account of AWS's documentation examples and
// moto's default, so ARNs written for either line up. The kit signs with a
// 12-digit key (000000000000, the labs' account, unless told otherwise), so
// it never depends on this default.
const DefaultAccount = "123456789012"

// DefaultRegion is used when a request carries no SigV4 credential scope.
const DefaultRegion = "us-east-1"

// Identity is who made a request and where it acts.
type Identity struct {
	AccountID   string
	Region      string
	AccessKeyID string
	// Service is the signing name from the credential scope ("sqs", "dynamodb"...).
	Service string
}

type ctxKey int

const (
	identityKey ctxKey = iota
	requestIDKey
)

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// IdentityFrom returns the caller's identity; a context without one acts as
// the default account in the default region.
func IdentityFrom(ctx context.Context) Identity {
	if id, ok := ctx.Value(identityKey).(Identity); ok {
		return id
	}
	return Identity{AccountID: DefaultAccount, Region: DefaultRegion}
}

// WithRequestID returns a context carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the id the router gave this request, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// Credential is what a SigV4 credential scope says.
type Credential struct {
	AccessKeyID string
	Date        string
	Region      string
	Service     string
}

// ParseCredential reads the SigV4 credential scope from the Authorization
// header or, for presigned URLs, the X-Amz-Credential query parameter (or
// an S3 SigV2 presigned URL's AWSAccessKeyId or "AWS AKID:signature"
// header, service "s3"). It
// returns ok=false when the request is unsigned or the scope is malformed.
// The signature itself is not verified: the local cloud trusts its callers.
func ParseCredential(r *http.Request) (Credential, bool) {
	scope := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		if v2, ok := strings.CutPrefix(auth, "AWS "); ok {
			// S3's Signature Version 2 header, "AWS AKID:signature".
			key, sig, _ := strings.Cut(v2, ":")
			if key == "" || sig == "" {
				return Credential{}, false
			}
			return Credential{AccessKeyID: key, Service: "s3"}, true
		}
		i := strings.Index(auth, "Credential=")
		if i < 0 {
			return Credential{}, false
		}
		scope = auth[i+len("Credential="):]
		if j := strings.IndexAny(scope, ", "); j >= 0 {
			scope = scope[:j]
		}
	} else if q := r.URL.Query(); q.Get("X-Amz-Credential") != "" {
		scope = q.Get("X-Amz-Credential")
	} else if key := q.Get("AWSAccessKeyId"); key != "" && q.Get("Signature") != "" {
		// A Signature Version 2 presigned URL (what boto3's
		// generate_presigned_url makes for S3 in us-east-1): only S3
		// still takes them, and they carry no region.
		return Credential{AccessKeyID: key, Service: "s3"}, true
	}
	parts := strings.Split(scope, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return Credential{}, false
	}
	return Credential{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, true
}

// IsAccountID reports whether s is a 12-digit AWS account id.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParsedARN is an ARN split into its fields.
type ParsedARN struct {
	Partition, Service, Region, Account, Resource string
}

// ParseARN splits an ARN; ok is false when s is not one.
func ParseARN(s string) (ParsedARN, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return ParsedARN{}, false
	}
	return ParsedARN{Partition: p[1], Service: p[2], Region: p[3], Account: p[4], Resource: p[5]}, true
}
