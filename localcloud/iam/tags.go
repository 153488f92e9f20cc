package iam

import (
	"context"
	"net/url"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// tagTarget reaches one kind of resource's tags for its Tag<name>,
// Untag<name> and List<name>Tags operations.
type tagTarget struct {
	name  string // "Role"
	quota string // "TagsPerRole"
	// change finds the form's resource, lets fn change its tags and saves it.
	change func(ctx context.Context, form url.Values, fn func(*[]tag) error) error
	// read returns the form's resource's tags.
	read func(ctx context.Context, form url.Values) ([]tag, error)
}

func (s *Service) tagOps(ops map[string]protocol.QueryOp) {
	for _, t := range s.tagTargets() {
		ops["Tag"+t.name] = func(ctx context.Context, form url.Values) (any, error) {
			add, err := requiredTags(form)
			if err != nil {
				return nil, err
			}
			return nil, t.change(ctx, form, func(tags *[]tag) error {
				merged, err := addTags(*tags, add, t.quota)
				if err == nil {
					*tags = merged
				}
				return err
			})
		}
		ops["Untag"+t.name] = func(ctx context.Context, form url.Values) (any, error) {
			keys, err := formTagKeys(form)
			if err != nil {
				return nil, err
			}
			return nil, t.change(ctx, form, func(tags *[]tag) error {
				*tags = removeTags(*tags, keys)
				return nil
			})
		}
		ops["List"+t.name+"Tags"] = func(ctx context.Context, form url.Values) (any, error) {
			tags, err := t.read(ctx, form)
			if err != nil {
				return nil, err
			}
			return tagPage(tags, form)
		}
	}
}

// readTags reads a resource's tags under the read lock.
func (s *Service) readTags(find func() ([]tag, error)) ([]tag, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tags, err := find()
	return append([]tag(nil), tags...), err
}

func (s *Service) tagTargets() []tagTarget {
	return []tagTarget{
		{name: "Role", quota: "TagsPerRole",
			change: func(ctx context.Context, form url.Values, fn func(*[]tag) error) error {
				_, err := s.updateRoleWith(ctx, form, func(r *role) error { return fn(&r.tags) })
				return err
			},
			read: func(ctx context.Context, form url.Values) ([]tag, error) {
				return s.readTags(func() ([]tag, error) {
					r, err := s.findRole(ctx, form)
					if err != nil {
						return nil, err
					}
					return r.tags, nil
				})
			}},
		{name: "User", quota: "TagsPerUser",
			change: func(ctx context.Context, form url.Values, fn func(*[]tag) error) error {
				return s.updateUserWith(ctx, form, func(u *user) error { return fn(&u.tags) })
			},
			read: func(ctx context.Context, form url.Values) ([]tag, error) {
				return s.readTags(func() ([]tag, error) {
					u, err := s.findUser(ctx, form)
					if err != nil {
						return nil, err
					}
					return u.tags, nil
				})
			}},
		{name: "Policy", quota: "TagsPerPolicy",
			change: func(ctx context.Context, form url.Values, fn func(*[]tag) error) error {
				return s.changePolicy(ctx, form, func(p *policy) error { return fn(&p.tags) })
			},
			read: func(ctx context.Context, form url.Values) ([]tag, error) {
				return s.readTags(func() ([]tag, error) {
					p, err := s.findPolicy(ctx, form)
					if err != nil {
						return nil, err
					}
					return p.tags, nil
				})
			}},
		docTags(s, "InstanceProfile", "TagsPerInstanceProfile", kindInstanceProfile, s.findInstanceProfile,
			func(p *instanceProfile) string { return p.Name }, func(p *instanceProfile) *[]tag { return &p.Tags }),
		docTags(s, "OpenIDConnectProvider", "TagsPerOpenIDConnectProvider", kindOIDC, s.findOIDC,
			func(p *oidcProvider) string { return p.URL }, func(p *oidcProvider) *[]tag { return &p.Tags }),
		docTags(s, "SAMLProvider", "TagsPerSAMLProvider", kindSAML, s.findSAML,
			func(p *samlProvider) string { return p.Name }, func(p *samlProvider) *[]tag { return &p.Tags }),
		docTags(s, "MFADevice", "TagsPerMFADevice", kindMFA, s.findMFA,
			func(d *mfaDevice) string { return d.Serial }, func(d *mfaDevice) *[]tag { return &d.Tags }),
		docTags(s, "ServerCertificate", "TagsPerServerCertificate", kindServerCert, s.findServerCert,
			func(c *serverCert) string { return c.Name }, func(c *serverCert) *[]tag { return &c.Tags }),
	}
}

// docTags is the tagTarget of a kind of document that find locates; key
// is a document's name and tags its tags.
func docTags[T any](s *Service, name, quota, kind string, find func(context.Context, url.Values) (string, *T, error), key func(*T) string, tags func(*T) *[]tag) tagTarget {
	return tagTarget{name: name, quota: quota,
		change: func(ctx context.Context, form url.Values, fn func(*[]tag) error) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			acct, v, err := find(ctx, form)
			if err != nil {
				return err
			}
			if err := fn(tags(v)); err != nil {
				return err
			}
			return s.putDoc(ctx, acct, kind, key(v), v)
		},
		read: func(ctx context.Context, form url.Values) ([]tag, error) {
			return s.readTags(func() ([]tag, error) {
				_, v, err := find(ctx, form)
				if err != nil {
					return nil, err
				}
				return *tags(v), nil
			})
		}}
}
