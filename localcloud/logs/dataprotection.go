package logs

import (
	"context"
	"encoding/json"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Data protection policies: one per log group, kept as a document of kind
// kindDataProtection under the group (so it goes with the group). The
// local cloud keeps and answers the policy; it does not mask log events.

type dataProtectionPolicy struct {
	Document    string `json:"document"`
	LastUpdated int64  `json:"lastUpdated"`
}

type dataProtectionOut struct {
	LogGroupIdentifier string `json:"logGroupIdentifier"`
	PolicyDocument     string `json:"policyDocument,omitempty"`
	LastUpdatedTime    int64  `json:"lastUpdatedTime,omitempty"`
}

// dataProtectionTarget resolves a request's logGroupIdentifier to the
// caller's group and the policy's key; s.mu must be held.
func (s *Service) dataProtectionTarget(ctx context.Context, identifier string) (docKey, error) {
	id := protocol.IdentityFrom(ctx)
	if identifier == "" {
		return docKey{}, invalidParam("1 validation error detected: Value null at 'logGroupIdentifier' failed to satisfy constraint: Member must not be null")
	}
	name, err := groupName(id, "", identifier, true)
	if err != nil {
		return docKey{}, err
	}
	if _, err := s.findGroup(ctx, name); err != nil {
		return docKey{}, err
	}
	return docKey{kind: kindDataProtection, account: id.AccountID, region: id.Region, grp: name}, nil
}

func (s *Service) putDataProtectionPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		PolicyDocument     string `json:"policyDocument"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	var doc struct {
		Statement []json.RawMessage `json:"Statement"`
	}
	if in.PolicyDocument == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null")
	}
	if len(in.PolicyDocument) > 5120 {
		return nil, invalidParam("1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to 5120")
	}
	if err := json.Unmarshal([]byte(in.PolicyDocument), &doc); err != nil || len(doc.Statement) == 0 {
		return nil, invalidParam("DataProtectionPolicy must be a JSON document with a Statement list")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.dataProtectionTarget(ctx, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	p := dataProtectionPolicy{Document: in.PolicyDocument, LastUpdated: s.now().UnixMilli()}
	if err := s.putDoc(ctx, k, p); err != nil {
		return nil, err
	}
	return dataProtectionOut{LogGroupIdentifier: in.LogGroupIdentifier, PolicyDocument: p.Document, LastUpdatedTime: p.LastUpdated}, nil
}

func (s *Service) getDataProtectionPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupIdentifier string `json:"logGroupIdentifier"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, err := s.dataProtectionTarget(ctx, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	out := dataProtectionOut{LogGroupIdentifier: in.LogGroupIdentifier}
	var p dataProtectionPolicy
	if raw, ok := s.docs[k]; ok && json.Unmarshal(raw, &p) == nil {
		out.PolicyDocument, out.LastUpdatedTime = p.Document, p.LastUpdated
	}
	return out, nil
}

func (s *Service) deleteDataProtectionPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		LogGroupIdentifier string `json:"logGroupIdentifier"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.dataProtectionTarget(ctx, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if _, ok := s.docs[k]; !ok {
		return nil, protocol.Errorf("ResourceNotFoundException", "No data protection policy exists for log group %s.", k.grp)
	}
	return nil, s.delDocs(ctx, func(d docKey) bool { return d == k })
}

// dataProtectionStatus is DescribeLogGroups' dataProtectionStatus of a
// group: ACTIVATED while it has a policy; s.mu must be held.
func (s *Service) dataProtectionStatus(g *group) string {
	if _, ok := s.docs[docKey{kind: kindDataProtection, account: g.key.account, region: g.key.region, grp: g.key.name}]; ok {
		return "ACTIVATED"
	}
	return ""
}
