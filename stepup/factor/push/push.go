package push

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// notifyTimeout bounds the operator's webhook: the page waits for
// BeginVerify, and the device long-polls anyway.
const notifyTimeout = 5 * time.Second

// Options configure a Factor. Authenticators, Challenges and PublicURL are
// required.
type Options struct {
	Authenticators store.Authenticators
	Challenges     store.Challenges
	// PublicURL is the server's public URL, without a trailing slash: a
	// device reaches the device API at PublicURL+"/v1/device/...".
	PublicURL string
	// Limits bound the pushes a user is sent; zero fields take
	// DefaultLimits' values.
	Limits Limits
	// Notifier, if set, is told of each push created, so that the
	// operator can wake their app (WebhookNotifier).
	Notifier Notifier
	// Log receives notifier failures; nil: slog.Default().
	Log *slog.Logger
	// Now defaults to time.Now, Rand to crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// Factor is the push factor: the hosted page's side (the factor.Enroller)
// and the device's side (EnrollDevice, Device, Pending, Answer), which
// the device API serves. It is safe for concurrent use.
type Factor struct {
	auths      store.Authenticators
	challenges store.Challenges
	publicURL  string
	limits     Limits
	notifier   Notifier
	log        *slog.Logger
	now        func() time.Time
	rand       io.Reader
	hub        hub
}

var _ factor.Enroller = (*Factor)(nil)

// New returns a Factor, or an error naming every option that is wrong.
func New(o Options) (*Factor, error) {
	var errs []error
	if o.Authenticators == nil {
		errs = append(errs, errors.New("push: option Authenticators is required"))
	}
	if o.Challenges == nil {
		errs = append(errs, errors.New("push: option Challenges is required"))
	}
	if u, err := url.Parse(o.PublicURL); o.PublicURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("push: option PublicURL %q is not an http(s) URL: devices are sent to it", o.PublicURL))
	}
	limits, err := o.Limits.withDefaults()
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	f := &Factor{
		auths: o.Authenticators, challenges: o.Challenges, publicURL: o.PublicURL,
		limits: limits, notifier: o.Notifier, log: o.Log, now: o.Now, rand: o.Rand,
	}
	if f.log == nil {
		f.log = slog.Default()
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.rand == nil {
		f.rand = rand.Reader
	}
	return f, nil
}

// Method returns acr.Push.
func (f *Factor) Method() acr.Method { return acr.Push }

// Limits returns the limits in force, defaults filled in.
func (f *Factor) Limits() Limits { return f.limits }

// Subscribe returns a channel that receives when a push is created for
// the user in this process, for a device's long poll to wake up at once;
// cancel ends the subscription. A push created by another replica sends
// nothing: pollers read the store now and then too.
func (f *Factor) Subscribe(userID string) (wake <-chan struct{}, cancel func()) {
	return f.hub.subscribe(userID)
}

// newID returns a random record id, base64url: 128 bits, unguessable.
func (f *Factor) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(f.rand, b[:]); err != nil {
		return "", fmt.Errorf("push: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// enrolled returns the user's push devices, only those of allowed when it
// is not empty.
func (f *Factor) enrolled(ctx context.Context, userID string, allowed []string) ([]*store.Authenticator, error) {
	all, err := factor.Enrolled(ctx, f.auths, userID, acr.Push)
	if err != nil {
		return nil, err
	}
	if len(allowed) == 0 {
		return all, nil
	}
	var out []*store.Authenticator
	for _, a := range all {
		for _, id := range allowed {
			if a.ID == id {
				out = append(out, a)
				break
			}
		}
	}
	return out, nil
}
