package token_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labkit-dev/labkit/solutions/token"
)

func TestMintFormat(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	now := time.Unix(1_700_000_000, 0)
	got := token.Mint(secret, "web", time.Hour, now)

	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v1.web.1700003600"))
	want := "v1.web.1700003600." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if got != want {
		t.Errorf("Mint = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	now := time.Unix(1_700_000_000, 0)
	valid := token.Mint(secret, "mobile", time.Minute, now)
	sig := valid[strings.LastIndex(valid, ".")+1:]

	tests := []struct {
		name    string
		secret  []byte
		tok     string
		now     time.Time
		want    string
		wantErr error
	}{
		{name: "web", secret: secret, tok: token.Mint(secret, "web", time.Minute, now), now: now, want: "web"},
		{name: "mobile", secret: secret, tok: valid, now: now, want: "mobile"},
		{name: "wholesale", secret: secret, tok: token.Mint(secret, "wholesale", time.Minute, now), now: now, want: "wholesale"},
		{name: "one second before expiry", secret: secret, tok: valid, now: now.Add(59 * time.Second), want: "mobile"},
		{name: "at expiry", secret: secret, tok: valid, now: now.Add(time.Minute), wantErr: token.ErrExpired},
		{name: "after expiry", secret: secret, tok: valid, now: now.Add(time.Hour), wantErr: token.ErrExpired},
		{name: "minted already expired", secret: secret, tok: token.Mint(secret, "web", -time.Second, now), now: now, wantErr: token.ErrExpired},
		{name: "other secret", secret: []byte("other"), tok: valid, now: now, wantErr: token.ErrBadSignature},
		{name: "empty secret", secret: nil, tok: token.Mint(nil, "web", time.Minute, now), now: now, wantErr: token.ErrBadSignature},
		{name: "channel swapped", secret: secret, tok: "v1.web." + strings.SplitN(valid, ".", 4)[2] + "." + sig, now: now, wantErr: token.ErrBadSignature},
		{name: "expiry extended", secret: secret, tok: "v1.mobile.9999999999." + sig, now: now, wantErr: token.ErrBadSignature},
		{name: "signature truncated", secret: secret, tok: valid[:len(valid)-3], now: now, wantErr: token.ErrBadSignature},
		{name: "unknown channel", secret: secret, tok: token.Mint(secret, "kiosk", time.Minute, now), now: now, want: "", wantErr: token.ErrUnknownChannel},
		{name: "unknown channel and expired", secret: secret, tok: token.Mint(secret, "kiosk", -time.Minute, now), now: now, wantErr: token.ErrUnknownChannel},
		{name: "empty", secret: secret, tok: "", now: now, wantErr: token.ErrMalformed},
		{name: "three fields", secret: secret, tok: "v1.web.1700003600", now: now, wantErr: token.ErrMalformed},
		{name: "five fields", secret: secret, tok: "v1.we.b.1700003600." + sig, now: now, wantErr: token.ErrMalformed},
		{name: "version 2", secret: secret, tok: "v2" + valid[2:], now: now, wantErr: token.ErrMalformed},
		{name: "empty channel", secret: secret, tok: "v1..1700003600." + sig, now: now, wantErr: token.ErrMalformed},
		{name: "expiry not a number", secret: secret, tok: "v1.web.soon." + sig, now: now, wantErr: token.ErrMalformed},
		{name: "negative expiry", secret: secret, tok: "v1.web.-5." + sig, now: now, wantErr: token.ErrMalformed},
		{name: "signature not base64url", secret: secret, tok: "v1.web.1700003600.***", now: now, wantErr: token.ErrMalformed},
		{name: "padded signature", secret: secret, tok: valid + "=", now: now, wantErr: token.ErrMalformed},
		{name: "bearer prefix left on", secret: secret, tok: "Bearer " + valid, now: now, wantErr: token.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := token.Verify(tt.secret, tt.tok, tt.now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify(%q) error = %v, want %v", tt.tok, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Verify(%q) = %q, want %q", tt.tok, got, tt.want)
			}
		})
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	errs := []error{token.ErrMalformed, token.ErrBadSignature, token.ErrExpired, token.ErrUnknownChannel}
	for i, a := range errs {
		for j, b := range errs {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true, want false", a, b)
			}
		}
	}
}

func ExampleMint() {
	secret := []byte("course-secret")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tok := token.Mint(secret, "wholesale", 24*time.Hour, now)

	channel, err := token.Verify(secret, tok, now.Add(time.Hour))
	fmt.Println(channel, err)

	_, err = token.Verify(secret, tok, now.Add(25*time.Hour))
	fmt.Println(err)
	// Output:
	// wholesale <nil>
	// token: expired
}

// FuzzVerify checks that Verify never panics and accepts only what Mint produces: a token
// that verifies is byte for byte the token Mint makes for its channel and expiry.
func FuzzVerify(f *testing.F) {
	secret := []byte("fuzz-secret")
	now := time.Unix(1_700_000_000, 0)
	f.Add(token.Mint(secret, "web", time.Hour, now))
	f.Add(token.Mint(secret, "kiosk", time.Hour, now))
	f.Add("v1.web.1700003600.")
	f.Add("v1.web.99999999999999999999.AAAA")
	f.Add("...")
	f.Fuzz(func(t *testing.T, tok string) {
		channel, err := token.Verify(secret, tok, now)
		if err != nil {
			return
		}
		exp, perr := strconv.ParseInt(strings.Split(tok, ".")[2], 10, 64)
		if perr != nil {
			t.Fatalf("Verify accepted %q with an unparseable expiry", tok)
		}
		if again := token.Mint(secret, channel, time.Unix(exp, 0).Sub(now), now); again != tok {
			t.Errorf("Verify accepted %q, but Mint gives %q for its channel and expiry", tok, again)
		}
	})
}
