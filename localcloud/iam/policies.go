package iam

import (
	"context"
	"database/sql"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const maxPolicies = 1500

// policy is a managed policy: customer managed (account is a 12-digit id) or
// AWS managed (account "aws", shared by every account, read-only).
type policy struct {
	account        string
	name           string
	id             string
	path           string
	arn            string
	description    string
	created        time.Time
	updated        time.Time
	defaultVersion string
	nextVersion    int
	versions       map[string]*policyVersion
	tags           []tag
}

type policyVersion struct {
	id       string
	document string
	created  time.Time
}

func policyARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + path + name
}

func (p *policy) aws() bool { return p.account == "aws" }

// policyXML is the Policy shape of IAM responses.
type policyXML struct {
	PolicyName                    string     `xml:"PolicyName"`
	PolicyID                      string     `xml:"PolicyId"`
	Arn                           string     `xml:"Arn"`
	Path                          string     `xml:"Path"`
	DefaultVersionID              string     `xml:"DefaultVersionId"`
	AttachmentCount               int        `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int        `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool       `xml:"IsAttachable"`
	Description                   string     `xml:"Description,omitempty"`
	CreateDate                    string     `xml:"CreateDate"`
	UpdateDate                    string     `xml:"UpdateDate"`
	Tags                          *list[tag] `xml:"Tags,omitempty"`
}

type versionXML struct {
	Document         string `xml:"Document,omitempty"`
	VersionID        string `xml:"VersionId"`
	IsDefaultVersion bool   `xml:"IsDefaultVersion"`
	CreateDate       string `xml:"CreateDate"`
}

func (p *policy) versionXML(v *policyVersion, withDoc bool) versionXML {
	x := versionXML{VersionID: v.id, IsDefaultVersion: v.id == p.defaultVersion, CreateDate: isoTime(v.created)}
	if withDoc {
		x.Document = encodeDocument(v.document)
	}
	return x
}

// versionDocXML is versionXML with the document, as the request's
// partition (ctx's) shows it: AWS managed policies name their resources in
// it (arn:aws-cn:logs:*:*:* in China); customers' documents stay as written.
func (p *policy) versionDocXML(ctx context.Context, v *policyVersion) versionXML {
	x := p.versionXML(v, true)
	if part := protocol.PartitionOf(protocol.IdentityFrom(ctx)); p.aws() && part != "aws" {
		x.Document = encodeDocument(strings.ReplaceAll(v.document, `"arn:aws:`, `"arn:`+part+`:`))
	}
	return x
}

// policyXML describes p as seen from account acct. s.mu must be held.
func (s *Service) policyXML(acct string, p *policy, withTags bool) policyXML {
	x := policyXML{
		PolicyName:       p.name,
		PolicyID:         p.id,
		Arn:              p.arn,
		Path:             p.path,
		DefaultVersionID: p.defaultVersion,
		AttachmentCount:  s.attachmentCount(acct, p.arn),
		IsAttachable:     true,
		// The users and roles whose permissions boundary the policy is.
		PermissionsBoundaryUsageCount: s.boundaryCount(acct, p.arn),
		Description:                   p.description,
		CreateDate:                    isoTime(p.created),
		UpdateDate:                    isoTime(p.updated),
	}
	if withTags && len(p.tags) > 0 {
		x.Tags = &list[tag]{p.tags}
	}
	return x
}

func (s *Service) attachmentCount(acct, arn string) int {
	n := 0
	count := func(h *holder) {
		for _, a := range h.attached {
			if a == arn {
				n++
			}
		}
	}
	a := s.view(acct)
	for _, r := range a.roles {
		count(&r.holder)
	}
	for _, u := range a.users {
		count(&u.holder)
	}
	for _, g := range a.groups {
		count(&g.holder)
	}
	return n
}

// boundaryCount is how many of acct's users and roles have the policy arn
// as permissions boundary. s.mu must be held.
func (s *Service) boundaryCount(acct, arn string) int {
	n := 0
	a := s.view(acct)
	for _, r := range a.roles {
		if r.boundary == arn {
			n++
		}
	}
	for _, u := range a.users {
		if u.boundary == arn {
			n++
		}
	}
	return n
}

func savePolicy(ctx context.Context, tx *sql.Tx, p *policy) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO policies (account, name, id, path, description, created, updated, default_version, next_version, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.account, p.name, p.id, p.path, p.description, p.created.UnixMilli(), p.updated.UnixMilli(), p.defaultVersion, p.nextVersion, tagsJSON(p.tags))
	return err
}

func saveVersion(ctx context.Context, tx *sql.Tx, p *policy, v *policyVersion) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO policy_versions (account, policy, version, document, created) VALUES (?, ?, ?, ?, ?)`,
		p.account, p.name, v.id, v.document, v.created.UnixMilli())
	return err
}

// findPolicy resolves the form's PolicyArn for the caller: an AWS managed
// policy or one of the caller's own. s.mu must be held.
func (s *Service) findPolicy(ctx context.Context, form url.Values) (*policy, error) {
	arn, err := required(form, "PolicyArn")
	if err != nil {
		return nil, err
	}
	if len(arn) < 20 || len(arn) > 2048 {
		return nil, validation("1 validation error detected: Value '%s' at 'policyArn' failed to satisfy constraint: Member must have length between 20 and 2048", arn)
	}
	a, ok := protocol.ParseARN(arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "policy/") {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	if a.Account == "aws" {
		if p := awsPolicies[arn]; p != nil {
			return p, nil
		}
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	p := s.view(acct).policies[strings.ToLower(name)]
	if a.Account != acct || p == nil || p.arn != arn {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	return p, nil
}

// findCustomerPolicy is findPolicy for the changes AWS managed policies
// refuse. s.mu must be held.
func (s *Service) findCustomerPolicy(ctx context.Context, form url.Values) (*policy, error) {
	p, err := s.findPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	if p.aws() {
		return nil, invalidInput("%s is an AWS managed policy and cannot be changed.", p.arn)
	}
	return p, nil
}

func (s *Service) createPolicy(ctx context.Context, form url.Values) (any, error) {
	name, err := requiredName(form, "PolicyName", 128)
	if err != nil {
		return nil, err
	}
	doc, err := requiredDocument(form, "PolicyDocument", maxManagedPolicy, "PolicySize", identityPolicy)
	if err != nil {
		return nil, err
	}
	path, desc, err := pathAndDescription(form)
	if err != nil {
		return nil, err
	}
	tags, err := formTags(form, "Tags.member")
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(acct)
	key := strings.ToLower(name)
	if a.policies[key] != nil {
		return nil, alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	if len(a.policies) >= maxPolicies {
		return nil, limitExceeded("Cannot exceed quota for PoliciesPerAccount: %d", maxPolicies)
	}
	now := s.now().UTC().Truncate(time.Second)
	p := &policy{
		account: acct, name: name, id: newID("ANPA"), path: path, arn: policyARN(acct, path, name),
		description: desc, created: now, updated: now, defaultVersion: "v1", nextVersion: 2,
		versions: map[string]*policyVersion{}, tags: tags,
	}
	v := &policyVersion{id: "v1", document: doc, created: now}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := savePolicy(ctx, tx, p); err != nil {
			return err
		}
		return saveVersion(ctx, tx, p, v)
	})
	if err != nil {
		return nil, err
	}
	p.versions[v.id] = v
	a.policies[key] = p
	return struct {
		Policy policyXML `xml:"Policy"`
	}{s.policyXML(acct, p, true)}, nil
}

func (s *Service) getPolicy(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.findPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	return struct {
		Policy policyXML `xml:"Policy"`
	}{s.policyXML(protocol.IdentityFrom(ctx).AccountID, p, true)}, nil
}

func (s *Service) deletePolicy(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.findPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	if p.aws() {
		return nil, invalidInput("%s is an AWS managed policy and cannot be deleted.", p.arn)
	}
	if s.attachmentCount(acct, p.arn) > 0 {
		return nil, deleteConflict("Cannot delete a policy attached to entities.")
	}
	if len(p.versions) > 1 {
		return nil, deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM policies WHERE account = ? AND name = ?`, p.account, p.name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE account = ? AND policy = ?`, p.account, p.name)
		return err
	})
	if err != nil {
		return nil, err
	}
	delete(s.acct(acct).policies, strings.ToLower(p.name))
	return nil, nil
}

func (s *Service) listPolicies(ctx context.Context, form url.Values) (any, error) {
	scope := form.Get("Scope")
	switch scope {
	case "":
		scope = "All"
	case "All", "AWS", "Local":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", scope)
	}
	onlyAttached, err := parseBool(form, "OnlyAttached")
	if err != nil {
		return nil, err
	}
	prefix := form.Get("PathPrefix")
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	byKey := map[string]*policy{}
	add := func(p *policy) {
		if !strings.HasPrefix(p.path, prefix) || onlyAttached && s.attachmentCount(acct, p.arn) == 0 {
			return
		}
		byKey[p.name+"\x00"+p.arn] = p
	}
	if scope != "Local" {
		for _, p := range awsPolicies {
			add(p)
		}
	}
	if scope != "AWS" {
		for _, p := range s.view(acct).policies {
			add(p)
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		Policies list[policyXML] `xml:"Policies"`
		truncated
	}{truncated: truncated{IsTruncated: next != "", Marker: next}}
	for _, k := range keys[start:end] {
		out.Policies.Member = append(out.Policies.Member, s.policyXML(acct, byKey[k], false))
	}
	return out, nil
}

func (s *Service) getPolicyVersion(ctx context.Context, form url.Values) (any, error) {
	vid, err := required(form, "VersionId")
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.findPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	v := p.versions[vid]
	if v == nil {
		return nil, noSuchEntity("Policy %s version %s does not exist or is not attachable.", p.arn, vid)
	}
	return struct {
		PolicyVersion versionXML `xml:"PolicyVersion"`
	}{p.versionDocXML(ctx, v)}, nil
}

func (s *Service) createPolicyVersion(ctx context.Context, form url.Values) (any, error) {
	doc, err := requiredDocument(form, "PolicyDocument", maxManagedPolicy, "PolicySize", identityPolicy)
	if err != nil {
		return nil, err
	}
	setDefault, err := parseBool(form, "SetAsDefault")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.findCustomerPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	if len(p.versions) >= maxVersions {
		return nil, limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersions)
	}
	now := s.now().UTC().Truncate(time.Second)
	v := &policyVersion{id: "v" + strconv.Itoa(p.nextVersion), document: doc, created: now}
	c := *p
	c.nextVersion++
	c.updated = now
	if setDefault {
		c.defaultVersion = v.id
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := savePolicy(ctx, tx, &c); err != nil {
			return err
		}
		return saveVersion(ctx, tx, &c, v)
	})
	if err != nil {
		return nil, err
	}
	*p = c
	p.versions[v.id] = v
	return struct {
		PolicyVersion versionXML `xml:"PolicyVersion"`
	}{p.versionXML(v, false)}, nil
}

func (s *Service) listPolicyVersions(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.findPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(p.versions))
	for id := range p.versions {
		ids = append(ids, id)
	}
	// Newest first, as IAM lists them; the marker is the position.
	sort.Slice(ids, func(i, j int) bool { return versionNumber(ids[i]) > versionNumber(ids[j]) })
	keys := make([]string, len(ids))
	for i := range ids {
		keys[i] = strconv.Itoa(1000 + i)
	}
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		Versions list[versionXML] `xml:"Versions"`
		truncated
	}{truncated: truncated{IsTruncated: next != "", Marker: next}}
	for _, id := range ids[start:end] {
		out.Versions.Member = append(out.Versions.Member, p.versionXML(p.versions[id], false))
	}
	return out, nil
}

func versionNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "v"))
	return n
}

func (s *Service) deletePolicyVersion(ctx context.Context, form url.Values) (any, error) {
	vid, err := required(form, "VersionId")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.findCustomerPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	if p.versions[vid] == nil {
		return nil, noSuchEntity("Policy %s version %s does not exist.", p.arn, vid)
	}
	if vid == p.defaultVersion {
		return nil, deleteConflict("Cannot delete the default version of a policy.")
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM policy_versions WHERE account = ? AND policy = ? AND version = ?`, p.account, p.name, vid)
		return err
	})
	if err != nil {
		return nil, err
	}
	delete(p.versions, vid)
	return nil, nil
}

func (s *Service) setDefaultPolicyVersion(ctx context.Context, form url.Values) (any, error) {
	vid, err := required(form, "VersionId")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.findCustomerPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	if p.versions[vid] == nil {
		return nil, noSuchEntity("Policy %s version %s does not exist.", p.arn, vid)
	}
	c := *p
	c.defaultVersion = vid
	c.updated = s.now().UTC().Truncate(time.Second)
	if err := s.tx(ctx, func(tx *sql.Tx) error { return savePolicy(ctx, tx, &c) }); err != nil {
		return nil, err
	}
	*p = c
	return nil, nil
}

// Attachments.

func (s *Service) listEntitiesForPolicy(ctx context.Context, form url.Values) (any, error) {
	filter := form.Get("EntityFilter")
	switch filter {
	case "", "Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, LocalManagedPolicy, Group, AWSManagedPolicy]", filter)
	}
	prefix := form.Get("PathPrefix")
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.findPolicy(ctx, form)
	if err != nil {
		return nil, err
	}
	type roleRef struct {
		RoleName string `xml:"RoleName"`
		RoleID   string `xml:"RoleId"`
	}
	type userRef struct {
		UserName string `xml:"UserName"`
		UserID   string `xml:"UserId"`
	}
	type groupRef struct {
		GroupName string `xml:"GroupName"`
		GroupID   string `xml:"GroupId"`
	}
	type entity struct {
		key, path string
		holder    *holder
		add       func()
	}
	out := struct {
		PolicyGroups list[groupRef] `xml:"PolicyGroups"`
		PolicyUsers  list[userRef]  `xml:"PolicyUsers"`
		PolicyRoles  list[roleRef]  `xml:"PolicyRoles"`
		truncated
	}{}
	a := s.view(acct)
	var all []entity
	if filter == "" || filter == "Role" {
		for k, r := range a.roles {
			all = append(all, entity{"r" + k, r.path, &r.holder, func() { out.PolicyRoles.Member = append(out.PolicyRoles.Member, roleRef{r.name, r.id}) }})
		}
	}
	if filter == "" || filter == "User" {
		for k, u := range a.users {
			all = append(all, entity{"u" + k, u.path, &u.holder, func() { out.PolicyUsers.Member = append(out.PolicyUsers.Member, userRef{u.name, u.id}) }})
		}
	}
	if filter == "" || filter == "Group" {
		for k, g := range a.groups {
			all = append(all, entity{"g" + k, g.path, &g.holder, func() { out.PolicyGroups.Member = append(out.PolicyGroups.Member, groupRef{g.name, g.id}) }})
		}
	}
	byKey := map[string]entity{}
	var keys []string
	for _, e := range all {
		if !strings.HasPrefix(e.path, prefix) {
			continue
		}
		for _, arn := range e.holder.attached {
			if arn == p.arn {
				keys = append(keys, e.key)
				byKey[e.key] = e
			}
		}
	}
	sort.Strings(keys)
	start, end, next, err := page(keys, form)
	if err != nil {
		return nil, err
	}
	out.truncated = truncated{IsTruncated: next != "", Marker: next}
	for _, k := range keys[start:end] {
		byKey[k].add()
	}
	return out, nil
}
