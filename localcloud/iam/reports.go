package iam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

func (s *Service) reportOps(ops map[string]protocol.QueryOp) {
	ops["GetAccountAuthorizationDetails"] = s.getAccountAuthorizationDetails
	ops["GenerateCredentialReport"] = s.generateCredentialReport
	ops["GetCredentialReport"] = s.getCredentialReport
	ops["GetContextKeysForCustomPolicy"] = s.getContextKeysForCustomPolicy
	ops["GetContextKeysForPrincipalPolicy"] = s.getContextKeysForPrincipalPolicy
}

type policyDetail struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// inlineDetails lists a holder's inline policies by name.
func inlineDetails(h *holder) list[policyDetail] {
	names := make([]string, 0, len(h.inline))
	for n := range h.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	var out list[policyDetail]
	for _, n := range names {
		out.Member = append(out.Member, policyDetail{n, encodeDocument(h.inline[n])})
	}
	return out
}

func attachedDetails(h *holder) list[attachedPolicy] {
	var out list[attachedPolicy]
	for _, arn := range h.attached {
		out.Member = append(out.Member, attachedPolicy{PolicyName: arn[strings.LastIndex(arn, "/")+1:], PolicyArn: arn})
	}
	return out
}

// getAccountAuthorizationDetails describes every user, group, role and
// managed policy in use, with their policies, as one document.
func (s *Service) getAccountAuthorizationDetails(ctx context.Context, form url.Values) (any, error) {
	filter := map[string]bool{}
	for _, m := range protocol.Members(form, "Filter.member") {
		switch m[""] {
		case "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
			filter[m[""]] = true
		default:
			return nil, validation("1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, LocalManagedPolicy, Group, AWSManagedPolicy]]", m[""])
		}
	}
	want := func(k string) bool { return len(filter) == 0 || filter[k] }
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.view(acct)
	type userDetail struct {
		userXML
		UserPolicyList          list[policyDetail]   `xml:"UserPolicyList"`
		GroupList               list[string]         `xml:"GroupList"`
		AttachedManagedPolicies list[attachedPolicy] `xml:"AttachedManagedPolicies"`
	}
	type groupDetail struct {
		groupXML
		GroupPolicyList         list[policyDetail]   `xml:"GroupPolicyList"`
		AttachedManagedPolicies list[attachedPolicy] `xml:"AttachedManagedPolicies"`
	}
	type roleDetail struct {
		roleXML
		InstanceProfileList     list[instanceProfileXML] `xml:"InstanceProfileList"`
		RolePolicyList          list[policyDetail]       `xml:"RolePolicyList"`
		AttachedManagedPolicies list[attachedPolicy]     `xml:"AttachedManagedPolicies"`
	}
	type managedDetail struct {
		policyXML
		PolicyVersionList list[versionXML] `xml:"PolicyVersionList"`
	}
	var out struct {
		UserDetailList  list[userDetail]    `xml:"UserDetailList"`
		GroupDetailList list[groupDetail]   `xml:"GroupDetailList"`
		RoleDetailList  list[roleDetail]    `xml:"RoleDetailList"`
		Policies        list[managedDetail] `xml:"Policies"`
		truncated
	}
	if want("User") {
		users, _, _ := underPath(a.users, func(u *user) string { return u.path }, url.Values{"MaxItems": {"1000"}})
		for _, u := range users {
			d := userDetail{userXML: u.xml(true), UserPolicyList: inlineDetails(&u.holder), AttachedManagedPolicies: attachedDetails(&u.holder)}
			for _, g := range s.groupsOf(u) {
				d.GroupList.Member = append(d.GroupList.Member, g.name)
			}
			out.UserDetailList.Member = append(out.UserDetailList.Member, d)
		}
	}
	if want("Group") {
		groups, _, _ := underPath(a.groups, func(g *group) string { return g.path }, url.Values{"MaxItems": {"1000"}})
		for _, g := range groups {
			out.GroupDetailList.Member = append(out.GroupDetailList.Member, groupDetail{g.xml(), inlineDetails(&g.holder), attachedDetails(&g.holder)})
		}
	}
	if want("Role") {
		roles, _, _ := underPath(a.roles, func(r *role) string { return r.path }, url.Values{"MaxItems": {"1000"}})
		for _, r := range roles {
			x := r.xml(true)
			// botocore's RoleDetail (and aws-sdk-go-v2's types.RoleDetail)
			// has no Description or MaxSessionDuration, unlike Role.
			x.Description, x.MaxSessionDuration = "", 0
			d := roleDetail{roleXML: x, RolePolicyList: inlineDetails(&r.holder), AttachedManagedPolicies: attachedDetails(&r.holder)}
			for _, p := range s.profilesOf(acct, r.name) {
				d.InstanceProfileList.Member = append(d.InstanceProfileList.Member, s.instanceProfileXML(acct, p))
			}
			out.RoleDetailList.Member = append(out.RoleDetailList.Member, d)
		}
	}
	var policies []*policy
	if want("LocalManagedPolicy") {
		for _, p := range a.policies {
			policies = append(policies, p)
		}
	}
	if want("AWSManagedPolicy") {
		for _, p := range awsPolicies {
			if s.attachmentCount(acct, p.arn) > 0 {
				policies = append(policies, p)
			}
		}
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].arn < policies[j].arn })
	for _, p := range policies {
		d := managedDetail{policyXML: s.policyXML(acct, p, false)}
		ids := make([]string, 0, len(p.versions))
		for id := range p.versions {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return versionNumber(ids[i]) > versionNumber(ids[j]) })
		for _, id := range ids {
			d.PolicyVersionList.Member = append(d.PolicyVersionList.Member, p.versionDocXML(ctx, p.versions[id]))
		}
		out.Policies.Member = append(out.Policies.Member, d)
	}
	return out, nil
}

// reportState is when an account's credential report was generated.
const kindCredentialReport = "credential-report"

func (s *Service) generateCredentialReport(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	var at time.Time
	type result struct {
		State       string `xml:"State"`
		Description string `xml:"Description,omitempty"`
	}
	if s.getDoc(acct, kindCredentialReport, "", &at) && s.now().Sub(at) < 4*time.Hour {
		return result{State: "COMPLETE"}, nil
	}
	if err := s.putDoc(ctx, acct, kindCredentialReport, "", s.now().UTC().Truncate(time.Second)); err != nil {
		return nil, err
	}
	return result{"STARTED", "No report exists. Starting a new report generation task"}, nil
}

// getCredentialReport answers the report of the account's users as they
// are now, in IAM's CSV columns.
func (s *Service) getCredentialReport(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	var at time.Time
	if !s.getDoc(acct, kindCredentialReport, "", &at) {
		return nil, &protocol.Error{Code: "ReportNotPresent", Message: "Credential report not present. Please generate a report.", Status: 410}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation", "mfa_active",
		"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
		"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
		"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"})
	w.Write(append([]string{"<root_account>", ctxARN(ctx, "arn:aws:iam::"+acct+":root"), isoTime(time.Unix(0, 0)), "not_supported", "N/A", "not_supported", "not_supported", "false"},
		s.credentialColumns(&user{account: acct})...))
	users, _, _ := underPath(s.view(acct).users, func(u *user) string { return u.path }, url.Values{"MaxItems": {"1000"}})
	for _, u := range users {
		lp := &loginProfile{}
		pw := s.getDoc(acct, kindLogin, u.name, lp)
		row := []string{u.name, ctxARN(ctx, u.arn()), isoTime(u.created), boolText(pw), "N/A", "N/A", "N/A", boolText(len(s.userMFADevices(u)) > 0)}
		if pw {
			row[5] = isoTime(lp.Created)
		}
		w.Write(append(row, s.credentialColumns(u)...))
	}
	w.Flush()
	return struct {
		Content       string `xml:"Content"`
		ReportFormat  string `xml:"ReportFormat"`
		GeneratedTime string `xml:"GeneratedTime"`
	}{base64.StdEncoding.EncodeToString(buf.Bytes()), "text/csv", isoTime(at)}, nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// credentialColumns are a credential report row's access key and signing
// certificate columns for u, the root user being the user without a name.
// s.mu must be held.
func (s *Service) credentialColumns(u *user) []string {
	var row []string
	keys := s.userKeys(u)
	for i := 0; i < 2; i++ {
		if i < len(keys) {
			row = append(row, boolText(keys[i].status == "Active"), isoTime(keys[i].created))
			if u, ok := s.lastKeyUse(keys[i].id); ok {
				row = append(row, isoTime(u.at), u.region, u.service)
			} else {
				row = append(row, "N/A", "N/A", "N/A")
			}
		} else {
			row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
		}
	}
	certs := s.userCredentials(u, kindSigningCert)
	for i := 0; i < 2; i++ {
		if i < len(certs) {
			row = append(row, boolText(certs[i].Status == "Active"), isoTime(certs[i].Uploaded))
		} else {
			row = append(row, "false", "N/A")
		}
	}
	return row
}
