package logs

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Account-level documents: resource policies, destinations and saved
// Logs Insights query definitions.

const maxResourcePolicies = 10 // per account and region, AWS's quota

type resourcePolicy struct {
	PolicyName      string `json:"policyName"`
	PolicyDocument  string `json:"policyDocument"`
	LastUpdatedTime int64  `json:"lastUpdatedTime"`
}

func (s *Service) putResourcePolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		PolicyName     string `json:"policyName"`
		PolicyDocument string `json:"policyDocument"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.PolicyName == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'policyName' failed to satisfy constraint: Member must not be null")
	}
	if len(in.PolicyDocument) < 1 || len(in.PolicyDocument) > 5120 {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to 5120", in.PolicyDocument)
	}
	var doc map[string]any
	if json.Unmarshal([]byte(in.PolicyDocument), &doc) != nil {
		return nil, invalidParam("Policy document is not a valid JSON object.")
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := docKey{kindResourcePolicy, id.AccountID, id.Region, "", in.PolicyName}
	if _, exists := s.docs[k]; !exists && len(s.listDocs(kindResourcePolicy, id.AccountID, id.Region, "", "")) >= maxResourcePolicies {
		return nil, protocol.Errorf("LimitExceededException", "Resource limit exceeded.")
	}
	p := resourcePolicy{PolicyName: in.PolicyName, PolicyDocument: in.PolicyDocument, LastUpdatedTime: s.now().UnixMilli()}
	if err := s.putDoc(ctx, k, p); err != nil {
		return nil, err
	}
	return struct {
		ResourcePolicy resourcePolicy `json:"resourcePolicy"`
	}{p}, nil
}

func (s *Service) describeResourcePolicies(ctx context.Context, body []byte) (any, error) {
	var in struct {
		NextToken string `json:"nextToken"`
		Limit     *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	list, next, err := docsPage[resourcePolicy](ctx, s, kindResourcePolicy, "", "", in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	return struct {
		ResourcePolicies []resourcePolicy `json:"resourcePolicies"`
		NextToken        string           `json:"nextToken,omitempty"`
	}{list, next}, nil
}

func (s *Service) deleteResourcePolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		PolicyName string `json:"policyName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	return nil, s.deleteDoc(ctx, docKey{kindResourcePolicy, id.AccountID, id.Region, "", in.PolicyName},
		protocol.Errorf("ResourceNotFoundException", "Policy with name [%s] does not exist", in.PolicyName))
}

// destination is a Destination on the wire: a cross-account endpoint for
// subscription filters. The local cloud records destinations; it has no
// Kinesis stream or Firehose to deliver them to.
type destination struct {
	DestinationName string `json:"destinationName"`
	TargetArn       string `json:"targetArn"`
	RoleArn         string `json:"roleArn"`
	AccessPolicy    string `json:"accessPolicy,omitempty"`
	Arn             string `json:"arn"`
	CreationTime    int64  `json:"creationTime"`
	// Tags are stored with the destination (see tags.go) but are no
	// member of the Destination shape: wire leaves them out.
	Tags map[string]string `json:"tags,omitempty"`
}

func (d destination) wire() destination {
	d.Tags = nil
	return d
}

func destinationMissing() error {
	return protocol.Errorf("ResourceNotFoundException", "The specified destination does not exist.")
}

func (s *Service) putDestination(ctx context.Context, body []byte) (any, error) {
	var in struct {
		DestinationName string            `json:"destinationName"`
		TargetArn       string            `json:"targetArn"`
		RoleArn         string            `json:"roleArn"`
		Tags            map[string]string `json:"tags"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validDestinationName(in.DestinationName); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"targetArn", in.TargetArn}, {"roleArn", in.RoleArn}} {
		if f.v == "" {
			return nil, invalidParam("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", f.name)
		}
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := docKey{kindDestination, id.AccountID, id.Region, "", in.DestinationName}
	d := destination{CreationTime: s.now().UnixMilli(), Tags: in.Tags}
	s.getDoc(k, &d) // an update keeps the creation time, access policy and tags
	d.DestinationName, d.TargetArn, d.RoleArn = in.DestinationName, in.TargetArn, in.RoleArn
	d.Arn = protocol.ARN("logs", id.Region, id.AccountID, "destination:"+in.DestinationName)
	if err := s.putDoc(ctx, k, d); err != nil {
		return nil, err
	}
	return struct {
		Destination destination `json:"destination"`
	}{d.wire()}, nil
}

func validDestinationName(name string) error {
	return validFilterName("destinationName", name)
}

func (s *Service) putDestinationPolicy(ctx context.Context, body []byte) (any, error) {
	var in struct {
		DestinationName string `json:"destinationName"`
		AccessPolicy    string `json:"accessPolicy"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validDestinationName(in.DestinationName); err != nil {
		return nil, err
	}
	if in.AccessPolicy == "" {
		return nil, invalidParam("1 validation error detected: Value null at 'accessPolicy' failed to satisfy constraint: Member must not be null")
	}
	var doc map[string]any
	if json.Unmarshal([]byte(in.AccessPolicy), &doc) != nil {
		return nil, invalidParam("Access policy is not a valid JSON object.")
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := docKey{kindDestination, id.AccountID, id.Region, "", in.DestinationName}
	var d destination
	if !s.getDoc(k, &d) {
		return nil, destinationMissing()
	}
	d.AccessPolicy = in.AccessPolicy
	return nil, s.putDoc(ctx, k, d)
}

func (s *Service) describeDestinations(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Prefix    string `json:"DestinationNamePrefix"`
		NextToken string `json:"nextToken"`
		Limit     *int   `json:"limit"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	list, next, err := docsPage[destination](ctx, s, kindDestination, "", in.Prefix, in.NextToken, in.Limit)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i] = list[i].wire()
	}
	return struct {
		Destinations []destination `json:"destinations"`
		NextToken    string        `json:"nextToken,omitempty"`
	}{list, next}, nil
}

func (s *Service) deleteDestination(ctx context.Context, body []byte) (any, error) {
	var in struct {
		DestinationName string `json:"destinationName"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := validDestinationName(in.DestinationName); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	return nil, s.deleteDoc(ctx, docKey{kindDestination, id.AccountID, id.Region, "", in.DestinationName}, destinationMissing())
}

// queryDefinition is a saved Logs Insights query on the wire.
type queryDefinition struct {
	QueryDefinitionID string   `json:"queryDefinitionId"`
	Name              string   `json:"name"`
	QueryString       string   `json:"queryString"`
	LastModified      int64    `json:"lastModified"`
	LogGroupNames     []string `json:"logGroupNames,omitempty"`
}

func queryDefinitionMissing() error {
	return protocol.Errorf("ResourceNotFoundException", "The specified query definition does not exist.")
}

func (s *Service) putQueryDefinition(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name              string   `json:"name"`
		QueryDefinitionID string   `json:"queryDefinitionId"`
		LogGroupNames     []string `json:"logGroupNames"`
		QueryString       string   `json:"queryString"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" || len(in.Name) > 255 || strings.ContainsAny(in.Name, ":*") || strings.HasPrefix(in.Name, "/") || strings.HasSuffix(in.Name, "/") || strings.Contains(in.Name, "//") {
		return nil, invalidParam("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([^:*\\/]+\\/?)*[^:*\\/]+$", in.Name)
	}
	if in.QueryString == "" || len(in.QueryString) > 10000 {
		return nil, invalidParam("1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length %s", map[bool]string{true: "greater than or equal to 1", false: "less than or equal to 10000"}[in.QueryString == ""])
	}
	for _, n := range in.LogGroupNames {
		if err := validGroupName("logGroupNames", n); err != nil {
			return nil, err
		}
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.QueryDefinitionID == "" {
		in.QueryDefinitionID = uuid.NewString()
	} else if _, ok := s.docs[docKey{kindQueryDef, id.AccountID, id.Region, "", in.QueryDefinitionID}]; !ok {
		return nil, queryDefinitionMissing()
	}
	d := queryDefinition{QueryDefinitionID: in.QueryDefinitionID, Name: in.Name, QueryString: in.QueryString,
		LastModified: s.now().UnixMilli(), LogGroupNames: in.LogGroupNames}
	if err := s.putDoc(ctx, docKey{kindQueryDef, id.AccountID, id.Region, "", d.QueryDefinitionID}, d); err != nil {
		return nil, err
	}
	return struct {
		QueryDefinitionID string `json:"queryDefinitionId"`
	}{d.QueryDefinitionID}, nil
}

func (s *Service) describeQueryDefinitions(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Prefix     string `json:"queryDefinitionNamePrefix"`
		MaxResults *int   `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	if err := checkMaxResults(in.MaxResults); err != nil {
		return nil, err
	}
	limit := 1000
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.RLock()
	var defs []queryDefinition
	for _, k := range s.listDocs(kindQueryDef, id.AccountID, id.Region, "", "") {
		var d queryDefinition
		if s.getDoc(k, &d) && strings.HasPrefix(d.Name, in.Prefix) {
			defs = append(defs, d)
		}
	}
	s.mu.RUnlock()
	// Pages are cut in name order; the token is the last name and id shown.
	sort.Slice(defs, func(i, j int) bool {
		if defs[i].Name != defs[j].Name {
			return defs[i].Name < defs[j].Name
		}
		return defs[i].QueryDefinitionID < defs[j].QueryDefinitionID
	})
	if in.NextToken != "" {
		after, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		i := sort.Search(len(defs), func(i int) bool { return defs[i].Name+"\x00"+defs[i].QueryDefinitionID > after })
		defs = defs[i:]
	}
	out := struct {
		QueryDefinitions []queryDefinition `json:"queryDefinitions"`
		NextToken        string            `json:"nextToken,omitempty"`
	}{QueryDefinitions: []queryDefinition{}}
	if len(defs) > limit {
		defs = defs[:limit]
		out.NextToken = encodeToken(defs[limit-1].Name + "\x00" + defs[limit-1].QueryDefinitionID)
	}
	out.QueryDefinitions = append(out.QueryDefinitions, defs...)
	return out, nil
}

func (s *Service) deleteQueryDefinition(ctx context.Context, body []byte) (any, error) {
	var in struct {
		QueryDefinitionID string `json:"queryDefinitionId"`
	}
	if err := protocol.DecodeJSON(body, &in); err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	if err := s.deleteDoc(ctx, docKey{kindQueryDef, id.AccountID, id.Region, "", in.QueryDefinitionID}, queryDefinitionMissing()); err != nil {
		return nil, err
	}
	return struct {
		Success bool `json:"success"`
	}{true}, nil
}
