package main

// Provided: you do not need to change this file. It is the verification half of the kit's
// token package (the kit mints the tokens `lab token --channel web` prints), copied here so
// this function depends on nothing but the AWS libraries.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The errors verifyToken returns.
var (
	errMalformed      = errors.New("token: malformed")
	errBadSignature   = errors.New("token: bad signature")
	errExpired        = errors.New("token: expired")
	errUnknownChannel = errors.New("token: unknown channel")
)

// verifyToken checks tok, of the form
// v1.<channel>.<unix-expiry>.<base64url(HMAC-SHA256(secret, "v1.<channel>.<unix-expiry>"))>,
// against secret at time now and returns the channel it names (web, mobile or wholesale).
// The signature is compared in constant time and checked before the channel and expiry.
func verifyToken(secret []byte, tok string, now time.Time) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 4 || parts[0] != "v1" || parts[1] == "" {
		return "", errMalformed
	}
	expiry, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || expiry <= 0 {
		return "", errMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[3]); err != nil {
		return "", errMalformed
	}
	if len(secret) == 0 {
		return "", errBadSignature
	}
	// Compare the signature as written: base64 decoding skips newlines and
	// ignores unused bits, so other spellings would otherwise pass.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(parts[0] + "." + parts[1] + "." + parts[2]))
	if !hmac.Equal([]byte(parts[3]), []byte(base64.RawURLEncoding.EncodeToString(m.Sum(nil)))) {
		return "", errBadSignature
	}
	switch parts[1] {
	case "web", "mobile", "wholesale":
	default:
		return "", errUnknownChannel
	}
	if !now.Before(time.Unix(expiry, 0)) {
		return "", errExpired
	}
	return parts[1], nil
}
