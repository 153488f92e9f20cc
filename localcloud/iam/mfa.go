package iam

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"

	"rsc.io/qr"

	"github.com/labkit-dev/labkit/localcloud/protocol"
)

const (
	kindMFA        = "mfa"
	kindServerCert = "server-cert"
)

// mfaDevice is a virtual MFA device, or a hardware one a user enabled.
// The TOTP seed is returned once by CreateVirtualMFADevice (as base32 text
// and as a QR code of its otpauth URI) and never stored, so the local
// cloud checks authentication codes' form only.
type mfaDevice struct {
	Serial  string    `json:"serial"`
	Virtual bool      `json:"virtual"`
	User    string    `json:"user,omitempty"`
	Enabled time.Time `json:"enabled,omitempty"`
	Tags    []tag     `json:"tags,omitempty"`
}

func (s *Service) mfaOps(ops map[string]protocol.QueryOp) {
	ops["CreateVirtualMFADevice"] = s.createVirtualMFADevice
	ops["DeleteVirtualMFADevice"] = s.deleteVirtualMFADevice
	ops["ListVirtualMFADevices"] = s.listVirtualMFADevices
	ops["EnableMFADevice"] = s.enableMFADevice
	ops["DeactivateMFADevice"] = s.deactivateMFADevice
	ops["ResyncMFADevice"] = s.resyncMFADevice
	ops["ListMFADevices"] = s.listMFADevices
}

// authCodes checks AuthenticationCode1 and 2: six digits each.
func authCodes(form url.Values) error {
	for _, p := range []string{"AuthenticationCode1", "AuthenticationCode2"} {
		v, err := required(form, p)
		if err != nil {
			return err
		}
		if len(v) != 6 || strings.Trim(v, "0123456789") != "" {
			return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]+", v, lowerFirst(p))
		}
	}
	return nil
}

func (s *Service) createVirtualMFADevice(ctx context.Context, form url.Values) (any, error) {
	name, path, tags, err := nameAndPath(form, "VirtualMFADeviceName", 226)
	if err != nil {
		return nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	serial := "arn:aws:iam::" + acct + ":mfa" + path + name
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getDoc(acct, kindMFA, serial, &mfaDevice{}) {
		return nil, alreadyExists("MFADevice entity at the same path and name already exists.")
	}
	d := &mfaDevice{Serial: serial, Virtual: true, Tags: tags}
	if err := s.putDoc(ctx, acct, kindMFA, serial, d); err != nil {
		return nil, err
	}
	seed := make([]byte, 40)
	rand.Read(seed)
	b32 := base32.StdEncoding.EncodeToString(seed)
	holder := acct
	if u := s.callerUser(ctx); u != nil {
		holder = u.name
	}
	png, err := totpQRCode(name, holder, b32)
	if err != nil {
		return nil, err
	}
	out := struct {
		SerialNumber     string     `xml:"SerialNumber"`
		Base32StringSeed string     `xml:"Base32StringSeed"`
		QRCodePNG        string     `xml:"QRCodePNG"`
		Tags             *list[tag] `xml:"Tags,omitempty"`
	}{SerialNumber: serial, Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(b32)), QRCodePNG: base64.StdEncoding.EncodeToString(png)}
	if len(tags) > 0 {
		out.Tags = &list[tag]{tags}
	}
	return struct {
		VirtualMFADevice any `xml:"VirtualMFADevice"`
	}{out}, nil
}

// totpQRCode is the QR code PNG CreateVirtualMFADevice answers: the
// otpauth URI of the device's seed, otpauth://totp/NAME@HOLDER?secret=SEED,
// HOLDER being the calling user's name or else the account id, as the IAM
// API reference describes QRCodePNG. An authenticator app scans it.
func totpQRCode(device, holder, seed string) ([]byte, error) {
	uri := "otpauth://totp/" + device + "@" + holder + "?secret=" + seed
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return nil, fmt.Errorf("encoding the QR code of virtual MFA device %s: %w", device, err)
	}
	return code.PNG(), nil
}

// findMFA returns the device the form's SerialNumber names; s.mu must be
// held.
func (s *Service) findMFA(ctx context.Context, form url.Values) (string, *mfaDevice, error) {
	serial, err := required(form, "SerialNumber")
	if err != nil {
		return "", nil, err
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	d := &mfaDevice{}
	if !s.getDoc(acct, kindMFA, serial, d) {
		return "", nil, noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
	}
	return acct, d, nil
}

func (s *Service) deleteVirtualMFADevice(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acct, d, err := s.findMFA(ctx, form)
	if err != nil {
		return nil, err
	}
	if d.User != "" {
		return nil, deleteConflict("MFA device is already in use.")
	}
	return nil, s.deleteDoc(ctx, acct, kindMFA, d.Serial)
}

// virtualMFAXML is a ListVirtualMFADevices item: as IAM's listing
// operations do, it leaves out tags (ListMFADeviceTags has them).
type virtualMFAXML struct {
	SerialNumber string   `xml:"SerialNumber"`
	User         *userXML `xml:"User,omitempty"`
	EnableDate   string   `xml:"EnableDate,omitempty"`
}

func (s *Service) listVirtualMFADevices(ctx context.Context, form url.Values) (any, error) {
	status := form.Get("AssignmentStatus")
	switch status {
	case "", "Any", "Assigned", "Unassigned":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Unassigned, Any, Assigned]", status)
	}
	acct := protocol.IdentityFrom(ctx).AccountID
	s.mu.RLock()
	defer s.mu.RUnlock()
	var devices []*mfaDevice // by serial number, as listDocs sorts them
	for _, d := range listDocs[mfaDevice](s, acct, kindMFA) {
		if d.Virtual && (status != "Assigned" || d.User != "") && (status != "Unassigned" || d.User == "") {
			devices = append(devices, d)
		}
	}
	devices, more, err := pageItems(devices, func(_ int, d *mfaDevice) string { return d.Serial }, form)
	if err != nil {
		return nil, err
	}
	items := make([]virtualMFAXML, len(devices))
	for i, d := range devices {
		items[i].SerialNumber = d.Serial
		if u := s.view(acct).users[strings.ToLower(d.User)]; d.User != "" && u != nil {
			ux := u.xml(false)
			items[i].User, items[i].EnableDate = &ux, isoTime(d.Enabled)
		}
	}
	return struct {
		VirtualMFADevices list[virtualMFAXML] `xml:"VirtualMFADevices"`
		truncated
	}{list[virtualMFAXML]{items}, more}, nil
}

func (s *Service) enableMFADevice(ctx context.Context, form url.Values) (any, error) {
	serial, err := required(form, "SerialNumber")
	if err != nil {
		return nil, err
	}
	if err := authCodes(form); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUser(ctx, form)
	if err != nil {
		return nil, err
	}
	d := &mfaDevice{Serial: serial}
	if s.getDoc(u.account, kindMFA, serial, d) && d.User != "" {
		return nil, alreadyExists("Device %s is already in use.", serial)
	}
	if !d.Virtual && strings.HasPrefix(serial, "arn:") {
		return nil, noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
	}
	d.User, d.Enabled = u.name, s.now().UTC().Truncate(time.Second)
	return nil, s.putDoc(ctx, u.account, kindMFA, serial, d)
}

// userDevice returns the form's user's enabled device; s.mu must be held.
func (s *Service) userDevice(ctx context.Context, form url.Values) (*user, *mfaDevice, error) {
	serial, err := required(form, "SerialNumber")
	if err != nil {
		return nil, nil, err
	}
	u, err := s.principalUser(ctx, form)
	if err != nil {
		return nil, nil, err
	}
	d := &mfaDevice{}
	if !s.getDoc(u.account, kindMFA, serial, d) || !strings.EqualFold(d.User, u.name) {
		return nil, nil, noSuchEntity("MFA Device with serial number %s does not exist.", serial)
	}
	return u, d, nil
}

func (s *Service) deactivateMFADevice(ctx context.Context, form url.Values) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, d, err := s.userDevice(ctx, form)
	if err != nil {
		return nil, err
	}
	if !d.Virtual {
		return nil, s.deleteDoc(ctx, u.account, kindMFA, d.Serial)
	}
	d.User, d.Enabled = "", time.Time{}
	return nil, s.putDoc(ctx, u.account, kindMFA, d.Serial, d)
}

func (s *Service) resyncMFADevice(ctx context.Context, form url.Values) (any, error) {
	if err := authCodes(form); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, _, err := s.userDevice(ctx, form)
	return nil, err
}

// userMFADevices returns the devices enabled for a user; s.mu must be held.
// The root user (no name) has none: EnableMFADevice enables IAM users'.
func (s *Service) userMFADevices(u *user) []*mfaDevice {
	var out []*mfaDevice
	if u.name == "" {
		return nil
	}
	for _, d := range listDocs[mfaDevice](s, u.account, kindMFA) {
		if strings.EqualFold(d.User, u.name) {
			out = append(out, d)
		}
	}
	return out
}

func (s *Service) listMFADevices(ctx context.Context, form url.Values) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, err := s.keyHolder(ctx, form)
	if err != nil {
		return nil, err
	}
	type device struct {
		UserName     string `xml:"UserName"`
		SerialNumber string `xml:"SerialNumber"`
		EnableDate   string `xml:"EnableDate"`
	}
	var items []device
	for _, d := range s.userMFADevices(u) {
		items = append(items, device{u.name, d.Serial, isoTime(d.Enabled)})
	}
	return struct {
		MFADevices list[device] `xml:"MFADevices"`
		truncated
	}{MFADevices: list[device]{items}}, nil
}
