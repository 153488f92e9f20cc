package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// BotocoreData is where Debian's python3-botocore keeps the service models.
const BotocoreData = "/usr/lib/python3/dist-packages/botocore/data"

// ErrNoModel is returned by Load when botocore has no model of the service.
var ErrNoModel = errors.New("no botocore model")

// Model is the part of a botocore service-2.json that describes responses.
type Model struct {
	Metadata struct {
		Protocol        string `json:"protocol"`
		TimestampFormat string `json:"timestampFormat"`
	} `json:"metadata"`
	Operations map[string]Operation `json:"operations"`
	Shapes     map[string]*Shape    `json:"shapes"`
	// Newer lists, per shape, members AWS added after this model: a check
	// accepts them (with their type unchecked) instead of reporting them.
	// Fill it only with members the aws-sdk-go-v2 types have.
	Newer map[string][]string `json:"-"`
	// NewerValues lists, per enum shape, values AWS added after this model
	// (aws-sdk-go-v2's enum type's Values(), through [Strings]): a check
	// accepts them.
	NewerValues map[string][]string `json:"-"`
}

// Strings converts an aws-sdk-go-v2 enum's Values() for Model.NewerValues.
func Strings[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// Operation is one operation of a model.
type Operation struct {
	Output *Ref `json:"output"`
}

// Ref is a reference to a shape: an operation's output, a structure's
// member, a list's element, a map's key or value, with the serialization
// traits the reference carries.
type Ref struct {
	Shape           string `json:"shape"`
	Location        string `json:"location"`
	LocationName    string `json:"locationName"`
	Flattened       bool   `json:"flattened"`
	TimestampFormat string `json:"timestampFormat"`
	XMLAttribute    bool   `json:"xmlAttribute"`
	ResultWrapper   string `json:"resultWrapper"`
}

// Shape is a named shape of a model.
type Shape struct {
	Type            string          `json:"type"`
	Members         map[string]*Ref `json:"members"`
	Member          *Ref            `json:"member"`
	Key             *Ref            `json:"key"`
	Value           *Ref            `json:"value"`
	Required        []string        `json:"required"`
	Enum            []string        `json:"enum"`
	Payload         string          `json:"payload"`
	Flattened       bool            `json:"flattened"`
	TimestampFormat string          `json:"timestampFormat"`
	LocationName    string          `json:"locationName"`
	// Union marks a structure of which exactly one member is set (the
	// model's union trait; a test may set it where an older model lacks
	// it, as DynamoDB's AttributeValue).
	Union bool `json:"union"`
}

// Violation is one way a response differs from its output shape.
type Violation struct {
	// Path locates the value: the operation, then member, key and index
	// steps ("GetFunction.Configuration.Layers[0].Arn").
	Path    string
	Problem string
}

func (v Violation) String() string { return v.Path + ": " + v.Problem }

// Load reads the newest API version of botocore's model of service (the
// directory name under BotocoreData: "lambda", "logs", "apigatewayv2").
func Load(service string) (*Model, error) {
	versions, _ := filepath.Glob(filepath.Join(BotocoreData, service, "*", "service-2.json"))
	if len(versions) == 0 {
		return nil, fmt.Errorf("load model %s: %w under %s", service, ErrNoModel, BotocoreData)
	}
	sort.Strings(versions)
	b, err := os.ReadFile(versions[len(versions)-1])
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", service, err)
	}
	return Parse(b)
}

// LoadForTest is Load for a test: it skips the test when the machine has
// no botocore model of the service and fails it on any other error.
func LoadForTest(t testing.TB, service string) *Model {
	t.Helper()
	m, err := Load(service)
	if errors.Is(err, ErrNoModel) {
		t.Skipf("%v (apt-get install python3-botocore)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Parse decodes a service-2.json.
func Parse(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	return &m, nil
}

// Has reports whether the model has the operation.
func (m *Model) Has(op string) bool {
	_, ok := m.Operations[op]
	return ok
}

func (m *Model) newer(shape, member string) bool {
	return slices.Contains(m.Newer[shape], member)
}

// inEnum reports whether s is a value of the enum shape (or the shape
// lists none).
func (m *Model) inEnum(shape, s string) bool {
	e := m.Shapes[shape].Enum
	return len(e) == 0 || slices.Contains(e, s) || slices.Contains(m.NewerValues[shape], s)
}

// timestampFormat is the format of a timestamp at ref: the reference's
// trait, else the shape's, else the model's, else the protocol's default.
func (m *Model) timestampFormat(ref *Ref, sh *Shape, xml bool) string {
	for _, f := range []string{ref.TimestampFormat, sh.TimestampFormat, m.Metadata.TimestampFormat} {
		if f != "" {
			return f
		}
	}
	if xml {
		return "iso8601"
	}
	return "unixTimestamp"
}

// CheckCall checks a recorded call's body (and for the rest protocols the
// members bound to headers) against the output shape of its operation: as
// CBOR when the Smithy-Protocol header says rpc-v2-cbor, else as JSON or
// as XML by the body's first byte; a body that is a blob or string payload
// is not read. Calls that did not succeed (status 300 and above) have no
// output shape and are not checked.
func (m *Model) CheckCall(c Call) []Violation {
	if c.Status >= 300 {
		return nil
	}
	if !m.Has(c.Operation) {
		return []Violation{{c.Operation, "the operation is not in botocore's model"}}
	}
	var headers []Violation
	if p := m.Metadata.Protocol; p == "rest-json" || p == "rest-xml" {
		headers = m.checkHeaders(c.Operation, c.Header)
	}
	return append(headers, m.checkBody(c)...)
}

// checkBody checks a call's body by its protocol.
func (m *Model) checkBody(c Call) []Violation {
	if out := m.Operations[c.Operation].Output; out != nil {
		sh := m.Shapes[out.Shape]
		if sh.Payload != "" && m.Shapes[sh.Members[sh.Payload].Shape].Type != "structure" {
			return nil // the body is the payload member's bytes (GetObject, Invoke)
		}
	}
	if c.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" {
		return m.CheckCBOR(c.Operation, c.Body)
	}
	for _, b := range c.Body {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		case '<':
			return m.CheckXML(c.Operation, c.Body)
		}
		break
	}
	return m.CheckJSON(c.Operation, c.Body)
}
