package lambda

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Code signing configs are account resources (one row each in
// code_signing_configs); a function names one as its per-function setting
// of kind cfgCodeSigning. The local cloud keeps and answers them; it does
// not verify signatures (no signer service to ask).

var codeSigningSchema = `CREATE TABLE IF NOT EXISTS code_signing_configs (
		account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (account, region, id))`

const cfgCodeSigning = "code-signing"

// cscARNPattern is botocore's CodeSigningConfigArn pattern.
const cscARNPattern = `arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:code-signing-config:csc-[a-z0-9]{17}`

var cscARNRE = regexp.MustCompile(`^` + cscARNPattern + `$`)

type codeSigningConfig struct {
	ID                string            `json:"id"`
	Account           string            `json:"account"`
	Region            string            `json:"region"`
	Description       string            `json:"description"`
	SigningProfiles   []string          `json:"signingProfiles"`
	UntrustedOnDeploy string            `json:"untrustedOnDeploy"`
	LastModified      time.Time         `json:"lastModified"`
	Tags              map[string]string `json:"tags,omitempty"`
}

func (c *codeSigningConfig) arn() string {
	return protocol.ARN("lambda", c.Region, c.Account, "code-signing-config:"+c.ID)
}

// output is botocore's CodeSigningConfig shape.
func (c *codeSigningConfig) output() map[string]any {
	return map[string]any{
		"CodeSigningConfigId":  c.ID,
		"CodeSigningConfigArn": c.arn(),
		"Description":          c.Description,
		"AllowedPublishers":    map[string]any{"SigningProfileVersionArns": c.SigningProfiles},
		"CodeSigningPolicies":  map[string]any{"UntrustedArtifactOnDeployment": c.UntrustedOnDeploy},
		"LastModified":         isoMillis(c.LastModified),
	}
}

type codeSigningInput struct {
	Description         *string
	AllowedPublishers   *struct{ SigningProfileVersionArns []string }
	CodeSigningPolicies *struct{ UntrustedArtifactOnDeployment *string }
	Tags                map[string]string
}

// apply checks the input against botocore's constraints and copies what
// it sets into c.
func (in *codeSigningInput) apply(c *codeSigningConfig) error {
	if in.Description != nil {
		if len(*in.Description) > 256 {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'description' failed to satisfy constraint: Member must have length less than or equal to 256", truncate(*in.Description, 300))
		}
		c.Description = *in.Description
	}
	if p := in.AllowedPublishers; p != nil {
		n := len(p.SigningProfileVersionArns)
		if n < 1 || n > 20 {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%v' at 'allowedPublishers.signingProfileVersionArns' failed to satisfy constraint: Member must have length less than or equal to 20, Member must have length greater than or equal to 1", p.SigningProfileVersionArns)
		}
		for _, a := range p.SigningProfileVersionArns {
			if pa, ok := protocol.ParseARN(a); !ok || pa.Service != "signer" {
				return protocol.Errorf("ValidationException", "1 validation error detected: Value '[%s]' at 'allowedPublishers.signingProfileVersionArns' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)]", truncate(a, 200))
			}
		}
		c.SigningProfiles = append([]string(nil), p.SigningProfileVersionArns...)
	}
	if p := in.CodeSigningPolicies; p != nil && p.UntrustedArtifactOnDeployment != nil {
		switch v := *p.UntrustedArtifactOnDeployment; v {
		case "Warn", "Enforce":
			c.UntrustedOnDeploy = v
		default:
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'codeSigningPolicies.untrustedArtifactOnDeployment' failed to satisfy constraint: Member must satisfy enum value set: [Enforce, Warn]", truncate(v, 40))
		}
	}
	return nil
}

func (s *Service) registerCodeSigningRoutes(h func(string, func(http.ResponseWriter, *http.Request) error)) {
	h("POST /2020-04-22/code-signing-configs/{$}", s.createCodeSigningConfig)
	h("POST /2020-04-22/code-signing-configs", s.createCodeSigningConfig)
	h("GET /2020-04-22/code-signing-configs/{$}", s.listCodeSigningConfigs)
	h("GET /2020-04-22/code-signing-configs", s.listCodeSigningConfigs)
	h("GET /2020-04-22/code-signing-configs/{arn}", s.getCodeSigningConfig)
	h("PUT /2020-04-22/code-signing-configs/{arn}", s.updateCodeSigningConfig)
	h("DELETE /2020-04-22/code-signing-configs/{arn}", s.deleteCodeSigningConfig)
	h("GET /2020-04-22/code-signing-configs/{arn}/functions", s.listFunctionsByCodeSigningConfig)
	h("PUT /2020-06-30/functions/{name}/code-signing-config", s.putFunctionCodeSigningConfig)
	h("GET /2020-06-30/functions/{name}/code-signing-config", s.getFunctionCodeSigningConfig)
	h("DELETE /2020-06-30/functions/{name}/code-signing-config", s.deleteFunctionCodeSigningConfig)
}

func errNoCodeSigningConfig() error {
	return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
}

// loadCodeSigningConfig reads the config an ARN names, in the caller's
// account and region.
func (s *Service) loadCodeSigningConfig(r *http.Request, arn string) (*codeSigningConfig, error) {
	if !cscARNRE.MatchString(arn) {
		return nil, protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'codeSigningConfigArn' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", truncate(arn, 200), cscARNPattern)
	}
	a, _ := protocol.ParseARN(arn)
	id := protocol.IdentityFrom(r.Context())
	if a.Account != id.AccountID || a.Region != id.Region {
		return nil, errNoCodeSigningConfig()
	}
	var data string
	err := s.db.QueryRowContext(r.Context(), `SELECT data FROM code_signing_configs WHERE account = ? AND region = ? AND id = ?`,
		a.Account, a.Region, a.Resource[len("code-signing-config:"):]).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoCodeSigningConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("read code signing config %s: %w", arn, err)
	}
	c := &codeSigningConfig{}
	if err := json.Unmarshal([]byte(data), c); err != nil {
		return nil, fmt.Errorf("read code signing config %s: %w", arn, err)
	}
	return c, nil
}

func (s *Service) saveCodeSigningConfig(r *http.Request, c *codeSigningConfig) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("save code signing config %s: %w", c.ID, err)
	}
	if _, err := s.db.ExecContext(r.Context(), `INSERT OR REPLACE INTO code_signing_configs (account, region, id, data) VALUES (?, ?, ?, ?)`,
		c.Account, c.Region, c.ID, string(b)); err != nil {
		return fmt.Errorf("save code signing config %s: %w", c.ID, err)
	}
	return nil
}

func (s *Service) createCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "CreateCodeSigningConfig")
	if err != nil {
		return err
	}
	var in codeSigningInput
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.AllowedPublishers == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'allowedPublishers' failed to satisfy constraint: Member must not be null")
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	id := protocol.IdentityFrom(r.Context())
	c := &codeSigningConfig{ID: "csc-" + randomHex(9)[:17], Account: id.AccountID, Region: id.Region,
		UntrustedOnDeploy: "Warn", LastModified: time.Now(), Tags: in.Tags}
	if err := in.apply(c); err != nil {
		return err
	}
	if err := s.saveCodeSigningConfig(r, c); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusCreated, map[string]any{"CodeSigningConfig": c.output()})
	return nil
}

func (s *Service) getCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadCodeSigningConfig(r, r.PathValue("arn"))
	if err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"CodeSigningConfig": c.output()})
	return nil
}

func (s *Service) updateCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "UpdateCodeSigningConfig")
	if err != nil {
		return err
	}
	var in codeSigningInput
	if err := decode(body, &in); err != nil {
		return err
	}
	in.Tags = nil // not a member of UpdateCodeSigningConfigRequest
	s.cscMu.Lock()
	defer s.cscMu.Unlock()
	c, err := s.loadCodeSigningConfig(r, r.PathValue("arn"))
	if err != nil {
		return err
	}
	if err := in.apply(c); err != nil {
		return err
	}
	c.LastModified = time.Now()
	if err := s.saveCodeSigningConfig(r, c); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"CodeSigningConfig": c.output()})
	return nil
}

func (s *Service) deleteCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	s.cscMu.Lock()
	defer s.cscMu.Unlock()
	c, err := s.loadCodeSigningConfig(r, r.PathValue("arn"))
	if err != nil {
		return err
	}
	if users := s.functionsUsing(c.arn()); len(users) > 0 {
		return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "The code signing configuration %s is in use by %d function(s): remove it from them first.", c.arn(), len(users))
	}
	if _, err := s.db.ExecContext(r.Context(), `DELETE FROM code_signing_configs WHERE account = ? AND region = ? AND id = ?`, c.Account, c.Region, c.ID); err != nil {
		return fmt.Errorf("delete code signing config %s: %w", c.ID, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) listCodeSigningConfigs(w http.ResponseWriter, r *http.Request) error {
	max, err := maxItems(r, 50)
	if err != nil {
		return err
	}
	id := protocol.IdentityFrom(r.Context())
	rows, err := s.db.QueryContext(r.Context(), `SELECT data FROM code_signing_configs WHERE account = ? AND region = ? AND id >= ? ORDER BY id LIMIT ?`,
		id.AccountID, id.Region, r.URL.Query().Get("Marker"), max+1)
	if err != nil {
		return fmt.Errorf("list code signing configs: %w", err)
	}
	defer rows.Close()
	list := []map[string]any{}
	out := map[string]any{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return fmt.Errorf("list code signing configs: %w", err)
		}
		c := &codeSigningConfig{}
		if err := json.Unmarshal([]byte(data), c); err != nil {
			return fmt.Errorf("list code signing configs: %w", err)
		}
		if len(list) == max {
			out["NextMarker"] = c.ID
			break
		}
		list = append(list, c.output())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list code signing configs: %w", err)
	}
	out["CodeSigningConfigs"] = list
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

// functionsUsing lists the ARNs of the functions whose code signing config
// is arn, sorted.
func (s *Service) functionsUsing(arn string) []string {
	var out []string
	for _, k := range s.configKeys(cfgCodeSigning) {
		var used string
		if s.getConfig(k, &used) && used == arn {
			out = append(out, protocol.ARN("lambda", k.region, k.account, "function:"+k.name))
		}
	}
	sort.Strings(out)
	return out
}

// configKeys lists the keys of every setting of a kind.
func (s *Service) configKeys(kind string) []cfgKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keys []cfgKey
	for k := range s.configs {
		if k.kind == kind {
			keys = append(keys, k)
		}
	}
	return keys
}

func (s *Service) listFunctionsByCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	max, err := maxItems(r, 50)
	if err != nil {
		return err
	}
	c, err := s.loadCodeSigningConfig(r, r.PathValue("arn"))
	if err != nil {
		return err
	}
	arns := s.functionsUsing(c.arn())
	marker := r.URL.Query().Get("Marker")
	start := sort.SearchStrings(arns, marker)
	arns = arns[start:]
	out := map[string]any{}
	if len(arns) > max {
		out["NextMarker"] = arns[max]
		arns = arns[:max]
	}
	if arns == nil {
		arns = []string{}
	}
	out["FunctionArns"] = arns
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

// codeSigningTarget resolves a function code signing config request: the
// function itself, never a version or alias.
func (s *Service) codeSigningTarget(r *http.Request) (settingTarget, error) {
	t, err := s.settingFor(r)
	if err != nil {
		return t, err
	}
	t.qualifier, t.arn = "", t.fn.arn()
	return t, nil
}

func (s *Service) putFunctionCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "PutFunctionCodeSigningConfig")
	if err != nil {
		return err
	}
	var in struct{ CodeSigningConfigArn *string }
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.CodeSigningConfigArn == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'codeSigningConfigArn' failed to satisfy constraint: Member must not be null")
	}
	t, err := s.codeSigningTarget(r)
	if err != nil {
		return err
	}
	s.cscMu.Lock()
	defer s.cscMu.Unlock()
	c, err := s.attachableCodeSigningConfig(r, *in.CodeSigningConfigArn)
	if err != nil {
		return err
	}
	if err := s.putConfig(t.key(cfgCodeSigning), c.arn()); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"CodeSigningConfigArn": c.arn(), "FunctionName": t.fn.Name})
	return nil
}

// attachableCodeSigningConfig loads the code signing config a function is
// to use (PutFunctionCodeSigningConfig, CreateFunction's
// CodeSigningConfigArn): a missing one is CodeSigningConfigNotFoundException.
// s.cscMu must be held.
func (s *Service) attachableCodeSigningConfig(r *http.Request, arn string) (*codeSigningConfig, error) {
	c, err := s.loadCodeSigningConfig(r, arn)
	if e, ok := protocol.AsError(err); ok && e.Code == "ResourceNotFoundException" {
		return nil, protocol.StatusErrorf(http.StatusNotFound, "CodeSigningConfigNotFoundException", "The code signing configuration cannot be found. Check that the provided configuration is not deleted: %s.", truncate(arn, 200))
	}
	return c, err
}

// getFunctionCodeSigningConfig answers the function's config ARN; a
// function without one gets its name only.
func (s *Service) getFunctionCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := s.codeSigningTarget(r)
	if err != nil {
		return err
	}
	out := map[string]any{"FunctionName": t.fn.Name}
	var arn string
	if s.getConfig(t.key(cfgCodeSigning), &arn) {
		out["CodeSigningConfigArn"] = arn
	}
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteFunctionCodeSigningConfig(w http.ResponseWriter, r *http.Request) error {
	t, err := s.codeSigningTarget(r)
	if err != nil {
		return err
	}
	s.cscMu.Lock()
	defer s.cscMu.Unlock()
	if err := s.deleteConfig(t.key(cfgCodeSigning)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// isCodeSigningARN reports whether a tagging request names a code signing
// config rather than a function.
func isCodeSigningARN(arn string) bool {
	a, ok := protocol.ParseARN(arn)
	return ok && a.Service == "lambda" && strings.HasPrefix(a.Resource, "code-signing-config:")
}

// tagCodeSigningConfig serves ListTags (change nil), TagResource and
// UntagResource for a code signing config.
func (s *Service) tagCodeSigningConfig(w http.ResponseWriter, r *http.Request, change func(map[string]string) error) error {
	s.cscMu.Lock()
	defer s.cscMu.Unlock()
	c, err := s.loadCodeSigningConfig(r, r.PathValue("arn"))
	if err != nil {
		return err
	}
	if c.Tags == nil {
		c.Tags = map[string]string{}
	}
	if change == nil {
		protocol.WriteJSON(w, http.StatusOK, map[string]any{"Tags": c.Tags})
		return nil
	}
	if err := change(c.Tags); err != nil {
		return err
	}
	if err := s.saveCodeSigningConfig(r, c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
