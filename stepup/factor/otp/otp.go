package otp

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/deliver"
	"github.com/stepup-auth/stepup/stepup/factor/phone"
	"github.com/stepup-auth/stepup/stepup/factor/sendlimit"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// MaxLifetime is the longest a code may be valid: NIST SP 800-63B
	// §5.1.3.2 bounds an out-of-band secret to ten minutes.
	MaxLifetime = 10 * time.Minute
	// MaxAttempts is how many guesses one code takes.
	MaxAttempts = 5
)

// Options configure a Factor. Method, Authenticators, Challenges, Sender,
// Renderer, Site, Key and Limits are required; Phones too for SMS and
// WhatsApp.
type Options struct {
	// Method is acr.EmailOTP, acr.SMS or acr.WhatsApp.
	Method         acr.Method
	Authenticators store.Authenticators
	Challenges     store.Challenges
	// Users, when set, has a user's Email marked verified when a code
	// sent to it comes back.
	Users    store.Users
	Sender   deliver.Sender
	Renderer *deliver.Renderer
	// Site names the service in the message ("Example Corp").
	Site string
	// Key keys the codes' hashes; at least 32 bytes, kept outside the
	// store.
	Key []byte
	// Limits bounds the sends; for SMS and WhatsApp, destinations are
	// counted under their country.
	Limits *sendlimit.Limiter
	// Phones parses numbers and checks their country (SMS, WhatsApp).
	Phones *phone.Policy
	// Lifetime is how long a code is valid: MaxLifetime if zero, and
	// never longer.
	Lifetime time.Duration
	// Now defaults to time.Now, Rand to crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// Factor is the one-time-code factor of one method. It is safe for
// concurrent use.
type Factor struct {
	o       Options
	channel deliver.Channel
}

var _ factor.Enroller = (*Factor)(nil)

// New returns a Factor, or an error naming every option missing or wrong.
func New(o Options) (*Factor, error) {
	var errs []error
	need := func(missing bool, name string) {
		if missing {
			errs = append(errs, fmt.Errorf("otp: option %s is required", name))
		}
	}
	f := &Factor{o: o}
	switch o.Method {
	case acr.EmailOTP:
		f.channel = deliver.Email
	case acr.SMS:
		f.channel = deliver.SMS
	case acr.WhatsApp:
		f.channel = deliver.WhatsApp
	default:
		errs = append(errs, fmt.Errorf("otp: method %q sends no code; use EMAIL_OTP, SMS or WHATSAPP", o.Method))
	}
	need(o.Authenticators == nil, "Authenticators")
	need(o.Challenges == nil, "Challenges")
	need(o.Sender == nil, "Sender")
	need(o.Renderer == nil, "Renderer")
	need(strings.TrimSpace(o.Site) == "", "Site")
	need(o.Limits == nil, "Limits")
	need(f.channel != deliver.Email && o.Phones == nil, "Phones")
	if len(o.Key) < 32 {
		errs = append(errs, errors.New("otp: option Key needs at least 32 bytes"))
	}
	switch {
	case o.Lifetime == 0:
		f.o.Lifetime = MaxLifetime
	case o.Lifetime < time.Minute || o.Lifetime > MaxLifetime:
		errs = append(errs, fmt.Errorf("otp: option Lifetime must be between 1m and %s but it's %s", MaxLifetime, o.Lifetime))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if f.o.Now == nil {
		f.o.Now = time.Now
	}
	return f, nil
}

// Method returns the factor's method.
func (f *Factor) Method() acr.Method { return f.o.Method }

// Lifetime returns how long a code is valid.
func (f *Factor) Lifetime() time.Duration { return f.o.Lifetime }
