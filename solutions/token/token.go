package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// version is the first field of every token this package mints.
const version = "v1"

// The errors Verify returns; compare with errors.Is.
var (
	// ErrMalformed means the text is not a v1 token: wrong field count, version or expiry.
	ErrMalformed = errors.New("token: malformed")
	// ErrBadSignature means the signature does not match the secret (or the secret is empty).
	ErrBadSignature = errors.New("token: bad signature")
	// ErrExpired means the token was genuine but its expiry has passed.
	ErrExpired = errors.New("token: expired")
	// ErrUnknownChannel means the token was genuine but names no known sales channel.
	ErrUnknownChannel = errors.New("token: unknown channel")
)

// knownChannel reports whether ch is one of the sales channels of the order API.
func knownChannel(ch string) bool {
	switch ch {
	case "web", "mobile", "wholesale":
		return true
	}
	return false
}

// Mint returns a token for channel that expires ttl after now, signed with secret.
//
// Mint does not check channel: a token for an unknown channel, or for a channel containing a
// '.', is minted but never verifies. The expiry is truncated to whole seconds.
func Mint(secret []byte, channel string, ttl time.Duration, now time.Time) string {
	payload := version + "." + channel + "." + strconv.FormatInt(now.Add(ttl).Unix(), 10)
	return payload + "." + base64.RawURLEncoding.EncodeToString(sign(secret, payload))
}

// Verify checks tok against secret at time now and returns the channel it names.
//
// It returns ErrMalformed for text that is not a v1 token, ErrBadSignature when the signature
// does not match (always when secret is empty), ErrUnknownChannel for a genuine token naming
// an unknown channel and ErrExpired for a genuine token whose expiry is at or before now. The
// signature is compared in constant time and checked before the channel and expiry, so a
// forged token never learns more than ErrBadSignature.
func Verify(secret []byte, tok string, now time.Time) (channel string, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 4 || parts[0] != version || parts[1] == "" {
		return "", ErrMalformed
	}
	expiry, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || expiry <= 0 {
		return "", ErrMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(parts[3]); err != nil {
		return "", ErrMalformed
	}
	if len(secret) == 0 {
		return "", ErrBadSignature
	}
	// Compare the signature as written, not as decoded: base64 decoding
	// skips newlines and ignores the last character's unused bits, so
	// other spellings of a valid signature would otherwise pass.
	want := base64.RawURLEncoding.EncodeToString(sign(secret, parts[0]+"."+parts[1]+"."+parts[2]))
	if !hmac.Equal([]byte(parts[3]), []byte(want)) {
		return "", ErrBadSignature
	}
	if !knownChannel(parts[1]) {
		return "", ErrUnknownChannel
	}
	if !now.Before(time.Unix(expiry, 0)) {
		return "", ErrExpired
	}
	return parts[1], nil
}

// sign returns HMAC-SHA256(secret, payload).
func sign(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}
