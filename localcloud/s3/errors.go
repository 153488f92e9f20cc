package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// S3's errors, with the codes, messages and statuses of the S3 API
// reference's error code list. Extra elements of the <Error> body
// (BucketName, Key...) travel in protocol.Error's Fields.

func errNoSuchBucket(bucket string) *protocol.Error {
	return withField(protocol.StatusErrorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"), "BucketName", bucket)
}

func errNoSuchKey(key string) *protocol.Error {
	return withField(protocol.StatusErrorf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist."), "Key", key)
}

func errAccessDenied() *protocol.Error {
	return protocol.StatusErrorf(http.StatusForbidden, "AccessDenied", "Access Denied")
}

func errInvalidBucketName(bucket string) *protocol.Error {
	return withField(protocol.Errorf("InvalidBucketName", "The specified bucket is not valid."), "BucketName", bucket)
}

func errInvalidArgument(name, value, format string, args ...any) *protocol.Error {
	e := protocol.Errorf("InvalidArgument", format, args...)
	return withField(withField(e, "ArgumentName", name), "ArgumentValue", value)
}

func errMalformedXML() *protocol.Error {
	return protocol.Errorf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

func errNotImplemented() *protocol.Error {
	return protocol.StatusErrorf(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
}

func errMethodNotAllowed(method, resource string) *protocol.Error {
	e := protocol.StatusErrorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
	return withField(withField(e, "Method", method), "ResourceType", resource)
}

func withField(e *protocol.Error, name, value string) *protocol.Error {
	if e.Fields == nil {
		e.Fields = map[string]any{}
	}
	e.Fields[name] = value
	return e
}

// errorOrder is the order of the extra elements S3 writes after Message.
var errorOrder = []string{"Bucket", "Endpoint", "BucketName", "Key", "ArgumentName", "ArgumentValue", "Method", "ResourceType", "Condition", "ActualObjectSize", "RangeRequested", "MaxSizeAllowed", "ProposedSize", "UploadId", "PartNumber", "ETag", "MinSizeAllowed", "ExpectedDigest", "CalculatedDigest", "Region", "LocationConstraint"}

// writeError answers err in S3's shape: <Error><Code/><Message/>...
// <RequestId/><HostId/></Error> with the error's status; a HEAD answer has
// no body. Errors that are not *protocol.Error are logged and answered as
// InternalError.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, known := protocol.AsError(err)
	if !known {
		s.log.ErrorContext(r.Context(), "operation failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = protocol.StatusErrorf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	}
	h := w.Header()
	h.Set("x-amz-id-2", hostID(r))
	if r.Method == http.MethodHead {
		w.WriteHeader(e.HTTPStatus())
		return
	}
	b := []byte(xml.Header + "<Error><Code>")
	b = appendEscaped(b, e.Code)
	b = append(b, "</Code><Message>"...)
	b = appendEscaped(b, e.Message)
	b = append(b, "</Message>"...)
	for _, k := range errorOrder {
		if v, ok := e.Fields[k]; ok {
			b = append(b, "<"+k+">"...)
			b = appendEscaped(b, fmt.Sprint(v))
			b = append(b, "</"+k+">"...)
		}
	}
	b = append(b, "<RequestId>"...)
	b = appendEscaped(b, protocol.RequestID(r.Context()))
	b = append(b, "</RequestId><HostId>"...)
	b = appendEscaped(b, h.Get("x-amz-id-2"))
	b = append(b, "</HostId></Error>"...)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.HTTPStatus())
	w.Write(b)
}

// appendEscaped appends s escaped as XML character data.
func appendEscaped(b []byte, s string) []byte {
	var buf xmlBuf
	xml.EscapeText(&buf, []byte(s))
	return append(b, buf...)
}

type xmlBuf []byte

func (b *xmlBuf) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }
