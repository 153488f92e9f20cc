package iam

import (
	"context"
	"database/sql"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const maxRoles = 1000

// role is an IAM role. Names are unique per account regardless of case.
type role struct {
	account     string
	name        string
	id          string
	path        string
	created     time.Time
	trust       string // the trust policy as given
	description string
	maxSession  int
	tags        []tag
	boundary    string // the permissions boundary's policy ARN; "" when none
	holder
}

func (r *role) arn() string { return "arn:aws:iam::" + r.account + ":role" + r.path + r.name }

// roleXML is the Role shape of IAM responses.
type roleXML struct {
	Path                     string       `xml:"Path"`
	RoleName                 string       `xml:"RoleName"`
	RoleID                   string       `xml:"RoleId"`
	Arn                      string       `xml:"Arn"`
	CreateDate               string       `xml:"CreateDate"`
	AssumeRolePolicyDocument string       `xml:"AssumeRolePolicyDocument"`
	Description              string       `xml:"Description,omitempty"`
	MaxSessionDuration       int          `xml:"MaxSessionDuration,omitempty"` // at least 3600 but in a RoleDetail
	PermissionsBoundary      *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                     *list[tag]   `xml:"Tags,omitempty"`
	// RoleLastUsed is sent by GetRole only, as IAM does.
	RoleLastUsed *struct {
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
	} `xml:"RoleLastUsed,omitempty"`
}

// boundaryXML is the AttachedPermissionsBoundary shape.
type boundaryXML struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

func (r *role) xml(withTags bool) roleXML {
	x := roleXML{
		Path:                     r.path,
		RoleName:                 r.name,
		RoleID:                   r.id,
		Arn:                      r.arn(),
		CreateDate:               isoTime(r.created),
		AssumeRolePolicyDocument: encodeDocument(r.trust),
		Description:              r.description,
		MaxSessionDuration:       r.maxSession,
	}
	if withTags && len(r.tags) > 0 {
		x.Tags = &list[tag]{r.tags}
	}
	if r.boundary != "" {
		x.PermissionsBoundary = &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: r.boundary}
	}
	return x
}

func saveRole(ctx context.Context, tx *sql.Tx, r *role) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO roles (account, name, id, path, created, trust, description, max_session, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.account, r.name, r.id, r.path, r.created.UnixMilli(), r.trust, r.description, r.maxSession, tagsJSON(r.tags))
	if err != nil {
		return err
	}
	if r.boundary == "" {
		_, err = tx.ExecContext(ctx, `DELETE FROM role_boundaries WHERE account = ? AND name = ?`, r.account, r.name)
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO role_boundaries (account, name, policy_arn) VALUES (?, ?, ?)`, r.account, r.name, r.boundary)
	return err
}

// findRole returns the caller's role named by the form's RoleName.
// s.mu must be held.
func (s *Service) findRole(ctx context.Context, form url.Values) (*role, error) {
	name, err := requiredName(form, "RoleName", 64)
	if err != nil {
		return nil, err
	}
	r := s.view(protocol.IdentityFrom(ctx).AccountID).roles[strings.ToLower(name)]
	if r == nil {
		return nil, noSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

func (s *Service) createRole(ctx context.Context, form url.Values) (any, error) {
	name, err := requiredName(form, "RoleName", 64)
	if err != nil {
		return nil, err
	}
	trust, err := requiredDocument(form, "AssumeRolePolicyDocument", maxTrustPolicy, "ACLSizePerRole", trustPolicy)
	if err != nil {
		return nil, err
	}
	path, desc, err := pathAndDescription(form)
	if err != nil {
		return nil, err
	}
	maxSession := 3600
	if v := form.Get("MaxSessionDuration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3600 || n > 43200 {
			return nil, validation("1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", v)
		}
		maxSession = n
	}
	tags, err := formTags(form, "Tags.member")
	if err != nil {
		return nil, err
	}
	id := protocol.IdentityFrom(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(id.AccountID)
	key := strings.ToLower(name)
	if a.roles[key] != nil {
		return nil, alreadyExists("Role with name %s already exists.", name)
	}
	if len(a.roles) >= maxRoles {
		return nil, limitExceeded("Cannot exceed quota for RolesPerAccount: %d", maxRoles)
	}
	boundary := form.Get("PermissionsBoundary")
	if boundary != "" {
		if boundary, err = s.boundaryARN(ctx, boundary); err != nil {
			return nil, err
		}
	}
	r := &role{
		account:     id.AccountID,
		name:        name,
		id:          newID("AROA"),
		path:        path,
		created:     s.now().UTC().Truncate(time.Second),
		trust:       trust,
		description: desc,
		maxSession:  maxSession,
		tags:        tags,
		holder:      newHolder(),
		boundary:    boundary,
	}
	if err := s.tx(ctx, func(tx *sql.Tx) error { return saveRole(ctx, tx, r) }); err != nil {
		return nil, err
	}
	a.roles[key] = r
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml(true)}, nil
}

func (s *Service) getRole(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, err := s.findRole(ctx, form)
	if err != nil {
		return nil, err
	}
	x := r.xml(true)
	x.RoleLastUsed = &struct {
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
	}{}
	return struct {
		Role roleXML `xml:"Role"`
	}{x}, nil
}

func (s *Service) deleteRole(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.findRole(ctx, form)
	if err != nil {
		return nil, err
	}
	if r.isServiceLinked() {
		return nil, unmodifiable(r)
	}
	if len(r.inline) > 0 {
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	}
	if len(r.attached) > 0 {
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if len(s.profilesOf(r.account, r.name)) > 0 {
		return nil, deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	return nil, s.dropRole(ctx, r)
}

// dropRole deletes a role; s.mu must be held for writing.
func (s *Service) dropRole(ctx context.Context, r *role) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM role_boundaries WHERE account = ? AND name = ?`,
			`DELETE FROM roles WHERE account = ? AND name = ?`,
			`DELETE FROM role_policies WHERE account = ? AND role = ?`,
			`DELETE FROM role_attachments WHERE account = ? AND role = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, r.account, r.name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	delete(s.accounts[r.account].roles, strings.ToLower(r.name))
	return nil
}

func (s *Service) listRoles(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	roles, tr, err := underPath(s.view(protocol.IdentityFrom(ctx).AccountID).roles, func(r *role) string { return r.path }, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		Roles list[roleXML] `xml:"Roles"`
		truncated
	}{truncated: tr}
	for _, r := range roles {
		x := r.xml(false)
		x.PermissionsBoundary = nil // as Tags: ListRoles leaves both out (IAM API reference)
		out.Roles.Member = append(out.Roles.Member, x)
	}
	return out, nil
}

// updateRoleWith finds the role, applies change to a copy, saves it, and
// publishes the copy.
func (s *Service) updateRoleWith(ctx context.Context, form url.Values, change func(r *role) error) (*role, error) {
	return updateWith(s, ctx, func() (*role, error) { return s.findRole(ctx, form) }, saveRole, change)
}

func (s *Service) updateRole(ctx context.Context, form url.Values) (any, error) {
	desc, hasDesc := form["Description"]
	maxSession := form.Get("MaxSessionDuration")
	_, err := s.updateRoleWith(ctx, form, func(r *role) error {
		if hasDesc {
			if len(desc[0]) > 1000 {
				return validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
			}
			r.description = desc[0]
		}
		if maxSession != "" {
			n, err := strconv.Atoi(maxSession)
			if err != nil || n < 3600 || n > 43200 {
				return validation("1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", maxSession)
			}
			r.maxSession = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) updateRoleDescription(ctx context.Context, form url.Values) (any, error) {
	desc, err := required(form, "Description")
	if err != nil {
		return nil, err
	}
	r, err := s.updateRoleWith(ctx, form, func(r *role) error {
		if len(desc) > 1000 {
			return validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
		}
		r.description = desc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct {
		Role roleXML `xml:"Role"`
	}{r.xml(true)}, nil
}

func (s *Service) updateAssumeRolePolicy(ctx context.Context, form url.Values) (any, error) {
	doc, err := requiredDocument(form, "PolicyDocument", maxTrustPolicy, "ACLSizePerRole", trustPolicy)
	if err != nil {
		return nil, err
	}
	_, err = s.updateRoleWith(ctx, form, func(r *role) error {
		r.trust = doc
		return nil
	})
	return nil, err
}

// pathAndDescription reads and checks the Path (default "/") and
// Description parameters that CreateRole and CreatePolicy share.
func pathAndDescription(form url.Values) (path, desc string, err error) {
	path = form.Get("Path")
	if path == "" {
		path = "/"
	}
	if err := validPath("path", path); err != nil {
		return "", "", err
	}
	desc = form.Get("Description")
	if len(desc) > 1000 {
		return "", "", validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	return path, desc, nil
}
