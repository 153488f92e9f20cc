package iam

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const maxUsers = 5000

// user is an IAM user. Names are unique per account regardless of case.
type user struct {
	account  string
	name     string
	id       string
	path     string
	created  time.Time
	tags     []tag
	boundary string
	holder
}

func (u *user) arn() string { return "arn:aws:iam::" + u.account + ":user" + u.path + u.name }

// userXML is the User shape of IAM responses.
type userXML struct {
	Path                string       `xml:"Path,omitempty"`
	UserName            string       `xml:"UserName,omitempty"`
	UserID              string       `xml:"UserId"`
	Arn                 string       `xml:"Arn"`
	CreateDate          string       `xml:"CreateDate"`
	PermissionsBoundary *boundaryXML `xml:"PermissionsBoundary,omitempty"`
	Tags                *list[tag]   `xml:"Tags,omitempty"`
}

func (u *user) xml(withTags bool) userXML {
	x := userXML{Path: u.path, UserName: u.name, UserID: u.id, Arn: u.arn(), CreateDate: isoTime(u.created)}
	if withTags && len(u.tags) > 0 {
		x.Tags = &list[tag]{u.tags}
	}
	if u.boundary != "" {
		x.PermissionsBoundary = &boundaryXML{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: u.boundary}
	}
	return x
}

func (s *Service) userOps(ops map[string]protocol.QueryOp) {
	ops["CreateUser"] = s.createUser
	ops["GetUser"] = s.getUser
	ops["ListUsers"] = s.listUsers
	ops["UpdateUser"] = s.updateUser
	ops["DeleteUser"] = s.deleteUser
	ops["PutUserPermissionsBoundary"] = s.putUserPermissionsBoundary
	ops["DeleteUserPermissionsBoundary"] = s.deleteUserPermissionsBoundary
	ops["PutRolePermissionsBoundary"] = s.putRolePermissionsBoundary
	ops["DeleteRolePermissionsBoundary"] = s.deleteRolePermissionsBoundary
}

func saveUser(ctx context.Context, tx *sql.Tx, u *user) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO users (account, name, id, path, created, tags, boundary) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.account, u.name, u.id, u.path, u.created.UnixMilli(), tagsJSON(u.tags), u.boundary)
	return err
}

// loadPrincipals reads users, groups, memberships and access keys.
func (s *Service) loadPrincipals(ctx context.Context) error {
	err := queryRows(ctx, s.db, `SELECT account, name, id, path, created, tags, boundary FROM users`, func(rows *sql.Rows) error {
		u := &user{holder: newHolder()}
		var tags string
		var created int64
		if err := rows.Scan(&u.account, &u.name, &u.id, &u.path, &created, &tags, &u.boundary); err != nil {
			return err
		}
		u.created = time.UnixMilli(created).UTC()
		json.Unmarshal([]byte(tags), &u.tags)
		s.acct(u.account).users[strings.ToLower(u.name)] = u
		return nil
	})
	if err != nil {
		return err
	}
	err = queryRows(ctx, s.db, `SELECT account, name, id, path, created FROM groups`, func(rows *sql.Rows) error {
		g := &group{holder: newHolder()}
		var created int64
		if err := rows.Scan(&g.account, &g.name, &g.id, &g.path, &created); err != nil {
			return err
		}
		g.created = time.UnixMilli(created).UTC()
		s.acct(g.account).groups[strings.ToLower(g.name)] = g
		return nil
	})
	if err != nil {
		return err
	}
	err = queryRows(ctx, s.db, `SELECT account, grp, user FROM group_members ORDER BY seq`, func(rows *sql.Rows) error {
		var acct, grp, member string
		if err := rows.Scan(&acct, &grp, &member); err != nil {
			return err
		}
		if g := s.acct(acct).groups[strings.ToLower(grp)]; g != nil {
			g.members = append(g.members, member)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return queryRows(ctx, s.db, `SELECT access_key_id, account, user, status, created FROM access_keys`, func(rows *sql.Rows) error {
		k := &accessKey{}
		var created int64
		if err := rows.Scan(&k.id, &k.account, &k.user, &k.status, &created); err != nil {
			return err
		}
		k.created = time.UnixMilli(created).UTC()
		s.keys[k.id] = k
		return nil
	})
}

// findUser returns the caller's user named by the form's UserName.
// s.mu must be held.
func (s *Service) findUser(ctx context.Context, form url.Values) (*user, error) {
	name, err := requiredName(form, "UserName", 64)
	if err != nil {
		return nil, err
	}
	return s.userNamed(protocol.IdentityFrom(ctx).AccountID, name)
}

// principalUser is the form's UserName's user or, without one, the IAM
// user making the request: the login profile operations and
// DeactivateMFADevice default to the caller (IAM API reference; root
// credentials would need an AssumeRoot session, which the local cloud does
// not issue). s.mu must be held.
func (s *Service) principalUser(ctx context.Context, form url.Values) (*user, error) {
	if form.Get("UserName") == "" {
		if u := s.callerUser(ctx); u != nil {
			return u, nil
		}
	}
	return s.findUser(ctx, form)
}

// userNamed returns the account's user name; s.mu must be held.
func (s *Service) userNamed(acct, name string) (*user, error) {
	u := s.view(acct).users[strings.ToLower(name)]
	if u == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

// callerUser returns the IAM user whose access key signed the request, or
// nil for an account's own (root) credentials. s.mu must be held.
func (s *Service) callerUser(ctx context.Context) *user {
	id := protocol.IdentityFrom(ctx)
	k := s.keys[id.AccessKeyID]
	if k == nil || k.account != id.AccountID {
		return nil
	}
	return s.view(k.account).users[strings.ToLower(k.user)]
}

// boundaryARN resolves a PermissionsBoundary parameter to the managed
// policy it names; s.mu must be held.
func (s *Service) boundaryARN(ctx context.Context, arn string) (string, error) {
	p, err := s.findPolicy(ctx, url.Values{"PolicyArn": {arn}})
	if e, ok := err.(*protocol.Error); ok && e.Code == "NoSuchEntity" {
		return "", noSuchEntity("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	if err != nil {
		return "", err
	}
	return p.arn, nil
}

func (s *Service) createUser(ctx context.Context, form url.Values) (any, error) {
	name, path, tags, err := nameAndPath(form, "UserName", 64)
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(acct)
	key := strings.ToLower(name)
	if a.users[key] != nil {
		return nil, alreadyExists("User with name %s already exists.", name)
	}
	if len(a.users) >= maxUsers {
		return nil, limitExceeded("Cannot exceed quota for UsersPerAccount: %d", maxUsers)
	}
	boundary := form.Get("PermissionsBoundary")
	if boundary != "" {
		if boundary, err = s.boundaryARN(ctx, boundary); err != nil {
			return nil, err
		}
	}
	u := &user{account: acct, name: name, id: newID("AIDA"), path: path, created: s.now().UTC().Truncate(time.Second),
		tags: tags, boundary: boundary, holder: newHolder()}
	if err := s.tx(ctx, func(tx *sql.Tx) error { return saveUser(ctx, tx, u) }); err != nil {
		return nil, err
	}
	a.users[key] = u
	return struct {
		User userXML `xml:"User"`
	}{u.xml(true)}, nil
}

// getUser describes the named user or, without a name, the caller: its
// own IAM user, or the account's root user.
func (s *Service) getUser(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	type result struct {
		User userXML `xml:"User"`
	}
	if form.Get("UserName") == "" {
		if u := s.callerUser(ctx); u != nil {
			return result{u.xml(true)}, nil
		}
		acct := protocol.IdentityFrom(ctx).AccountID
		return result{userXML{UserID: acct, Arn: "arn:aws:iam::" + acct + ":root", CreateDate: isoTime(time.Unix(0, 0))}}, nil
	}
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	return result{u.xml(true)}, nil
}

func (s *Service) listUsers(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	users, tr, err := underPath(s.view(protocol.IdentityFrom(ctx).AccountID).users, func(u *user) string { return u.path }, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		Users list[userXML] `xml:"Users"`
		truncated
	}{truncated: tr}
	for _, u := range users {
		x := u.xml(false)
		x.PermissionsBoundary = nil // as Tags: ListUsers leaves both out (IAM API reference)
		out.Users.Member = append(out.Users.Member, x)
	}
	return out, nil
}

// updateUserWith finds the user, applies change to a copy, saves it and
// publishes the copy.
func (s *Service) updateUserWith(ctx context.Context, form url.Values, change func(u *user) error) error {
	_, err := updateWith(s, ctx, func() (*user, error) { return s.findUser(ctx, form) }, saveUser, change)
	return err
}

// updateUser changes a user's path and name; a new name carries its
// policies, group memberships and access keys along.
func (s *Service) updateUser(ctx context.Context, form url.Values) (any, error) {
	newName, newPath, err := readRename(form, "User", 64)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	a := s.acct(u.account)
	if newName != "" && !strings.EqualFold(newName, u.name) && a.users[strings.ToLower(newName)] != nil {
		return nil, alreadyExists("User with name %s already exists.", newName)
	}
	c := *u
	if newPath != "" {
		c.path = newPath
	}
	if newName != "" {
		c.name = newName
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := renameRows(ctx, tx, userKind, u.account, u.name, c.name); err != nil {
			return err
		}
		return saveUser(ctx, tx, &c)
	})
	if err != nil {
		return nil, err
	}
	if c.name != u.name {
		for _, g := range a.groups {
			for i, m := range g.members {
				if m == u.name {
					g.members[i] = c.name
				}
			}
		}
		for _, k := range s.keys {
			if k.account == u.account && k.user == u.name {
				k.user = c.name
			}
		}
		delete(a.users, strings.ToLower(u.name))
		a.users[strings.ToLower(c.name)] = u
		if lp := (&loginProfile{}); !strings.EqualFold(u.name, c.name) && s.getDoc(u.account, kindLogin, u.name, lp) {
			lp.User = c.name
			if err := s.putDoc(ctx, u.account, kindLogin, c.name, lp); err != nil {
				return nil, err
			}
			if err := s.deleteDoc(ctx, u.account, kindLogin, u.name); err != nil {
				return nil, err
			}
		}
	}
	*u = c
	return nil, nil
}

func (s *Service) deleteUser(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	switch {
	case len(u.inline) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case len(u.attached) > 0:
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	case len(s.userKeys(u)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete access keys first.")
	case len(s.groupsOf(u)) > 0:
		return nil, deleteConflict("Cannot delete entity, must remove user from all groups first.")
	case s.getDoc(u.account, kindLogin, u.name, &loginProfile{}):
		return nil, deleteConflict("Cannot delete entity, must delete login profile first.")
	case len(s.userMFADevices(u)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete MFA device first.")
	case len(s.userCredentials(u, kindSigningCert)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete signing certificates first.")
	case len(s.userCredentials(u, kindSSHKey)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete SSH public keys first.")
	case len(s.userCredentials(u, kindServiceCred)) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete service specific credentials first.")
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account = ? AND name = ?`, u.account, u.name)
		return err
	})
	if err != nil {
		return nil, err
	}
	delete(s.accounts[u.account].users, strings.ToLower(u.name))
	return nil, nil
}

func (s *Service) putUserPermissionsBoundary(ctx context.Context, form url.Values) (any, error) {
	arn, err := required(form, "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	return nil, s.updateUserWith(ctx, form, func(u *user) error {
		u.boundary, err = s.boundaryARN(ctx, arn)
		return err
	})
}

func (s *Service) deleteUserPermissionsBoundary(ctx context.Context, form url.Values) (any, error) {
	return nil, s.updateUserWith(ctx, form, func(u *user) error {
		u.boundary = ""
		return nil
	})
}

func (s *Service) putRolePermissionsBoundary(ctx context.Context, form url.Values) (any, error) {
	arn, err := required(form, "PermissionsBoundary")
	if err != nil {
		return nil, err
	}
	_, err = s.updateRoleWith(ctx, form, func(r *role) error {
		r.boundary, err = s.boundaryARN(ctx, arn)
		return err
	})
	return nil, err
}

func (s *Service) deleteRolePermissionsBoundary(ctx context.Context, form url.Values) (any, error) {
	_, err := s.updateRoleWith(ctx, form, func(r *role) error {
		r.boundary = ""
		return nil
	})
	return nil, err
}
