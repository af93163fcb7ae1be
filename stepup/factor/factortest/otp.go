package factortest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// HOTP is an RFC 4226 code made by hand (HMAC-SHA1 and dynamic
// truncation, §5.3): a generator independent of the pquerna/otp the TOTP
// factor uses, for tests to answer it as an authenticator app would.
func HOTP(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// TOTP is the RFC 6238 code (SHA-1, 6 digits, 30-second steps) at t of
// the secret in an otpauth:// URI, as an app that scanned it shows.
func TOTP(uri string, t time.Time) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(u.Query().Get("secret")))
	if err != nil {
		return "", fmt.Errorf("factortest: the secret of %q: %w", uri, err)
	}
	return HOTP(secret, uint64(t.Unix()/30), 6), nil
}
