package iam

import (
	"context"
	"crypto/md5"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

// Users' other credentials: signing certificates, SSH public keys and
// service-specific credentials (CodeCommit, Keyspaces), kept as documents
// by id. Service passwords are returned once and stored as salted hashes.

const (
	kindSigningCert = "signing-cert"
	kindSSHKey      = "ssh-key"
	kindServiceCred = "service-cred"
)

// userCredential is one of a user's credentials of any of these kinds.
type userCredential struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`
	Status   string    `json:"status"`
	Uploaded time.Time `json:"uploaded"`
	Body     string    `json:"body,omitempty"`        // a certificate or public key
	Service  string    `json:"service,omitempty"`     // a service credential's service
	Salt     string    `json:"salt,omitempty"`        // a service password's
	Hash     string    `json:"hash,omitempty"`        // salted SHA-256 of a service password
	Finger   string    `json:"fingerprint,omitempty"` // an SSH key's MD5 fingerprint
}

func (s *Service) credentialOps(ops map[string]protocol.QueryOp) {
	ops["UploadSigningCertificate"] = s.uploadSigningCertificate
	ops["ListSigningCertificates"] = s.listUserCredentials(kindSigningCert, "Certificates", func(c *userCredential) any { return signingCertXML(c) })
	ops["UpdateSigningCertificate"] = s.updateUserCredential(kindSigningCert, "CertificateId", "Certificate")
	ops["DeleteSigningCertificate"] = s.deleteUserCredential(kindSigningCert, "CertificateId", "Certificate")
	ops["UploadSSHPublicKey"] = s.uploadSSHPublicKey
	ops["GetSSHPublicKey"] = s.getSSHPublicKey
	ops["ListSSHPublicKeys"] = s.listUserCredentials(kindSSHKey, "SSHPublicKeys", func(c *userCredential) any {
		return struct {
			UserName       string `xml:"UserName"`
			SSHPublicKeyID string `xml:"SSHPublicKeyId"`
			Status         string `xml:"Status"`
			UploadDate     string `xml:"UploadDate"`
		}{c.User, c.ID, c.Status, isoTime(c.Uploaded)}
	})
	ops["UpdateSSHPublicKey"] = s.updateUserCredential(kindSSHKey, "SSHPublicKeyId", "Public Key")
	ops["DeleteSSHPublicKey"] = s.deleteUserCredential(kindSSHKey, "SSHPublicKeyId", "Public Key")
	ops["CreateServiceSpecificCredential"] = s.createServiceSpecificCredential
	ops["ResetServiceSpecificCredential"] = s.resetServiceSpecificCredential
	ops["ListServiceSpecificCredentials"] = s.listUserCredentials(kindServiceCred, "ServiceSpecificCredentials", func(c *userCredential) any { return serviceCredXML(c, "") })
	ops["UpdateServiceSpecificCredential"] = s.updateUserCredential(kindServiceCred, "ServiceSpecificCredentialId", "Service Specific Credential")
	ops["DeleteServiceSpecificCredential"] = s.deleteUserCredential(kindServiceCred, "ServiceSpecificCredentialId", "Service Specific Credential")
}

// userCredentials returns a user's credentials of a kind, oldest first;
// s.mu must be held.
func (s *Service) userCredentials(u *user, kind string) []*userCredential {
	var out []*userCredential
	for _, c := range listDocs[userCredential](s, u.account, kind) {
		if strings.EqualFold(c.User, u.name) {
			out = append(out, c)
		}
	}
	// In upload order: the credential report's cert_1 is the first.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Uploaded.Before(out[j].Uploaded) })
	return out
}

// credentialHolder is the user whose credentials of a kind the request
// manages: as for access keys, signing certificates without a UserName
// are the root user's for root credentials (IAM API reference,
// UploadSigningCertificate); s.mu must be held.
func (s *Service) credentialHolder(ctx context.Context, form url.Values, kind string) (*user, error) {
	if kind == kindSigningCert {
		return s.keyHolder(ctx, form)
	}
	return s.keyUser(ctx, form)
}

// findCredential returns the user's credential the form's idParam names;
// s.mu must be held.
func (s *Service) findCredential(ctx context.Context, form url.Values, kind, idParam, what string) (*user, *userCredential, error) {
	u, err := s.credentialHolder(ctx, form, kind)
	if err != nil {
		return nil, nil, err
	}
	id, err := required(form, idParam)
	if err != nil {
		return nil, nil, err
	}
	c := &userCredential{}
	if !s.getDoc(u.account, kind, id, c) || !strings.EqualFold(c.User, u.name) {
		return nil, nil, noSuchEntity("The %s with id %s cannot be found.", what, id)
	}
	return u, c, nil
}

func (s *Service) listUserCredentials(kind, element string, shape func(*userCredential) any) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		s.mu.RLock()
		defer s.mu.RUnlock()
		u, err := s.credentialHolder(ctx, form, kind)
		if err != nil {
			return nil, err
		}
		var items []any
		for _, c := range s.userCredentials(u, kind) {
			if svc := form.Get("ServiceName"); svc == "" || c.Service == svc {
				items = append(items, shape(c))
			}
		}
		return fields{{element, list[any]{items}}, {"IsTruncated", false}}, nil
	}
}

func (s *Service) updateUserCredential(kind, idParam, what string) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		status, err := required(form, "Status")
		if err != nil {
			return nil, err
		}
		if status != "Active" && status != "Inactive" {
			return nil, validation("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		u, c, err := s.findCredential(ctx, form, kind, idParam, what)
		if err != nil {
			return nil, err
		}
		c.Status = status
		return nil, s.putDoc(ctx, u.account, kind, c.ID, c)
	}
}

func (s *Service) deleteUserCredential(kind, idParam, what string) protocol.QueryOp {
	return func(ctx context.Context, form url.Values) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		u, c, err := s.findCredential(ctx, form, kind, idParam, what)
		if err != nil {
			return nil, err
		}
		return nil, s.deleteDoc(ctx, u.account, kind, c.ID)
	}
}

// newCredential stores a new credential of the form's user, within the
// quota; s.mu must be held for writing.
func (s *Service) newCredential(ctx context.Context, u *user, kind string, quota int, quotaName string, c *userCredential) error {
	n := 0
	for _, x := range s.userCredentials(u, kind) {
		if x.Service == c.Service {
			n++
		}
	}
	if n >= quota {
		return limitExceeded("Cannot exceed quota for %s: %d", quotaName, quota)
	}
	c.User, c.Status, c.Uploaded = u.name, "Active", s.now().UTC()
	return s.putDoc(ctx, u.account, kind, c.ID, c)
}

type signingCertificateXML struct {
	UserName        string `xml:"UserName,omitempty"` // none for the root user's
	CertificateID   string `xml:"CertificateId"`
	CertificateBody string `xml:"CertificateBody"`
	Status          string `xml:"Status"`
	UploadDate      string `xml:"UploadDate"`
}

func signingCertXML(c *userCredential) signingCertificateXML {
	return signingCertificateXML{c.User, c.ID, c.Body, c.Status, isoTime(c.Uploaded)}
}

// parseCertificate reads a PEM X.509 certificate as IAM requires one.
func parseCertificate(body string) (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(body)))
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, &protocol.Error{Code: "MalformedCertificate", Message: "Certificate body is invalid", Status: 400}
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, &protocol.Error{Code: "MalformedCertificate", Message: "Certificate body is invalid", Status: 400}
	}
	return cert, nil
}

func (s *Service) uploadSigningCertificate(ctx context.Context, form url.Values) (any, error) {
	body, err := required(form, "CertificateBody")
	if err != nil {
		return nil, err
	}
	if _, err := parseCertificate(body); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.credentialHolder(ctx, form, kindSigningCert)
	if err != nil {
		return nil, err
	}
	for _, x := range s.userCredentials(u, kindSigningCert) {
		if x.Body == body {
			return nil, &protocol.Error{Code: "DuplicateCertificate", Message: "The Certificate with id " + x.ID + " already exists.", Status: 409}
		}
	}
	c := &userCredential{ID: randomString(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), Body: body}
	if err := s.newCredential(ctx, u, kindSigningCert, 2, "CertificatesPerUser", c); err != nil {
		return nil, err
	}
	return struct {
		Certificate signingCertificateXML `xml:"Certificate"`
	}{signingCertXML(c)}, nil
}

type sshKeyXML struct {
	UserName         string `xml:"UserName"`
	SSHPublicKeyID   string `xml:"SSHPublicKeyId"`
	Fingerprint      string `xml:"Fingerprint"`
	SSHPublicKeyBody string `xml:"SSHPublicKeyBody"`
	Status           string `xml:"Status"`
	UploadDate       string `xml:"UploadDate"`
}

func (s *Service) uploadSSHPublicKey(ctx context.Context, form url.Values) (any, error) {
	body, err := required(form, "SSHPublicKeyBody")
	if err != nil {
		return nil, err
	}
	key, _, _, _, perr := ssh.ParseAuthorizedKey([]byte(body))
	if perr != nil {
		return nil, &protocol.Error{Code: "InvalidPublicKey", Message: "Public key is malformed", Status: 400}
	}
	sum := md5.Sum(key.Marshal())
	finger := make([]string, len(sum))
	for i, b := range sum {
		finger[i] = fmt.Sprintf("%02x", b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	for _, x := range s.userCredentials(u, kindSSHKey) {
		if x.Finger == strings.Join(finger, ":") {
			return nil, &protocol.Error{Code: "DuplicateSSHPublicKey", Message: "The public key already exists for this user.", Status: 400}
		}
	}
	c := &userCredential{ID: newID("APKA")[:20], Body: strings.TrimSpace(body), Finger: strings.Join(finger, ":")}
	if err := s.newCredential(ctx, u, kindSSHKey, 5, "SSHPublicKeysPerUser", c); err != nil {
		return nil, err
	}
	return struct {
		SSHPublicKey sshKeyXML `xml:"SSHPublicKey"`
	}{sshKeyXML{c.User, c.ID, c.Finger, c.Body, c.Status, isoTime(c.Uploaded)}}, nil
}

func (s *Service) getSSHPublicKey(ctx context.Context, form url.Values) (any, error) {
	enc, err := required(form, "Encoding")
	if err != nil {
		return nil, err
	}
	if enc != "SSH" && enc != "PEM" {
		return nil, validation("1 validation error detected: Value '%s' at 'encoding' failed to satisfy constraint: Member must satisfy enum value set: [SSH, PEM]", enc)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, c, err := s.findCredential(ctx, form, kindSSHKey, "SSHPublicKeyId", "Public Key")
	if err != nil {
		return nil, err
	}
	body := c.Body
	if enc == "PEM" {
		if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.Body)); err == nil {
			if ck, ok := key.(ssh.CryptoPublicKey); ok {
				if der, err := x509.MarshalPKIXPublicKey(ck.CryptoPublicKey()); err == nil {
					body = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
				}
			}
		}
	}
	return struct {
		SSHPublicKey sshKeyXML `xml:"SSHPublicKey"`
	}{sshKeyXML{c.User, c.ID, c.Finger, body, c.Status, isoTime(c.Uploaded)}}, nil
}

type serviceCredentialXML struct {
	CreateDate                  string `xml:"CreateDate"`
	ServiceName                 string `xml:"ServiceName"`
	ServiceUserName             string `xml:"ServiceUserName"`
	ServicePassword             string `xml:"ServicePassword,omitempty"`
	ServiceSpecificCredentialID string `xml:"ServiceSpecificCredentialId"`
	UserName                    string `xml:"UserName"`
	Status                      string `xml:"Status"`
}

func serviceCredXML(c *userCredential, password string) serviceCredentialXML {
	return serviceCredentialXML{isoTime(c.Uploaded), c.Service, c.Body, password, c.ID, c.User, c.Status}
}

// setServicePassword gives a service credential a new password and
// returns it; only its salted hash is kept.
func setServicePassword(c *userCredential) string {
	pw := randomToken(33)
	c.Salt = randomToken(16)
	c.Hash = sha(c.Salt + pw)
	return pw
}

func (s *Service) createServiceSpecificCredential(ctx context.Context, form url.Values) (any, error) {
	service, err := required(form, "ServiceName")
	if err != nil {
		return nil, err
	}
	switch service {
	case "codecommit.amazonaws.com", "cassandra.amazonaws.com":
	default:
		return nil, &protocol.Error{Code: "NotSupportedService", Message: "No such service " + service + " is supported for Service Specific Credentials", Status: 404}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	c := &userCredential{ID: newID("ACCA"), Service: service, Body: u.name + "-at-" + randomString(4, "0123456789") + u.account[:4]}
	pw := setServicePassword(c)
	if err := s.newCredential(ctx, u, kindServiceCred, 2, "ServiceSpecificCredentialsPerUserPerService", c); err != nil {
		return nil, err
	}
	return struct {
		ServiceSpecificCredential serviceCredentialXML `xml:"ServiceSpecificCredential"`
	}{serviceCredXML(c, pw)}, nil
}

func (s *Service) resetServiceSpecificCredential(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, c, err := s.findCredential(ctx, form, kindServiceCred, "ServiceSpecificCredentialId", "Service Specific Credential")
	if err != nil {
		return nil, err
	}
	pw := setServicePassword(c)
	if err := s.putDoc(ctx, u.account, kindServiceCred, c.ID, c); err != nil {
		return nil, err
	}
	return struct {
		ServiceSpecificCredential serviceCredentialXML `xml:"ServiceSpecificCredential"`
	}{serviceCredXML(c, pw)}, nil
}
