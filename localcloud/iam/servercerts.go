package iam

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// serverCert is an uploaded server certificate. Its private key is checked
// to be PEM and then dropped: IAM never returns it.
type serverCert struct {
	Name     string    `json:"name"`
	ID       string    `json:"id"`
	Path     string    `json:"path"`
	Body     string    `json:"body"`
	Chain    string    `json:"chain,omitempty"`
	Uploaded time.Time `json:"uploaded"`
	Expires  time.Time `json:"expires"`
	Tags     []tag     `json:"tags,omitempty"`
}

type serverCertMetadataXML struct {
	Path                  string `xml:"Path"`
	ServerCertificateName string `xml:"ServerCertificateName"`
	ServerCertificateID   string `xml:"ServerCertificateId"`
	Arn                   string `xml:"Arn"`
	UploadDate            string `xml:"UploadDate"`
	Expiration            string `xml:"Expiration"`
}

func (c *serverCert) metadata(acct string) serverCertMetadataXML {
	return serverCertMetadataXML{c.Path, c.Name, c.ID, "arn:aws:iam::" + acct + ":server-certificate" + c.Path + c.Name, isoTime(c.Uploaded), isoTime(c.Expires)}
}

func (s *Service) serverCertOps(ops map[string]protocol.QueryOp) {
	ops["UploadServerCertificate"] = s.uploadServerCertificate
	ops["GetServerCertificate"] = s.getServerCertificate
	ops["ListServerCertificates"] = s.listServerCertificates
	ops["UpdateServerCertificate"] = s.updateServerCertificate
	ops["DeleteServerCertificate"] = s.deleteServerCertificate
}

func (s *Service) findServerCert(ctx context.Context, form url.Values) (string, *serverCert, error) {
	name, err := requiredName(form, "ServerCertificateName", 128)
	if err != nil {
		return "", nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	c := &serverCert{}
	if !s.getDoc(acct, kindServerCert, name, c) {
		return "", nil, noSuchEntity("The Server Certificate with name %s cannot be found.", name)
	}
	return acct, c, nil
}

func (s *Service) uploadServerCertificate(ctx context.Context, form url.Values) (any, error) {
	name, err := requiredName(form, "ServerCertificateName", 128)
	if err != nil {
		return nil, err
	}
	body, err := required(form, "CertificateBody")
	if err != nil {
		return nil, err
	}
	key, err := required(form, "PrivateKey")
	if err != nil {
		return nil, err
	}
	path, _, err := pathAndDescription(url.Values{"Path": form["Path"]})
	if err != nil {
		return nil, err
	}
	tags, err := formTags(form, "Tags.member")
	if err != nil {
		return nil, err
	}
	cert, err := parseCertificate(body)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(key, "PRIVATE KEY-----") {
		return nil, &protocol.Error{Code: "MalformedCertificate", Message: "Unable to parse private key.", Status: 400}
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getDoc(acct, kindServerCert, name, &serverCert{}) {
		return nil, alreadyExists("The Server Certificate with name %s already exists.", name)
	}
	c := &serverCert{Name: name, ID: newID("ASCA"), Path: path, Body: body, Chain: form.Get("CertificateChain"),
		Uploaded: s.now().UTC().Truncate(time.Second), Expires: cert.NotAfter.UTC(), Tags: tags}
	if err := s.putDoc(ctx, acct, kindServerCert, name, c); err != nil {
		return nil, err
	}
	out := struct {
		ServerCertificateMetadata serverCertMetadataXML `xml:"ServerCertificateMetadata"`
		Tags                      *list[tag]            `xml:"Tags,omitempty"`
	}{ServerCertificateMetadata: c.metadata(acct)}
	if len(tags) > 0 {
		out.Tags = &list[tag]{tags}
	}
	return out, nil
}

func (s *Service) getServerCertificate(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	acct, c, err := s.findServerCert(ctx, form)
	if err != nil {
		return nil, err
	}
	type certificate struct {
		ServerCertificateMetadata serverCertMetadataXML `xml:"ServerCertificateMetadata"`
		CertificateBody           string                `xml:"CertificateBody"`
		CertificateChain          string                `xml:"CertificateChain,omitempty"`
		Tags                      *list[tag]            `xml:"Tags,omitempty"`
	}
	x := certificate{ServerCertificateMetadata: c.metadata(acct), CertificateBody: c.Body, CertificateChain: c.Chain}
	if len(c.Tags) > 0 {
		x.Tags = &list[tag]{c.Tags}
	}
	return struct {
		ServerCertificate certificate `xml:"ServerCertificate"`
	}{x}, nil
}

func (s *Service) listServerCertificates(ctx context.Context, form url.Values) (any, error) {
	prefix := form.Get("PathPrefix")
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []serverCertMetadataXML
	for _, c := range listDocs[serverCert](s, acct, kindServerCert) {
		if strings.HasPrefix(c.Path, prefix) {
			items = append(items, c.metadata(acct))
		}
	}
	return struct {
		ServerCertificateMetadataList list[serverCertMetadataXML] `xml:"ServerCertificateMetadataList"`
		truncated
	}{ServerCertificateMetadataList: list[serverCertMetadataXML]{items}}, nil
}

func (s *Service) updateServerCertificate(ctx context.Context, form url.Values) (any, error) {
	newName, newPath, err := readRename(form, "ServerCertificate", 128)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, c, err := s.findServerCert(ctx, form)
	if err != nil {
		return nil, err
	}
	old := c.Name
	if newName != "" && !strings.EqualFold(newName, old) && s.getDoc(acct, kindServerCert, newName, &serverCert{}) {
		return nil, alreadyExists("The Server Certificate with name %s already exists.", newName)
	}
	if newName != "" {
		c.Name = newName
	}
	if newPath != "" {
		c.Path = newPath
	}
	if !strings.EqualFold(old, c.Name) {
		if err := s.deleteDoc(ctx, acct, kindServerCert, old); err != nil {
			return nil, err
		}
	}
	return nil, s.putDoc(ctx, acct, kindServerCert, c.Name, c)
}

func (s *Service) deleteServerCertificate(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, c, err := s.findServerCert(ctx, form)
	if err != nil {
		return nil, err
	}
	return nil, s.deleteDoc(ctx, acct, kindServerCert, c.Name)
}
