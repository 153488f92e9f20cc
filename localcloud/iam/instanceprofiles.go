package iam

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// instanceProfile is an EC2 instance profile: a container for one role.
type instanceProfile struct {
	Name    string    `json:"name"`
	ID      string    `json:"id"`
	Path    string    `json:"path"`
	Created time.Time `json:"created"`
	Roles   []string  `json:"roles"` // role names; IAM allows one
	Tags    []tag     `json:"tags,omitempty"`
}

type instanceProfileXML struct {
	Path                string        `xml:"Path"`
	InstanceProfileName string        `xml:"InstanceProfileName"`
	InstanceProfileID   string        `xml:"InstanceProfileId"`
	Arn                 string        `xml:"Arn"`
	CreateDate          string        `xml:"CreateDate"`
	Roles               list[roleXML] `xml:"Roles"`
	Tags                *list[tag]    `xml:"Tags,omitempty"`
}

// xml describes p with its roles as they are now; s.mu must be held.
func (s *Service) instanceProfileXML(acct string, p *instanceProfile) instanceProfileXML {
	x := instanceProfileXML{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileID: p.ID,
		Arn: "arn:aws:iam::" + acct + ":instance-profile" + p.Path + p.Name, CreateDate: isoTime(p.Created)}
	for _, n := range p.Roles {
		if r := s.view(acct).roles[strings.ToLower(n)]; r != nil {
			x.Roles.Member = append(x.Roles.Member, r.xml(false))
		}
	}
	if len(p.Tags) > 0 {
		x.Tags = &list[tag]{p.Tags}
	}
	return x
}

func (s *Service) instanceProfileOps(ops map[string]protocol.QueryOp) {
	ops["CreateInstanceProfile"] = s.createInstanceProfile
	ops["GetInstanceProfile"] = s.getInstanceProfile
	ops["DeleteInstanceProfile"] = s.deleteInstanceProfile
	ops["ListInstanceProfiles"] = s.listInstanceProfiles
	ops["ListInstanceProfilesForRole"] = s.listInstanceProfilesForRole
	ops["AddRoleToInstanceProfile"] = s.addRoleToInstanceProfile
	ops["RemoveRoleFromInstanceProfile"] = s.removeRoleFromInstanceProfile
}

// findInstanceProfile returns the form's InstanceProfileName; s.mu must be
// held.
func (s *Service) findInstanceProfile(ctx context.Context, form url.Values) (string, *instanceProfile, error) {
	name, err := requiredName(form, "InstanceProfileName", 128)
	if err != nil {
		return "", nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	p := &instanceProfile{}
	if !s.getDoc(acct, kindInstanceProfile, name, p) {
		return "", nil, noSuchEntity("Instance Profile %s cannot be found.", name)
	}
	return acct, p, nil
}

func (s *Service) createInstanceProfile(ctx context.Context, form url.Values) (any, error) {
	name, path, tags, err := nameAndPath(form, "InstanceProfileName", 128)
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getDoc(acct, kindInstanceProfile, name, &instanceProfile{}) {
		return nil, alreadyExists("Instance Profile %s already exists.", name)
	}
	p := &instanceProfile{Name: name, ID: newID("AIPA"), Path: path, Created: s.now().UTC().Truncate(time.Second), Roles: []string{}, Tags: tags}
	if err := s.putDoc(ctx, acct, kindInstanceProfile, name, p); err != nil {
		return nil, err
	}
	return struct {
		InstanceProfile instanceProfileXML `xml:"InstanceProfile"`
	}{s.instanceProfileXML(acct, p)}, nil
}

func (s *Service) getInstanceProfile(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	acct, p, err := s.findInstanceProfile(ctx, form)
	if err != nil {
		return nil, err
	}
	return struct {
		InstanceProfile instanceProfileXML `xml:"InstanceProfile"`
	}{s.instanceProfileXML(acct, p)}, nil
}

func (s *Service) deleteInstanceProfile(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findInstanceProfile(ctx, form)
	if err != nil {
		return nil, err
	}
	if len(p.Roles) > 0 {
		return nil, deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	return nil, s.deleteDoc(ctx, acct, kindInstanceProfile, p.Name)
}

// profileList answers ListInstanceProfiles and ListInstanceProfilesForRole.
func (s *Service) profileList(acct string, profiles []*instanceProfile, form url.Values) (any, error) {
	page, tr, err := pageItems(profiles, func(_ int, p *instanceProfile) string { return strings.ToLower(p.Name) }, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		InstanceProfiles list[instanceProfileXML] `xml:"InstanceProfiles"`
		truncated
	}{truncated: tr}
	for _, p := range page {
		x := s.instanceProfileXML(acct, p)
		x.Tags = nil // IAM's resource-listing operations leave tags out (ListInstanceProfiles)
		out.InstanceProfiles.Member = append(out.InstanceProfiles.Member, x)
	}
	return out, nil
}

func (s *Service) listInstanceProfiles(ctx context.Context, form url.Values) (any, error) {
	prefix := form.Get("PathPrefix")
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*instanceProfile
	for _, p := range listDocs[instanceProfile](s, acct, kindInstanceProfile) {
		if strings.HasPrefix(p.Path, prefix) {
			out = append(out, p)
		}
	}
	return s.profileList(acct, out, form)
}

// profilesOf returns the instance profiles holding the role; s.mu must be
// held.
func (s *Service) profilesOf(acct, roleName string) []*instanceProfile {
	var out []*instanceProfile
	for _, p := range listDocs[instanceProfile](s, acct, kindInstanceProfile) {
		for _, n := range p.Roles {
			if strings.EqualFold(n, roleName) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (s *Service) listInstanceProfilesForRole(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, err := s.findRole(ctx, form)
	if err != nil {
		return nil, err
	}
	return s.profileList(r.account, s.profilesOf(r.account, r.name), form)
}

// changeInstanceProfile finds the form's profile and role, applies change
// and saves the profile.
func (s *Service) changeInstanceProfile(ctx context.Context, form url.Values, change func(p *instanceProfile, r *role) error) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findInstanceProfile(ctx, form)
	if err != nil {
		return nil, err
	}
	r, err := s.findRole(ctx, form)
	if err != nil {
		return nil, err
	}
	if err := change(p, r); err != nil {
		return nil, err
	}
	return nil, s.putDoc(ctx, acct, kindInstanceProfile, p.Name, p)
}

func (s *Service) addRoleToInstanceProfile(ctx context.Context, form url.Values) (any, error) {
	return s.changeInstanceProfile(ctx, form, func(p *instanceProfile, r *role) error {
		if len(p.Roles) > 0 {
			return limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.Roles = append(p.Roles, r.name)
		return nil
	})
}

func (s *Service) removeRoleFromInstanceProfile(ctx context.Context, form url.Values) (any, error) {
	return s.changeInstanceProfile(ctx, form, func(p *instanceProfile, r *role) error {
		for i, n := range p.Roles {
			if strings.EqualFold(n, r.name) {
				p.Roles = append(p.Roles[:i:i], p.Roles[i+1:]...)
				return nil
			}
		}
		return noSuchEntity("The role with name %s cannot be found.", r.name)
	})
}
