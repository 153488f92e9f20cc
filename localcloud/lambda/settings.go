package lambda

import (
	"net/http"
	"strings"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Concurrency.

func (s *Service) putFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "PutFunctionConcurrency")
	if err != nil {
		return err
	}
	var in struct{ ReservedConcurrentExecutions *int }
	if err := decode(body, &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	n := *in.ReservedConcurrentExecutions
	if n < 0 {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", n)
	}
	var reserved bool
	var prev *int
	var key fnKey
	_, err = s.update(r, "", false, func(f *function) error {
		// Checked and set at once, so that concurrent reservations of other
		// functions cannot together eat the unreserved minimum.
		if err := s.conc.reserve(f.key(), n); err != nil {
			return err
		}
		reserved, prev, key = true, f.Reserved, f.key()
		f.Reserved = &n
		return nil
	})
	if err != nil {
		if reserved {
			s.conc.setReserved(key, prev) // the change was not committed
		}
		return err
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]int{"ReservedConcurrentExecutions": n})
	return nil
}

func (s *Service) getFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	f, err := s.lookup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	out := map[string]int{}
	if f.Reserved != nil {
		out["ReservedConcurrentExecutions"] = *f.Reserved
	}
	protocol.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) deleteFunctionConcurrency(w http.ResponseWriter, r *http.Request) error {
	f, err := s.update(r, "", false, func(f *function) error {
		f.Reserved = nil
		return nil
	})
	if err != nil {
		return err
	}
	s.conc.setReserved(f.key(), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Tags.

// taggedFunction finds the function a tagging request's ARN names.
func (s *Service) taggedFunction(r *http.Request) (*function, error) {
	arn := r.PathValue("arn")
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "function:") {
		return nil, protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'resource' failed to satisfy constraint: Member must be a function ARN", truncate(arn, 200))
	}
	ref, err := parseFunctionRef(arn)
	if err != nil {
		return nil, err
	}
	if ref.qualifier != "" {
		return nil, protocol.Errorf("InvalidParameterValueException", "Tags are not supported on function versions or aliases: %s", truncate(arn, 200))
	}
	id := protocol.IdentityFrom(r.Context())
	return s.find(id.AccountID, id.Region, ref)
}

func (s *Service) listTags(w http.ResponseWriter, r *http.Request) error {
	if isCodeSigningARN(r.PathValue("arn")) {
		return s.tagCodeSigningConfig(w, r, nil)
	}
	f, err := s.taggedFunction(r)
	if err != nil {
		return err
	}
	tags := f.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	protocol.WriteJSON(w, http.StatusOK, map[string]any{"Tags": tags})
	return nil
}

func (s *Service) tagResource(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<20, "TagResource")
	if err != nil {
		return err
	}
	var in struct{ Tags map[string]string }
	if err := decode(body, &in); err != nil {
		return err
	}
	add := func(tags map[string]string) error {
		for k, v := range in.Tags {
			tags[k] = v
		}
		return validateTags(tags)
	}
	if isCodeSigningARN(r.PathValue("arn")) {
		return s.tagCodeSigningConfig(w, r, add)
	}
	target, err := s.taggedFunction(r)
	if err != nil {
		return err
	}
	_, err = s.updateTags(target, func(f *function) error {
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		return add(f.Tags)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) untagResource(w http.ResponseWriter, r *http.Request) error {
	keys := r.URL.Query()["tagKeys"]
	remove := func(tags map[string]string) error {
		for _, k := range keys {
			delete(tags, k)
		}
		return nil
	}
	if isCodeSigningARN(r.PathValue("arn")) {
		return s.tagCodeSigningConfig(w, r, remove)
	}
	target, err := s.taggedFunction(r)
	if err != nil {
		return err
	}
	_, err = s.updateTags(target, func(f *function) error { return remove(f.Tags) })
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// updateTags changes a function's tags (which do not touch its code).
func (s *Service) updateTags(target *function, change func(*function) error) (*function, error) {
	defer s.lockFunction(target.key())()
	old := s.current(target.key())
	if old == nil {
		return nil, notFound(target.arn())
	}
	f := old.clone()
	if err := change(f); err != nil {
		return nil, err
	}
	f.RevisionID = newRevision()
	if err := s.saveFunction(f); err != nil {
		return nil, err
	}
	s.publish(f)
	return f, nil
}

// validateTags checks Lambda's tag limits.
func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return protocol.Errorf("InvalidParameterValueException", "Number of tags exceeds resource tag limit.")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return protocol.Errorf("InvalidParameterValueException", "Invalid tag %q: keys are 1-128 characters and may not start with aws:, values at most 256", truncate(k, 140))
		}
	}
	return nil
}

func (s *Service) getAccountSettings(w http.ResponseWriter, r *http.Request) error {
	id := protocol.IdentityFrom(r.Context())
	var count int
	var total int64
	s.mu.RLock()
	for k, f := range s.fns {
		if k.account == id.AccountID && k.region == id.Region {
			count++
			total += f.CodeSize
		}
	}
	s.mu.RUnlock()
	protocol.WriteJSON(w, http.StatusOK, map[string]any{
		"AccountLimit": map[string]int64{
			"TotalCodeSize":                  80530636800,
			"CodeSizeUnzipped":               maxUnzipped,
			"CodeSizeZipped":                 maxZipped,
			"ConcurrentExecutions":           int64(s.cfg.AccountConcurrency),
			"UnreservedConcurrentExecutions": int64(s.conc.unreservedLimit(acctKey{id.AccountID, id.Region})),
		},
		"AccountUsage": map[string]int64{"TotalCodeSize": total, "FunctionCount": int64(count)},
	})
	return nil
}
