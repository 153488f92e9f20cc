package iam

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// oidcProvider is an OpenID Connect identity provider; its name is its URL
// without the scheme.
type oidcProvider struct {
	URL         string    `json:"url"`
	ClientIDs   []string  `json:"clientIds"`
	Thumbprints []string  `json:"thumbprints"`
	Created     time.Time `json:"created"`
	Tags        []tag     `json:"tags,omitempty"`
}

// samlProvider is a SAML identity provider.
type samlProvider struct {
	Name     string    `json:"name"`
	Metadata string    `json:"metadata"`
	Created  time.Time `json:"created"`
	Tags     []tag     `json:"tags,omitempty"`
}

func (s *Service) providerOps(ops map[string]protocol.QueryOp) {
	ops["CreateOpenIDConnectProvider"] = s.createOIDCProvider
	ops["GetOpenIDConnectProvider"] = s.getOIDCProvider
	ops["DeleteOpenIDConnectProvider"] = s.deleteOIDCProvider
	ops["ListOpenIDConnectProviders"] = s.listOIDCProviders
	ops["AddClientIDToOpenIDConnectProvider"] = s.changeOIDC(func(p *oidcProvider, form url.Values) error {
		id, err := required(form, "ClientID")
		if err != nil {
			return err
		}
		for _, c := range p.ClientIDs {
			if c == id {
				return nil
			}
		}
		p.ClientIDs = append(p.ClientIDs, id)
		return nil
	})
	ops["RemoveClientIDFromOpenIDConnectProvider"] = s.changeOIDC(func(p *oidcProvider, form url.Values) error {
		id, err := required(form, "ClientID")
		if err != nil {
			return err
		}
		p.ClientIDs = removeString(p.ClientIDs, id)
		return nil
	})
	ops["UpdateOpenIDConnectProviderThumbprint"] = s.changeOIDC(func(p *oidcProvider, form url.Values) error {
		prints, err := thumbprints(form)
		if err != nil {
			return err
		}
		if len(prints) == 0 {
			return validation("1 validation error detected: Value null at 'thumbprintList' failed to satisfy constraint: Member must not be null")
		}
		p.Thumbprints = prints
		return nil
	})

	ops["CreateSAMLProvider"] = s.createSAMLProvider
	ops["GetSAMLProvider"] = s.getSAMLProvider
	ops["DeleteSAMLProvider"] = s.deleteSAMLProvider
	ops["ListSAMLProviders"] = s.listSAMLProviders
	ops["UpdateSAMLProvider"] = s.updateSAMLProvider
}

func removeString(l []string, x string) []string {
	out := l[:0:0]
	for _, v := range l {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// listMembers reads a list parameter (PARAM.member.N) whose members are
// strings of min to max characters; broken is the constraint the list
// fails, in the form of IAM's validation errors, or "".
func listMembers(form url.Values, param, field string, min, max int) (vals []string, broken string) {
	bad := false
	for _, m := range protocol.Members(form, param+".member") {
		vals = append(vals, m[""])
		bad = bad || len(m[""]) < min || len(m[""]) > max
	}
	if bad {
		broken = fmt.Sprintf("Value '[%s]' at '%s' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to %d, Member must have length greater than or equal to %d]",
			strings.Join(vals, ", "), field, max, min)
	}
	return vals, broken
}

// thumbprints reads ThumbprintList: 40 hex characters each, at most 5.
func thumbprints(form url.Values) ([]string, error) {
	out, broken := listMembers(form, "ThumbprintList", "thumbprintList", 40, 40)
	if broken != "" {
		return nil, validationErrors([]string{broken})
	}
	return out, thumbprintCount(out)
}

func thumbprintCount(prints []string) error {
	if len(prints) > 5 {
		return invalidInput("Thumbprint list must contain fewer than 5 entries.")
	}
	return nil
}

func oidcARN(acct, u string) string { return "arn:aws:iam::" + acct + ":oidc-provider/" + u }

// findOIDC returns the provider the form's OpenIDConnectProviderArn
// names; s.mu must be held.
func (s *Service) findOIDC(ctx context.Context, form url.Values) (string, *oidcProvider, error) {
	arn, err := required(form, "OpenIDConnectProviderArn")
	if err != nil {
		return "", nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	name, ok := strings.CutPrefix(arn, "arn:aws:iam::"+acct+":oidc-provider/")
	p := &oidcProvider{}
	if !ok || !s.getDoc(acct, kindOIDC, name, p) {
		return "", nil, noSuchEntity("OpenIDConnect Provider not found for arn %s", arn)
	}
	return acct, p, nil
}

func (s *Service) createOIDCProvider(ctx context.Context, form url.Values) (any, error) {
	raw, err := required(form, "Url")
	if err != nil {
		return nil, err
	}
	// The model's length constraints come first, all reported together;
	// then what IAM itself checks: the URL, the lists' sizes.
	var broken []string
	if len(raw) > 255 {
		broken = append(broken, fmt.Sprintf("Value '%s' at 'url' failed to satisfy constraint: Member must have length less than or equal to 255", raw))
	}
	ids, bad := listMembers(form, "ClientIDList", "clientIDList", 1, 255)
	if bad != "" {
		broken = append(broken, bad)
	}
	prints, bad := listMembers(form, "ThumbprintList", "thumbprintList", 40, 40)
	if bad != "" {
		broken = append(broken, bad)
	}
	if err := validationErrors(broken); err != nil {
		return nil, err
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Scheme != "https" || u.Host == "" {
		return nil, validation("Invalid Open ID Connect Provider URL")
	}
	name := u.Host + strings.TrimSuffix(u.Path, "/")
	if err := thumbprintCount(prints); err != nil {
		return nil, err
	}
	if len(ids) > 100 {
		return nil, limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
	}
	tags, err := formTags(form, "Tags.member")
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getDoc(acct, kindOIDC, name, &oidcProvider{}) {
		return nil, alreadyExists("Provider with url %s already exists.", raw)
	}
	p := &oidcProvider{URL: name, ClientIDs: ids, Thumbprints: prints, Created: s.now().UTC().Truncate(time.Second), Tags: tags}
	if err := s.putDoc(ctx, acct, kindOIDC, name, p); err != nil {
		return nil, err
	}
	out := struct {
		OpenIDConnectProviderArn string     `xml:"OpenIDConnectProviderArn"`
		Tags                     *list[tag] `xml:"Tags,omitempty"`
	}{OpenIDConnectProviderArn: oidcARN(acct, name)}
	if len(tags) > 0 {
		out.Tags = &list[tag]{tags}
	}
	return out, nil
}

func (s *Service) getOIDCProvider(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, p, err := s.findOIDC(ctx, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		URL            string       `xml:"Url"`
		ClientIDList   list[string] `xml:"ClientIDList"`
		ThumbprintList list[string] `xml:"ThumbprintList"`
		CreateDate     string       `xml:"CreateDate"`
		Tags           *list[tag]   `xml:"Tags,omitempty"`
	}{URL: p.URL, ClientIDList: list[string]{p.ClientIDs}, ThumbprintList: list[string]{p.Thumbprints}, CreateDate: isoTime(p.Created)}
	if len(p.Tags) > 0 {
		out.Tags = &list[tag]{p.Tags}
	}
	return out, nil
}

// deleteOIDCProvider is idempotent, as IAM documents: deleting a provider
// that does not exist succeeds.
func (s *Service) deleteOIDCProvider(ctx context.Context, form url.Values) (any, error) {
	if _, err := required(form, "OpenIDConnectProviderArn"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findOIDC(ctx, form)
	if err != nil {
		return nil, nil
	}
	return nil, s.deleteDoc(ctx, acct, kindOIDC, p.URL)
}

type arnEntry struct {
	Arn string `xml:"Arn"`
}

func (s *Service) listOIDCProviders(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out struct {
		OpenIDConnectProviderList list[arnEntry] `xml:"OpenIDConnectProviderList"`
	}
	for _, p := range listDocs[oidcProvider](s, acct, kindOIDC) {
		out.OpenIDConnectProviderList.Member = append(out.OpenIDConnectProviderList.Member, arnEntry{oidcARN(acct, p.URL)})
	}
	return out, nil
}

// changeOIDC is an operation that changes the form's OIDC provider.
func (s *Service) changeOIDC(change func(p *oidcProvider, form url.Values) error) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		return nil, s.withOIDC(ctx, form, func(p *oidcProvider) error { return change(p, form) })
	}
}

// withOIDC applies change to the form's OIDC provider and saves it.
func (s *Service) withOIDC(ctx context.Context, form url.Values, change func(p *oidcProvider) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findOIDC(ctx, form)
	if err != nil {
		return err
	}
	if err := change(p); err != nil {
		return err
	}
	return s.putDoc(ctx, acct, kindOIDC, p.URL, p)
}

func samlARN(acct, name string) string { return "arn:aws:iam::" + acct + ":saml-provider/" + name }

// findSAML returns the provider the form's SAMLProviderArn names; s.mu
// must be held.
func (s *Service) findSAML(ctx context.Context, form url.Values) (string, *samlProvider, error) {
	arn, err := required(form, "SAMLProviderArn")
	if err != nil {
		return "", nil, err
	}
	if len(arn) < 20 {
		return "", nil, validation("1 validation error detected: Value '%s' at 'sAMLProviderArn' failed to satisfy constraint: Member must have length greater than or equal to 20", arn)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	name, ok := strings.CutPrefix(arn, "arn:aws:iam::"+acct+":saml-provider/")
	p := &samlProvider{}
	if !ok || !s.getDoc(acct, kindSAML, name, p) {
		return "", nil, noSuchEntity("SAMLProvider %s not found", arn)
	}
	return acct, p, nil
}

// samlMetadata reads SAMLMetadataDocument (1,000 to 10,000,000 characters).
func samlMetadata(form url.Values) (string, error) {
	doc, err := required(form, "SAMLMetadataDocument")
	if err != nil {
		return "", err
	}
	if len(doc) < 1000 {
		return "", validation("1 validation error detected: Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000")
	}
	return doc, nil
}

func (s *Service) createSAMLProvider(ctx context.Context, form url.Values) (any, error) {
	name, err := required(form, "Name")
	if err != nil {
		return nil, err
	}
	if err := validSAMLName(name); err != nil {
		return nil, err
	}
	doc, err := samlMetadata(form)
	if err != nil {
		return nil, err
	}
	tags, err := formTags(form, "Tags.member")
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getDoc(acct, kindSAML, name, &samlProvider{}) {
		return nil, alreadyExists("SAMLProvider %s already exists", name)
	}
	p := &samlProvider{Name: name, Metadata: doc, Created: s.now().UTC().Truncate(time.Second), Tags: tags}
	if err := s.putDoc(ctx, acct, kindSAML, name, p); err != nil {
		return nil, err
	}
	out := struct {
		SAMLProviderArn string     `xml:"SAMLProviderArn"`
		Tags            *list[tag] `xml:"Tags,omitempty"`
	}{SAMLProviderArn: samlARN(acct, name)}
	if len(tags) > 0 {
		out.Tags = &list[tag]{tags}
	}
	return out, nil
}

func validSAMLName(name string) error {
	if len(name) > 128 {
		return validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 128", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w._-]+", name)
		}
	}
	return nil
}

// validUntil is when a provider's metadata expires as IAM reports it: the
// local cloud does not read the metadata, so a year after its creation.
func (p *samlProvider) validUntil() string { return isoTime(p.Created.AddDate(1, 0, 0)) }

func (s *Service) getSAMLProvider(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, p, err := s.findSAML(ctx, form)
	if err != nil {
		return nil, err
	}
	out := struct {
		SAMLMetadataDocument string     `xml:"SAMLMetadataDocument"`
		CreateDate           string     `xml:"CreateDate"`
		ValidUntil           string     `xml:"ValidUntil"`
		Tags                 *list[tag] `xml:"Tags,omitempty"`
	}{SAMLMetadataDocument: p.Metadata, CreateDate: isoTime(p.Created), ValidUntil: p.validUntil()}
	if len(p.Tags) > 0 {
		out.Tags = &list[tag]{p.Tags}
	}
	return out, nil
}

func (s *Service) updateSAMLProvider(ctx context.Context, form url.Values) (any, error) {
	doc, err := samlMetadata(form)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findSAML(ctx, form)
	if err != nil {
		return nil, err
	}
	p.Metadata = doc
	if err := s.putDoc(ctx, acct, kindSAML, p.Name, p); err != nil {
		return nil, err
	}
	return struct {
		SAMLProviderArn string `xml:"SAMLProviderArn"`
	}{samlARN(acct, p.Name)}, nil
}

func (s *Service) deleteSAMLProvider(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findSAML(ctx, form)
	if err != nil {
		return nil, err
	}
	return nil, s.deleteDoc(ctx, acct, kindSAML, p.Name)
}

func (s *Service) listSAMLProviders(ctx context.Context, form url.Values) (any, error) {
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	type entry struct {
		Arn        string `xml:"Arn"`
		ValidUntil string `xml:"ValidUntil"`
		CreateDate string `xml:"CreateDate"`
	}
	var out struct {
		SAMLProviderList list[entry] `xml:"SAMLProviderList"`
	}
	for _, p := range listDocs[samlProvider](s, acct, kindSAML) {
		out.SAMLProviderList.Member = append(out.SAMLProviderList.Member, entry{samlARN(acct, p.Name), p.validUntil(), isoTime(p.Created)})
	}
	return out, nil
}

// withSAML applies change to the form's SAML provider and saves it.
func (s *Service) withSAML(ctx context.Context, form url.Values, change func(p *samlProvider) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, p, err := s.findSAML(ctx, form)
	if err != nil {
		return err
	}
	if err := change(p); err != nil {
		return err
	}
	return s.putDoc(ctx, acct, kindSAML, p.Name, p)
}
