package localcloud_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"
)

// iamCredentialCalls is the part of the IAM scenario about a user's other
// credentials: a password change with the user's own key, signing, server
// and SSH certificates, service-specific credentials and an MFA device.
// cfg is the recording config; the user has a login profile with password.
func iamCredentialCalls(t *testing.T, cfg aws.Config, c *iam.Client, user *string, password string) {
	ctx := context.Background()
	key := do(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user})).ok(t).AccessKey
	asUser := cfg.Copy()
	asUser.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), "")
	// GetUser without a name describes the caller. (As the account's root,
	// the local cloud leaves out UserName and Path, which botocore's User
	// requires; no AWS page shows what IAM answers the root, so that case
	// is not held here.)
	do(iam.NewFromConfig(asUser).GetUser(ctx, &iam.GetUserInput{})).ok(t)
	do(iam.NewFromConfig(asUser).ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(password), NewPassword: aws.String("another-good-password-1")})).ok(t)
	do(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: key.AccessKeyId})).ok(t)

	body, priv := selfSignedCert(t)
	cert := do(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String(body)})).ok(t).Certificate
	do(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: user})).ok(t)
	do(c.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: user, CertificateId: cert.CertificateId, Status: types.StatusTypeInactive})).ok(t)
	do(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: user, CertificateId: cert.CertificateId})).ok(t)

	sc := aws.String("web")
	do(c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{ServerCertificateName: sc, CertificateBody: aws.String(body), PrivateKey: aws.String(priv),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})).ok(t)
	do(c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: sc})).ok(t)
	do(c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})).ok(t)
	do(c.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: sc, Tags: []types.Tag{{Key: aws.String("k2"), Value: aws.String("v2")}}})).ok(t)
	do(c.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: sc})).ok(t)
	do(c.UntagServerCertificate(ctx, &iam.UntagServerCertificateInput{ServerCertificateName: sc, TagKeys: []string{"k2"}})).ok(t)
	do(c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: sc, NewServerCertificateName: aws.String("web2")})).ok(t)
	do(c.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("web2")})).ok(t)

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sk := do(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(string(ssh.MarshalAuthorizedKey(sshPub)))})).ok(t).SSHPublicKey
	do(c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: user, SSHPublicKeyId: sk.SSHPublicKeyId, Encoding: types.EncodingTypeSsh})).ok(t)
	do(c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: user})).ok(t)
	do(c.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: user, SSHPublicKeyId: sk.SSHPublicKeyId, Status: types.StatusTypeInactive})).ok(t)
	do(c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: user, SSHPublicKeyId: sk.SSHPublicKeyId})).ok(t)

	cred := do(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: user, ServiceName: aws.String("codecommit.amazonaws.com")})).ok(t).ServiceSpecificCredential
	do(c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: user})).ok(t)
	do(c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: cred.ServiceSpecificCredentialId})).ok(t)
	do(c.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: cred.ServiceSpecificCredentialId, Status: types.StatusTypeInactive})).ok(t)
	do(c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: user, ServiceSpecificCredentialId: cred.ServiceSpecificCredentialId})).ok(t)

	dev := do(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ana-key")})).ok(t).VirtualMFADevice
	do(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: user, SerialNumber: dev.SerialNumber, AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})).ok(t)
	do(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: user})).ok(t)
	do(c.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: user, SerialNumber: dev.SerialNumber, AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})).ok(t)
	do(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: user, SerialNumber: dev.SerialNumber})).ok(t)
	do(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: dev.SerialNumber})).ok(t)
}

// selfSignedCert returns a PEM certificate valid for a day and its PEM key.
func selfSignedCert(t *testing.T) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lab.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}
