package passkey

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// DefaultTimeout is how long a ceremony stays open when Options.Timeout
// is zero: long enough to find a security key and type its PIN.
const DefaultTimeout = 5 * time.Minute

// Options configure a Factor.
type Options struct {
	Authenticators store.Authenticators
	Challenges     store.Challenges
	Users          store.Users
	// RPID is the relying party id: the site's domain, or a parent
	// domain of it ("example.com", "localhost"); not an IP address.
	RPID string
	// RPOrigins are the origins the browser may report, with scheme and
	// port when it is not the scheme's default ("https://login.example.com",
	// "http://localhost:8443").
	RPOrigins []string
	// RPDisplayName is the name an authenticator shows at enrollment.
	RPDisplayName string
	// HardwareAAGUIDs are authenticator models whose keys never leave
	// the device, chosen by the operator: their passkeys count as
	// hardware-bound even when they say they could be backed up.
	HardwareAAGUIDs []uuid.UUID
	// Timeout bounds a ceremony, from its options to its answer
	// (default DefaultTimeout).
	Timeout time.Duration
	// Now is the clock (default time.Now), Rand the source of challenge
	// and authenticator ids (default crypto/rand), Log the logger
	// (default: discard).
	Now  func() time.Time
	Rand io.Reader
	Log  *slog.Logger
}

// Factor verifies and enrolls WebAuthn credentials.
type Factor struct {
	wa         *webauthn.WebAuthn
	auths      store.Authenticators
	challenges store.Challenges
	users      store.Users
	hardware   map[uuid.UUID]bool
	timeout    time.Duration
	now        func() time.Time
	rand       io.Reader
	log        *slog.Logger
}

var (
	_ factor.Enroller     = (*Factor)(nil)
	_ factor.Discoverable = (*Factor)(nil)
)

// New returns a Factor, or every problem of o at once.
func New(o Options) (*Factor, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// Enforce makes the library refuse a session past its timeout even
	// if our store kept it; both clocks bound the ceremony.
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: o.Timeout, TimeoutUVD: o.Timeout}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          o.RPID,
		RPDisplayName: o.RPDisplayName,
		RPOrigins:     o.RPOrigins,
		Timeouts:      webauthn.TimeoutsConfig{Login: timeout, Registration: timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	hw := make(map[uuid.UUID]bool, len(o.HardwareAAGUIDs))
	for _, id := range o.HardwareAAGUIDs {
		hw[id] = true
	}
	return &Factor{
		wa: wa, auths: o.Authenticators, challenges: o.Challenges, users: o.Users,
		hardware: hw, timeout: o.Timeout, now: o.Now, rand: o.Rand, log: o.Log,
	}, nil
}

func (o Options) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("passkey: "+format, args...))
	}
	if o.Authenticators == nil || o.Challenges == nil || o.Users == nil {
		bad("Authenticators, Challenges and Users are all required")
	}
	if o.RPID == "" {
		bad("RPID is required")
	} else if err := protocol.ValidateRPID(o.RPID); err != nil {
		bad("RPID %q is not a domain: %v", o.RPID, err)
	}
	if len(o.RPOrigins) == 0 {
		bad("RPOrigins needs at least one origin")
	}
	for _, origin := range o.RPOrigins {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad("RPOrigins: %q is not an origin like https://login.example.com or http://localhost:8443", origin)
		}
	}
	if o.RPDisplayName == "" {
		bad("RPDisplayName is required: authenticators show it at enrollment")
	}
	for _, id := range o.HardwareAAGUIDs {
		if id == uuid.Nil {
			// The zero AAGUID is what authenticators that do not say
			// their model send: allowing it would make them all hardware.
			bad("HardwareAAGUIDs: the zero AAGUID names no authenticator model")
		}
	}
	if o.Timeout < 0 {
		bad("Timeout %s is negative", o.Timeout)
	}
	return errors.Join(errs...)
}

// Method is acr.Passkey; a verification by a security key reports
// acr.SecurityKey.
func (f *Factor) Method() acr.Method { return acr.Passkey }
