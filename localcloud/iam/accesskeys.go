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

const maxAccessKeys = 2 // per user

// accessKey is an IAM user's long-term access key, or the account root
// user's (user ""). Only a SHA-256 hash of
// its secret is stored: the local cloud reads the access key id from a
// request's SigV4 credential scope to find the account and user, and does
// not verify signatures (which would need the secret itself, as AWS keeps
// it).
type accessKey struct {
	id      string
	account string
	user    string
	status  string // Active or Inactive
	created time.Time
}

// accessKeyXML is the AccessKeyMetadata shape (and AccessKey's, with the
// secret, on CreateAccessKey only).
type accessKeyXML struct {
	UserName        string `xml:"UserName,omitempty"` // none for the root user's
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

func (k *accessKey) xml() accessKeyXML {
	return accessKeyXML{UserName: k.user, AccessKeyID: k.id, Status: k.status, CreateDate: isoTime(k.created)}
}

func (s *Service) accessKeyOps(ops map[string]protocol.QueryOp) {
	ops["CreateAccessKey"] = s.createAccessKey
	ops["ListAccessKeys"] = s.listAccessKeys
	ops["UpdateAccessKey"] = s.updateAccessKey
	ops["DeleteAccessKey"] = s.deleteAccessKey
	ops["GetAccessKeyLastUsed"] = s.getAccessKeyLastUsed
}

// keyUser returns the user the form's UserName names or, without one, the
// IAM user whose key signed the request. s.mu must be held.
func (s *Service) keyUser(ctx context.Context, form url.Values) (*user, error) {
	if form.Get("UserName") != "" {
		return s.findUser(ctx, form)
	}
	if u := s.callerUser(ctx); u != nil {
		return u, nil
	}
	return nil, validation("Must specify userName when calling with non-User credentials")
}

// keyHolder is keyUser for the access key operations, which also serve
// the account's root user: without a UserName, a request signed with root
// credentials manages the root user's own keys (IAM API reference,
// CreateAccessKey, DeleteAccessKey...). Its user has no name. s.mu must be
// held.
func (s *Service) keyHolder(ctx context.Context, form url.Values) (*user, error) {
	if form.Get("UserName") != "" {
		return s.findUser(ctx, form)
	}
	if u := s.callerUser(ctx); u != nil {
		return u, nil
	}
	id := protocol.IdentityFrom(ctx)
	s.sessMu.RLock()
	temporary := s.sessions[id.AccessKeyID] != nil
	s.sessMu.RUnlock()
	if temporary {
		return nil, validation("Must specify userName when calling with non-User credentials")
	}
	return &user{account: id.AccountID}, nil
}

// userKeys returns u's access keys, oldest first; s.mu must be held.
func (s *Service) userKeys(u *user) []*accessKey {
	var out []*accessKey
	for _, k := range s.keys {
		if k.account == u.account && strings.EqualFold(k.user, u.name) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.Before(out[j].created)
		}
		return out[i].id < out[j].id
	})
	return out
}

// findKey returns the form's AccessKeyId among u's keys.
func (s *Service) findKey(form url.Values, u *user) (*accessKey, error) {
	id, err := required(form, "AccessKeyId")
	if err != nil {
		return nil, err
	}
	if err := validAccessKeyID(id); err != nil {
		return nil, err
	}
	k := s.keys[id]
	if k == nil || k.account != u.account || !strings.EqualFold(k.user, u.name) {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	return k, nil
}

func validAccessKeyID(id string) error {
	if len(id) < 16 || len(id) > 128 {
		return validation("1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy constraint: Member must have length between 16 and 128", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return validation("1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+", id)
		}
	}
	return nil
}

func (s *Service) createAccessKey(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.keyHolder(ctx, form)
	if err != nil {
		return nil, err
	}
	if len(s.userKeys(u)) >= maxAccessKeys {
		return nil, limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeys)
	}
	secret := randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
	k := &accessKey{id: "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), account: u.account, user: u.name,
		status: "Active", created: s.now().UTC().Truncate(time.Second)}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (access_key_id, account, user, status, created, secret_sha256) VALUES (?, ?, ?, ?, ?, ?)`,
			k.id, k.account, k.user, k.status, k.created.UnixMilli(), sha(secret))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.keys[k.id] = k
	x := k.xml()
	x.SecretAccessKey = secret
	return struct {
		AccessKey accessKeyXML `xml:"AccessKey"`
	}{x}, nil
}

func (s *Service) listAccessKeys(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := s.keyHolder(ctx, form)
	if err != nil {
		return nil, err
	}
	keys, tr, err := pageItems(s.userKeys(u), byPosition, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		AccessKeyMetadata list[accessKeyXML] `xml:"AccessKeyMetadata"`
		truncated
	}{truncated: tr}
	for _, k := range keys {
		out.AccessKeyMetadata.Member = append(out.AccessKeyMetadata.Member, k.xml())
	}
	return out, nil
}

func (s *Service) updateAccessKey(ctx context.Context, form url.Values) (any, error) {
	status, err := required(form, "Status")
	if err != nil {
		return nil, err
	}
	if status != "Active" && status != "Inactive" {
		return nil, validation("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.keyHolder(ctx, form)
	if err != nil {
		return nil, err
	}
	k, err := s.findKey(form, u)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE access_keys SET status = ? WHERE access_key_id = ?`, status, k.id)
		return err
	})
	if err != nil {
		return nil, err
	}
	k.status = status
	return nil, nil
}

func (s *Service) deleteAccessKey(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.keyHolder(ctx, form)
	if err != nil {
		return nil, err
	}
	k, err := s.findKey(form, u)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE access_key_id = ?`, k.id)
		return err
	})
	if err != nil {
		return nil, err
	}
	delete(s.keys, k.id)
	s.keyUse.Delete(k.id)
	return nil, nil
}

// keyUse is an access key's last use: when, and the service and region
// the request was signed for.
type keyUse struct {
	at              time.Time
	service, region string
}

// lastKeyUse returns the key's last use since the local cloud started, and
// whether it was used.
func (s *Service) lastKeyUse(akid string) (keyUse, bool) {
	u, ok := s.keyUse.Load(akid)
	if !ok {
		return keyUse{}, false
	}
	return u.(keyUse), true
}

// getAccessKeyLastUsed answers when the router last saw the key since the
// local cloud started, for which service (its signing name) and region;
// service and region are "N/A" for a key not used since.
func (s *Service) getAccessKeyLastUsed(ctx context.Context, form url.Values) (any, error) {
	id, err := required(form, "AccessKeyId")
	if err != nil {
		return nil, err
	}
	if err := validAccessKeyID(id); err != nil {
		return nil, err
	}
	s.mu.RLock()
	k := s.keys[id]
	found := k != nil && k.account == protocol.IdentityFrom(ctx).AccountID
	var name string // none for a root user's key, which no IAM user owns
	if found {
		name = k.user
	}
	s.mu.RUnlock()
	if !found {
		return nil, noSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	type lastUsed struct {
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
		ServiceName  string `xml:"ServiceName"`
		Region       string `xml:"Region"`
	}
	out := struct {
		UserName          string   `xml:"UserName,omitempty"`
		AccessKeyLastUsed lastUsed `xml:"AccessKeyLastUsed"`
	}{name, lastUsed{ServiceName: "N/A", Region: "N/A"}}
	if u, ok := s.lastKeyUse(id); ok {
		out.AccessKeyLastUsed = lastUsed{LastUsedDate: isoTime(u.at), ServiceName: u.service, Region: u.region}
	}
	return out, nil
}

// rootKeyAccount returns the account of an active access key of a root
// user.
func (s *Service) rootKeyAccount(akid string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k := s.keys[akid]; k != nil && k.user == "" && k.status == "Active" {
		return k.account, true
	}
	return "", false
}

// userForAccessKey returns the active access key's account and user.
func (s *Service) userForAccessKey(akid string) (*user, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := s.keys[akid]
	if k == nil || k.status != "Active" {
		return nil, false
	}
	u := s.view(k.account).users[strings.ToLower(k.user)]
	if u == nil {
		return nil, false
	}
	c := *u
	return &c, true
}
