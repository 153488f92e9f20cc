package monitoring

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// XMLNS is the namespace of query-protocol responses.
const XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"

// APIVersion is the Version query requests carry.
const APIVersion = "2010-08-01"

// serviceShape is the Smithy service name in rpcv2-cbor paths and awsJson
// targets: /service/GraniteServiceVersion20100801/operation/<Op>.
const serviceShape = "GraniteServiceVersion20100801"

const (
	cborPathPrefix = "/service/" + serviceShape + "/operation/"
	jsonTarget     = serviceShape + "."
	errNamespace   = "com.amazonaws.cloudwatch#"
)

// maxBody bounds a request body. PutMetricData's documented limit is 1 MB
// (HTTP POST); dashboards bodies are at most 1 MB too.
const maxBody = 2 << 20

// op is one operation: it reads its input from the request's tree and
// returns the output struct (nil for an empty result).
type op func(ctx context.Context, in map[string]any) (any, error)

type wireKind int

const (
	wireQuery wireKind = iota
	wireCBOR
	wireJSON
)

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, name := wireQuery, ""
	switch {
	case strings.HasPrefix(r.URL.Path, cborPathPrefix):
		kind, name = wireCBOR, strings.TrimPrefix(r.URL.Path, cborPathPrefix)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), jsonTarget):
		kind, name = wireJSON, strings.TrimPrefix(r.Header.Get("X-Amz-Target"), jsonTarget)
	}
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		// aws-sdk-go-v2 gzips PutMetricData bodies (the operation's
		// requestCompression trait). The decompressed body has the same
		// limit as a plain one, so a small bomb cannot grow unbounded.
		zr, err := gzip.NewReader(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			s.writeError(w, r, kind, name, protocol.Errorf("SerializationException", "the gzip request body is not valid: %v", err))
			return
		}
		defer zr.Close()
		r.Body = io.NopCloser(zr)
		r.Header.Del("Content-Encoding")
	}
	tree, name, err := readRequest(w, r, kind, name)
	if err != nil {
		s.writeError(w, r, kind, name, err)
		return
	}
	fn := s.ops[name]
	if fn == nil {
		if kind == wireQuery {
			s.writeError(w, r, kind, name, protocol.Errorf("InvalidAction", "The action %s is not valid for this web service.", name))
		} else {
			s.writeError(w, r, kind, name, protocol.Errorf("UnknownOperationException", "unknown operation %q", name))
		}
		return
	}
	out, err := fn(r.Context(), tree)
	if err != nil {
		s.writeError(w, r, kind, name, err)
		return
	}
	var tr any = map[string]any{}
	if out != nil {
		tr = encode(out)
	}
	switch kind {
	case wireCBOR:
		writeBody(w, http.StatusOK, "application/cbor", cbor.Encode(toCBOR(tr)), true)
	case wireJSON:
		b, err := marshalJSON(tr)
		if err != nil {
			s.writeError(w, r, kind, name, err)
			return
		}
		writeBody(w, http.StatusOK, "application/x-amz-json-1.0", b, false)
	default:
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		enc := xml.NewEncoder(&buf)
		resp := xml.StartElement{Name: xml.Name{Local: name + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: XMLNS}}}
		enc.EncodeToken(resp)
		if out != nil {
			if err := xmlElement(enc, name+"Result", tr); err != nil {
				s.writeError(w, r, kind, name, err)
				return
			}
		}
		xmlElement(enc, "ResponseMetadata", map[string]any{"RequestId": protocol.RequestID(r.Context())})
		enc.EncodeToken(resp.End())
		enc.Flush()
		writeBody(w, http.StatusOK, "text/xml", buf.Bytes(), false)
	}
}

// readRequest reads the body in the request's protocol; for the query
// protocol it also returns the Action.
func readRequest(w http.ResponseWriter, r *http.Request, kind wireKind, name string) (map[string]any, string, error) {
	if kind == wireQuery {
		form, err := protocol.ReadForm(w, r, maxBody)
		if err != nil {
			return nil, "", err
		}
		name = form.Get("Action")
		if name == "" {
			return nil, "", protocol.Errorf("MissingAction", "the request must contain the parameter Action")
		}
		tree, err := formTree(form)
		return tree, name, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, name, protocol.StatusErrorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "request body too large or unreadable")
	}
	if kind == wireCBOR {
		tree, err := cborTree(body)
		return tree, name, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, name, nil
	}
	tree, err := jsonTree(body)
	return tree, name, err
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte, smithy bool) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if smithy {
		h.Set("Smithy-Protocol", "rpc-v2-cbor")
	}
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers in the protocol's error shape. Error codes are the
// Smithy shape names (InvalidParameterValueException); QueryCode carries
// the awsQuery code (InvalidParameterValue), which the query protocol sends
// as the code and the document protocols in X-Amzn-Query-Error, so that
// query-compatible SDKs report the same code on every protocol.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, kind wireKind, name string, err error) {
	e, known := protocol.AsError(err)
	if !known {
		s.log.ErrorContext(r.Context(), "operation failed", "op", name, "err", err)
	}
	if kind == wireQuery {
		protocol.WriteQueryError(w, r, XMLNS, e)
		return
	}
	fault := "Sender"
	if e.Receiver {
		fault = "Receiver"
	}
	if e.QueryCode != "" {
		w.Header().Set("X-Amzn-Query-Error", e.QueryCode+";"+fault)
	}
	body := map[string]any{"__type": errNamespace + e.Code, "message": e.Message, "Message": e.Message}
	if kind == wireCBOR {
		writeBody(w, e.HTTPStatus(), "application/cbor", cbor.Encode(toCBOR(body)), true)
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	b, _ := marshalJSON(body)
	writeBody(w, e.HTTPStatus(), "application/x-amz-json-1.0", b, false)
}
