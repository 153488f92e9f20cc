package iam_test

import (
	"bytes"
	"encoding/base32"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/labkit-dev/labkit/localcloud/cloudtest"
)

// TestVirtualMFADeviceSeed: CreateVirtualMFADevice answers the seed both as
// base32 text and as a QR code PNG (IAM API reference, VirtualMFADevice).
func TestVirtualMFADeviceSeed(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	out, err := c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("phone"), Path: aws.String("/team/")})
	require.NoError(t, err)
	dev := out.VirtualMFADevice
	assert.Equal(t, "arn:aws:iam::"+cloudtest.Account+":mfa/team/phone", aws.ToString(dev.SerialNumber))

	seed, err := base32.StdEncoding.DecodeString(string(dev.Base32StringSeed))
	require.NoError(t, err, "Base32StringSeed %q", dev.Base32StringSeed)
	assert.NotEmpty(t, seed)

	img, err := png.Decode(bytes.NewReader(dev.QRCodePNG))
	require.NoError(t, err, "QRCodePNG is a PNG image")
	b := img.Bounds()
	require.Equal(t, b.Dx(), b.Dy(), "a QR code is square")
	// A QR code's top-left finder pattern: past the white quiet zone, a
	// black square ring around a white ring around a black centre.
	corner := -1
	for i := 0; i < b.Dx()/2; i++ {
		if dark(img.At(b.Min.X+i, b.Min.Y+i)) {
			corner = i
			break
		}
	}
	require.Greater(t, corner, 0, "a white quiet zone, then the finder pattern")
	module := 0
	for dark(img.At(b.Min.X+corner+module, b.Min.Y+corner+module)) {
		module++
	}
	// Along the diagonal, the outer ring is one module wide; the pattern is
	// seven modules across.
	require.Greater(t, module, 0)
	assert.True(t, dark(img.At(b.Min.X+corner+6*module, b.Min.Y+corner)), "the ring's far edge is dark")
	assert.False(t, dark(img.At(b.Min.X+corner+module, b.Min.Y+corner+module)), "the white ring")
	assert.True(t, dark(img.At(b.Min.X+corner+3*module, b.Min.Y+corner+3*module)), "the dark centre")
}

func dark(c color.Color) bool {
	g := color.GrayModel.Convert(c).(color.Gray)
	return g.Y < 128
}

// TestListVirtualMFADevicesPages: ListVirtualMFADevices pages with MaxItems
// and Marker and, like IAM's other listings, leaves out tags.
func TestListVirtualMFADevicesPages(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	var want []string
	for _, name := range []string{"a", "b", "c"} {
		out, err := c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
		require.NoError(t, err)
		want = append(want, aws.ToString(out.VirtualMFADevice.SerialNumber))
	}
	first, err := c.ListVirtualMFADevices(ctx, &awsiam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAny, MaxItems: aws.Int32(2)})
	require.NoError(t, err)
	require.True(t, first.IsTruncated)
	require.NotEmpty(t, aws.ToString(first.Marker))
	rest, err := c.ListVirtualMFADevices(ctx, &awsiam.ListVirtualMFADevicesInput{Marker: first.Marker})
	require.NoError(t, err)
	assert.False(t, rest.IsTruncated)
	assert.Nil(t, rest.Marker)
	var got []string
	for _, d := range append(first.VirtualMFADevices, rest.VirtualMFADevices...) {
		got = append(got, aws.ToString(d.SerialNumber))
		assert.Empty(t, d.Tags, "listings leave out tags")
	}
	assert.ElementsMatch(t, want, got)
	require.Len(t, first.VirtualMFADevices, 2)

	tags, err := c.ListMFADeviceTags(ctx, &awsiam.ListMFADeviceTagsInput{SerialNumber: aws.String(want[0])})
	require.NoError(t, err)
	assert.Len(t, tags.Tags, 1)
}

// TestIAMPathLength: a path over pathType's 512 characters fails the
// model's length constraint, reported as such, not as a malformed path.
func TestIAMPathLength(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	long := "/" + strings.Repeat("b", 511) + "/"
	_, err := c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("phone"), Path: aws.String(long)})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value '"+long+"' at 'path' failed to satisfy constraint: Member must have length less than or equal to 512")
	_, err = c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana"), Path: aws.String("/" + strings.Repeat("b", 510) + "/")})
	require.NoError(t, err, "512 characters are allowed")
	_, err = c.UpdateUser(ctx, &awsiam.UpdateUserInput{UserName: aws.String("ana"), NewPath: aws.String(long)})
	cloudtest.APIError(t, err, "ValidationError", "1 validation error detected: Value '"+long+"' at 'newPath' failed to satisfy constraint: Member must have length less than or equal to 512")
}

// TestListMFADevicesOfTheCaller: without a UserName, ListMFADevices lists
// the caller's devices (IAM API reference): for root credentials the root
// user's, of which EnableMFADevice (naming an IAM user) enables none.
func TestListMFADevicesOfTheCaller(t *testing.T) {
	t.Parallel()
	c, _, _ := newIAM(t, cloudtest.Account)
	ctx := cloudtest.Context(t)
	_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	_, err = c.CreateVirtualMFADevice(ctx, &awsiam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")})
	require.NoError(t, err)
	_, err = c.EnableMFADevice(ctx, &awsiam.EnableMFADeviceInput{UserName: aws.String("ana"), SerialNumber: aws.String("GAHT12345678"),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	require.NoError(t, err)
	root, err := c.ListMFADevices(ctx, &awsiam.ListMFADevicesInput{})
	require.NoError(t, err)
	assert.Empty(t, root.MFADevices, "neither ana's device nor an unassigned one is the root user's")
	anas, err := c.ListMFADevices(ctx, &awsiam.ListMFADevicesInput{UserName: aws.String("ana")})
	require.NoError(t, err)
	assert.Len(t, anas.MFADevices, 1)
}
