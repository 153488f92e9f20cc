package iam

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// session is an assumed-role session: what temporary credentials act as.
type session struct {
	account     string
	roleName    string
	roleID      string
	sessionName string
	expires     time.Time
}

func (ss *session) arn() string {
	if ss.roleID == federatedRole {
		return "arn:aws:sts::" + ss.account + ":federated-user/" + ss.sessionName
	}
	if ss.roleName == "" { // GetSessionToken: the account itself
		return "arn:aws:iam::" + ss.account + ":root"
	}
	return "arn:aws:sts::" + ss.account + ":assumed-role/" + ss.roleName + "/" + ss.sessionName
}

var _ protocol.AccountResolver = (*Service)(nil)

// AccountForAccessKey returns the account that unexpired temporary
// credentials from AssumeRole, or an IAM user's or root user's active
// access key, act in. It implements protocol.AccountResolver.
func (s *Service) AccountForAccessKey(ctx context.Context, akid string) (string, bool) {
	s.sessMu.RLock()
	ss := s.sessions[akid]
	s.sessMu.RUnlock()
	if ss != nil {
		return ss.account, s.now().Before(ss.expires)
	}
	acct, ok := s.rootKeyAccount(akid)
	if u, user := s.userForAccessKey(akid); user {
		acct, ok = u.account, true
	}
	if ok {
		id := protocol.IdentityFrom(ctx)
		s.keyUse.Store(akid, keyUse{at: s.now(), service: id.Service, region: id.Region})
	}
	return acct, ok
}

func (s *Service) loadSessions(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT access_key_id, account, role_name, role_id, session_name, expires FROM sessions WHERE expires > ?`, s.now().UnixMilli())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var akid string
		var exp int64
		ss := &session{}
		if err := rows.Scan(&akid, &ss.account, &ss.roleName, &ss.roleID, &ss.sessionName, &exp); err != nil {
			return err
		}
		ss.expires = time.UnixMilli(exp)
		s.sessions[akid] = ss
	}
	return rows.Err()
}

func (s *Service) dropExpiredSessions(ctx context.Context) {
	now := s.now()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, now.UnixMilli()); err != nil {
		s.log.WarnContext(ctx, "drop expired sessions", "err", err)
		return
	}
	s.sessMu.Lock()
	for k, ss := range s.sessions {
		if !now.Before(ss.expires) {
			delete(s.sessions, k)
		}
	}
	s.sessMu.Unlock()
}

func accessDenied(format string, args ...any) error {
	return protocol.StatusErrorf(http.StatusForbidden, "AccessDenied", format, args...)
}

func (s *Service) getCallerIdentity(ctx context.Context, form url.Values) (any, error) {
	id := protocol.IdentityFrom(ctx)
	type result struct {
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
		Arn     string `xml:"Arn"`
	}
	s.sessMu.RLock()
	ss := s.sessions[id.AccessKeyID]
	s.sessMu.RUnlock()
	if ss != nil {
		if !s.now().Before(ss.expires) {
			return nil, protocol.StatusErrorf(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		}
		if ss.roleID == federatedRole {
			return result{UserID: ss.account + ":" + ss.sessionName, Account: ss.account, Arn: ss.arn()}, nil
		}
		if ss.roleName == "" {
			return result{UserID: ss.account, Account: ss.account, Arn: ss.arn()}, nil
		}
		return result{UserID: ss.roleID + ":" + ss.sessionName, Account: ss.account, Arn: ss.arn()}, nil
	}
	if u, ok := s.userForAccessKey(id.AccessKeyID); ok && u.account == id.AccountID {
		return result{UserID: u.id, Account: u.account, Arn: u.arn()}, nil
	}
	return result{UserID: id.AccountID, Account: id.AccountID, Arn: "arn:aws:iam::" + id.AccountID + ":root"}, nil
}

func (s *Service) assumeRole(ctx context.Context, form url.Values) (any, error) {
	roleARN, err := required(form, "RoleArn")
	if err != nil {
		return nil, err
	}
	if len(roleARN) < 20 || len(roleARN) > 2048 {
		return nil, validation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048", roleARN)
	}
	sessionName, err := required(form, "RoleSessionName")
	if err != nil {
		return nil, err
	}
	if len(sessionName) < 2 || len(sessionName) > 64 {
		return nil, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64", sessionName)
	}
	if err := validName("roleSessionName", sessionName, 64); err != nil {
		return nil, err
	}
	externalID, hasExternal := form["ExternalId"]
	if hasExternal && (len(externalID[0]) < 2 || len(externalID[0]) > 1224) {
		return nil, validation("1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224")
	}
	duration := 3600
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
		duration = n
	}
	if p := form.Get("Policy"); p != "" {
		if err := checkPolicy(p, 2048, "PackedPolicySize", sessionPolicy); err != nil {
			return nil, err
		}
	}
	caller := protocol.IdentityFrom(ctx)
	a, ok := protocol.ParseARN(roleARN)
	if !ok || a.Service != "iam" || !protocol.IsAccountID(a.Account) || !strings.HasPrefix(a.Resource, "role/") {
		return nil, validation("%s is invalid", roleARN)
	}
	denied := accessDenied("User: arn:aws:iam::%s:root is not authorized to perform: sts:AssumeRole on resource: %s", caller.AccountID, roleARN)

	c, ok := s.roleByARN(roleARN)
	if !ok {
		return nil, denied
	}
	if duration > c.maxSession {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	ext := ""
	if hasExternal {
		ext = externalID[0]
	}
	if !trustAllows(c.trust, a.Account, caller.AccountID, ext) {
		return nil, denied
	}

	creds, user, err := s.roleSession(ctx, c.account, c.name, c.id, sessionName, duration)
	if err != nil {
		return nil, err
	}
	return struct {
		Credentials      credentialsXML  `xml:"Credentials"`
		AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
		PackedPolicySize *int            `xml:"PackedPolicySize,omitempty"`
		// SourceIdentity echoes the caller's, as AssumeRole's response
		// elements document (not checked against sts:SetSourceIdentity).
		SourceIdentity string `xml:"SourceIdentity,omitempty"`
	}{
		Credentials:      creds,
		AssumedRoleUser:  user,
		PackedPolicySize: packedPolicySize(form),
		SourceIdentity:   form.Get("SourceIdentity"),
	}, nil
}

// packedPolicySize is the PackedPolicySize STS answers when a request
// passes a session policy, policy ARNs or session tags: how much of the
// packed limit they use, in percent. AWS's packing (a compressed binary
// form) is not documented; the local cloud counts the compacted policy's
// characters, 100 per policy ARN and each tag's key and value against
// 2048 characters, rounded up, so small policies give small values.
func packedPolicySize(form url.Values) *int {
	n := 0
	if p := form.Get("Policy"); p != "" {
		var b bytes.Buffer
		if json.Compact(&b, []byte(p)) == nil {
			n += b.Len()
		} else {
			n += len(p)
		}
	}
	n += 100 * len(protocol.Members(form, "PolicyArns.member"))
	for _, m := range protocol.Members(form, "Tags.member") {
		n += len(m["Key"]) + len(m["Value"])
	}
	if n == 0 {
		return nil
	}
	pct := (100*n + 2047) / 2048
	return &pct
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// issue makes temporary credentials acting as ss for duration seconds,
// storing only hashes of the secret and the token.
func (s *Service) issue(ctx context.Context, ss *session, duration int) (credentialsXML, error) {
	akid := "ASIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
	secret := randomToken(30)
	token := randomToken(120)
	ss.expires = s.now().Add(time.Duration(duration) * time.Second).Truncate(time.Second)
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (access_key_id, secret_sha256, token_sha256, account, role_name, role_id, session_name, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, akid, sha(secret), sha(token), ss.account, ss.roleName, ss.roleID, ss.sessionName, ss.expires.UnixMilli())
	if err != nil {
		return credentialsXML{}, err
	}
	s.sessMu.Lock()
	s.sessions[akid] = ss
	s.sessMu.Unlock()
	return credentialsXML{akid, secret, token, isoTime(ss.expires)}, nil
}

// getSessionToken gives the caller temporary credentials of its own; the
// local cloud's callers are account owners, whose sessions last at most an
// hour.
func (s *Service) getSessionToken(ctx context.Context, form url.Values) (any, error) {
	duration := 3600
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 129600 {
			return nil, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600", v)
		}
		duration = min(n, 3600)
	}
	id := protocol.IdentityFrom(ctx)
	s.sessMu.RLock()
	_, temporary := s.sessions[id.AccessKeyID]
	s.sessMu.RUnlock()
	if temporary {
		return nil, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	creds, err := s.issue(ctx, &session{account: id.AccountID}, duration)
	if err != nil {
		return nil, err
	}
	return struct {
		Credentials credentialsXML `xml:"Credentials"`
	}{creds}, nil
}

// getAccessKeyInfo names the account an access key acts in, as the router
// decides it.
func (s *Service) getAccessKeyInfo(ctx context.Context, form url.Values) (any, error) {
	akid, err := required(form, "AccessKeyId")
	if err != nil {
		return nil, err
	}
	if len(akid) < 16 && !protocol.IsAccountID(akid) || len(akid) > 128 {
		return nil, validation("1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy constraint: Member must have length between 16 and 128", akid)
	}
	acct := protocol.DefaultAccount
	if protocol.IsAccountID(akid) {
		acct = akid
	} else if a, ok := s.AccountForAccessKey(ctx, akid); ok {
		acct = a
	}
	return struct {
		Account string `xml:"Account"`
	}{acct}, nil
}

// decodeAuthorizationMessage is DecodeAuthorizationMessage. AWS encodes
// the details of some services' authorization failures (EC2's, for
// example) for this operation to decode; no local service encodes any, so
// every message is one STS did not issue: InvalidAuthorizationMessageException.
func (s *Service) decodeAuthorizationMessage(_ context.Context, form url.Values) (any, error) {
	msg, err := required(form, "EncodedMessage")
	if err != nil {
		return nil, err
	}
	if len(msg) > 10240 {
		return nil, validation("1 validation error detected: Value at 'encodedMessage' failed to satisfy constraint: Member must have length less than or equal to 10240")
	}
	return nil, protocol.Errorf("InvalidAuthorizationMessageException", "The encoded authorization message is invalid: the local cloud issues no encoded authorization messages.")
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// trustAllows decides whether caller may assume a role of roleAccount whose
// trust policy is trust. A caller of the role's own account is allowed, as
// is one whose account an Allow statement names as an AWS principal ("*",
// the account id, or an ARN in that account). When the allowing statement
// requires sts:ExternalId, externalID must equal it.
func trustAllows(trust, roleAccount, caller, externalID string) bool {
	for _, st := range assumeStatements(trust) {
		if caller != roleAccount && !principalAllows(st.Principal, caller) {
			continue
		}
		if want, ok := conditionExternalID(st.Condition); ok {
			match := false
			for _, w := range want {
				match = match || w == externalID
			}
			if !match {
				continue
			}
		}
		return true
	}
	return false
}

func allowsAssumeRole(actions stringList) bool {
	if len(actions) == 0 {
		return true
	}
	for _, a := range actions {
		switch strings.ToLower(a) {
		case "sts:assumerole", "sts:*", "*":
			return true
		}
	}
	return false
}

func principalAllows(raw json.RawMessage, caller string) bool {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var m map[string]stringList
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for _, p := range m["AWS"] {
		if p == "*" || p == caller {
			return true
		}
		if a, ok := protocol.ParseARN(p); ok && a.Service == "iam" && a.Account == caller {
			return true
		}
	}
	return false
}

// conditionExternalID returns the external ids a statement's StringEquals
// condition on sts:ExternalId accepts.
func conditionExternalID(cond map[string]map[string]json.RawMessage) ([]string, bool) {
	for op, kv := range cond {
		if op != "StringEquals" && op != "StringLike" {
			continue
		}
		for k, v := range kv {
			if strings.EqualFold(k, "sts:ExternalId") {
				var l stringList
				if json.Unmarshal(v, &l) != nil {
					return []string{}, true
				}
				return l, true
			}
		}
	}
	return nil, false
}

// assumedRoleUser is the AssumedRoleUser of STS's AssumeRole* answers.
type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

// roleSession issues temporary credentials for a session of the role
// (account, name, id) and names the assumed-role user they act as.
func (s *Service) roleSession(ctx context.Context, account, name, id, sessionName string, duration int) (credentialsXML, assumedRoleUser, error) {
	ss := &session{account: account, roleName: name, roleID: id, sessionName: sessionName}
	creds, err := s.issue(ctx, ss, duration)
	if err != nil {
		return credentialsXML{}, assumedRoleUser{}, err
	}
	return creds, assumedRoleUser{id + ":" + sessionName, ss.arn()}, nil
}
