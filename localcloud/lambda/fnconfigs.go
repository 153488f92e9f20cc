package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Per-function settings that are documents of their own (function URL
// configs, event invoke configs, provisioned concurrency) live in the
// fn_configs table, one row per function, kind and qualifier, and in
// s.configs (guarded by s.mu). They go when their function goes.

var configSchema = `CREATE TABLE IF NOT EXISTS fn_configs (
		account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, qualifier TEXT NOT NULL,
		data TEXT NOT NULL,
		PRIMARY KEY (account, region, name, kind, qualifier))`

// Kinds of per-function settings.
const (
	cfgURL         = "url"
	cfgEventInvoke = "event-invoke"
	cfgProvisioned = "provisioned"
)

type cfgKey struct {
	fnKey
	kind, qualifier string
}

func (s *Service) loadConfigs() error {
	rows, err := s.db.Query(`SELECT account, region, name, kind, qualifier, data FROM fn_configs`)
	if err != nil {
		return fmt.Errorf("load function settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k cfgKey
		var data string
		if err := rows.Scan(&k.account, &k.region, &k.name, &k.kind, &k.qualifier, &data); err != nil {
			return fmt.Errorf("load function settings: %w", err)
		}
		s.configs[k] = []byte(data)
	}
	return rows.Err()
}

// getConfig decodes a setting into v.
func (s *Service) getConfig(k cfgKey, v any) bool {
	s.mu.RLock()
	b, ok := s.configs[k]
	s.mu.RUnlock()
	return ok && json.Unmarshal(b, v) == nil
}

func (s *Service) putConfig(k cfgKey, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("save %s of %s: %w", k.kind, k.name, err)
	}
	_, err = s.db.Exec(`INSERT OR REPLACE INTO fn_configs (account, region, name, kind, qualifier, data) VALUES (?, ?, ?, ?, ?, ?)`,
		k.account, k.region, k.name, k.kind, k.qualifier, string(b))
	if err != nil {
		return fmt.Errorf("save %s of %s: %w", k.kind, k.name, err)
	}
	s.mu.Lock()
	s.configs[k] = b
	s.mu.Unlock()
	return nil
}

func (s *Service) deleteConfig(k cfgKey) error {
	_, err := s.db.Exec(`DELETE FROM fn_configs WHERE account = ? AND region = ? AND name = ? AND kind = ? AND qualifier = ?`,
		k.account, k.region, k.name, k.kind, k.qualifier)
	if err != nil {
		return fmt.Errorf("delete %s of %s: %w", k.kind, k.name, err)
	}
	s.mu.Lock()
	delete(s.configs, k)
	s.mu.Unlock()
	return nil
}

// setting is one setting of a function and its qualifier.
type setting[T any] struct {
	qualifier string
	v         *T
}

// listConfigs decodes every setting of a kind of one function, by
// qualifier.
func listConfigs[T any](s *Service, fk fnKey, kind string) []setting[T] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keys []cfgKey
	for k := range s.configs {
		if k.fnKey == fk && k.kind == kind {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].qualifier < keys[j].qualifier })
	var out []setting[T]
	for _, k := range keys {
		v := new(T)
		if json.Unmarshal(s.configs[k], v) == nil {
			out = append(out, setting[T]{k.qualifier, v})
		}
	}
	return out
}

// forgetConfigs drops a deleted function's settings from memory (its rows
// go with deleteFunctionRow).
func (s *Service) forgetConfigs(fk fnKey) {
	s.mu.Lock()
	for k := range s.configs {
		if k.fnKey == fk {
			delete(s.configs, k)
		}
	}
	s.mu.Unlock()
}

// forgetQualifier drops what belongs to a deleted version or alias q of
// f: its settings (URL, event invoke and provisioned concurrency configs)
// and the statements of its resource-based policy, so that a version or
// alias created later under the same name starts without them, as on AWS.
// The caller holds the function's lock.
func (s *Service) forgetQualifier(f *function, q string) error {
	for _, kind := range []string{cfgURL, cfgEventInvoke, cfgProvisioned} {
		if err := s.deleteConfig(cfgKey{f.key(), kind, q}); err != nil {
			return err
		}
	}
	cur := s.current(f.key())
	if cur == nil || len(statementsOn(cur.Policy, cur.arn()+":"+q)) == 0 {
		return nil
	}
	c := cur.clone()
	c.Policy = nil
	for _, st := range cur.Policy {
		if st.Resource != cur.arn()+":"+q {
			c.Policy = append(c.Policy, st)
		}
	}
	if err := s.saveFunction(c); err != nil {
		return fmt.Errorf("drop the policy of %s:%s: %w", f.Name, q, err)
	}
	s.publish(c)
	return nil
}

// settingTarget is the function and qualifier a setting request names
// (?Qualifier=, or in the name), with the qualified ARN.
type settingTarget struct {
	fn        *function
	qualifier string // "" for $LATEST when not given
	arn       string
}

func (t settingTarget) key(kind string) cfgKey { return cfgKey{t.fn.key(), kind, t.qualifier} }

// settingFor resolves a setting request's function and qualifier; the
// qualifier must exist.
func (s *Service) settingFor(r *http.Request) (settingTarget, error) {
	ref, err := parseFunctionRef(r.PathValue("name"))
	if err != nil {
		return settingTarget{}, err
	}
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return settingTarget{}, err
	}
	latest := s.current(f.key())
	if latest == nil {
		return settingTarget{}, notFound(f.arn())
	}
	q := r.URL.Query().Get("Qualifier")
	if q == "" {
		q = ref.qualifier
	}
	t := settingTarget{fn: latest, qualifier: q, arn: latest.arn()}
	if q != "" {
		t.arn += ":" + q
	}
	return t, nil
}

// isoMillis is how Lambda writes the times of these settings.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// Provisioned concurrency.

type provisioned struct {
	Requested    int       `json:"requested"`
	LastModified time.Time `json:"lastModified"`
}

func (p *provisioned) output(arn, status string) map[string]any {
	out := map[string]any{
		"RequestedProvisionedConcurrentExecutions": p.Requested,
		"AvailableProvisionedConcurrentExecutions": p.Requested,
		"AllocatedProvisionedConcurrentExecutions": p.Requested,
		"Status":       status,
		"LastModified": isoMillis(p.LastModified),
	}
	if status != "READY" {
		out["AvailableProvisionedConcurrentExecutions"], out["AllocatedProvisionedConcurrentExecutions"] = 0, 0
	}
	if arn != "" {
		out["FunctionArn"] = arn
	}
	return out
}

func errNoProvisioned() error {
	return protocol.StatusErrorf(http.StatusNotFound, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function")
}

// provisionedTarget resolves a request that must name a published version
// or alias.
func (s *Service) provisionedTarget(r *http.Request) (settingTarget, error) {
	t, err := s.settingFor(r)
	if err != nil {
		return t, err
	}
	if t.qualifier == "" {
		return t, protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null")
	}
	if t.qualifier == "$LATEST" {
		return t, protocol.Errorf("InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	}
	if _, err := s.resolve(t.fn, t.qualifier); err != nil {
		return t, err
	}
	return t, nil
}

func (s *Service) putProvisionedConcurrency(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "PutProvisionedConcurrencyConfig")
	if err != nil {
		return err
	}
	var in struct{ ProvisionedConcurrentExecutions *int }
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.ProvisionedConcurrentExecutions == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	if n := *in.ProvisionedConcurrentExecutions; n < 1 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1", n)
	}
	t, err := s.provisionedTarget(r)
	if err != nil {
		return err
	}
	if res := t.fn.Reserved; res != nil && *in.ProvisionedConcurrentExecutions > *res {
		return protocol.Errorf("InvalidParameterValueException", "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function")
	}
	p := &provisioned{Requested: *in.ProvisionedConcurrentExecutions, LastModified: time.Now()}
	if err := s.putConfig(t.key(cfgProvisioned), p); err != nil {
		return err
	}
	protocol.WriteJSON(w, http.StatusAccepted, p.output("", "IN_PROGRESS"))
	return nil
}

func (s *Service) getProvisionedConcurrency(w http.ResponseWriter, r *http.Request) error {
	t, err := s.provisionedTarget(r)
	if err != nil {
		return err
	}
	p := &provisioned{}
	if !s.getConfig(t.key(cfgProvisioned), p) {
		return errNoProvisioned()
	}
	protocol.WriteJSON(w, http.StatusOK, p.output("", "READY"))
	return nil
}

func (s *Service) deleteProvisionedConcurrency(w http.ResponseWriter, r *http.Request) error {
	t, err := s.provisionedTarget(r)
	if err != nil {
		return err
	}
	if !s.getConfig(t.key(cfgProvisioned), &provisioned{}) {
		return errNoProvisioned()
	}
	if err := s.deleteConfig(t.key(cfgProvisioned)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// provisionedOrList is GetProvisionedConcurrencyConfig, or
// ListProvisionedConcurrencyConfigs with ?List=ALL.
func (s *Service) provisionedOrList(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("List") != "ALL" {
		return s.getProvisionedConcurrency(w, r)
	}
	t, err := s.settingFor(r)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, x := range listConfigs[provisioned](s, t.fn.key(), cfgProvisioned) {
		items = append(items, x.v.output(t.fn.arn()+":"+x.qualifier, "READY"))
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"ProvisionedConcurrencyConfigs": items})
	return nil
}
