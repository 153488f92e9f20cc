package labs

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Content is the course content shipped in the binary. Authors edit the
// files under labs/ and point the web app at the folder to see changes
// without rebuilding; code takes an fs.FS so either works.
//
//go:embed all:week1
var Content embed.FS

// Lab is one lab: its instructions and where its checks are declared.
type Lab struct {
	// ID is the short id commands take ("lab1").
	ID         string   `yaml:"lab"`
	Week       int      `yaml:"week"`
	Order      int      `yaml:"order"`
	Title      string   `yaml:"title"`
	Duration   string   `yaml:"duration"`
	Summary    string   `yaml:"summary"`
	Objectives []string `yaml:"objectives"`
	Steps      []Step   `yaml:"steps"`
	// Knowledge marks a lab graded by a knowledge check (a quiz) rather
	// than by inspecting an account.
	Knowledge bool `yaml:"knowledge"`

	// Dir is the lab's folder in the content file system.
	Dir string `yaml:"-"`
	// Body is the markdown after the front matter.
	Body []byte `yaml:"-"`
	// BodyLine is the line of the file Body starts on.
	BodyLine int `yaml:"-"`
}

// Step is a numbered step of a lab; its checks carry the step's id.
type Step struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
}

// ManifestPath returns the path of the lab's check manifest.
func (l *Lab) ManifestPath() string { return path.Join(l.Dir, "checks.yaml") }

// QuizPath returns the path of the lab's knowledge check, if it has one.
func (l *Lab) QuizPath() string { return path.Join(l.Dir, "quiz.yaml") }

// Catalog is every lab in a content file system, in course order.
type Catalog struct {
	Labs []*Lab
	FS   fs.FS
}

// Lab finds a lab by id ("lab1"), by number ("1"), or by folder name.
func (c *Catalog) Lab(id string) (*Lab, bool) {
	for _, l := range c.Labs {
		if l.ID == id || "lab"+id == l.ID || path.Base(l.Dir) == id {
			return l, true
		}
	}
	return nil, false
}

// Week returns the labs of week w.
func (c *Catalog) Week(w int) []*Lab {
	var out []*Lab
	for _, l := range c.Labs {
		if l.Week == w {
			out = append(out, l)
		}
	}
	return out
}

var labIDPattern = regexp.MustCompile(`^lab[0-9]+$`)

// LoadCatalog reads every week*/*/lab.md in fsys. Errors name the file and
// the line.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	files, err := fs.Glob(fsys, "week*/*/lab.md")
	if err != nil {
		return nil, err
	}
	c := &Catalog{FS: fsys}
	var errs []error
	seen := map[string]string{}
	for _, f := range files {
		l, err := loadLab(fsys, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[l.ID]; dup {
			errs = append(errs, fmt.Errorf("%s:2: lab id %q is also used by %s", f, l.ID, prev))
			continue
		}
		seen[l.ID] = f
		c.Labs = append(c.Labs, l)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(c.Labs, func(i, j int) bool {
		if c.Labs[i].Week != c.Labs[j].Week {
			return c.Labs[i].Week < c.Labs[j].Week
		}
		return c.Labs[i].Order < c.Labs[j].Order
	})
	return c, nil
}

var yamlPos = regexp.MustCompile(`^\[(\d+):(\d+)\]\s*`)

func loadLab(fsys fs.FS, file string) (*Lab, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	front, body, bodyLine, err := SplitFrontMatter(data)
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", file, err)
	}
	var l Lab
	if err := yaml.UnmarshalWithOptions(front, &l, yaml.DisallowUnknownField()); err != nil {
		msg := yaml.FormatError(err, false, false)
		line := 0
		if m := yamlPos.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if strings.Contains(msg, "cannot unmarshal map") {
			msg += ` (a value that contains ": " must be quoted)`
		}
		return nil, fmt.Errorf("%s:%d: front matter: %s", file, line+1, msg)
	}
	switch {
	case !labIDPattern.MatchString(l.ID):
		return nil, fmt.Errorf("%s:2: front matter: `lab:` must be like lab1, got %q", file, l.ID)
	case l.Title == "":
		return nil, fmt.Errorf("%s:2: front matter: missing `title:`", file)
	case l.Week < 1:
		return nil, fmt.Errorf("%s:2: front matter: missing `week:`", file)
	}
	stepIDs := map[string]bool{}
	for _, s := range l.Steps {
		if s.ID == "" || s.Title == "" || stepIDs[s.ID] {
			return nil, fmt.Errorf("%s:2: front matter: every step needs a unique id and a title (step %q)", file, s.ID)
		}
		stepIDs[s.ID] = true
	}
	l.Dir, l.Body, l.BodyLine = path.Dir(file), body, bodyLine
	return &l, nil
}

// SplitFrontMatter splits "---\n<yaml>\n---\n<markdown>" into its parts and
// returns the line the markdown starts on.
func SplitFrontMatter(data []byte) (front, body []byte, bodyLine int, err error) {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(data, []byte("---\n")) {
		return nil, nil, 0, errors.New("the file must start with front matter between --- lines")
	}
	rest := data[4:]
	end := bytes.Index(rest, []byte("\n---\n"))
	if end < 0 {
		if bytes.HasSuffix(rest, []byte("\n---")) {
			end = len(rest) - 4
		} else {
			return nil, nil, 0, errors.New("the front matter is not closed with a --- line")
		}
	}
	front = rest[:end+1]
	body = rest[min(len(rest), end+5):]
	bodyLine = bytes.Count(data[:len(data)-len(body)], []byte("\n")) + 1
	return front, body, bodyLine, nil
}
