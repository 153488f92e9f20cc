package lambda

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// fnKey identifies a function: each account and region is its own world.
type fnKey struct{ account, region, name string }

// function is one function's definition. Values are immutable once
// published in Service.fns: changes build a new value.
type function struct {
	Account       string            `json:"account"`
	Region        string            `json:"region"`
	Name          string            `json:"name"`
	Runtime       string            `json:"runtime"`
	Handler       string            `json:"handler"`
	Role          string            `json:"role"`
	Description   string            `json:"description"`
	Timeout       int               `json:"timeout"`
	MemorySize    int               `json:"memorySize"`
	Env           map[string]string `json:"env,omitempty"`
	Architectures []string          `json:"architectures"`
	Tags          map[string]string `json:"tags,omitempty"`
	CodeSha256    string            `json:"codeSha256"` // base64, as the API reports it
	CodeHex       string            `json:"codeHex"`    // hex, names the code's files
	CodeSize      int64             `json:"codeSize"`
	LastModified  time.Time         `json:"lastModified"`
	RevisionID    string            `json:"revisionId"`
	// Generation changes with every code or configuration change; warm
	// environments of an older generation are retired.
	Generation uint64       `json:"generation"`
	Policy     []*statement `json:"policy,omitempty"`
	PolicyRev  string       `json:"policyRevision,omitempty"`
	Reserved   *int         `json:"reserved,omitempty"`
	// Ephemeral is EphemeralStorage.Size in MB; 0 means 512.
	Ephemeral int `json:"ephemeral,omitempty"`
	// Tracing is TracingConfig.Mode; "" means PassThrough.
	Tracing string `json:"tracing,omitempty"`
	// DeadLetter is DeadLetterConfig.TargetArn (deadletter.go).
	DeadLetter string `json:"deadLetter,omitempty"`
	// Layers are the layer versions the function references.
	Layers []layerRef `json:"layers,omitempty"`
	// Version is a published version's number; "" is $LATEST.
	Version string `json:"version,omitempty"`
	// LogFormat, LogGroup, AppLogLevel and SysLogLevel are its
	// LoggingConfig (logging.go); "" is the default.
	LogFormat   string `json:"logFormat,omitempty"`
	LogGroup    string `json:"logGroup,omitempty"`
	AppLogLevel string `json:"appLogLevel,omitempty"`
	SysLogLevel string `json:"sysLogLevel,omitempty"`
	// Vpc is VpcConfig, KMSKey KMSKeyArn (vpc.go): kept, not used.
	Vpc    *vpcConfig `json:"vpc,omitempty"`
	KMSKey string     `json:"kmsKey,omitempty"`
	// LastVersion is the number of $LATEST's last published version
	// (numbers are never reused).
	LastVersion int `json:"lastVersion,omitempty"`
}

func (f *function) key() fnKey { return fnKey{f.Account, f.Region, f.Name} }

// arn is the unqualified function ARN.
func (f *function) arn() string {
	return protocol.ARN("lambda", f.Region, f.Account, "function:"+f.Name)
}

// clone returns a deep copy for building a changed version.
func (f *function) clone() *function {
	c := *f
	c.Env = cloneMap(f.Env)
	c.Tags = cloneMap(f.Tags)
	c.Architectures = append([]string(nil), f.Architectures...)
	c.Layers = append([]layerRef(nil), f.Layers...)
	c.Policy = append([]*statement(nil), f.Policy...)
	if f.Vpc != nil {
		v := *f.Vpc
		c.Vpc = &v
	}
	if f.Reserved != nil {
		r := *f.Reserved
		c.Reserved = &r
	}
	return &c
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// codeDir is where the function's code is unpacked: the task root.
func (s *Service) codeDir(f *function) string {
	return filepath.Join(s.fnDir(f.Account, f.Region, f.Name), f.CodeHex)
}

// zipPath is where the function's uploaded zip is kept.
func (s *Service) zipPath(f *function) string {
	return filepath.Join(s.fnDir(f.Account, f.Region, f.Name), f.CodeHex+".zip")
}

func (s *Service) fnDir(account, region, name string) string {
	return filepath.Join(s.cfg.DataDir, "lambda", account, region, name)
}

// lastModifiedFormat is how Lambda writes LastModified.
const lastModifiedFormat = "2006-01-02T15:04:05.000-0700"

// configuration is the FunctionConfiguration shape.
type configuration struct {
	FunctionName     string            `json:"FunctionName"`
	FunctionArn      string            `json:"FunctionArn"`
	Runtime          string            `json:"Runtime"`
	Role             string            `json:"Role"`
	Handler          string            `json:"Handler"`
	CodeSize         int64             `json:"CodeSize"`
	Description      string            `json:"Description"`
	Timeout          int               `json:"Timeout"`
	MemorySize       int               `json:"MemorySize"`
	LastModified     string            `json:"LastModified"`
	CodeSha256       string            `json:"CodeSha256"`
	Version          string            `json:"Version"`
	Environment      *environmentResp  `json:"Environment,omitempty"`
	TracingConfig    map[string]string `json:"TracingConfig"`
	RevisionID       string            `json:"RevisionId"`
	State            string            `json:"State"`
	LastUpdateStatus string            `json:"LastUpdateStatus"`
	PackageType      string            `json:"PackageType"`
	Architectures    []string          `json:"Architectures"`
	EphemeralStorage map[string]int    `json:"EphemeralStorage"`
	SnapStart        map[string]string `json:"SnapStart"`
	LoggingConfig    loggingConfig     `json:"LoggingConfig"`
	Layers           []layerRef        `json:"Layers,omitempty"`
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
	VpcConfig        *vpcConfig        `json:"VpcConfig,omitempty"`
	KMSKeyArn        string            `json:"KMSKeyArn,omitempty"`
}

type environmentResp struct {
	Variables map[string]string `json:"Variables"`
}

func (f *function) configuration() configuration {
	c := configuration{
		FunctionName:     f.Name,
		FunctionArn:      f.qualifiedARN(),
		Runtime:          f.Runtime,
		Role:             f.Role,
		Handler:          f.Handler,
		CodeSize:         f.CodeSize,
		Description:      f.Description,
		Timeout:          f.Timeout,
		MemorySize:       f.MemorySize,
		LastModified:     f.LastModified.UTC().Format(lastModifiedFormat),
		CodeSha256:       f.CodeSha256,
		Version:          f.ver(),
		TracingConfig:    map[string]string{"Mode": cmp.Or(f.Tracing, "PassThrough")},
		RevisionID:       f.RevisionID,
		State:            "Active",
		LastUpdateStatus: "Successful",
		PackageType:      "Zip",
		Architectures:    f.Architectures,
		EphemeralStorage: map[string]int{"Size": f.ephemeralMB()},
		SnapStart:        map[string]string{"ApplyOn": "None", "OptimizationStatus": "Off"},
		LoggingConfig:    f.loggingOut(),
		Layers:           f.Layers,
		DeadLetterConfig: f.deadLetterOut(),
		VpcConfig:        f.Vpc,
		KMSKeyArn:        f.KMSKey,
	}
	if f.Env != nil {
		c.Environment = &environmentResp{Variables: f.Env}
	}
	return c
}

// newRevision returns a fresh RevisionId (a UUID, as AWS uses).
func newRevision() string { return protocol.NewRequestID() }

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Validation of names and ARNs (botocore's FunctionName pattern).
var (
	nameRE      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	qualifierRE = regexp.MustCompile(`^[a-zA-Z0-9$_-]{1,128}$`)
	roleRE      = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
	// regionRE is a function ARN's region: FunctionName's pattern in the
	// API model names [a-z]{2}(-gov)?-[a-z]+-\d only, its newer shapes
	// (UnqualifiedFunctionName, TaggableResource) the isolated regions too
	// (us-iso-east-1, us-isob-east-1), whose functions are named by ARN
	// like any other.
	regionRE    = regexp.MustCompile(`^[a-z]{2}((-gov)|(-iso[a-z]?))?-[a-z]+-\d$`)
	statementRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,100}$`)
	actionRE    = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
)

// functionRef is a parsed FunctionName parameter: a name, a partial ARN
// (123456789012:function:name) or a full ARN, with an optional qualifier.
type functionRef struct {
	account, region, name, qualifier string
	partition                        string // of an ARN: another partition's function is not found
}

// parseFunctionRef reads a FunctionName path parameter.
func parseFunctionRef(s string) (functionRef, error) {
	bad := func() (functionRef, error) {
		return functionRef{}, protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", truncate(s, 200))
	}
	if s == "" || len(s) > 170 {
		return bad()
	}
	var ref functionRef
	rest := s
	if strings.HasPrefix(rest, "arn:") {
		p := strings.SplitN(rest, ":", 8)
		// arn partition lambda region account function name [qualifier]
		if len(p) < 7 || !strings.HasPrefix(p[1], "aws") || p[2] != "lambda" || !regionRE.MatchString(p[3]) || !protocol.IsAccountID(p[4]) || p[5] != "function" {
			return bad()
		}
		ref.partition, ref.region, ref.account, ref.name = p[1], p[3], p[4], p[6]
		if len(p) == 8 {
			ref.qualifier = p[7]
		}
	} else {
		p := strings.Split(rest, ":")
		switch {
		case len(p) >= 3 && protocol.IsAccountID(p[0]) && p[1] == "function" && len(p) <= 4:
			ref.account, ref.name = p[0], p[2]
			if len(p) == 4 {
				ref.qualifier = p[3]
			}
		case len(p) == 1:
			ref.name = p[0]
		case len(p) == 2:
			ref.name, ref.qualifier = p[0], p[1]
		default:
			return bad()
		}
	}
	if !nameRE.MatchString(ref.name) {
		return bad()
	}
	if ref.qualifier != "" && !qualifierRE.MatchString(ref.qualifier) {
		return bad()
	}
	return ref, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// lookup finds the function a request names, in the caller's account and
// region: $LATEST, a version or an alias's version.
func (s *Service) lookup(r *http.Request, nameParam string) (*function, error) {
	id := protocol.IdentityFrom(r.Context())
	ref, err := parseFunctionRef(nameParam)
	if err != nil {
		return nil, err
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if ref.qualifier != "" && ref.qualifier != q {
			return nil, protocol.Errorf("InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.qualifier = q
	}
	return s.find(id.AccountID, id.Region, ref)
}

// find resolves ref for a caller acting in account and region.
func (s *Service) find(account, region string, ref functionRef) (*function, error) {
	if ref.account != "" && ref.account != account {
		return nil, protocol.StatusErrorf(http.StatusForbidden, "AccessDeniedException", "User: %s is not authorized to perform this action on resource: %s because no resource-based policy allows it", protocol.RootARN(region, account), protocol.ARN("lambda", firstNonEmpty(ref.region, region), ref.account, "function:"+ref.name))
	}
	if (ref.region != "" && ref.region != region) || (ref.partition != "" && ref.partition != protocol.Partition(region)) {
		return nil, notFound(protocol.ARN("lambda", firstNonEmpty(ref.region, region), account, "function:"+ref.name))
	}
	s.mu.RLock()
	f := s.fns[fnKey{account, region, ref.name}]
	s.mu.RUnlock()
	arn := protocol.ARN("lambda", region, account, "function:"+ref.name)
	if f == nil {
		return nil, notFound(arn)
	}
	return s.resolve(f, ref.qualifier)
}

func notFound(arn string) error {
	return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", arn)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// hostArch is this machine's architecture in Lambda's words.
func hostArch() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// formatSeconds writes a duration in seconds with two decimals, as Lambda's
// timeout messages do.
func formatSeconds(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// setTracing applies a request's TracingConfig (nil leaves it as it is).
func (f *function) setTracing(tc *struct{ Mode string }) error {
	if tc == nil {
		return nil
	}
	switch tc.Mode {
	case "Active", "PassThrough":
		f.Tracing = tc.Mode
		return nil
	}
	return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]", truncate(tc.Mode, 64))
}
