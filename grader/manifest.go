package grader

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Manifest is a lab's list of checks, read from its checks.yaml.
type Manifest struct {
	Lab    string
	Title  string
	Checks []*Check
	// Path is the manifest's file name within its file system.
	Path string
}

// Points returns the sum of the manifest's checks' points.
func (m *Manifest) Points() float64 {
	var p float64
	for _, c := range m.Checks {
		p += c.Points
	}
	return p
}

// Step returns the checks that belong to step.
func (m *Manifest) Step(step string) []*Check {
	var out []*Check
	for _, c := range m.Checks {
		if c.Step == step {
			out = append(out, c)
		}
	}
	return out
}

// ManifestError is a problem in a manifest, with the file and line it is on.
type ManifestError struct {
	Path string
	Line int
	Msg  string
	// Err is the underlying error, if any (fs.ErrNotExist for a missing file).
	Err error
}

// Unwrap returns the underlying error.
func (e *ManifestError) Unwrap() error { return e.Err }

func (e *ManifestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

type manifestFile struct {
	Lab    string      `yaml:"lab"`
	Title  string      `yaml:"title"`
	Checks []checkSpec `yaml:"checks"`
}

type checkSpec struct {
	ID       string         `yaml:"id"`
	Title    string         `yaml:"title"`
	Step     string         `yaml:"step"`
	Kind     string         `yaml:"kind"`
	Points   float64        `yaml:"points"`
	Proves   string         `yaml:"proves"`
	Hints    []string       `yaml:"hints"`
	Needs    []string       `yaml:"needs"`
	Suspects []string       `yaml:"suspects"`
	Timeout  string         `yaml:"timeout"`
	Params   map[string]any `yaml:"params"`

	line int
}

// UnmarshalYAML records the line a check starts on.
func (c *checkSpec) UnmarshalYAML(node ast.Node) error {
	type plain checkSpec
	var p plain
	if err := yaml.NodeToValue(node, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*c = checkSpec(p)
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		c.line = tk.Position.Line
	}
	return nil
}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	yamlErrPosition = regexp.MustCompile(`^\[(\d+):(\d+)\]\s*`)
)

// LoadManifest reads and validates the manifest at path in fsys against the
// kinds in lib. Every problem is reported as a *ManifestError naming the file
// and line.
func LoadManifest(fsys fs.FS, path string, lib *Library) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, &ManifestError{Path: path, Msg: err.Error(), Err: err}
	}
	return ParseManifest(path, data, lib)
}

// ParseManifest is LoadManifest for manifest bytes already read.
func ParseManifest(path string, data []byte, lib *Library) (*Manifest, error) {
	var mf manifestFile
	if err := yaml.UnmarshalWithOptions(data, &mf, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(path, err)
	}
	if mf.Lab == "" {
		return nil, &ManifestError{Path: path, Line: 1, Msg: "missing `lab:` (the lab's id)"}
	}
	m := &Manifest{Lab: mf.Lab, Title: mf.Title, Path: path}
	seen := map[string]int{}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &ManifestError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	for _, s := range mf.Checks {
		if !idPattern.MatchString(s.ID) {
			bad(s.line, "check id %q must be lower-case letters, digits and dashes", s.ID)
			continue
		}
		if prev, dup := seen[s.ID]; dup {
			bad(s.line, "check id %q is already used on line %d", s.ID, prev)
			continue
		}
		seen[s.ID] = s.line
		if s.Title == "" {
			bad(s.line, "check %q has no title", s.ID)
		}
		if s.Points < 0 {
			bad(s.line, "check %q has negative points", s.ID)
		}
		kind, ok := lib.Kind(s.Kind)
		if !ok {
			bad(s.line, "check %q: unknown kind %q (known kinds: %s)", s.ID, s.Kind, kindNames(lib))
			continue
		}
		params := Params(s.Params)
		if params == nil {
			params = Params{}
		}
		known := map[string]bool{}
		for _, p := range kind.Params {
			known[p.Name] = true
			if _, has := params[p.Name]; p.Required && !has {
				bad(s.line, "check %q: kind %s needs parameter %q (%s)", s.ID, kind.Name, p.Name, p.Doc)
			}
		}
		for name := range params {
			if !known[name] {
				bad(s.line, "check %q: kind %s has no parameter %q", s.ID, kind.Name, name)
			}
		}
		if kind.Validate != nil {
			if err := kind.Validate(params); err != nil {
				bad(s.line, "check %q: %v", s.ID, err)
			}
		}
		var timeout time.Duration
		if s.Timeout != "" {
			d, err := time.ParseDuration(s.Timeout)
			if err != nil || d <= 0 {
				bad(s.line, "check %q: bad timeout %q (want e.g. 30s)", s.ID, s.Timeout)
			}
			timeout = d
		}
		m.Checks = append(m.Checks, &Check{
			Lab: mf.Lab, ID: s.ID, Title: s.Title, Step: s.Step, Points: s.Points, Proves: s.Proves,
			Hints: s.Hints, Needs: s.Needs, Suspects: s.Suspects, Timeout: timeout, Kind: kind, Params: params,
			Pos: path + ":" + strconv.Itoa(s.line),
		})
	}
	for _, c := range m.Checks {
		for _, n := range c.Needs {
			if _, ok := seen[n]; !ok {
				bad(seen[c.ID], "check %q needs %q, which this manifest does not declare", c.ID, n)
			}
		}
		for _, n := range c.Suspects {
			if _, ok := seen[n]; !ok {
				bad(seen[c.ID], "check %q suspects %q, which this manifest does not declare", c.ID, n)
			}
		}
	}
	if cyc := waitCycle(m.Checks); cyc != nil {
		bad(seen[cyc[0]], "checks wait for each other in a circle (needs and suspects): %s", strings.Join(cyc, " -> "))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// waitCycle returns a circle of checks that wait for each other through
// needs and suspects (Run would wait forever), or nil.
func waitCycle(checks []*Check) []string {
	waits := map[string][]string{}
	for _, c := range checks {
		waits[c.ID] = append(slices.Clone(c.Needs), c.Suspects...)
	}
	state := map[string]int{} // 1 visiting, 2 done
	var path []string
	var visit func(id string) []string
	visit = func(id string) []string {
		switch state[id] {
		case 1:
			i := slices.Index(path, id)
			return append(slices.Clone(path[i:]), id)
		case 2:
			return nil
		}
		state[id] = 1
		path = append(path, id)
		for _, n := range waits[id] {
			if cyc := visit(n); cyc != nil {
				return cyc
			}
		}
		path = path[:len(path)-1]
		state[id] = 2
		return nil
	}
	for _, c := range checks {
		if cyc := visit(c.ID); cyc != nil {
			return cyc
		}
	}
	return nil
}

func kindNames(lib *Library) string {
	var names []string
	for _, k := range lib.Kinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}

// yamlError turns the YAML library's "[line:col] msg" into file:line: msg.
func yamlError(path string, err error) error {
	msg := yaml.FormatError(err, false, false)
	line := 0
	if m := yamlErrPosition.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return &ManifestError{Path: path, Line: line, Msg: strings.TrimSpace(msg)}
}
