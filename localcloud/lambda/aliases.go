package lambda

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// alias names a version of a function, optionally shifting a share of
// invocations to a second version.
type alias struct {
	Name            string         `json:"name"`
	FunctionVersion string         `json:"functionVersion"`
	Description     string         `json:"description"`
	RevisionID      string         `json:"revisionId"`
	RoutingConfig   *routingConfig `json:"routingConfig,omitempty"`
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights"`
}

// pick chooses the version an invocation through the alias runs.
func (a *alias) pick() string {
	if a.RoutingConfig != nil {
		x := rand.Float64()
		for v, w := range a.RoutingConfig.AdditionalVersionWeights {
			if x < w {
				return v
			}
			x -= w
		}
	}
	return a.FunctionVersion
}

var (
	aliasNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	aliasVersionRE = regexp.MustCompile(`^(\$LATEST|[0-9]+)$`)
	digitsRE       = regexp.MustCompile(`^[0-9]+$`)
)

// aliasConfiguration is the AliasConfiguration shape.
type aliasConfiguration struct {
	AliasArn        string         `json:"AliasArn"`
	Name            string         `json:"Name"`
	FunctionVersion string         `json:"FunctionVersion"`
	Description     string         `json:"Description"`
	RoutingConfig   *routingConfig `json:"RoutingConfig,omitempty"`
	RevisionID      string         `json:"RevisionId"`
}

func (a *alias) configuration(f *function) aliasConfiguration {
	return aliasConfiguration{AliasArn: f.arn() + ":" + a.Name, Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RoutingConfig: a.RoutingConfig, RevisionID: a.RevisionID}
}

func (s *Service) registerAliasRoutes(h func(string, func(http.ResponseWriter, *http.Request) error)) {
	h("POST /2015-03-31/functions/{name}/versions", s.publishVersionHTTP)
	h("GET /2015-03-31/functions/{name}/versions", s.listVersionsByFunction)
	h("POST /2015-03-31/functions/{name}/aliases", s.createAlias)
	h("GET /2015-03-31/functions/{name}/aliases", s.listAliases)
	h("GET /2015-03-31/functions/{name}/aliases/{alias}", s.getAlias)
	h("PUT /2015-03-31/functions/{name}/aliases/{alias}", s.updateAlias)
	h("DELETE /2015-03-31/functions/{name}/aliases/{alias}", s.deleteAlias)
}

// aliasInput is the body of CreateAlias and UpdateAlias.
type aliasInput struct {
	Name            string
	FunctionVersion *string
	Description     *string
	RoutingConfig   *routingConfig
	RevisionId      string
}

// checkAlias validates an alias against its function's versions; s.mu
// must be held.
func (s *Service) checkAlias(f *function, a *alias) error {
	if !aliasVersionRE.MatchString(a.FunctionVersion) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)", truncate(a.FunctionVersion, 64))
	}
	if len(a.Description) > 256 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	q := s.quals[f.key()]
	exists := func(v string) bool { return v == "$LATEST" || q != nil && q.versions[v] != nil }
	if !exists(a.FunctionVersion) {
		return notFound(f.arn() + ":" + a.FunctionVersion)
	}
	if a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0 {
		a.RoutingConfig = nil
		return nil
	}
	if len(a.RoutingConfig.AdditionalVersionWeights) > 1 {
		return protocol.Errorf("InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	if a.FunctionVersion == "$LATEST" {
		return protocol.Errorf("InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version")
	}
	for v, w := range a.RoutingConfig.AdditionalVersionWeights {
		if w < 0 || w > 1 {
			return protocol.Errorf("ValidationException", "1 validation error detected: Value '{%s=%g}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]", v, w)
		}
		if v == a.FunctionVersion {
			return protocol.Errorf("InvalidParameterValueException", "Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if !digitsRE.MatchString(v) || !exists(v) {
			return notFound(f.arn() + ":" + v)
		}
	}
	return nil
}

// saveAlias commits a's definition.
func (s *Service) saveAlias(f *function, a *alias) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("save alias %s: %w", a.Name, err)
	}
	_, err = s.db.Exec(`INSERT INTO aliases (account, region, name, alias, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account, region, name, alias) DO UPDATE SET data = excluded.data`, f.Account, f.Region, f.Name, a.Name, string(b))
	if err != nil {
		return fmt.Errorf("save alias %s: %w", a.Name, err)
	}
	return nil
}

func (s *Service) createAlias(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "CreateAlias")
	if err != nil {
		return err
	}
	var in aliasInput
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if !aliasNameRE.MatchString(in.Name) || digitsRE.MatchString(in.Name) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", truncate(in.Name, 140))
	}
	if in.FunctionVersion == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	a := &alias{Name: in.Name, FunctionVersion: *in.FunctionVersion, RoutingConfig: in.RoutingConfig, RevisionID: newRevision()}
	if in.Description != nil {
		a.Description = *in.Description
	}
	defer s.lockFunction(f.key())()
	s.mu.RLock()
	err = s.checkAlias(f, a)
	var dup bool
	if q := s.quals[f.key()]; q != nil {
		dup = q.aliases[a.Name] != nil
	}
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if dup {
		return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "Alias already exists: %s:%s", f.arn(), a.Name)
	}
	if err := s.saveAlias(f, a); err != nil {
		return err
	}
	s.mu.Lock()
	s.qualsFor(f.key()).aliases[a.Name] = a
	s.mu.Unlock()
	protocol.WriteJSON(w, http.StatusCreated, a.configuration(f))
	return nil
}

// findAlias returns the alias the path names, of the function it names.
func (s *Service) findAlias(r *http.Request) (*function, *alias, error) {
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return nil, nil, err
	}
	name := r.PathValue("alias")
	s.mu.RLock()
	var a *alias
	if q := s.quals[f.key()]; q != nil {
		a = q.aliases[name]
	}
	s.mu.RUnlock()
	if a == nil {
		return nil, nil, protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "Cannot find alias arn: %s:%s", f.arn(), truncate(name, 140))
	}
	return f, a, nil
}

func (s *Service) getAlias(w http.ResponseWriter, r *http.Request) error {
	f, a, err := s.findAlias(r)
	if err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, a.configuration(f))
	return nil
}

func (s *Service) listAliases(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	max, err := maxItems(r, 50)
	if err != nil {
		return err
	}
	version := r.URL.Query().Get("FunctionVersion")
	marker := r.URL.Query().Get("Marker")
	var list []*alias
	s.mu.RLock()
	if q := s.quals[f.key()]; q != nil {
		for _, a := range q.aliases {
			if (version == "" || a.FunctionVersion == version) && a.Name >= marker {
				list = append(list, a)
			}
		}
	}
	s.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	out := map[string]any{}
	if len(list) > max {
		out["NextMarker"] = list[max].Name
		list = list[:max]
	}
	cfgs := make([]aliasConfiguration, len(list))
	for i, a := range list {
		cfgs[i] = a.configuration(f)
	}
	out["Aliases"] = cfgs
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) updateAlias(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "UpdateAlias")
	if err != nil {
		return err
	}
	var in aliasInput
	if err := decode(body, &in); err != nil {
		return err
	}
	f, old, err := s.findAlias(r)
	if err != nil {
		return err
	}
	defer s.lockFunction(f.key())()
	if in.RevisionId != "" && in.RevisionId != old.RevisionID {
		return errRevision()
	}
	a := *old
	if in.FunctionVersion != nil {
		a.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		a.RoutingConfig = in.RoutingConfig
	}
	a.RevisionID = newRevision()
	s.mu.RLock()
	err = s.checkAlias(f, &a)
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := s.saveAlias(f, &a); err != nil {
		return err
	}
	s.mu.Lock()
	s.qualsFor(f.key()).aliases[a.Name] = &a
	s.mu.Unlock()
	protocol.WriteJSON(w, http.StatusOK, a.configuration(f))
	return nil
}

func (s *Service) deleteAlias(w http.ResponseWriter, r *http.Request) error {
	f, a, err := s.findAlias(r)
	if err != nil {
		return err
	}
	defer s.lockFunction(f.key())()
	if _, err := s.db.Exec(`DELETE FROM aliases WHERE account = ? AND region = ? AND name = ? AND alias = ?`, f.Account, f.Region, f.Name, a.Name); err != nil {
		return fmt.Errorf("delete alias %s: %w", a.Name, err)
	}
	s.mu.Lock()
	delete(s.qualsFor(f.key()).aliases, a.Name)
	s.mu.Unlock()
	if err := s.forgetQualifier(f, a.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
