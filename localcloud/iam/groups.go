package iam

import (
	"context"
	"database/sql"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const maxGroups = 300

// group is an IAM group. Names are unique per account regardless of case.
type group struct {
	account string
	name    string
	id      string
	path    string
	created time.Time
	members []string // user names, in the order they were added
	holder
}

func (g *group) arn() string { return "arn:aws:iam::" + g.account + ":group" + g.path + g.name }

// groupXML is the Group shape of IAM responses.
type groupXML struct {
	Path       string `xml:"Path"`
	GroupName  string `xml:"GroupName"`
	GroupID    string `xml:"GroupId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func (g *group) xml() groupXML {
	return groupXML{Path: g.path, GroupName: g.name, GroupID: g.id, Arn: g.arn(), CreateDate: isoTime(g.created)}
}

func (s *Service) groupOps(ops map[string]protocol.QueryOp) {
	ops["CreateGroup"] = s.createGroup
	ops["GetGroup"] = s.getGroup
	ops["ListGroups"] = s.listGroups
	ops["UpdateGroup"] = s.updateGroup
	ops["DeleteGroup"] = s.deleteGroup
	ops["AddUserToGroup"] = s.addUserToGroup
	ops["RemoveUserFromGroup"] = s.removeUserFromGroup
	ops["ListGroupsForUser"] = s.listGroupsForUser
}

func saveGroup(ctx context.Context, tx *sql.Tx, g *group) error {
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO groups (account, name, id, path, created) VALUES (?, ?, ?, ?, ?)`,
		g.account, g.name, g.id, g.path, g.created.UnixMilli())
	return err
}

// findGroup returns the caller's group named by the form's GroupName.
// s.mu must be held.
func (s *Service) findGroup(ctx context.Context, form url.Values) (*group, error) {
	name, err := requiredName(form, "GroupName", 128)
	if err != nil {
		return nil, err
	}
	g := s.view(protocol.IdentityFrom(ctx).AccountID).groups[strings.ToLower(name)]
	if g == nil {
		return nil, noSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

// groupsOf returns the groups u belongs to, by name; s.mu must be held.
func (s *Service) groupsOf(u *user) []*group {
	var out []*group
	for _, g := range s.view(u.account).groups {
		if g.has(u.name) {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].name) < strings.ToLower(out[j].name) })
	return out
}

func (g *group) has(name string) bool {
	for _, m := range g.members {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

func (s *Service) createGroup(ctx context.Context, form url.Values) (any, error) {
	name, err := requiredName(form, "GroupName", 128)
	if err != nil {
		return nil, err
	}
	path, _, err := pathAndDescription(url.Values{"Path": form["Path"]})
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acct(acct)
	key := strings.ToLower(name)
	if a.groups[key] != nil {
		return nil, alreadyExists("Group with name %s already exists.", name)
	}
	if len(a.groups) >= maxGroups {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerAccount: %d", maxGroups)
	}
	g := &group{account: acct, name: name, id: newID("AGPA"), path: path, created: s.now().UTC().Truncate(time.Second), holder: newHolder()}
	if err := s.tx(ctx, func(tx *sql.Tx) error { return saveGroup(ctx, tx, g) }); err != nil {
		return nil, err
	}
	a.groups[key] = g
	return struct {
		Group groupXML `xml:"Group"`
	}{g.xml()}, nil
}

// getGroup describes a group and pages through its users.
func (s *Service) getGroup(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.findGroup(ctx, form)
	if err != nil {
		return nil, err
	}
	members, tr, err := pageItems(g.members, byPosition, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		Group groupXML      `xml:"Group"`
		Users list[userXML] `xml:"Users"`
		truncated
	}{Group: g.xml(), truncated: tr}
	for _, m := range members {
		if u := s.view(g.account).users[strings.ToLower(m)]; u != nil {
			out.Users.Member = append(out.Users.Member, u.xml(false))
		}
	}
	return out, nil
}

// groupList answers ListGroups and ListGroupsForUser.
func groupList(groups []*group, tr truncated) any {
	out := struct {
		Groups list[groupXML] `xml:"Groups"`
		truncated
	}{truncated: tr}
	for _, g := range groups {
		out.Groups.Member = append(out.Groups.Member, g.xml())
	}
	return out
}

func (s *Service) listGroups(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	groups, tr, err := underPath(s.view(protocol.IdentityFrom(ctx).AccountID).groups, func(g *group) string { return g.path }, form)
	if err != nil {
		return nil, err
	}
	return groupList(groups, tr), nil
}

func (s *Service) listGroupsForUser(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	groups, tr, err := pageItems(s.groupsOf(u), func(_ int, g *group) string { return strings.ToLower(g.name) }, form)
	if err != nil {
		return nil, err
	}
	return groupList(groups, tr), nil
}

// updateGroup changes a group's path and name; a new name carries its
// policies and members along.
func (s *Service) updateGroup(ctx context.Context, form url.Values) (any, error) {
	newName, newPath, err := readRename(form, "Group", 128)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, form)
	if err != nil {
		return nil, err
	}
	a := s.acct(g.account)
	if newName != "" && !strings.EqualFold(newName, g.name) && a.groups[strings.ToLower(newName)] != nil {
		return nil, alreadyExists("Group with name %s already exists.", newName)
	}
	c := *g
	if newPath != "" {
		c.path = newPath
	}
	if newName != "" {
		c.name = newName
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := renameRows(ctx, tx, groupKind, g.account, g.name, c.name); err != nil {
			return err
		}
		return saveGroup(ctx, tx, &c)
	})
	if err != nil {
		return nil, err
	}
	if c.name != g.name {
		delete(a.groups, strings.ToLower(g.name))
		a.groups[strings.ToLower(c.name)] = g
	}
	*g = c
	return nil, nil
}

func (s *Service) deleteGroup(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(ctx, form)
	if err != nil {
		return nil, err
	}
	switch {
	case len(g.members) > 0:
		return nil, deleteConflict("Cannot delete entity, must remove users from group first.")
	case len(g.inline) > 0:
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	case len(g.attached) > 0:
		return nil, deleteConflict("Cannot delete entity, must detach all policies first.")
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM groups WHERE account = ? AND name = ?`, g.account, g.name)
		return err
	})
	if err != nil {
		return nil, err
	}
	delete(s.accounts[g.account].groups, strings.ToLower(g.name))
	return nil, nil
}

// membership finds the form's group and user; s.mu must be held.
func (s *Service) membership(ctx context.Context, form url.Values) (*group, *user, error) {
	g, err := s.findGroup(ctx, form)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}

func (s *Service) addUserToGroup(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, u, err := s.membership(ctx, form)
	if err != nil {
		return nil, err
	}
	if g.has(u.name) {
		return nil, nil
	}
	if len(s.groupsOf(u)) >= 10 {
		return nil, limitExceeded("Cannot exceed quota for GroupsPerUser: 10")
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO group_members (account, grp, user, seq) VALUES (?, ?, ?, ?)`, g.account, g.name, u.name, s.now().UnixNano())
		return err
	})
	if err != nil {
		return nil, err
	}
	g.members = append(g.members, u.name)
	return nil, nil
}

func (s *Service) removeUserFromGroup(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, u, err := s.membership(ctx, form)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, m := range g.members {
		if strings.EqualFold(m, u.name) {
			idx = i
		}
	}
	if idx < 0 {
		return nil, noSuchEntity("The user with name %s cannot be found.", u.name)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE account = ? AND grp = ? AND user = ?`, g.account, g.name, g.members[idx])
		return err
	})
	if err != nil {
		return nil, err
	}
	g.members = append(g.members[:idx:idx], g.members[idx+1:]...)
	return nil, nil
}
