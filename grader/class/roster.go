package class

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labkit-dev/labkit/labs"
)

// The ways a learner's account is reached (the roster's target column).
const (
	ReachAWS        = "aws"        // a role ARN + external id, or a named profile
	ReachLocal      = "local"      // an account (or a role) on a local cloud the instructor can reach
	ReachSubmission = "submission" // a `lab submit` archive: <submissions dir>/<id>.zip
)

// Columns are the roster's known columns, in the order a template lists
// them; "names.<key>" columns (the keys of `lab names`) may follow.
var Columns = []string{"id", "name", "email", "target", "account", "role_arn", "external_id", "profile", "region", "endpoint"}

// namesPrefix starts a resource-name override column ("names.ordersTable").
const namesPrefix = "names."

// MaxRosterBytes bounds a roster file: a class of thousands fits in a few
// hundred kilobytes, and a hostile upload must not exhaust memory.
const MaxRosterBytes = 8 << 20

// Learner is one good roster row.
type Learner struct {
	// Line is the row's line in the roster file (1 is the header).
	Line  int    `json:"line,omitempty"`
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Reach Reach  `json:"reach"`
	// Names overrides resource names by key (the roster's names.<key> columns).
	Names map[string]string `json:"names,omitempty"`
}

// Reach says how to reach a learner's account. It holds no secret: an
// external id is not one (AWS: it guards against the confused deputy, not
// against a reader), and credentials are never part of a roster.
type Reach struct {
	Kind       string `json:"kind"`
	Account    string `json:"account,omitempty"`
	RoleARN    string `json:"roleArn,omitempty"`
	ExternalID string `json:"externalId,omitempty"`
	Profile    string `json:"profile,omitempty"`
	Region     string `json:"region,omitempty"`
	Endpoint   string `json:"endpoint,omitempty"`
}

// RowError is one problem in a roster, where it is.
type RowError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"` // the column's name, when known
	Col    int    `json:"col,omitempty"`    // 1-based column (field) number, when known
	ID     string `json:"id,omitempty"`     // the row's id, when it has one
	Msg    string `json:"message"`
}

func (e RowError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.Column != "" {
		where += fmt.Sprintf(", column %d (%s)", e.Col, e.Column)
	} else if e.Col > 0 {
		where += fmt.Sprintf(", column %d", e.Col)
	}
	return where + ": " + e.Msg
}

// Roster is a parsed roster: the good rows, and the problems of the others.
type Roster struct {
	Learners []Learner
	// Errors lists every bad row and header problem; a bad row is left out
	// of Learners, never the rows around it.
	Errors []RowError
}

// Learner returns the learner with id.
func (r *Roster) Learner(id string) (Learner, bool) {
	for _, l := range r.Learners {
		if l.ID == id {
			return l, true
		}
	}
	return Learner{}, false
}

// ErrRoster is returned (wrapped) by ParseRoster when no row can be read at
// all: an empty file, a header without an id column, a file too large.
var ErrRoster = errors.New("unusable roster")

var (
	idPattern       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	accountPattern  = regexp.MustCompile(`^[0-9]{12}$`)
	rolePattern     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/([\w+=,.@/-]{1,512})$`)
	externalPattern = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	profilePattern  = regexp.MustCompile(`^[A-Za-z0-9_.@+-]{1,128}$`)
	regionPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	resourcePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
)

// ParseRoster reads a roster CSV (UTF-8, a byte-order mark tolerated, a
// header first). It returns an error wrapping ErrRoster only when no row can
// be read; every row problem is a RowError with its line and column, and the
// other rows are still read.
func ParseRoster(r io.Reader) (*Roster, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRosterBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	if len(data) > MaxRosterBytes {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrRoster, MaxRosterBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // rows are checked against the header here, with a clear message
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file is empty (want a header: %s)", ErrRoster, strings.Join(Columns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrRoster, err)
	}
	ros := &Roster{}
	cols, err := ros.readHeader(header)
	if err != nil {
		return nil, err
	}
	firstLine := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				ros.Errors = append(ros.Errors, RowError{Line: pe.Line, Msg: fmt.Sprintf("malformed CSV at character %d: %v", pe.Column, pe.Err)})
				continue
			}
			return nil, fmt.Errorf("read roster: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		l, rowErrs := parseRow(rec, cols, line)
		if len(rowErrs) == 0 {
			if first, dup := firstLine[l.ID]; dup {
				rowErrs = append(rowErrs, RowError{Line: line, Column: "id", Col: cols.index["id"] + 1, ID: l.ID,
					Msg: fmt.Sprintf("duplicate id %q (first on line %d)", l.ID, first)})
			} else {
				firstLine[l.ID] = line
			}
		}
		if len(rowErrs) > 0 {
			ros.Errors = append(ros.Errors, rowErrs...)
			continue
		}
		ros.Learners = append(ros.Learners, l)
	}
	return ros, nil
}

// header maps column names to field positions.
type header struct {
	names []string // by position; "" for an ignored (unknown or repeated) column
	index map[string]int
}

func (ros *Roster) readHeader(rec []string) (header, error) {
	h := header{names: make([]string, len(rec)), index: map[string]int{}}
	nameKeys := labs.DefaultNames()
	for i, raw := range rec {
		name := strings.TrimSpace(raw)
		known := slices.Contains(Columns, name)
		if key, ok := strings.CutPrefix(name, namesPrefix); ok {
			_, known = nameKeys[key]
			if !known {
				ros.Errors = append(ros.Errors, RowError{Line: 1, Col: i + 1, Column: name,
					Msg: fmt.Sprintf("unknown name key %q (known: %s); the column is ignored", key, strings.Join(labs.NameKeys(), ", "))})
				continue
			}
		} else if !known {
			ros.Errors = append(ros.Errors, RowError{Line: 1, Col: i + 1, Column: name,
				Msg: fmt.Sprintf("unknown column %q (known: %s, names.<key>); the column is ignored", name, strings.Join(Columns, ", "))})
			continue
		}
		if first, dup := h.index[name]; dup {
			ros.Errors = append(ros.Errors, RowError{Line: 1, Col: i + 1, Column: name,
				Msg: fmt.Sprintf("column %q repeated (first is column %d); this one is ignored", name, first+1)})
			continue
		}
		h.names[i] = name
		h.index[name] = i
	}
	if _, ok := h.index["id"]; !ok {
		return h, fmt.Errorf("%w: line 1: the header has no id column (want: %s)", ErrRoster, strings.Join(Columns, ","))
	}
	return h, nil
}

// parseRow checks one row.
func parseRow(rec []string, h header, line int) (Learner, []RowError) {
	l := Learner{Line: line}
	var errs []RowError
	get := func(name string) string {
		i, ok := h.index[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	l.ID = get("id")
	bad := func(column, format string, args ...any) {
		col := 0
		if i, ok := h.index[column]; ok {
			col = i + 1
		}
		errs = append(errs, RowError{Line: line, Column: column, Col: col, ID: l.ID, Msg: fmt.Sprintf(format, args...)})
	}
	if len(rec) != len(h.names) {
		errs = append(errs, RowError{Line: line, ID: l.ID,
			Msg: fmt.Sprintf("%d fields, the header has %d", len(rec), len(h.names))})
		return l, errs
	}
	for i, f := range rec {
		if !utf8.ValidString(f) {
			errs = append(errs, RowError{Line: line, Col: i + 1, Column: h.names[i], ID: l.ID, Msg: "not valid UTF-8"})
		}
	}
	if len(errs) > 0 {
		return l, errs
	}
	switch {
	case l.ID == "":
		bad("id", "missing id")
	case !idPattern.MatchString(l.ID):
		bad("id", "id %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (it names the learner's folder)", l.ID)
	}
	l.Name, l.Email = get("name"), get("email")
	if l.Email != "" {
		if a, err := mail.ParseAddress(l.Email); err != nil || a.Address != l.Email {
			bad("email", "email %q is not an address", l.Email)
		}
	}
	r := Reach{Kind: strings.ToLower(get("target")), Account: get("account"), RoleARN: get("role_arn"), ExternalID: get("external_id"),
		Profile: get("profile"), Region: get("region"), Endpoint: get("endpoint")}
	if r.Kind == "" {
		r.Kind = inferKind(r)
	}
	for _, e := range checkReach(r) {
		bad(e.column, "%s", e.msg)
	}
	l.Reach = r
	for name, i := range h.index {
		key, ok := strings.CutPrefix(name, namesPrefix)
		if !ok || strings.TrimSpace(rec[i]) == "" {
			continue
		}
		v := strings.TrimSpace(rec[i])
		if !resourcePattern.MatchString(v) {
			bad(name, "resource name %q: use 1-128 letters, digits, '.', '_' or '-'", v)
			continue
		}
		if l.Names == nil {
			l.Names = map[string]string{}
		}
		l.Names[key] = v
	}
	slices.SortFunc(errs, func(a, b RowError) int { return a.Col - b.Col })
	return l, errs
}

// inferKind guesses the target when the column is empty: an endpoint or a
// bare account means a local cloud, a role or a profile means AWS.
func inferKind(r Reach) string {
	switch {
	case r.Endpoint != "" || (r.Account != "" && r.RoleARN == "" && r.Profile == ""):
		return ReachLocal
	case r.RoleARN != "" || r.Profile != "":
		return ReachAWS
	}
	return ""
}

type fieldError struct{ column, msg string }

// checkReach says what is wrong with how a row reaches its account.
func checkReach(r Reach) []fieldError {
	var errs []fieldError
	add := func(column, format string, args ...any) {
		errs = append(errs, fieldError{column, fmt.Sprintf(format, args...)})
	}
	if r.RoleARN != "" {
		if !rolePattern.MatchString(r.RoleARN) {
			add("role_arn", "role_arn %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", r.RoleARN)
		}
		if r.ExternalID == "" {
			add("external_id", "role_arn needs an external_id (the role's trust policy should require it)")
		}
	}
	if r.ExternalID != "" {
		if r.RoleARN == "" {
			add("external_id", "external_id without a role_arn")
		} else if n := len(r.ExternalID); n < 2 || n > 1224 || !externalPattern.MatchString(r.ExternalID) {
			add("external_id", "external_id: 2-1224 letters, digits or +=,.@:/-_")
		}
	}
	if r.Account != "" && !accountPattern.MatchString(r.Account) {
		add("account", "account %q is not a 12-digit account id", r.Account)
	}
	if r.Profile != "" && !profilePattern.MatchString(r.Profile) {
		add("profile", "profile %q: letters, digits or _.@+- only", r.Profile)
	}
	if r.Region != "" && !regionPattern.MatchString(r.Region) {
		add("region", "region %q is not a region name (us-east-1)", r.Region)
	}
	if r.Endpoint != "" {
		if u, err := url.Parse(r.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			add("endpoint", "endpoint %q is not an http(s) URL", r.Endpoint)
		}
	}
	switch r.Kind {
	case ReachAWS:
		if r.RoleARN == "" && r.Profile == "" {
			add("target", "no way to reach the account: target aws needs role_arn + external_id, or profile")
		}
		if r.RoleARN != "" && r.Profile != "" {
			add("profile", "give role_arn + external_id or profile, not both")
		}
		for _, f := range []struct{ col, v string }{{"account", r.Account}, {"endpoint", r.Endpoint}} {
			if f.v != "" {
				add(f.col, "%s is for target local, not aws", f.col)
			}
		}
	case ReachLocal:
		if r.Account == "" && r.RoleARN == "" {
			add("target", "no way to reach the account: target local needs an account (or role_arn + external_id)")
		}
		if r.Account != "" && r.RoleARN != "" {
			add("account", "give account or role_arn, not both (the role's ARN names its account)")
		}
		if r.Profile != "" {
			add("profile", "profile is for target aws, not local")
		}
	case ReachSubmission:
		for _, f := range []struct{ col, v string }{{"account", r.Account}, {"role_arn", r.RoleARN}, {"profile", r.Profile}, {"endpoint", r.Endpoint}, {"region", r.Region}} {
			if f.v != "" {
				add(f.col, "%s is not used with target submission (the learner's archive is graded)", f.col)
			}
		}
	case "":
		add("target", "no way to reach the account: give role_arn + external_id, profile, account, or target submission")
	default:
		add("target", "unknown target %q: want aws, local or submission", r.Kind)
	}
	return errs
}
