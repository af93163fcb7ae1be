package magiclink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// MaxLifetime is the longest a link lives: NIST SP 800-63B §5.1.3.2
	// gives an out-of-band secret ten minutes.
	MaxLifetime = 10 * time.Minute
	// MaxAttempts is how many codes the original tab may try once the
	// link was opened in another browser: enough for typos, and five
	// guesses at a million codes are worth nothing.
	MaxAttempts = 5
	// Path is where a link points, under Options.BaseURL.
	Path = "/magic"
	// minKey is the shortest key accepted: HMAC-SHA256's block of
	// security.
	minKey = 32
)

// Throttle bounds how often links are sent to one address. Allow returns
// nil when a message may go to dest at now, and an error (that a page may
// show) when it may not. A refused send creates no challenge.
type Throttle interface {
	Allow(dest string, now time.Time) error
}

// Options configure a Factor. Authenticators, Challenges, Sender,
// Renderer, Key, BaseURL and Site are required.
type Options struct {
	Authenticators store.Authenticators
	Challenges     store.Challenges
	Sender         deliver.Sender
	Renderer       *deliver.Renderer
	// Key signs links and hashes browsers and codes: at least 32 random
	// bytes, the same on every replica, kept secret. Changing it voids
	// every link in flight.
	Key []byte
	// BaseURL is the public URL of stepup ("https://id.example.com");
	// links point to BaseURL + Path. It must be https, or http to a
	// loopback host for development.
	BaseURL string
	// Site names the service in the message and on the link's page.
	Site string
	// Lifetime is how long a link stays valid: MaxLifetime when zero,
	// never longer.
	Lifetime time.Duration
	// Throttle, when set, is asked before each send.
	Throttle Throttle
	// Lang returns the language of the message to userID (a BCP 47 tag
	// or an Accept-Language value); nil, or an empty answer, means
	// English.
	Lang func(ctx context.Context, userID string) string
	// Now defaults to time.Now, Rand (for ids and codes) to
	// crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// Factor is the magic-link factor. It is safe for concurrent use.
type Factor struct {
	auths      store.Authenticators
	challenges store.Challenges
	sender     deliver.Sender
	renderer   *deliver.Renderer
	key        []byte
	link       string // BaseURL + Path + "?token="
	site       string
	lifetime   time.Duration
	throttle   Throttle
	lang       func(ctx context.Context, userID string) string
	now        func() time.Time
	rand       io.Reader
}

var _ factor.Factor = (*Factor)(nil)

// New returns a Factor, or an error naming every option that is missing
// or wrong.
func New(o Options) (*Factor, error) {
	var errs []error
	required := []struct {
		missing bool
		name    string
	}{
		{o.Authenticators == nil, "Authenticators"}, {o.Challenges == nil, "Challenges"},
		{o.Sender == nil, "Sender"}, {o.Renderer == nil, "Renderer"},
	}
	for _, r := range required {
		if r.missing {
			errs = append(errs, fmt.Errorf("magiclink: option %s is required", r.name))
		}
	}
	if len(o.Key) < minKey {
		errs = append(errs, fmt.Errorf("magiclink: option Key must have at least %d bytes but it has %d", minKey, len(o.Key)))
	}
	base, err := baseURL(o.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(o.Site) == "" {
		errs = append(errs, errors.New("magiclink: option Site is required: the message and the link's page name it"))
	}
	if o.Lifetime < 0 || o.Lifetime > MaxLifetime {
		errs = append(errs, fmt.Errorf("magiclink: option Lifetime must be between 0 and %s but it is %s", MaxLifetime, o.Lifetime))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	f := &Factor{
		auths: o.Authenticators, challenges: o.Challenges, sender: o.Sender, renderer: o.Renderer,
		key: append([]byte(nil), o.Key...), link: base + Path + "?token=", site: o.Site,
		lifetime: o.Lifetime, throttle: o.Throttle, lang: o.Lang, now: o.Now, rand: o.Rand,
	}
	if f.lifetime == 0 {
		f.lifetime = MaxLifetime
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.rand == nil {
		f.rand = rand.Reader
	}
	return f, nil
}

// baseURL checks the public URL and returns it without a trailing slash.
func baseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || s == "" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("magiclink: option BaseURL %q must be an absolute URL with no user, query or fragment", s)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return "", fmt.Errorf("magiclink: option BaseURL %q must be https (http only to a loopback host): a link sent in clear can be read on the way", s)
	}
	return strings.TrimSuffix(s, "/"), nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Method returns acr.EmailMagicLink.
func (f *Factor) Method() acr.Method { return acr.EmailMagicLink }
