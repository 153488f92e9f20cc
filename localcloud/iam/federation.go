package iam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// federatedRole marks a GetFederationToken session in the sessions table
// (role_id), whose session name is the federated user's name.
const federatedRole = "federated-user"

// unsignedSTS reports whether r is one of the STS operations AWS serves
// without a signature (the caller has no AWS credentials yet).
func unsignedSTS(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") != "" || r.ContentLength > 64<<10 {
		return false
	}
	a, ok := protocol.PeekAction(r)
	return ok && (a == "AssumeRoleWithWebIdentity" || a == "AssumeRoleWithSAML")
}

// durationParam reads DurationSeconds within [lo, hi], or def.
func durationParam(form url.Values, def, lo, hi int) (int, error) {
	v := form.Get("DurationSeconds")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, validation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d", v, lo, hi)
	}
	return n, nil
}

// getFederationToken gives a federated user temporary credentials in the
// caller's account.
func (s *Service) getFederationToken(ctx context.Context, form url.Values) (any, error) {
	name, err := required(form, "Name")
	if err != nil {
		return nil, err
	}
	if len(name) < 2 || len(name) > 32 {
		return nil, validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length between 2 and 32", name)
	}
	if err := validName("name", name, 32); err != nil {
		return nil, err
	}
	duration, err := durationParam(form, 43200, 900, 129600)
	if err != nil {
		return nil, err
	}
	if p := form.Get("Policy"); p != "" {
		// The model's sessionPolicyDocumentType: at most 2,048 characters.
		if n := len([]rune(p)); n > 2048 {
			return nil, validation("1 validation error detected: Value '%s' at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048", p)
		}
		if err := checkPolicy(p, 2048, "PackedPolicySize", sessionPolicy); err != nil {
			return nil, err
		}
	}
	id := protocol.IdentityFrom(ctx)
	s.sessMu.RLock()
	_, temporary := s.sessions[id.AccessKeyID]
	s.sessMu.RUnlock()
	if temporary {
		return nil, accessDenied("Cannot call GetFederationToken with session credentials")
	}
	ss := &session{account: id.AccountID, roleID: federatedRole, sessionName: name}
	creds, err := s.issue(ctx, ss, min(duration, 3600*36))
	if err != nil {
		return nil, err
	}
	type federatedUser struct {
		FederatedUserID string `xml:"FederatedUserId"`
		Arn             string `xml:"Arn"`
	}
	return struct {
		Credentials      credentialsXML `xml:"Credentials"`
		FederatedUser    federatedUser  `xml:"FederatedUser"`
		PackedPolicySize *int           `xml:"PackedPolicySize,omitempty"`
	}{creds, federatedUser{id.AccountID + ":" + name, ss.arn()}, packedPolicySize(form)}, nil
}

// webToken is what the local cloud reads of an OIDC ID token. Its
// signature is not verified: the local cloud has no network to fetch the
// provider's keys, and its callers are trusted.
type webToken struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp int64           `json:"exp"`
	raw map[string]any
}

func (t *webToken) audiences() []string {
	var l stringList
	json.Unmarshal(t.Aud, &l)
	return l
}

func invalidToken(format string, args ...any) error {
	return protocol.Errorf("InvalidIdentityToken", format, args...)
}

func parseWebToken(tok string) (*webToken, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	t := &webToken{}
	if err != nil || json.Unmarshal(b, t) != nil || json.Unmarshal(b, &t.raw) != nil || t.Iss == "" {
		return nil, invalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	return t, nil
}

// assumeRoleWithWebIdentity exchanges an OIDC ID token for a role's
// credentials when the account has an OIDC provider for the token's issuer
// and audience and the role's trust policy lets that provider's users in.
func (s *Service) assumeRoleWithWebIdentity(ctx context.Context, form url.Values) (any, error) {
	roleARN, err := required(form, "RoleArn")
	if err != nil {
		return nil, err
	}
	sessionName, err := required(form, "RoleSessionName")
	if err != nil {
		return nil, err
	}
	if err := validName("roleSessionName", sessionName, 64); err != nil || len(sessionName) < 2 {
		return nil, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", sessionName)
	}
	raw, err := required(form, "WebIdentityToken")
	if err != nil {
		return nil, err
	}
	if len(raw) < 4 || len(raw) > 20000 {
		return nil, validation("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
	}
	duration, err := durationParam(form, 3600, 900, 43200)
	if err != nil {
		return nil, err
	}
	tok, err := parseWebToken(raw)
	if err != nil {
		return nil, err
	}
	if tok.Exp != 0 && !s.now().Before(time.Unix(tok.Exp, 0)) {
		return nil, protocol.Errorf("ExpiredTokenException", "Token expired: current date/time %d must be before the expiration date/time%d", s.now().Unix(), tok.Exp)
	}
	r, ok := s.roleByARN(roleARN)
	if !ok {
		return nil, accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	provider := strings.TrimSuffix(strings.TrimPrefix(tok.Iss, "https://"), "/")
	s.mu.RLock()
	p := &oidcProvider{}
	found := s.getDoc(r.account, kindOIDC, provider, p)
	s.mu.RUnlock()
	if !found {
		return nil, invalidToken("No OpenIDConnect provider found in your account for %s", tok.Iss)
	}
	aud := ""
	for _, a := range tok.audiences() {
		for _, c := range p.ClientIDs {
			if a == c {
				aud = a
			}
		}
	}
	if aud == "" {
		return nil, invalidToken("Incorrect token audience")
	}
	if duration > r.maxSession {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if !webIdentityTrusted(r.trust, oidcARN(r.account, provider), provider, tok, aud) {
		return nil, accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	}
	creds, user, err := s.roleSession(ctx, r.account, r.name, r.id, sessionName, duration)
	if err != nil {
		return nil, err
	}
	return struct {
		Credentials                 credentialsXML  `xml:"Credentials"`
		SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
		AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
		Provider                    string          `xml:"Provider"`
		Audience                    string          `xml:"Audience"`
	}{creds, tok.Sub, user, ctxARN(ctx, oidcARN(r.account, provider)), aud}, nil
}

// webIdentityTrusted reports whether a trust policy lets the provider's
// users assume the role: an Allow statement for
// sts:AssumeRoleWithWebIdentity naming the provider as Federated
// principal, whose conditions on the provider's claims ("<provider>:aud",
// ":sub") the token meets.
func webIdentityTrusted(trust, providerARN, provider string, tok *webToken, aud string) bool {
	return federatedTrusted(trust, "sts:assumerolewithwebidentity", providerARN, func(cond map[string]map[string]json.RawMessage) bool {
		return claimsMeet(cond, provider, tok, aud)
	})
}

// federatedTrusted reports whether a trust policy has an Allow statement
// for action (lower case) naming providerARN as its Federated principal
// whose conditions meet accepts.
func federatedTrusted(trust, action, providerARN string, meet func(map[string]map[string]json.RawMessage) bool) bool {
	doc, err := parsePolicy(trust)
	if err != nil {
		return false
	}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || !allowsAction(st.Action, action) {
			continue
		}
		var m map[string]stringList
		if json.Unmarshal(st.Principal, &m) != nil {
			continue
		}
		named := false
		for _, f := range m["Federated"] {
			named = named || f == providerARN
		}
		if named && meet(st.Condition) {
			return true
		}
	}
	return false
}

func allowsAction(actions stringList, action string) bool {
	for _, a := range actions {
		switch strings.ToLower(a) {
		case action, "sts:*", "*":
			return true
		}
	}
	return false
}

// claimsMeet evaluates a statement's string conditions on the provider's
// claims; any other condition fails closed.
func claimsMeet(cond map[string]map[string]json.RawMessage, provider string, tok *webToken, aud string) bool {
	return conditionsMeet(cond, provider+":", func(claim string) string {
		switch claim {
		case "aud":
			return aud
		case "sub":
			return tok.Sub
		}
		got, _ := tok.raw[claim].(string)
		return got
	})
}

// conditionsMeet evaluates a trust statement's string conditions on keys
// prefix+claim, whose values claim gives; any other key or operator fails
// closed.
func conditionsMeet(cond map[string]map[string]json.RawMessage, prefix string, claim func(string) string) bool {
	for op, kv := range cond {
		for key, raw := range kv {
			name, ok := strings.CutPrefix(key, prefix)
			if !ok {
				return false
			}
			got := claim(name)
			var want stringList
			if json.Unmarshal(raw, &want) != nil {
				return false
			}
			match := false
			for _, w := range want {
				switch op {
				case "StringEquals", "StringNotEquals", "ForAnyValue:StringEquals":
					match = match || w == got
				case "StringLike", "StringNotLike", "ForAnyValue:StringLike":
					match = match || globMatch(w, got)
				default:
					return false
				}
			}
			if strings.HasPrefix(op, "StringNot") == match {
				return false
			}
		}
	}
	return true
}
