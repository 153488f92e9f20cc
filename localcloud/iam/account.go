package iam

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// loginProfile is a user's console password: only a salted SHA-256 hash
// of it is stored.
type loginProfile struct {
	User          string    `json:"user"`
	Created       time.Time `json:"created"`
	ResetRequired bool      `json:"resetRequired"`
	Salt          string    `json:"salt"`
	Hash          string    `json:"hash"`
}

func (p *loginProfile) set(password string) {
	p.Salt = randomToken(16)
	p.Hash = sha(p.Salt + password)
}

func (p *loginProfile) matches(password string) bool {
	return subtle.ConstantTimeCompare([]byte(sha(p.Salt+password)), []byte(p.Hash)) == 1
}

// passwordPolicy is the account's password policy.
type passwordPolicy struct {
	MinimumPasswordLength      int  `xml:"MinimumPasswordLength" json:"min"`
	RequireSymbols             bool `xml:"RequireSymbols" json:"symbols"`
	RequireNumbers             bool `xml:"RequireNumbers" json:"numbers"`
	RequireUppercaseCharacters bool `xml:"RequireUppercaseCharacters" json:"upper"`
	RequireLowercaseCharacters bool `xml:"RequireLowercaseCharacters" json:"lower"`
	AllowUsersToChangePassword bool `xml:"AllowUsersToChangePassword" json:"change"`
	ExpirePasswords            bool `xml:"ExpirePasswords" json:"expire"`
	MaxPasswordAge             int  `xml:"MaxPasswordAge,omitempty" json:"maxAge,omitempty"`
	PasswordReusePrevention    int  `xml:"PasswordReusePrevention,omitempty" json:"reuse,omitempty"`
	HardExpiry                 bool `xml:"HardExpiry" json:"hardExpiry"`
}

// allows reports whether a password satisfies the policy.
func (pp *passwordPolicy) allows(pw string) bool {
	var sym, num, up, low bool
	for _, c := range pw {
		switch {
		case unicode.IsDigit(c):
			num = true
		case unicode.IsUpper(c):
			up = true
		case unicode.IsLower(c):
			low = true
		default:
			sym = true
		}
	}
	return len(pw) >= pp.MinimumPasswordLength && (sym || !pp.RequireSymbols) && (num || !pp.RequireNumbers) &&
		(up || !pp.RequireUppercaseCharacters) && (low || !pp.RequireLowercaseCharacters)
}

func (s *Service) accountOps(ops map[string]protocol.QueryOp) {
	ops["CreateLoginProfile"] = s.createLoginProfile
	ops["GetLoginProfile"] = s.getLoginProfile
	ops["UpdateLoginProfile"] = s.updateLoginProfile
	ops["DeleteLoginProfile"] = s.deleteLoginProfile
	ops["ChangePassword"] = s.changePassword
	ops["CreateAccountAlias"] = s.createAccountAlias
	ops["DeleteAccountAlias"] = s.deleteAccountAlias
	ops["ListAccountAliases"] = s.listAccountAliases
	ops["UpdateAccountPasswordPolicy"] = s.updateAccountPasswordPolicy
	ops["GetAccountPasswordPolicy"] = s.getAccountPasswordPolicy
	ops["DeleteAccountPasswordPolicy"] = s.deleteAccountPasswordPolicy
	ops["GetAccountSummary"] = s.getAccountSummary
}

// checkPassword applies the account's password policy; s.mu must be held.
func (s *Service) checkPassword(acct, pw string) error {
	if pw == "" || len(pw) > 128 {
		return validation("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length between 1 and 128")
	}
	pp := &passwordPolicy{}
	if s.getDoc(acct, kindPasswordPolicy, "", pp) && !pp.allows(pw) {
		return &protocol.Error{Code: "PasswordPolicyViolation", Message: "Password does not conform to the account password policy.", Status: 400}
	}
	return nil
}

// loginProfileXML is a LoginProfile; PasswordResetRequired is optional and
// IAM leaves it out unless set, as the API reference's GetLoginProfile
// example shows.
type loginProfileXML struct {
	UserName              string `xml:"UserName"`
	CreateDate            string `xml:"CreateDate"`
	PasswordResetRequired bool   `xml:"PasswordResetRequired,omitempty"`
}

func (s *Service) createLoginProfile(ctx context.Context, form url.Values) (any, error) {
	pw, err := required(form, "Password")
	if err != nil {
		return nil, err
	}
	reset, err := parseBool(form, "PasswordResetRequired")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.principalUser(ctx, form)
	if err != nil {
		return nil, err
	}
	if s.getDoc(u.account, kindLogin, u.name, &loginProfile{}) {
		return nil, alreadyExists("Login Profile for user %s already exists.", u.name)
	}
	if err := s.checkPassword(u.account, pw); err != nil {
		return nil, err
	}
	p := &loginProfile{User: u.name, Created: s.now().UTC().Truncate(time.Second), ResetRequired: reset}
	p.set(pw)
	if err := s.putDoc(ctx, u.account, kindLogin, u.name, p); err != nil {
		return nil, err
	}
	return struct {
		LoginProfile loginProfileXML `xml:"LoginProfile"`
	}{loginProfileXML{u.name, isoTime(p.Created), reset}}, nil
}

// findLoginProfile returns the login profile of the form's user (the
// calling user's without one); s.mu must be held.
func (s *Service) findLoginProfile(ctx context.Context, form url.Values) (*user, *loginProfile, error) {
	u, err := s.principalUser(ctx, form)
	if err != nil {
		return nil, nil, err
	}
	p := &loginProfile{}
	if !s.getDoc(u.account, kindLogin, u.name, p) {
		return nil, nil, noSuchEntity("Login Profile for User %s cannot be found.", u.name)
	}
	return u, p, nil
}

func (s *Service) getLoginProfile(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, p, err := s.findLoginProfile(ctx, form)
	if err != nil {
		return nil, err
	}
	return struct {
		LoginProfile loginProfileXML `xml:"LoginProfile"`
	}{loginProfileXML{u.name, isoTime(p.Created), p.ResetRequired}}, nil
}

func (s *Service) updateLoginProfile(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, p, err := s.findLoginProfile(ctx, form)
	if err != nil {
		return nil, err
	}
	if pw, ok := form["Password"]; ok {
		if err := s.checkPassword(u.account, pw[0]); err != nil {
			return nil, err
		}
		p.set(pw[0])
	}
	if _, ok := form["PasswordResetRequired"]; ok {
		if p.ResetRequired, err = parseBool(form, "PasswordResetRequired"); err != nil {
			return nil, err
		}
	}
	return nil, s.putDoc(ctx, u.account, kindLogin, u.name, p)
}

func (s *Service) deleteLoginProfile(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, _, err := s.findLoginProfile(ctx, form)
	if err != nil {
		return nil, err
	}
	return nil, s.deleteDoc(ctx, u.account, kindLogin, u.name)
}

// changePassword is an IAM user changing its own console password.
func (s *Service) changePassword(ctx context.Context, form url.Values) (any, error) {
	old, err := required(form, "OldPassword")
	if err != nil {
		return nil, err
	}
	pw, err := required(form, "NewPassword")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.callerUser(ctx)
	if u == nil {
		return nil, invalidInput("Cannot call ChangePassword with non-User credentials")
	}
	p := &loginProfile{}
	if !s.getDoc(u.account, kindLogin, u.name, p) {
		return nil, noSuchEntity("Login Profile for User %s cannot be found.", u.name)
	}
	if !p.matches(old) {
		return nil, accessDenied("The old password was incorrect.")
	}
	if err := s.checkPassword(u.account, pw); err != nil {
		return nil, err
	}
	p.set(pw)
	p.ResetRequired = false
	return nil, s.putDoc(ctx, u.account, kindLogin, u.name, p)
}

var accountAliasRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]){1,61}[a-z0-9]$`)

func (s *Service) createAccountAlias(ctx context.Context, form url.Values) (any, error) {
	alias, err := required(form, "AccountAlias")
	if err != nil {
		return nil, err
	}
	if !accountAliasRE.MatchString(alias) || strings.Contains(alias, "--") {
		return nil, validation("1 validation error detected: Value '%s' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", alias)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur string
	if s.getDoc(acct, kindAlias, "", &cur) && cur == alias {
		return nil, alreadyExists("The account alias %s already exists.", alias)
	}
	return nil, s.putDoc(ctx, acct, kindAlias, "", alias)
}

func (s *Service) deleteAccountAlias(ctx context.Context, form url.Values) (any, error) {
	alias, err := required(form, "AccountAlias")
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur string
	if !s.getDoc(acct, kindAlias, "", &cur) || cur != alias {
		return nil, noSuchEntity("The account alias %s cannot be found.", alias)
	}
	return nil, s.deleteDoc(ctx, acct, kindAlias, "")
}

func (s *Service) listAccountAliases(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := struct {
		AccountAliases list[string] `xml:"AccountAliases"`
		truncated
	}{}
	var cur string
	if s.getDoc(acct, kindAlias, "", &cur) {
		out.AccountAliases.Member = []string{cur}
	}
	return out, nil
}

func (s *Service) updateAccountPasswordPolicy(ctx context.Context, form url.Values) (any, error) {
	pp := passwordPolicy{MinimumPasswordLength: 6}
	// The numbers' ranges (botocore's passwordPolicy shapes), checked
	// together: a request breaking several gets one error listing each.
	ints := []struct {
		name     string
		dst      *int
		min, max int
	}{
		{"MinimumPasswordLength", &pp.MinimumPasswordLength, 6, 128},
		{"PasswordReusePrevention", &pp.PasswordReusePrevention, 1, 24},
		{"MaxPasswordAge", &pp.MaxPasswordAge, 1, 1095},
	}
	var broken []string
	for _, f := range ints {
		v := form.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			broken = append(broken, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must be a number", v, lowerFirst(f.name)))
		case n < f.min:
			broken = append(broken, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, lowerFirst(f.name), f.min))
		case n > f.max:
			broken = append(broken, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, lowerFirst(f.name), f.max))
		}
		*f.dst = n
	}
	if err := validationErrors(broken); err != nil {
		return nil, err
	}
	bools := map[string]*bool{"RequireSymbols": &pp.RequireSymbols, "RequireNumbers": &pp.RequireNumbers, "RequireUppercaseCharacters": &pp.RequireUppercaseCharacters,
		"RequireLowercaseCharacters": &pp.RequireLowercaseCharacters, "AllowUsersToChangePassword": &pp.AllowUsersToChangePassword, "HardExpiry": &pp.HardExpiry}
	for name, dst := range bools {
		b, err := parseBool(form, name)
		if err != nil {
			return nil, err
		}
		*dst = b
	}
	pp.ExpirePasswords = pp.MaxPasswordAge > 0
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	return nil, s.putDoc(ctx, acct, kindPasswordPolicy, "", &pp)
}

func (s *Service) getAccountPasswordPolicy(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	pp := &passwordPolicy{}
	if !s.getDoc(acct, kindPasswordPolicy, "", pp) {
		return nil, noSuchEntity("The Password Policy with domain name %s cannot be found.", acct)
	}
	return struct {
		PasswordPolicy *passwordPolicy `xml:"PasswordPolicy"`
	}{pp}, nil
}

func (s *Service) deleteAccountPasswordPolicy(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.getDoc(acct, kindPasswordPolicy, "", &passwordPolicy{}) {
		return nil, noSuchEntity("The account policy with name PasswordPolicy cannot be found.")
	}
	return nil, s.deleteDoc(ctx, acct, kindPasswordPolicy, "")
}

// getAccountSummary counts the account's entities against IAM's quotas.
func (s *Service) getAccountSummary(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.view(acct)
	versions := 0
	for _, p := range a.policies {
		versions += len(p.versions)
	}
	providers := len(listDocs[oidcProvider](s, acct, kindOIDC)) + len(listDocs[samlProvider](s, acct, kindSAML))
	type entry struct {
		Key   string `xml:"key"`
		Value int    `xml:"value"`
	}
	var out struct {
		SummaryMap struct {
			Entry []entry `xml:"entry"`
		} `xml:"SummaryMap"`
	}
	for _, e := range []entry{
		{"Users", len(a.users)}, {"UsersQuota", maxUsers}, {"Groups", len(a.groups)}, {"GroupsQuota", maxGroups},
		{"Roles", len(a.roles)}, {"RolesQuota", maxRoles}, {"Policies", len(a.policies)}, {"PoliciesQuota", maxPolicies},
		{"InstanceProfiles", len(listDocs[instanceProfile](s, acct, kindInstanceProfile))}, {"InstanceProfilesQuota", 1000},
		{"Providers", providers}, {"ServerCertificates", 0}, {"ServerCertificatesQuota", 20},
		{"MFADevices", 0}, {"MFADevicesInUse", 0}, {"AccountMFAEnabled", 0},
		{"AccountAccessKeysPresent", 0}, {"AccountSigningCertificatesPresent", 0},
		{"PolicyVersionsInUse", versions}, {"PolicyVersionsInUseQuota", 10000}, {"VersionsPerPolicyQuota", maxVersions},
		{"AttachedPoliciesPerGroupQuota", maxAttached}, {"AttachedPoliciesPerRoleQuota", maxAttached}, {"AttachedPoliciesPerUserQuota", maxAttached},
		{"GroupsPerUserQuota", 10}, {"AccessKeysPerUserQuota", maxAccessKeys}, {"SigningCertificatesPerUserQuota", 2},
		{"PolicySizeQuota", maxManagedPolicy}, {"UserPolicySizeQuota", maxUserInline}, {"GroupPolicySizeQuota", maxGroupInline},
		{"RolePolicySizeQuota", maxInlinePolicy}, {"AssumeRolePolicySizeQuota", maxTrustPolicy}, {"GlobalEndpointTokenVersion", s.globalEndpointTokenVersion(acct)},
	} {
		out.SummaryMap.Entry = append(out.SummaryMap.Entry, e)
	}
	return out, nil
}

// changePolicy applies change to a customer managed policy and saves it.
func (s *Service) changePolicy(ctx context.Context, form url.Values, change func(p *policy) error) error {
	_, err := updateWith(s, ctx, func() (*policy, error) { return s.findCustomerPolicy(ctx, form) }, savePolicy, change)
	return err
}
