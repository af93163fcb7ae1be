package config

import (
	"errors"
	"fmt"
	"net/url"
)

// URL is a URL read from the configuration. The zero URL holds a nil
// *url.URL and prints as "".
type URL struct{ *url.URL }

// ParseURL parses s with url.Parse; the empty string is the zero URL.
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
	return URL{u}, nil
}

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
