package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepup-auth/stepup/stepup"
)

// ClaimNames names the claims of an upstream's ID token that stepup reads
// for the user's profile; the rest are the standard ones.
type ClaimNames struct {
	Username string
	Email    string
	Name     string
}

// Claims is what stepup reads of a verified ID token.
type Claims struct {
	Issuer        string
	Subject       string
	Nonce         string
	ACR           string
	AMR           []string
	AuthTime      time.Time
	IssuedAt      time.Time
	Email         string
	EmailVerified bool
	Username      string
	Name          string
}

// maxClaimLength bounds the profile strings stepup keeps of an upstream:
// they end up in the user record and on pages.
const maxClaimLength = 256

// ParseClaims reads an ID token's payload, whose signature has been
// verified, with the profile claims named by names. Anything malformed in
// the claims stepup relies on (iss, sub, nonce, acr, amr, auth_time) is an
// error; a malformed profile claim is left out, as if it were not sent.
func ParseClaims(payload []byte, names ClaimNames) (Claims, error) {
	var raw map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return Claims{}, fmt.Errorf("upstream: ID token claims: %w", err)
	}
	var c Claims
	var errs []error
	str := func(name string, dst *string, required bool) {
		msg, ok := raw[name]
		if !ok {
			if required {
				errs = append(errs, fmt.Errorf("upstream: ID token has no %s", name))
			}
			return
		}
		if err := json.Unmarshal(msg, dst); err != nil || !utf8.ValidString(*dst) || len(*dst) > maxClaimLength {
			*dst = ""
			errs = append(errs, fmt.Errorf("upstream: ID token's %s is not a short string", name))
		}
	}
	str("iss", &c.Issuer, true)
	str("sub", &c.Subject, true)
	str("nonce", &c.Nonce, false)
	str("acr", &c.ACR, false)
	if msg, ok := raw["amr"]; ok {
		if err := json.Unmarshal(msg, &c.AMR); err != nil {
			errs = append(errs, errors.New("upstream: ID token's amr is not a list of strings"))
		}
	}
	var err error
	if c.AuthTime, err = numericDate(raw, "auth_time"); err != nil {
		errs = append(errs, err)
	}
	if c.IssuedAt, err = numericDate(raw, "iat"); err != nil {
		errs = append(errs, err)
	}
	if c.Subject == "" && len(errs) == 0 {
		errs = append(errs, errors.New("upstream: ID token's sub is empty"))
	}
	if len(errs) > 0 {
		return Claims{}, errors.Join(errs...)
	}
	c.Email = profile(raw, names.Email)
	c.Username = profile(raw, names.Username)
	c.Name = profile(raw, names.Name)
	// A JSON true says verified, and so does the string "true", which
	// Cognito sends for its attributes; anything else is no promise. It
	// speaks of the email claim alone: an address read from another
	// (Entra's preferred_username) is never verified by it.
	if msg, ok := raw["email_verified"]; ok && (names.Email == "email" || names.Email == "") {
		var b bool
		c.EmailVerified = json.Unmarshal(msg, &b) == nil && b
		if !c.EmailVerified && strings.TrimSpace(string(msg)) == `"true"` {
			c.EmailVerified = true
		}
	}
	return c, nil
}

// profile returns a profile claim when it is a short string, else "".
func profile(raw map[string]json.RawMessage, name string) string {
	var s string
	if msg, ok := raw[name]; !ok || name == "" || json.Unmarshal(msg, &s) != nil || len(s) > maxClaimLength || !utf8.ValidString(s) {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// numericDate reads a NumericDate (seconds since the epoch, possibly with
// a fraction); zero when absent.
func numericDate(raw map[string]json.RawMessage, name string) (time.Time, error) {
	msg, ok := raw[name]
	if !ok {
		return time.Time{}, nil
	}
	var n json.Number
	if err := json.Unmarshal(msg, &n); err != nil {
		return time.Time{}, fmt.Errorf("upstream: ID token's %s is not a number", name)
	}
	f, err := n.Float64()
	// Past year 9999, or before 1970, is no auth_time a provider sends.
	if err != nil || math.IsNaN(f) || f < 0 || f > 253402300799 {
		return time.Time{}, fmt.Errorf("upstream: ID token's %s is out of range", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// Identity is who the claims say signed in at the upstream with id.
func (c Claims) Identity(id string) stepup.UpstreamIdentity {
	return stepup.UpstreamIdentity{
		Upstream: id, Issuer: c.Issuer, Subject: c.Subject,
		Email: c.Email, EmailVerified: c.EmailVerified, Username: c.Username, Name: c.Name,
		AuthTime: c.AuthTime,
	}
}
