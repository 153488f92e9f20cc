package iam

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Service last accessed reports and ListPoliciesGrantingServiceAccess.
// A report lists the services an entity's (or a policy's) Allow statements
// grant, as IAM's does; the local cloud records no authentication times,
// so every service reads as never accessed (no LastAuthenticated, 0
// authenticated entities). Reports complete at once.

const (
	kindAccessJob      = "access-report"
	kindSTSPreferences = "sts-preferences"
)

// serviceNames are the names IAM gives the namespaces the local cloud
// knows; "*" and wildcarded vendors in actions expand to these.
var serviceNames = map[string]string{
	"apigateway":  "Amazon API Gateway",
	"cloudwatch":  "Amazon CloudWatch",
	"dynamodb":    "Amazon DynamoDB",
	"events":      "Amazon EventBridge",
	"execute-api": "Amazon API Gateway",
	"iam":         "AWS Identity and Access Management",
	"kms":         "AWS Key Management Service",
	"lambda":      "AWS Lambda",
	"logs":        "Amazon CloudWatch Logs",
	"s3":          "Amazon S3",
	"sns":         "Amazon SNS",
	"sqs":         "Amazon SQS",
	"sts":         "AWS Security Token Service",
	"xray":        "AWS X-Ray",
}

func serviceName(ns string) string {
	if n, ok := serviceNames[ns]; ok {
		return n
	}
	return ns
}

// grantedNamespaces are the service namespaces a policy document's Allow
// statements name in their actions.
func grantedNamespaces(doc string) map[string]bool {
	out := map[string]bool{}
	for _, st := range simStatements(doc) {
		if st.effect != "Allow" {
			continue
		}
		for _, a := range st.actions {
			vendor, _, _ := strings.Cut(strings.ToLower(a), ":")
			if !strings.ContainsAny(vendor, "*?") {
				out[vendor] = true
				continue
			}
			for ns := range serviceNames {
				if globMatch(vendor, ns) {
					out[ns] = true
				}
			}
		}
	}
	return out
}

// grantingPolicy is a policy that applies to an entity, as
// ListPoliciesGrantingServiceAccess describes it.
type grantingPolicy struct {
	name, typ, arn, entityType, entityName string
	document                               string
}

// holderGrants lists a holder's inline and managed policies; s.mu must be
// held.
func (s *Service) holderGrants(acct, entityType, entityName string, h *holder) []grantingPolicy {
	var out []grantingPolicy
	names := make([]string, 0, len(h.inline))
	for n := range h.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, grantingPolicy{name: n, typ: "INLINE", entityType: entityType, entityName: entityName, document: h.inline[n]})
	}
	for _, arn := range h.attached {
		if p := s.managedPolicy(acct, arn); p != nil && p.versions[p.defaultVersion] != nil {
			out = append(out, grantingPolicy{name: p.name, typ: "MANAGED", arn: arn, document: p.versions[p.defaultVersion].document})
		}
	}
	return out
}

// managedPolicy finds an AWS managed or the account's customer managed
// policy by ARN; s.mu must be held.
func (s *Service) managedPolicy(acct, arn string) *policy {
	if p := awsPolicies[arn]; p != nil {
		return p
	}
	pa, ok := protocol.ParseARN(arn)
	if !ok || pa.Account != acct {
		return nil
	}
	p := s.view(acct).policies[strings.ToLower(pa.Resource[strings.LastIndex(pa.Resource, "/")+1:])]
	if p == nil || p.arn != arn {
		return nil
	}
	return p
}

// accessEntity is the user, role, group or policy a report is about.
type accessEntity struct {
	kind     string // "user", "role", "group" or "policy"
	policies []grantingPolicy
	members  []entityInfo // a group's users; the entities a policy is attached to
}

type entityInfo struct {
	Arn  string `xml:"Arn" json:"arn"`
	Name string `xml:"Name" json:"name"`
	Type string `xml:"Type" json:"type"`
	ID   string `xml:"Id" json:"id"`
	Path string `xml:"Path,omitempty" json:"path"`
}

// resolveAccessEntity finds what an ARN names in the caller's account;
// s.mu must be held.
func (s *Service) resolveAccessEntity(acct, arn string) (*accessEntity, error) {
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "iam" {
		return nil, invalidInput("Invalid ARN: %s", arn)
	}
	kind, rest, _ := strings.Cut(a.Resource, "/")
	name := rest[strings.LastIndex(rest, "/")+1:]
	view := s.view(acct)
	missing := noSuchEntity("The entity %s does not exist.", arn)
	if a.Account != acct && kind != "policy" {
		return nil, missing
	}
	e := &accessEntity{kind: kind}
	switch kind {
	case "user":
		u := view.users[strings.ToLower(name)]
		if u == nil || u.arn() != arn {
			return nil, missing
		}
		e.policies = s.holderGrants(acct, "USER", u.name, &u.holder)
		for _, g := range s.groupsOf(u) {
			e.policies = append(e.policies, s.holderGrants(acct, "GROUP", g.name, &g.holder)...)
		}
	case "role":
		r := view.roles[strings.ToLower(name)]
		if r == nil || r.arn() != arn {
			return nil, missing
		}
		e.policies = s.holderGrants(acct, "ROLE", r.name, &r.holder)
	case "group":
		g := view.groups[strings.ToLower(name)]
		if g == nil || g.arn() != arn {
			return nil, missing
		}
		e.policies = s.holderGrants(acct, "GROUP", g.name, &g.holder)
		for _, m := range g.members {
			if u := view.users[strings.ToLower(m)]; u != nil {
				e.members = append(e.members, entityInfo{u.arn(), u.name, "USER", u.id, u.path})
			}
		}
	case "policy":
		p := s.managedPolicy(acct, arn)
		if p == nil {
			return nil, missing
		}
		e.policies = []grantingPolicy{{name: p.name, typ: "MANAGED", arn: arn, document: p.versions[p.defaultVersion].document}}
		e.members = s.attachedTo(view, arn)
	default:
		return nil, invalidInput("Invalid ARN: %s: it must name a user, group, role or policy.", arn)
	}
	return e, nil
}

// attachedTo lists the users, roles and groups a managed policy is
// attached to, by ARN; s.mu must be held.
func (s *Service) attachedTo(view *account, policyARN string) []entityInfo {
	var out []entityInfo
	has := func(h *holder) bool {
		for _, a := range h.attached {
			if a == policyARN {
				return true
			}
		}
		return false
	}
	for _, u := range view.users {
		if has(&u.holder) {
			out = append(out, entityInfo{u.arn(), u.name, "USER", u.id, u.path})
		}
	}
	for _, r := range view.roles {
		if has(&r.holder) {
			out = append(out, entityInfo{r.arn(), r.name, "ROLE", r.id, r.path})
		}
	}
	for _, g := range view.groups {
		if has(&g.holder) {
			out = append(out, entityInfo{g.arn(), g.name, "GROUP", g.id, g.path})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Arn < out[j].Arn })
	return out
}

// accessJob is a stored service last accessed report.
type accessJob struct {
	ID          string       `json:"id"`
	Type        string       `json:"type"`
	Kind        string       `json:"kind"`
	Created     time.Time    `json:"created"`
	ServiceList []string     `json:"services"`
	Members     []entityInfo `json:"members,omitempty"`
}

func (s *Service) lastAccessedOps(ops map[string]protocol.QueryOp) {
	ops["GenerateServiceLastAccessedDetails"] = s.generateServiceLastAccessedDetails
	ops["GetServiceLastAccessedDetails"] = s.getServiceLastAccessedDetails
	ops["GetServiceLastAccessedDetailsWithEntities"] = s.getServiceLastAccessedDetailsWithEntities
	ops["ListPoliciesGrantingServiceAccess"] = s.listPoliciesGrantingServiceAccess
	ops["SetSecurityTokenServicePreferences"] = s.setSecurityTokenServicePreferences
}

func (s *Service) generateServiceLastAccessedDetails(ctx context.Context, form url.Values) (any, error) {
	arn, err := required(form, "Arn")
	if err != nil {
		return nil, err
	}
	granularity := form.Get("Granularity")
	switch granularity {
	case "":
		granularity = "SERVICE_LEVEL"
	case "SERVICE_LEVEL", "ACTION_LEVEL":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]", granularity)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.resolveAccessEntity(acct, arn)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, p := range e.policies {
		for ns := range grantedNamespaces(p.document) {
			set[ns] = true
		}
	}
	job := accessJob{ID: protocol.NewRequestID(), Type: granularity, Kind: e.kind, Created: s.now().UTC().Truncate(time.Second), Members: e.members}
	for ns := range set {
		job.ServiceList = append(job.ServiceList, ns)
	}
	sort.Strings(job.ServiceList)
	if err := s.putDoc(ctx, acct, kindAccessJob, job.ID, job); err != nil {
		return nil, err
	}
	return struct{ JobId string }{job.ID}, nil
}

// findAccessJob reads the form's JobId report; s.mu must be held.
func (s *Service) findAccessJob(ctx context.Context, form url.Values) (*accessJob, error) {
	id, err := required(form, "JobId")
	if err != nil {
		return nil, err
	}
	if len(id) != 36 {
		return nil, validation("1 validation error detected: Value '%s' at 'jobId' failed to satisfy constraint: Member must have length greater than or equal to 36", id)
	}
	job := &accessJob{}
	if !s.getDoc(protocol.IdentityFrom(ctx).AccountID, kindAccessJob, id, job) {
		return nil, noSuchEntity("Job %s does not exist.", id)
	}
	return job, nil
}

type serviceLastAccessed struct {
	ServiceName                string `xml:"ServiceName"`
	ServiceNamespace           string `xml:"ServiceNamespace"`
	TotalAuthenticatedEntities int    `xml:"TotalAuthenticatedEntities"`
}

func (s *Service) getServiceLastAccessedDetails(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	job, err := s.findAccessJob(ctx, form)
	if err != nil {
		return nil, err
	}
	start, end, next, err := page(job.ServiceList, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		JobStatus            string                    `xml:"JobStatus"`
		JobType              string                    `xml:"JobType"`
		JobCreationDate      string                    `xml:"JobCreationDate"`
		ServicesLastAccessed list[serviceLastAccessed] `xml:"ServicesLastAccessed"`
		JobCompletionDate    string                    `xml:"JobCompletionDate"`
		truncated
	}{JobStatus: "COMPLETED", JobType: job.Type, JobCreationDate: isoTime(job.Created), JobCompletionDate: isoTime(job.Created)}
	out.ServicesLastAccessed.Member = []serviceLastAccessed{}
	for _, ns := range job.ServiceList[start:end] {
		out.ServicesLastAccessed.Member = append(out.ServicesLastAccessed.Member, serviceLastAccessed{serviceName(ns), ns, 0})
	}
	out.IsTruncated, out.Marker = next != "", next
	return out, nil
}

func (s *Service) getServiceLastAccessedDetailsWithEntities(ctx context.Context, form url.Values) (any, error) {
	ns, err := required(form, "ServiceNamespace")
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	job, err := s.findAccessJob(ctx, form)
	if err != nil {
		return nil, err
	}
	if job.Kind == "user" || job.Kind == "role" {
		return nil, invalidInput("Job %s is a report for a %s: only reports for groups and policies list entities.", job.ID, job.Kind)
	}
	var members []entityInfo
	if i := sort.SearchStrings(job.ServiceList, ns); i < len(job.ServiceList) && job.ServiceList[i] == ns {
		members = job.Members
	}
	keys := make([]string, len(members))
	for i, m := range members {
		keys[i] = m.Arn
	}
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, err
	}
	type entityDetails struct {
		EntityInfo entityInfo `xml:"EntityInfo"`
	}
	out := struct {
		JobStatus         string              `xml:"JobStatus"`
		JobCreationDate   string              `xml:"JobCreationDate"`
		JobCompletionDate string              `xml:"JobCompletionDate"`
		EntityDetailsList list[entityDetails] `xml:"EntityDetailsList"`
		truncated
	}{JobStatus: "COMPLETED", JobCreationDate: isoTime(job.Created), JobCompletionDate: isoTime(job.Created)}
	out.EntityDetailsList.Member = []entityDetails{}
	for _, m := range members[start:end] {
		out.EntityDetailsList.Member = append(out.EntityDetailsList.Member, entityDetails{m})
	}
	out.IsTruncated, out.Marker = next != "", next
	return out, nil
}

func (s *Service) listPoliciesGrantingServiceAccess(ctx context.Context, form url.Values) (any, error) {
	arn, err := required(form, "Arn")
	if err != nil {
		return nil, err
	}
	namespaces := memberValues(form, "ServiceNamespaces")
	if len(namespaces) == 0 || len(namespaces) > 200 {
		return nil, validation("1 validation error detected: Value at 'serviceNamespaces' failed to satisfy constraint: Member must have length between 1 and 200")
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, err := s.resolveAccessEntity(acct, arn)
	if err != nil {
		return nil, err
	}
	type policyGrantingServiceAccess struct {
		PolicyName string `xml:"PolicyName"`
		PolicyType string `xml:"PolicyType"`
		PolicyArn  string `xml:"PolicyArn,omitempty"`
		EntityType string `xml:"EntityType,omitempty"`
		EntityName string `xml:"EntityName,omitempty"`
	}
	type listEntry struct {
		ServiceNamespace string                            `xml:"ServiceNamespace"`
		Policies         list[policyGrantingServiceAccess] `xml:"Policies"`
	}
	out := struct {
		PoliciesGrantingServiceAccess list[listEntry] `xml:"PoliciesGrantingServiceAccess"`
		IsTruncated                   bool            `xml:"IsTruncated"`
	}{}
	out.PoliciesGrantingServiceAccess.Member = []listEntry{}
	for _, ns := range namespaces {
		entry := listEntry{ServiceNamespace: ns}
		entry.Policies.Member = []policyGrantingServiceAccess{}
		for _, p := range e.policies {
			if grantedNamespaces(p.document)[strings.ToLower(ns)] {
				entry.Policies.Member = append(entry.Policies.Member, policyGrantingServiceAccess{p.name, p.typ, p.arn, p.entityType, p.entityName})
			}
		}
		out.PoliciesGrantingServiceAccess.Member = append(out.PoliciesGrantingServiceAccess.Member, entry)
	}
	return out, nil
}

// memberValues reads a query list parameter (Name.member.N), in order.
func memberValues(form url.Values, name string) []string {
	var out []string
	for _, m := range protocol.Members(form, name+".member") {
		out = append(out, m[""])
	}
	return out
}

// stsPreferences is the account's STS global endpoint token version.
type stsPreferences struct {
	TokenVersion int `json:"tokenVersion"`
}

func (s *Service) setSecurityTokenServicePreferences(ctx context.Context, form url.Values) (any, error) {
	v, err := required(form, "GlobalEndpointTokenVersion")
	if err != nil {
		return nil, err
	}
	p := stsPreferences{}
	switch v {
	case "v1Token":
		p.TokenVersion = 1
	case "v2Token":
		p.TokenVersion = 2
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'globalEndpointTokenVersion' failed to satisfy constraint: Member must satisfy enum value set: [v1Token, v2Token]", v)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	// botocore's SetSecurityTokenServicePreferences has no output shape:
	// the response holds ResponseMetadata only, no empty Result element.
	return nil, s.putDoc(ctx, acct, kindSTSPreferences, "", p)
}

// globalEndpointTokenVersion is GetAccountSummary's
// GlobalEndpointTokenVersion: 1 unless set; s.mu must be held.
func (s *Service) globalEndpointTokenVersion(acct string) int {
	p := stsPreferences{}
	if s.getDoc(acct, kindSTSPreferences, "", &p) && p.TokenVersion != 0 {
		return p.TokenVersion
	}
	return 1
}
