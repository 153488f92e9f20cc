package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Versions are immutable snapshots of $LATEST (function.Version is their
// number), published by PublishVersion or by Publish on CreateFunction and
// UpdateFunctionCode; aliases (aliases.go) name a version. Both live in
// s.quals, guarded by s.mu; their code stays under the function's
// directory for as long as a version uses it.

// qualified holds one function's published versions and aliases.
type qualified struct {
	versions map[string]*function // by number
	aliases  map[string]*alias    // by name
}

var versionSchema = []string{
	`CREATE TABLE IF NOT EXISTS versions (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (account, region, name, version))`,
	`CREATE TABLE IF NOT EXISTS aliases (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, alias TEXT NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (account, region, name, alias))`,
}

// ver is the version's name as the API writes it.
func (f *function) ver() string {
	if f.Version == "" {
		return "$LATEST"
	}
	return f.Version
}

// qualifiedARN is the function's ARN with its version, as a version's
// configuration and its invocations' context name it.
func (f *function) qualifiedARN() string {
	if f.Version == "" {
		return f.arn()
	}
	return f.arn() + ":" + f.Version
}

// listed is f's configuration as a list of versions shows it
// (ListVersionsByFunction, ListFunctions with FunctionVersion ALL):
// $LATEST too under a qualified ARN, ending in :$LATEST.
func (f *function) listed() configuration {
	c := f.configuration()
	c.FunctionArn = f.arn() + ":" + f.ver()
	return c
}

// quals returns k's versions and aliases, creating them; s.mu must be held
// for writing.
func (s *Service) qualsFor(k fnKey) *qualified {
	q := s.quals[k]
	if q == nil {
		q = &qualified{versions: map[string]*function{}, aliases: map[string]*alias{}}
		s.quals[k] = q
	}
	return q
}

// loadQualified reads every version and alias.
func (s *Service) loadQualified() error {
	rows, err := s.db.Query(`SELECT data FROM versions`)
	if err != nil {
		return fmt.Errorf("load versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		f := &function{}
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("load versions: %w", err)
		}
		if err := json.Unmarshal([]byte(data), f); err != nil {
			return fmt.Errorf("load versions: %w", err)
		}
		s.qualsFor(f.key()).versions[f.Version] = f
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load versions: %w", err)
	}
	arows, err := s.db.Query(`SELECT account, region, name, data FROM aliases`)
	if err != nil {
		return fmt.Errorf("load aliases: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var k fnKey
		var data string
		a := &alias{}
		if err := arows.Scan(&k.account, &k.region, &k.name, &data); err != nil {
			return fmt.Errorf("load aliases: %w", err)
		}
		if err := json.Unmarshal([]byte(data), a); err != nil {
			return fmt.Errorf("load aliases: %w", err)
		}
		s.qualsFor(k).aliases[a.Name] = a
	}
	return arows.Err()
}

// codeInUse returns the code hashes a function's versions use besides
// $LATEST's.
func (s *Service) codeInUse(k fnKey) map[string]bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keep := map[string]bool{}
	if q := s.quals[k]; q != nil {
		for _, v := range q.versions {
			keep[v.CodeHex] = true
		}
	}
	return keep
}

// servesCode reports whether hex is the code of f ($LATEST) or of one of
// its versions.
func (s *Service) servesCode(f *function, hex string) bool {
	return hex == f.CodeHex || s.codeInUse(f.key())[hex]
}

// resolve finds the version or alias a qualifier names for the function f
// ($LATEST); "" and "$LATEST" are f itself.
func (s *Service) resolve(f *function, qualifier string) (*function, error) {
	if qualifier == "" || qualifier == "$LATEST" {
		return f, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	q := s.quals[f.key()]
	if q != nil {
		if v := q.versions[qualifier]; v != nil {
			return v, nil
		}
		if a := q.aliases[qualifier]; a != nil {
			if a.FunctionVersion == "$LATEST" {
				return f, nil
			}
			if v := q.versions[a.pick()]; v != nil {
				return v, nil
			}
		}
	}
	return nil, notFound(f.arn() + ":" + qualifier)
}

// currentOf returns what an environment of f should now run: the
// function's $LATEST, or the version f is (immutable, so f itself while it
// exists).
func (s *Service) currentOf(f *function) *function {
	if f.Version == "" {
		return s.current(f.key())
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if q := s.quals[f.key()]; q != nil {
		return q.versions[f.Version]
	}
	return nil
}

// publishVersion publishes $LATEST as a new version, unless nothing
// changed since the last one (which is returned). The function must be
// locked.
func (s *Service) publishVersion(latest *function, description string) (*function, error) {
	s.mu.RLock()
	var last *function
	if q := s.quals[latest.key()]; q != nil {
		last = q.versions[strconv.Itoa(latest.LastVersion)]
	}
	s.mu.RUnlock()
	if last != nil && last.Generation == latest.Generation && last.CodeSha256 == latest.CodeSha256 {
		return last, nil
	}
	v := latest.clone()
	next := latest.clone()
	next.LastVersion++
	v.Version = strconv.Itoa(next.LastVersion)
	v.LastVersion = 0
	v.RevisionID = newRevision()
	if description != "" {
		v.Description = description
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("publish version of %s: %w", latest.Name, err)
	}
	lb, err := json.Marshal(next)
	if err != nil {
		return nil, fmt.Errorf("publish version of %s: %w", latest.Name, err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return nil, fmt.Errorf("publish version of %s: %w", latest.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO versions (account, region, name, version, data) VALUES (?, ?, ?, ?, ?)`, v.Account, v.Region, v.Name, next.LastVersion, string(vb)); err != nil {
		return nil, fmt.Errorf("publish version of %s: %w", latest.Name, err)
	}
	if _, err := tx.Exec(`UPDATE functions SET data = ? WHERE account = ? AND region = ? AND name = ?`, string(lb), v.Account, v.Region, v.Name); err != nil {
		return nil, fmt.Errorf("publish version of %s: %w", latest.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("publish version of %s: %w", latest.Name, err)
	}
	s.mu.Lock()
	s.fns[next.key()] = next
	s.qualsFor(v.key()).versions[v.Version] = v
	s.mu.Unlock()
	return v, nil
}

// publishVersionHTTP is PublishVersion: POST /2015-03-31/functions/{name}/versions.
func (s *Service) publishVersionHTTP(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "PublishVersion")
	if err != nil {
		return err
	}
	var in struct{ CodeSha256, Description, RevisionId string }
	if err := decode(body, &in); err != nil {
		return err
	}
	if len(in.Description) > 256 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	found, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	defer s.lockFunction(found.key())()
	f := s.current(found.key())
	if f == nil {
		return notFound(found.arn())
	}
	if in.CodeSha256 != "" && in.CodeSha256 != f.CodeSha256 {
		return protocol.Errorf("InvalidParameterValueException", "CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again.", truncate(in.CodeSha256, 64), f.CodeSha256)
	}
	if in.RevisionId != "" && in.RevisionId != f.RevisionID {
		return errRevision()
	}
	v, err := s.publishVersion(f, in.Description)
	if err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusCreated, v.configuration())
	return nil
}

func errRevision() error {
	return protocol.StatusErrorf(http.StatusPreconditionFailed, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
}

// listVersionsByFunction is ListVersionsByFunction: $LATEST, then the
// versions in order.
func (s *Service) listVersionsByFunction(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	max, err := maxItems(r, 50)
	if err != nil {
		return err
	}
	s.mu.RLock()
	all := []*function{s.fns[f.key()]}
	if q := s.quals[f.key()]; q != nil {
		for _, v := range q.versions {
			all = append(all, v)
		}
	}
	s.mu.RUnlock()
	sort.Slice(all[1:], func(i, j int) bool { return versionNumber(all[1+i]) < versionNumber(all[1+j]) })
	start := 0
	if m := r.URL.Query().Get("Marker"); m != "" {
		for i, v := range all {
			if v.ver() == m {
				start = i
			}
		}
	}
	out := map[string]any{}
	page := all[start:]
	if len(page) > max {
		out["NextMarker"] = page[max].ver()
		page = page[:max]
	}
	cfgs := make([]configuration, len(page))
	for i, v := range page {
		cfgs[i] = v.listed()
	}
	out["Versions"] = cfgs
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

func versionNumber(f *function) int {
	n, _ := strconv.Atoi(f.Version)
	return n
}

// maxItems reads the MaxItems query parameter (1 to 10,000).
func maxItems(r *http.Request, def int) (int, error) {
	max, set, err := queryInt(r, "MaxItems")
	if err != nil {
		return 0, err
	}
	if !set {
		return def, nil
	}
	if max < 1 || max > 10000 {
		return 0, protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", max)
	}
	return max, nil
}

// deleteVersion is DeleteFunction with a version number as qualifier.
func (s *Service) deleteVersion(w http.ResponseWriter, f *function, version string) error {
	defer s.lockFunction(f.key())()
	s.mu.RLock()
	q := s.quals[f.key()]
	var v *function
	var users []string
	if q != nil {
		v = q.versions[version]
		for _, a := range q.aliases {
			if a.FunctionVersion == version || a.RoutingConfig != nil && a.RoutingConfig.AdditionalVersionWeights[version] > 0 {
				users = append(users, a.Name)
			}
		}
	}
	s.mu.RUnlock()
	if v == nil {
		return notFound(f.arn() + ":" + version)
	}
	if len(users) > 0 {
		sort.Strings(users)
		return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "Unable to delete version because the following aliases reference it: [%s]", strings.Join(users, ", "))
	}
	if _, err := s.db.Exec(`DELETE FROM versions WHERE account = ? AND region = ? AND name = ? AND version = ?`, f.Account, f.Region, f.Name, versionNumber(v)); err != nil {
		return fmt.Errorf("delete version %s of %s: %w", version, f.Name, err)
	}
	s.mu.Lock()
	delete(q.versions, version)
	s.mu.Unlock()
	if err := s.forgetQualifier(f, version); err != nil {
		return err
	}
	s.envs.retireVersion(v)
	if cur := s.current(f.key()); cur != nil {
		s.removeStaleCode(f.Account, f.Region, f.Name, cur.CodeHex)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
