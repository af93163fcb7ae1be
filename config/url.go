package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// URL is a URL read from the configuration. The zero URL holds a nil
// *url.URL and prints as "".
type URL struct{ *url.URL }

// ParseURL parses s with url.Parse; the empty string is the zero URL. A '#'
// with nothing after it is refused: url.URL has no way to keep it, so the
// URL would lose it without a word, and a redirect URI registered as
// https://rp.example/cb# would be stored, and matched, as another.
func ParseURL(s string) (URL, error) {
	if s == "" {
		return URL{}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse repeats the whole input in its error; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return URL{}, fmt.Errorf("config: invalid URL %q: %w", s, err)
	}
	if u.Fragment == "" && strings.HasSuffix(s, "#") {
		return URL{}, fmt.Errorf("config: invalid URL %q: %w", s, errEmptyFragment)
	}
	return URL{u}, nil
}

var errEmptyFragment = errors.New(`it ends in "#", an empty fragment, which would be dropped; remove the "#"`)

// UnmarshalText parses the URL with ParseURL.
func (u *URL) UnmarshalText(b []byte) error {
	v, err := ParseURL(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// MarshalText returns the URL as text, so a Config can be printed back.
func (u URL) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// String returns the URL, or "" for the zero URL.
func (u URL) String() string {
	if u.URL == nil {
		return ""
	}
	return u.URL.String()
}

// PasskeysOff reports whether passkeys cannot work at public URL u: its
// host is an IP address, and WebAuthn relying party ids are domain names.
func PasskeysOff(u URL) bool {
	_, err := netip.ParseAddr(u.Hostname())
	return err == nil
}
