package acr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParseWWWAuthenticate: no panic, only the package's errors, and
// whatever parses is written by Header as a header that parses back to the
// same Challenge, error_description aside, which Header restricts to RFC
// 6750's characters.
func FuzzParseWWWAuthenticate(f *testing.F) {
	for _, tt := range headerTests {
		f.Add(tt.header)
	}
	for _, s := range []string{
		`Basic realm="x", Bearer error="invalid_token"`,
		`Negotiate abc+/==, NTLM, Bearer max_age=0, DPoP algs="ES256"`,
		`Bearer realm="a\"b\\c", acr_values=" a  b "`,
		`Bearer error="x", Basic realm="y`,
		"Bearer error=\"a\tb\xff\"",
		`Bearer max_age=9223372036`,
		", ,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		c, err := ParseWWWAuthenticate(header)
		if err != nil {
			if !errors.Is(err, ErrNoChallenge) && !errors.Is(err, ErrMalformedChallenge) {
				t.Fatalf("%q: error %v wraps no sentinel", header, err)
			}
			return
		}
		if c.HasMaxAge && (c.MaxAge < 0 || c.MaxAge%time.Second != 0) {
			t.Fatalf("%q: max_age %v", header, c.MaxAge)
		}
		h := c.Header()
		back, err := ParseWWWAuthenticate(h)
		if err != nil {
			t.Fatalf("%q parsed as %+v, written as %q, which does not parse: %v", header, c, h, err)
		}
		want := c
		want.Description = safeDescription(c.Description)
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("%q parsed as %+v, written as %q, parsed back as %+v", header, c, h, back)
		}
	})
}

// FuzzChallengeHeader: whatever a resource server puts in a Challenge,
// Header writes a value with no character a header cannot carry, that
// parses back to the Challenge with those characters replaced.
func FuzzChallengeHeader(f *testing.F) {
	f.Add("example", CodeInsufficientUserAuthentication, "More recent authentication is required", "", "myACR", int64(5*time.Second), true)
	f.Add("a\"b\\", "invalid_token", "é\r\n\"", "read write", "x\ty\x00 z", int64(-1), true)
	f.Add("", "", "", "", "", int64(1500*time.Millisecond), false)
	f.Fuzz(func(t *testing.T, realm, code, desc, scope, acr string, maxAge int64, hasMaxAge bool) {
		c := Challenge{Realm: realm, Error: code, Description: desc, Scope: scope,
			ACRValues: strings.Fields(acr), MaxAge: time.Duration(maxAge), HasMaxAge: hasMaxAge}
		if len(c.ACRValues) == 0 {
			c.ACRValues = nil
		}
		h := c.Header()
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 && h[i] != '\t' || h[i] == 0x7f {
				t.Fatalf("Header() = %q: control character at %d", h, i)
			}
		}
		got, err := ParseWWWAuthenticate(h)
		if err != nil {
			t.Fatalf("Header() = %q does not parse: %v", h, err)
		}
		want := Challenge{Realm: carried(realm), Error: carried(code), Description: safeDescription(desc),
			Scope: carried(scope), HasMaxAge: hasMaxAge}
		for _, v := range c.ACRValues {
			want.ACRValues = append(want.ACRValues, carried(v))
		}
		if hasMaxAge {
			want.MaxAge = time.Duration(c.maxAgeSeconds()) * time.Second
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v written as %q, parsed back as %+v, want %+v", c, h, got, want)
		}
	})
}

// carried is s as a quoted-string carries it: control characters but HTAB
// replaced with '?'.
func carried(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			b[i] = '?'
		}
	}
	return string(b)
}
