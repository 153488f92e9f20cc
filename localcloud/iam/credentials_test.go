package iam_test

import (
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
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// selfSigned returns a PEM certificate valid until notAfter and its PEM key.
func selfSigned(t *testing.T, notAfter time.Time) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lab.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func TestServerCertificates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	c := awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	expiry := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
	body, key := selfSigned(t, expiry)

	_, err := c.UploadServerCertificate(ctx, &awsiam.UploadServerCertificateInput{ServerCertificateName: aws.String("web"), CertificateBody: aws.String("not a cert"), PrivateKey: aws.String(key)})
	cloudtest.APIError(t, err, "MalformedCertificate", "Certificate body is invalid")
	up, err := c.UploadServerCertificate(ctx, &awsiam.UploadServerCertificateInput{ServerCertificateName: aws.String("web"), CertificateBody: aws.String(body), PrivateKey: aws.String(key), Path: aws.String("/cloudfront/")})
	require.NoError(t, err)
	m := up.ServerCertificateMetadata
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":server-certificate/cloudfront/web", aws.ToString(m.Arn))
	assert.Equal(t, expiry, aws.ToTime(m.Expiration))
	_, err = c.UploadServerCertificate(ctx, &awsiam.UploadServerCertificateInput{ServerCertificateName: aws.String("web"), CertificateBody: aws.String(body), PrivateKey: aws.String(key)})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "The Server Certificate with name web already exists.")

	got, err := c.GetServerCertificate(ctx, &awsiam.GetServerCertificateInput{ServerCertificateName: aws.String("web")})
	require.NoError(t, err)
	assert.Equal(t, body, aws.ToString(got.ServerCertificate.CertificateBody))
	_, err = c.TagServerCertificate(ctx, &awsiam.TagServerCertificateInput{ServerCertificateName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	require.NoError(t, err)
	_, err = c.UpdateServerCertificate(ctx, &awsiam.UpdateServerCertificateInput{ServerCertificateName: aws.String("web"), NewServerCertificateName: aws.String("site")})
	require.NoError(t, err)
	tags, err := c.ListServerCertificateTags(ctx, &awsiam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("site")})
	require.NoError(t, err)
	assert.Len(t, tags.Tags, 1)
	list, err := c.ListServerCertificates(ctx, &awsiam.ListServerCertificatesInput{PathPrefix: aws.String("/cloudfront/")})
	require.NoError(t, err)
	require.Len(t, list.ServerCertificateMetadataList, 1)
	assert.Equal(t, "site", aws.ToString(list.ServerCertificateMetadataList[0].ServerCertificateName))
	_, err = c.GetServerCertificate(ctx, &awsiam.GetServerCertificateInput{ServerCertificateName: aws.String("web")})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Server Certificate with name web cannot be found.")
	_, err = c.DeleteServerCertificate(ctx, &awsiam.DeleteServerCertificateInput{ServerCertificateName: aws.String("site")})
	require.NoError(t, err)

	// The private key is not kept.
	svc.Close()
	notStored(t, dir, "PRIVATE KEY", "a private key")
}

func TestMFADevices(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	dev, err := c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ana-phone")})
	require.NoError(t, err)
	serial := aws.ToString(dev.VirtualMFADevice.SerialNumber)
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":mfa/ana-phone", serial)
	assert.NotEmpty(t, dev.VirtualMFADevice.Base32StringSeed)
	_, err = c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ana-phone")})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.")

	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String(serial), AuthenticationCode1: aws.String("12345x"), AuthenticationCode2: aws.String("654321")})
	assert.Equal(t, "ValidationError", apiCode(err))
	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String(serial), AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	require.NoError(t, err)
	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String(serial), AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	cloudtest.APIError(t, err, "EntityAlreadyExists", "Device "+serial+" is already in use.")
	devs, err := c.ListMFADevices(ctx, &awsiam.ListMFADevicesInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, devs.MFADevices, 1)
	assigned, err := c.ListVirtualMFADevices(ctx, &awsiam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	require.NoError(t, err)
	require.Len(t, assigned.VirtualMFADevices, 1)
	assert.Equal(t, "ana", aws.ToString(assigned.VirtualMFADevices[0].User.UserName))
	_, err = c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	cloudtest.APIError(t, err, "DeleteConflict", "MFA device is already in use.")
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must delete MFA device first.")

	_, err = c.DeactivateMFADevice(ctx, &awsiam.DeactivateMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String(serial)})
	require.NoError(t, err)
	_, err = c.DeactivateMFADevice(ctx, &awsiam.DeactivateMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String(serial)})
	cloudtest.APIError(t, err, "NoSuchEntity", "MFA Device with serial number "+serial+" does not exist.")
	unassigned, err := c.ListVirtualMFADevices(ctx, &awsiam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned})
	require.NoError(t, err)
	assert.Len(t, unassigned.VirtualMFADevices, 1)
	_, err = c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	require.NoError(t, err)
	_, err = c.DeleteVirtualMFADevice(ctx, &awsiam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	cloudtest.APIError(t, err, "NoSuchEntity", "VirtualMFADevice with serial number "+serial+" doesn't exist.")
}

func TestUserCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	svc := newService(t, dir)
	c := awsiam.NewFromConfig(cloudtest.Config(cloudtest.Serve(t, svc.Route()), cloudtest.Account, "us-east-1"))
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)

	body, _ := selfSigned(t, time.Now().Add(time.Hour))
	cert, err := c.UploadSigningCertificate(ctx, &awsiam.UploadSigningCertificateInput{UserName: aws.String("ana"), CertificateBody: aws.String(body)})
	require.NoError(t, err)
	assert.Equal(t, types.StatusTypeActive, cert.Certificate.Status)
	// A user holds at most two signing certificates (IAM quotas: "Signing
	// certificates assigned to an IAM user: 2"); the third is refused
	// with the quota's API name, CertificatesPerUser.
	body2, _ := selfSigned(t, time.Now().Add(time.Hour))
	second, err := c.UploadSigningCertificate(ctx, &awsiam.UploadSigningCertificateInput{UserName: aws.String("ana"), CertificateBody: aws.String(body2)})
	require.NoError(t, err)
	body3, _ := selfSigned(t, time.Now().Add(time.Hour))
	_, err = c.UploadSigningCertificate(ctx, &awsiam.UploadSigningCertificateInput{UserName: aws.String("ana"), CertificateBody: aws.String(body3)})
	cloudtest.APIError(t, err, "LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
	_, err = c.DeleteSigningCertificate(ctx, &awsiam.DeleteSigningCertificateInput{UserName: aws.String("ana"), CertificateId: second.Certificate.CertificateId})
	require.NoError(t, err)
	_, err = c.UpdateSigningCertificate(ctx, &awsiam.UpdateSigningCertificateInput{UserName: aws.String("ana"), CertificateId: cert.Certificate.CertificateId, Status: types.StatusTypeInactive})
	require.NoError(t, err)
	certs, err := c.ListSigningCertificates(ctx, &awsiam.ListSigningCertificatesInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, certs.Certificates, 1)
	assert.Equal(t, types.StatusTypeInactive, certs.Certificates[0].Status)
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ana")})
	cloudtest.APIError(t, err, "DeleteConflict", "Cannot delete entity, must delete signing certificates first.")
	_, err = c.DeleteSigningCertificate(ctx, &awsiam.DeleteSigningCertificateInput{UserName: aws.String("ana"), CertificateId: cert.Certificate.CertificateId})
	require.NoError(t, err)
	_, err = c.DeleteSigningCertificate(ctx, &awsiam.DeleteSigningCertificateInput{UserName: aws.String("ana"), CertificateId: cert.Certificate.CertificateId})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Certificate with id "+aws.ToString(cert.Certificate.CertificateId)+" cannot be found.")

	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sshPub, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	authorized := string(ssh.MarshalAuthorizedKey(sshPub))
	_, err = c.UploadSSHPublicKey(ctx, &awsiam.UploadSSHPublicKeyInput{UserName: aws.String("ana"), SSHPublicKeyBody: aws.String("ssh-rsa AAAAnot")})
	cloudtest.APIError(t, err, "InvalidPublicKey", "Public key is malformed")
	key, err := c.UploadSSHPublicKey(ctx, &awsiam.UploadSSHPublicKeyInput{UserName: aws.String("ana"), SSHPublicKeyBody: aws.String(authorized)})
	require.NoError(t, err)
	assert.Regexp(t, `^([0-9a-f]{2}:){15}[0-9a-f]{2}$`, aws.ToString(key.SSHPublicKey.Fingerprint))
	got, err := c.GetSSHPublicKey(ctx, &awsiam.GetSSHPublicKeyInput{UserName: aws.String("ana"), SSHPublicKeyId: key.SSHPublicKey.SSHPublicKeyId, Encoding: types.EncodingTypePem})
	require.NoError(t, err)
	assert.Contains(t, aws.ToString(got.SSHPublicKey.SSHPublicKeyBody), "-----BEGIN PUBLIC KEY-----")
	keys, err := c.ListSSHPublicKeys(ctx, &awsiam.ListSSHPublicKeysInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, keys.SSHPublicKeys, 1)
	_, err = c.DeleteSSHPublicKey(ctx, &awsiam.DeleteSSHPublicKeyInput{UserName: aws.String("ana"), SSHPublicKeyId: key.SSHPublicKey.SSHPublicKeyId})
	require.NoError(t, err)

	cred, err := c.CreateServiceSpecificCredential(ctx, &awsiam.CreateServiceSpecificCredentialInput{UserName: aws.String("ana"), ServiceName: aws.String("codecommit.amazonaws.com")})
	require.NoError(t, err)
	password := aws.ToString(cred.ServiceSpecificCredential.ServicePassword)
	assert.NotEmpty(t, password)
	_, err = c.CreateServiceSpecificCredential(ctx, &awsiam.CreateServiceSpecificCredentialInput{UserName: aws.String("ana"), ServiceName: aws.String("s3.amazonaws.com")})
	assert.Equal(t, "NotSupportedService", apiCode(err))
	reset, err := c.ResetServiceSpecificCredential(ctx, &awsiam.ResetServiceSpecificCredentialInput{UserName: aws.String("ana"), ServiceSpecificCredentialId: cred.ServiceSpecificCredential.ServiceSpecificCredentialId})
	require.NoError(t, err)
	assert.NotEqual(t, password, aws.ToString(reset.ServiceSpecificCredential.ServicePassword))
	creds, err := c.ListServiceSpecificCredentials(ctx, &awsiam.ListServiceSpecificCredentialsInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	require.Len(t, creds.ServiceSpecificCredentials, 1)
	_, err = c.DeleteServiceSpecificCredential(ctx, &awsiam.DeleteServiceSpecificCredentialInput{UserName: aws.String("ana"), ServiceSpecificCredentialId: cred.ServiceSpecificCredential.ServiceSpecificCredentialId})
	require.NoError(t, err)
	_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)

	svc.Close()
	notStored(t, dir, password, "a service password in clear")
}

// TestRootSigningCertificates: without a UserName, root credentials manage
// the root user's own signing certificates (IAM API reference,
// UploadSigningCertificate: "you can use this operation to manage Amazon
// Web Services account root user credentials"), apart from users' ones.
func TestRootSigningCertificates(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	anaCert, _ := selfSigned(t, time.Now().Add(24*time.Hour))
	anas, err := c.UploadSigningCertificate(ctx, &awsiam.UploadSigningCertificateInput{UserName: aws.String("ana"), CertificateBody: aws.String(anaCert)})
	require.NoError(t, err)

	rootCert, _ := selfSigned(t, time.Now().Add(24*time.Hour))
	up, err := c.UploadSigningCertificate(ctx, &awsiam.UploadSigningCertificateInput{CertificateBody: aws.String(rootCert)})
	require.NoError(t, err)
	assert.Nil(t, up.Certificate.UserName)
	id := aws.ToString(up.Certificate.CertificateId)
	list, err := c.ListSigningCertificates(ctx, &awsiam.ListSigningCertificatesInput{})
	require.NoError(t, err)
	require.Len(t, list.Certificates, 1)
	assert.Equal(t, id, aws.ToString(list.Certificates[0].CertificateId))

	anaID := aws.ToString(anas.Certificate.CertificateId)
	_, err = c.DeleteSigningCertificate(ctx, &awsiam.DeleteSigningCertificateInput{CertificateId: aws.String(anaID)})
	cloudtest.APIError(t, err, "NoSuchEntity", "The Certificate with id "+anaID+" cannot be found.")
	_, err = c.UpdateSigningCertificate(ctx, &awsiam.UpdateSigningCertificateInput{CertificateId: aws.String(id), Status: types.StatusTypeInactive})
	require.NoError(t, err)
	_, err = c.DeleteSigningCertificate(ctx, &awsiam.DeleteSigningCertificateInput{CertificateId: aws.String(id)})
	require.NoError(t, err)
	list, err = c.ListSigningCertificates(ctx, &awsiam.ListSigningCertificatesInput{})
	require.NoError(t, err)
	assert.Empty(t, list.Certificates)
	list, err = c.ListSigningCertificates(ctx, &awsiam.ListSigningCertificatesInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.Len(t, list.Certificates, 1, "ana's certificate is untouched")
}
