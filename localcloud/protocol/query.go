package protocol

import (
	"bytes"
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// QueryOp is one operation of an awsQuery service. It returns the value whose
// XML encoding is the content of the <OpResult> element (nil for operations
// that answer with ResponseMetadata only), or an error.
type QueryOp func(ctx context.Context, form url.Values) (any, error)

// QueryService serves the awsQuery protocol: form bodies with Action= and
// Version=, answered with <ActionResponse><ActionResult>...</ActionResult>
// <ResponseMetadata><RequestId>.. and errors in <ErrorResponse>.
type QueryService struct {
	// XMLNS is the namespace of responses, e.g. "http://sns.amazonaws.com/doc/2010-03-31/".
	XMLNS  string
	Ops    map[string]QueryOp
	Logger *slog.Logger
	// MaxBody bounds request bodies; 0 means 1 MiB more than SQS's 256 KiB message limit needs.
	MaxBody int64
}

// ServeHTTP implements http.Handler.
func (s *QueryService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, err := ReadForm(w, r, s.MaxBody)
	if err != nil {
		s.writeError(w, r, "", err)
		return
	}
	action := form.Get("Action")
	fn := s.Ops[action]
	if fn == nil {
		if action == "" {
			s.writeError(w, r, action, Errorf("MissingAction", "the request must contain the parameter Action"))
		} else {
			s.writeError(w, r, action, Errorf("InvalidAction", "the action %s is not valid for this endpoint", action))
		}
		return
	}
	out, err := fn(r.Context(), form)
	if err != nil {
		s.writeError(w, r, action, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	resp := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: s.XMLNS}}}
	if err := enc.EncodeToken(resp); err != nil {
		s.writeError(w, r, action, err)
		return
	}
	if out != nil {
		if err := enc.EncodeElement(out, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			s.writeError(w, r, action, err)
			return
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{RequestID(r.Context())}
	enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	enc.EncodeToken(resp.End())
	if err := enc.Flush(); err != nil {
		s.writeError(w, r, action, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

type queryError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
		Detail  string `xml:"Detail"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func (s *QueryService) writeError(w http.ResponseWriter, r *http.Request, action string, err error) {
	e, known := AsError(err)
	if !known {
		logger(s.Logger).ErrorContext(r.Context(), "operation failed", "action", action, "err", err)
	}
	WriteQueryError(w, r, s.XMLNS, e)
}

// WriteQueryError writes e in the awsQuery error shape. The code is e.QueryCode
// when set (the legacy query code), else e.Code.
func WriteQueryError(w http.ResponseWriter, r *http.Request, xmlns string, e *Error) {
	var q queryError
	q.Xmlns = xmlns
	q.Error.Type = "Sender"
	if e.Receiver {
		q.Error.Type = "Receiver"
	}
	q.Error.Code = e.Code
	if e.QueryCode != "" {
		q.Error.Code = e.QueryCode
	}
	q.Error.Message = e.Message
	q.RequestID = RequestID(r.Context())
	b, _ := xml.Marshal(q)
	b = append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.HTTPStatus())
	w.Write(b)
}

// ReadForm returns the query parameters and form body of r, merged. It reads
// at most max bytes (0: 1 MiB) of body.
func ReadForm(w http.ResponseWriter, r *http.Request, max int64) (url.Values, error) {
	if max == 0 {
		max = 1 << 20
	}
	form := url.Values{}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	if r.Body == nil {
		return form, nil
	}
	b, err := ReadBody(w, r, max)
	if err != nil {
		return nil, bodyError(err)
	}
	body, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, Errorf("MalformedQueryString", "the request body is not a valid form: %v", err)
	}
	for k, v := range body {
		form[k] = append(form[k], v...)
	}
	return form, nil
}

// Members returns the members of an indexed list in a query form, in index
// order. For prefix "Attribute" it collects Attribute.1.Name=a,
// Attribute.1.Value=b, Attribute.2.Name=... into [{"Name":"a","Value":"b"}, ...].
// Keys deeper than one level keep their dotted suffix ("Value.StringValue").
// A list given as prefix.N=value (no suffix) has the value under "".
func Members(form url.Values, prefix string) []map[string]string {
	byIndex := map[int]map[string]string{}
	p := prefix + "."
	for k, v := range form {
		rest, ok := strings.CutPrefix(k, p)
		if !ok || len(v) == 0 {
			continue
		}
		idx, suffix, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 {
			continue
		}
		m := byIndex[n]
		if m == nil {
			m = map[string]string{}
			byIndex[n] = m
		}
		m[suffix] = v[0]
	}
	keys := make([]int, 0, len(byIndex))
	for k := range byIndex {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]map[string]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, byIndex[k])
	}
	return out
}
