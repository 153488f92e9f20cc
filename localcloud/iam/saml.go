package iam

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// AssumeRoleWithSAML: the caller presents its identity provider's SAML
// response (base64), naming a SAML provider of the role's account. The
// local cloud reads the assertion as AWS does (issuer, subject, audience,
// validity, the RoleSessionName and SessionDuration attributes) and checks
// the role's trust policy; it does not verify the XML signature against
// the provider's metadata.

const (
	samlRoleSessionName = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	samlSessionDuration = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
)

// samlAssertion is the part of a SAML 2.0 response AWS reads.
type samlAssertion struct {
	Assertion struct {
		Issuer  string `xml:"Issuer"`
		Subject struct {
			NameID struct {
				Format string `xml:"Format,attr"`
				Value  string `xml:",chardata"`
			} `xml:"NameID"`
			Confirmation struct {
				Data struct {
					Recipient    string `xml:"Recipient,attr"`
					NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
				} `xml:"SubjectConfirmationData"`
			} `xml:"SubjectConfirmation"`
		} `xml:"Subject"`
		Conditions struct {
			NotOnOrAfter string `xml:"NotOnOrAfter,attr"`
		} `xml:"Conditions"`
		Attributes []struct {
			Name   string   `xml:"Name,attr"`
			Values []string `xml:"AttributeValue"`
		} `xml:"AttributeStatement>Attribute"`
	} `xml:"Assertion"`
}

func (a *samlAssertion) attribute(name string) string {
	for _, at := range a.Assertion.Attributes {
		if at.Name == name && len(at.Values) > 0 {
			return strings.TrimSpace(at.Values[0])
		}
	}
	return ""
}

// subjectType is AssumeRoleWithSAML's SubjectType: persistent or transient
// for those NameID formats, the format itself otherwise.
func (a *samlAssertion) subjectType() string {
	f := a.Assertion.Subject.NameID.Format
	for _, short := range []string{"persistent", "transient"} {
		if f == "urn:oasis:names:tc:SAML:2.0:nameid-format:"+short {
			return short
		}
	}
	return f
}

func parseSAML(encoded string) (*samlAssertion, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil, invalidToken("Invalid base64 SAMLResponse")
	}
	a := &samlAssertion{}
	if err := xml.Unmarshal(raw, a); err != nil || a.Assertion.Issuer == "" {
		return nil, invalidToken("Invalid SAML response: it has no Assertion with an Issuer")
	}
	return a, nil
}

// expiry is the earliest NotOnOrAfter of the assertion, zero if none.
func (a *samlAssertion) expiry() time.Time {
	var out time.Time
	for _, v := range []string{a.Assertion.Conditions.NotOnOrAfter, a.Assertion.Subject.Confirmation.Data.NotOnOrAfter} {
		if t, err := time.Parse(time.RFC3339, v); err == nil && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	return out
}

func (s *Service) assumeRoleWithSAML(ctx context.Context, form url.Values) (any, error) {
	roleARN, err := required(form, "RoleArn")
	if err != nil {
		return nil, err
	}
	providerARN, err := required(form, "PrincipalArn")
	if err != nil {
		return nil, err
	}
	encoded, err := required(form, "SAMLAssertion")
	if err != nil {
		return nil, err
	}
	if len(encoded) < 4 || len(encoded) > 100000 {
		return nil, validation("1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length between 4 and 100000")
	}
	a, err := parseSAML(encoded)
	if err != nil {
		return nil, err
	}
	if exp := a.expiry(); !exp.IsZero() && !s.now().Before(exp) {
		return nil, protocol.Errorf("ExpiredTokenException", "Token expired: current date/time %d must be before the expiration date/time%d", s.now().Unix(), exp.Unix())
	}
	sessionName := a.attribute(samlRoleSessionName)
	if sessionName == "" {
		return nil, invalidToken("The SAML assertion has no %s attribute", samlRoleSessionName)
	}
	if err := validName("roleSessionName", sessionName, 64); err != nil || len(sessionName) < 2 {
		return nil, invalidToken("The RoleSessionName attribute %q is not a valid session name ([\\w+=,.@-]{2,64})", sessionName)
	}
	def := 3600
	if v := a.attribute(samlSessionDuration); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 900 && n <= 43200 {
			def = n
		}
	}
	duration, err := durationParam(form, def, 900, 43200)
	if err != nil {
		return nil, err
	}
	r, ok := s.roleByARN(roleARN)
	if !ok {
		return nil, accessDenied("Not authorized to perform sts:AssumeRoleWithSAML")
	}
	providerName, isProvider := strings.CutPrefix(providerARN, "arn:aws:iam::"+r.account+":saml-provider/")
	s.mu.RLock()
	found := isProvider && s.getDoc(r.account, kindSAML, providerName, &samlProvider{})
	s.mu.RUnlock()
	if !found {
		return nil, invalidToken("SAML provider %s does not exist in the role's account", providerARN)
	}
	if duration > r.maxSession {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	issuer := a.Assertion.Issuer
	sum := sha1.Sum([]byte(issuer + r.account + "/" + providerName))
	claims := map[string]string{
		"aud":           a.Assertion.Subject.Confirmation.Data.Recipient,
		"iss":           issuer,
		"sub":           a.Assertion.Subject.NameID.Value,
		"sub_type":      a.subjectType(),
		"namequalifier": base64.StdEncoding.EncodeToString(sum[:]),
	}
	if !samlTrusted(r.trust, providerARN, claims) {
		return nil, accessDenied("Not authorized to perform sts:AssumeRoleWithSAML")
	}
	creds, user, err := s.roleSession(ctx, r.account, r.name, r.id, sessionName, duration)
	if err != nil {
		return nil, err
	}
	return struct {
		Credentials     credentialsXML  `xml:"Credentials"`
		AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
		Subject         string          `xml:"Subject"`
		SubjectType     string          `xml:"SubjectType"`
		Issuer          string          `xml:"Issuer"`
		Audience        string          `xml:"Audience"`
		NameQualifier   string          `xml:"NameQualifier"`
	}{creds, user, claims["sub"], claims["sub_type"], issuer, claims["aud"], claims["namequalifier"]}, nil
}

// samlTrusted reports whether a trust policy lets the SAML provider's
// users assume the role: an Allow statement for sts:AssumeRoleWithSAML
// naming the provider as Federated principal, whose SAML:* conditions the
// assertion meets.
func samlTrusted(trust, providerARN string, claims map[string]string) bool {
	return federatedTrusted(trust, "sts:assumerolewithsaml", providerARN, func(cond map[string]map[string]json.RawMessage) bool {
		return conditionsMeet(cond, "SAML:", func(c string) string { return claims[c] })
	})
}
