package lambda

import (
	"encoding/json"
	"net/http"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// changeLayer applies change to a copy of the layer version the path
// names, checks the request's RevisionId against the policy's and saves
// the copy.
func (s *Service) changeLayer(r *http.Request, revisionID string, change func(l *layerVersion) error) (*layerVersion, error) {
	found, err := s.findLayer(r)
	if err != nil {
		return nil, err
	}
	k := layerKey{found.Account, found.Region, found.Name}
	defer s.lockLayer(k)()
	if found, err = s.layerVersionOf(k, found.Version); err != nil {
		return nil, err
	}
	if revisionID != "" && revisionID != found.PolicyRev {
		return nil, errRevision()
	}
	c := *found
	c.Policy = append([]*statement(nil), found.Policy...)
	if err := change(&c); err != nil {
		return nil, err
	}
	c.PolicyRev = newRevision()
	if err := s.saveLayer(&c); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for i, x := range s.layers[k] {
		if x == found {
			s.layers[k][i] = &c
		}
	}
	s.mu.Unlock()
	return &c, nil
}

func (s *Service) addLayerVersionPermission(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 1<<16, "AddLayerVersionPermission")
	if err != nil {
		return err
	}
	var in struct{ StatementId, Action, Principal, OrganizationId string }
	if err := decode(body, &in); err != nil {
		return err
	}
	if !statementRE.MatchString(in.StatementId) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)", truncate(in.StatementId, 120))
	}
	if in.Action != "lambda:GetLayerVersion" {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: lambda:GetLayerVersion", truncate(in.Action, 120))
	}
	if in.Principal != "*" && !protocol.IsAccountID(in.Principal) && !layerPrincipalARN(in.Principal) {
		return protocol.Errorf("ValidationException", "1 validation error detected: Value '%s' at 'principal' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root", truncate(in.Principal, 120))
	}
	var st *statement
	l, err := s.changeLayer(r, r.URL.Query().Get("RevisionId"), func(l *layerVersion) error {
		for _, x := range l.Policy {
			if x.Sid == in.StatementId {
				return protocol.StatusErrorf(http.StatusConflict, "ResourceConflictException", "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementId)
			}
		}
		var principal any = "*"
		if protocol.IsAccountID(in.Principal) {
			principal = map[string]string{"AWS": protocol.RootARN(protocol.IdentityFrom(r.Context()).Region, in.Principal)}
		} else if in.Principal != "*" {
			principal = map[string]string{"AWS": in.Principal}
		}
		st = &statement{Sid: in.StatementId, Effect: "Allow", Principal: principal, Action: in.Action, Resource: l.arn()}
		if in.OrganizationId != "" {
			st.Condition = map[string]map[string]string{"StringEquals": {"aws:PrincipalOrgID": in.OrganizationId}}
		}
		l.Policy = append(l.Policy, st)
		return nil
	})
	if err != nil {
		return err
	}
	b, _ := json.Marshal(st)
	protocol.WriteJSON(w, http.StatusCreated, map[string]string{"Statement": string(b), "RevisionId": l.PolicyRev})
	return nil
}

func layerPrincipalARN(p string) bool {
	a, ok := protocol.ParseARN(p)
	return ok && a.Service == "iam" && protocol.IsAccountID(a.Account) && a.Resource == "root"
}

func (s *Service) getLayerVersionPolicy(w http.ResponseWriter, r *http.Request) error {
	l, err := s.findLayer(r)
	if err != nil {
		return err
	}
	if len(l.Policy) == 0 {
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "No policy is associated with the given resource.")
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": l.Policy})
	protocol.WriteJSON(w, http.StatusOK, map[string]string{"Policy": string(doc), "RevisionId": l.PolicyRev})
	return nil
}

func (s *Service) removeLayerVersionPermission(w http.ResponseWriter, r *http.Request) error {
	sid := r.PathValue("sid")
	_, err := s.changeLayer(r, r.URL.Query().Get("RevisionId"), func(l *layerVersion) error {
		for i, x := range l.Policy {
			if x.Sid == sid {
				l.Policy = append(l.Policy[:i:i], l.Policy[i+1:]...)
				return nil
			}
		}
		return protocol.StatusErrorf(http.StatusNotFound, "ResourceNotFoundException", "Statement %s is not found in resource policy.", truncate(sid, 120))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
