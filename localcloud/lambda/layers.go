package lambda

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// A layer version is an immutable zip with metadata, numbered per layer
// name from 1 (numbers are never reused). The local cloud keeps the zip
// under lambda/layers/ and checks functions' Layers against the versions
// that exist. Python and Node.js functions find their layers' modules on
// their search paths (interpreted.go); a Go function's bootstrap carries its
// dependencies, so nothing is unpacked into /opt for it.

var layerSchema = []string{
	`CREATE TABLE IF NOT EXISTS layer_versions (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (account, region, name, version))`,
	// layer_counters keeps each layer's last version number, so that
	// numbers are not reused after deletes.
	`CREATE TABLE IF NOT EXISTS layer_counters (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, last INTEGER NOT NULL,
		PRIMARY KEY (account, region, name))`,
}

// layerVersion is one published version of a layer.
type layerVersion struct {
	Account       string       `json:"account"`
	Region        string       `json:"region"`
	Name          string       `json:"name"`
	Version       int          `json:"version"`
	Description   string       `json:"description"`
	Created       time.Time    `json:"created"`
	Runtimes      []string     `json:"runtimes,omitempty"`
	Architectures []string     `json:"architectures,omitempty"`
	License       string       `json:"license,omitempty"`
	CodeSha256    string       `json:"codeSha256"`
	CodeHex       string       `json:"codeHex"`
	CodeSize      int64        `json:"codeSize"`
	Policy        []*statement `json:"policy,omitempty"`
	PolicyRev     string       `json:"policyRevision,omitempty"`
}

func layerARN(region, account, name string) string {
	return protocol.ARN("lambda", region, account, "layer:"+name)
}

func (l *layerVersion) arn() string {
	return layerARN(l.Region, l.Account, l.Name) + ":" + strconv.Itoa(l.Version)
}

// layerKey names a layer (all its versions).
type layerKey struct{ account, region, name string }

var (
	layerNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	layerARNRE  = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):layer:([a-zA-Z0-9_-]+):([0-9]+)$`)
)

func (s *Service) registerLayerRoutes(h func(string, func(http.ResponseWriter, *http.Request) error)) {
	h("POST /2018-10-31/layers/{layer}/versions", s.publishLayerVersion)
	h("GET /2018-10-31/layers/{layer}/versions", s.listLayerVersions)
	h("GET /2018-10-31/layers/{layer}/versions/{version}", s.getLayerVersion)
	h("DELETE /2018-10-31/layers/{layer}/versions/{version}", s.deleteLayerVersion)
	h("GET /2018-10-31/layers", s.listLayersOrFind)
	h("POST /2018-10-31/layers/{layer}/versions/{version}/policy", s.addLayerVersionPermission)
	h("GET /2018-10-31/layers/{layer}/versions/{version}/policy", s.getLayerVersionPolicy)
	h("DELETE /2018-10-31/layers/{layer}/versions/{version}/policy/{sid}", s.removeLayerVersionPermission)
	h("GET /2015-03-31/code/{account}/{region}/layers/{layer}/{file}", s.getLayerCode)
}

func (s *Service) loadLayers() error {
	rows, err := s.db.Query(`SELECT data FROM layer_versions`)
	if err != nil {
		return fmt.Errorf("load layers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		l := &layerVersion{}
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("load layers: %w", err)
		}
		if err := json.Unmarshal([]byte(data), l); err != nil {
			return fmt.Errorf("load layers: %w", err)
		}
		k := layerKey{l.Account, l.Region, l.Name}
		s.layers[k] = append(s.layers[k], l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load layers: %w", err)
	}
	crows, err := s.db.Query(`SELECT account, region, name, last FROM layer_counters`)
	if err != nil {
		return fmt.Errorf("load layers: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		var k layerKey
		var last int
		if err := crows.Scan(&k.account, &k.region, &k.name, &last); err != nil {
			return fmt.Errorf("load layers: %w", err)
		}
		s.nextLayerVersion[k] = last
	}
	return crows.Err()
}

func (s *Service) saveLayer(l *layerVersion) error {
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("save layer %s: %w", l.Name, err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("save layer %s: %w", l.Name, err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT OR REPLACE INTO layer_versions (account, region, name, version, data) VALUES (?, ?, ?, ?, ?)`, l.Account, l.Region, l.Name, l.Version, string(b)); err != nil {
		return fmt.Errorf("save layer %s: %w", l.Name, err)
	}
	if _, err := tx.Exec(`INSERT INTO layer_counters (account, region, name, last) VALUES (?, ?, ?, ?)
		ON CONFLICT (account, region, name) DO UPDATE SET last = max(last, excluded.last)`, l.Account, l.Region, l.Name, l.Version); err != nil {
		return fmt.Errorf("save layer %s: %w", l.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save layer %s: %w", l.Name, err)
	}
	return nil
}

func (s *Service) layerZip(l *layerVersion) string {
	return filepath.Join(s.cfg.DataDir, "lambda", "layers", l.Account, l.Region, l.Name, strconv.Itoa(l.Version)+".zip")
}

// layerName reads a LayerName path parameter: a name or a layer ARN of the
// caller's account and region.
func layerName(r *http.Request) (layerKey, error) {
	id := protocol.IdentityFrom(r.Context())
	v := r.PathValue("layer")
	name := v
	if strings.HasPrefix(v, "arn:") {
		p := strings.Split(v, ":")
		if len(p) != 7 || p[2] != "lambda" || p[5] != "layer" {
			name = ""
		} else {
			name = p[6]
			id.Region, id.AccountID = p[3], p[4]
		}
	}
	if !layerNameRE.MatchString(name) {
		return layerKey{}, protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'layerName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+", truncate(v, 140))
	}
	return layerKey{id.AccountID, id.Region, name}, nil
}

func errLayerNotFound() error {
	return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
}

// findLayer returns the version the path names.
func (s *Service) findLayer(r *http.Request) (*layerVersion, error) {
	k, err := layerName(r)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		return nil, protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'versionNumber' failed to satisfy constraint: Member must be a number", truncate(r.PathValue("version"), 40))
	}
	return s.layerVersionOf(k, n)
}

func (s *Service) layerVersionOf(k layerKey, n int) (*layerVersion, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, l := range s.layers[k] {
		if l.Version == n {
			return l, nil
		}
	}
	return nil, errLayerNotFound()
}

func (s *Service) publishLayerVersion(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxCreateBodySize, "PublishLayerVersion")
	if err != nil {
		return err
	}
	var in struct {
		Description             string
		LicenseInfo             string
		CompatibleRuntimes      []string
		CompatibleArchitectures []string
		Content                 *struct {
			ZipFile                          []byte
			S3Bucket, S3Key, S3ObjectVersion string
		}
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	k, err := layerName(r)
	if err != nil {
		return err
	}
	id := protocol.IdentityFrom(r.Context())
	if k.account != id.AccountID || k.region != id.Region {
		return protocol.Errorf("InvalidParameterValueException", "Layers can only be published in the caller's account and region.")
	}
	if in.Content == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null")
	}
	if len(in.Description) > 256 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	if len(in.CompatibleRuntimes) > 15 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'compatibleRuntimes' failed to satisfy constraint: Member must have length less than or equal to 15")
	}
	for _, a := range in.CompatibleArchitectures {
		if a != "x86_64" && a != "arm64" {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%v' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]", in.CompatibleArchitectures)
		}
	}
	code, err := s.packageCode(r.Context(), in.Content.ZipFile, in.Content.S3Bucket, in.Content.S3Key, in.Content.S3ObjectVersion)
	if err != nil {
		return err
	}
	defer code.remove()
	l := &layerVersion{Account: k.account, Region: k.region, Name: k.name, Description: in.Description, Created: time.Now(),
		Runtimes: in.CompatibleRuntimes, Architectures: in.CompatibleArchitectures, License: in.LicenseInfo,
		CodeSha256: base64.StdEncoding.EncodeToString(code.sum[:]), CodeHex: hex.EncodeToString(code.sum[:]), CodeSize: code.size}
	defer s.lockLayer(k)()
	s.mu.RLock()
	l.Version = s.nextLayerVersion[k] + 1
	for _, x := range s.layers[k] {
		l.Version = max(l.Version, x.Version+1)
	}
	s.mu.RUnlock()
	if err := code.install(s.layerZip(l)); err != nil {
		return err
	}
	if err := s.saveLayer(l); err != nil {
		return err
	}
	s.mu.Lock()
	s.layers[k] = append(s.layers[k], l)
	s.nextLayerVersion[k] = l.Version
	s.mu.Unlock()
	protocol.WriteJSON(w, http.StatusCreated, s.layerOutput(l))
	return nil
}

// lockLayer serialises publishing and deleting a layer's versions.
func (s *Service) lockLayer(k layerKey) func() {
	return s.lockFunction(fnKey{k.account, k.region, "layer:" + k.name})
}

// layerOutput is the PublishLayerVersion and GetLayerVersion shape.
func (s *Service) layerOutput(l *layerVersion) map[string]any {
	out := s.layerItem(l)
	out["LayerArn"] = layerARN(l.Region, l.Account, l.Name)
	out["Content"] = map[string]any{"Location": s.layerCodeURL(l), "CodeSha256": l.CodeSha256, "CodeSize": l.CodeSize}
	return out
}

// layerItem is the LayerVersionsListItem shape.
func (s *Service) layerItem(l *layerVersion) map[string]any {
	out := map[string]any{
		"LayerVersionArn": l.arn(),
		"Version":         l.Version,
		"Description":     l.Description,
		"CreatedDate":     l.Created.UTC().Format(lastModifiedFormat),
	}
	if len(l.Runtimes) > 0 {
		out["CompatibleRuntimes"] = l.Runtimes
	}
	if len(l.Architectures) > 0 {
		out["CompatibleArchitectures"] = l.Architectures
	}
	if l.License != "" {
		out["LicenseInfo"] = l.License
	}
	return out
}

func (s *Service) layerCodeURL(l *layerVersion) string {
	base := strings.TrimSuffix(s.endpointURL(), "/")
	if base == "" {
		base = "http://127.0.0.1:4566"
	}
	return base + "/2015-03-31/code/" + l.Account + "/" + l.Region + "/layers/" + url.PathEscape(l.Name) + "/" + strconv.Itoa(l.Version) + "-" + l.CodeHex + ".zip"
}

// getLayerCode serves a layer version's zip; as for functions, the hash in
// the URL is the capability.
func (s *Service) getLayerCode(w http.ResponseWriter, r *http.Request) error {
	k := layerKey{r.PathValue("account"), r.PathValue("region"), r.PathValue("layer")}
	ver, hexPart, _ := strings.Cut(strings.TrimSuffix(r.PathValue("file"), ".zip"), "-")
	n, _ := strconv.Atoi(ver)
	l, err := s.layerVersionOf(k, n)
	if err != nil || hexPart != l.CodeHex {
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "no such code")
	}
	b, err := os.ReadFile(s.layerZip(l))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Write(b)
	return nil
}

func (s *Service) getLayerVersion(w http.ResponseWriter, r *http.Request) error {
	l, err := s.findLayer(r)
	if err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, s.layerOutput(l))
	return nil
}

// listLayersOrFind is ListLayers, or GetLayerVersionByArn (?find=LayerVersion&Arn=).
func (s *Service) listLayersOrFind(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("find") == "LayerVersion" {
		m := layerARNRE.FindStringSubmatch(q.Get("Arn"))
		if m == nil {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'arn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+", truncate(q.Get("Arn"), 140))
		}
		n, _ := strconv.Atoi(m[4])
		l, err := s.layerVersionOf(layerKey{m[2], m[1], m[3]}, n)
		if err != nil {
			return err
		}
		protocol.WriteJSON(w, http.StatusOK, s.layerOutput(l))
		return nil
	}
	id := protocol.IdentityFrom(r.Context())
	var items []map[string]any
	s.mu.RLock()
	var names []layerKey
	for k := range s.layers {
		if k.account == id.AccountID && k.region == id.Region {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool { return names[i].name < names[j].name })
	for _, k := range names {
		if latest := latestMatching(s.layers[k], q.Get("CompatibleRuntime"), q.Get("CompatibleArchitecture")); latest != nil {
			items = append(items, map[string]any{"LayerName": k.name, "LayerArn": layerARN(k.region, k.account, k.name), "LatestMatchingVersion": s.layerItem(latest)})
		}
	}
	s.mu.RUnlock()
	if items == nil {
		items = []map[string]any{}
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"Layers": items})
	return nil
}

// latestMatching returns the newest version compatible with the runtime
// and architecture filters ("" matches all).
func latestMatching(versions []*layerVersion, runtime, arch string) *layerVersion {
	var best *layerVersion
	for _, l := range versions {
		if (runtime == "" || contains(l.Runtimes, runtime)) && (arch == "" || contains(l.Architectures, arch)) && (best == nil || l.Version > best.Version) {
			best = l
		}
	}
	return best
}

func contains(l []string, x string) bool {
	for _, v := range l {
		if v == x {
			return true
		}
	}
	return false
}

func (s *Service) listLayerVersions(w http.ResponseWriter, r *http.Request) error {
	k, err := layerName(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	s.mu.RLock()
	versions := append([]*layerVersion(nil), s.layers[k]...)
	s.mu.RUnlock()
	sort.Slice(versions, func(i, j int) bool { return versions[i].Version > versions[j].Version })
	items := []map[string]any{}
	for _, l := range versions {
		if (q.Get("CompatibleRuntime") == "" || contains(l.Runtimes, q.Get("CompatibleRuntime"))) &&
			(q.Get("CompatibleArchitecture") == "" || contains(l.Architectures, q.Get("CompatibleArchitecture"))) {
			items = append(items, s.layerItem(l))
		}
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"LayerVersions": items})
	return nil
}

// deleteLayerVersion removes a version; deleting one that does not exist
// succeeds, as on AWS.
func (s *Service) deleteLayerVersion(w http.ResponseWriter, r *http.Request) error {
	k, err := layerName(r)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'versionNumber' failed to satisfy constraint: Member must be a number", truncate(r.PathValue("version"), 40))
	}
	defer s.lockLayer(k)()
	l, err := s.layerVersionOf(k, n)
	if err != nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if _, err := s.db.Exec(`DELETE FROM layer_versions WHERE account = ? AND region = ? AND name = ? AND version = ?`, k.account, k.region, k.name, n); err != nil {
		return fmt.Errorf("delete layer version %s:%d: %w", k.name, n, err)
	}
	s.mu.Lock()
	list := s.layers[k]
	for i, x := range list {
		if x == l {
			s.layers[k] = append(list[:i:i], list[i+1:]...)
		}
	}
	if len(s.layers[k]) == 0 {
		delete(s.layers, k)
	}
	s.mu.Unlock()
	os.Remove(s.layerZip(l))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkLayers resolves a function's Layers parameter to the versions it
// names, refusing one that does not exist as Lambda does.
func (s *Service) checkLayers(caller string, arns []string) ([]layerRef, error) {
	if len(arns) > 5 {
		return nil, protocol.Errorf("InvalidParameterValueException", "Cannot reference more than 5 layers.")
	}
	refs := make([]layerRef, 0, len(arns))
	for _, a := range arns {
		m := layerARNRE.FindStringSubmatch(a)
		if m == nil {
			return nil, protocol.Errorf("ValidationException", "1 validation error detected: Value '[%s]' at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 140, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+, Member must not be null]", truncate(a, 140))
		}
		n, _ := strconv.Atoi(m[4])
		l, err := s.layerVersionOf(layerKey{m[2], m[1], m[3]}, n)
		if err != nil {
			return nil, protocol.Errorf("InvalidParameterValueException", "Layer version %s does not exist.", a)
		}
		if l.Account != caller && !layerShared(l, caller) {
			return nil, protocol.StatusErrorf(http.StatusForbidden, "AccessDeniedException", "User: %s is not authorized to perform: lambda:GetLayerVersion on resource: %s because no resource-based policy allows the lambda:GetLayerVersion action", protocol.RootARN(m[1], caller), a)
		}
		refs = append(refs, layerRef{Arn: a, CodeSize: l.CodeSize})
	}
	return refs, nil
}

// layerRef is a function's reference to a layer version (the Layer shape).
type layerRef struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

// layerShared reports whether a layer version's policy lets account use it.
func layerShared(l *layerVersion, account string) bool {
	for _, st := range l.Policy {
		switch p := st.Principal.(type) {
		case string:
			if p == "*" {
				return true
			}
		case map[string]any:
			if s, _ := p["AWS"].(string); protocol.IsRootARN(s, account) {
				return true
			}
		case map[string]string:
			if protocol.IsRootARN(p["AWS"], account) {
				return true
			}
		}
	}
	return false
}
