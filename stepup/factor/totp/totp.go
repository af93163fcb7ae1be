package totp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// enrollTTL is how long a user has to scan the QR code and type the
	// first code.
	enrollTTL = 10 * time.Minute
	// enrollAttempts is how many codes an enrollment takes before it must
	// start again: enough for typos, too few to matter as guesses.
	enrollAttempts = 5
	// defaultName names an authenticator the user did not name.
	defaultName = "Authenticator app"
)

// Options configure a Factor. Authenticators, Challenges, Sealer and
// Issuer are required.
type Options struct {
	Authenticators store.Authenticators
	Challenges     store.Challenges
	// Sealer encrypts secrets at rest.
	Sealer *seal.Sealer
	// Issuer names the service in the user's app ("Example Corp"). It
	// is the otpauth label's prefix, so it cannot contain a colon.
	Issuer string
	// Now defaults to time.Now, Rand to crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// Factor is the TOTP factor. It is safe for concurrent use.
type Factor struct {
	auths      store.Authenticators
	challenges store.Challenges
	sealer     *seal.Sealer
	issuer     string
	now        func() time.Time
	rand       io.Reader
}

var _ factor.Enroller = (*Factor)(nil)

// New returns a Factor, or an error naming every required option missing.
func New(o Options) (*Factor, error) {
	var errs []error
	if o.Authenticators == nil {
		errs = append(errs, errors.New("totp: option Authenticators is required"))
	}
	if o.Challenges == nil {
		errs = append(errs, errors.New("totp: option Challenges is required"))
	}
	if o.Sealer == nil {
		errs = append(errs, errors.New("totp: option Sealer is required: secrets are never stored in clear"))
	}
	switch {
	case strings.TrimSpace(o.Issuer) == "":
		errs = append(errs, errors.New("totp: option Issuer is required: apps show it beside the code"))
	case strings.Contains(o.Issuer, ":"):
		errs = append(errs, fmt.Errorf("totp: option Issuer %q contains a colon, which ends the issuer in an otpauth label", o.Issuer))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	f := &Factor{
		auths: o.Authenticators, challenges: o.Challenges, sealer: o.Sealer,
		issuer: o.Issuer, now: o.Now, rand: o.Rand,
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.rand == nil {
		f.rand = rand.Reader
	}
	return f, nil
}

// Method returns acr.TOTP.
func (f *Factor) Method() acr.Method { return acr.TOTP }

// BeginVerify checks that t.UserID has a TOTP authenticator and returns
// an empty prompt: the app makes the code with no challenge from us.
func (f *Factor) BeginVerify(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	auths, err := f.enrolled(ctx, t.UserID)
	if err != nil {
		return factor.Prompt{}, err
	}
	if len(auths) == 0 {
		return factor.Prompt{}, fmt.Errorf("totp: user %s: %w", t.UserID, factor.ErrNotEnrolled)
	}
	return factor.Prompt{}, nil
}

// enrolled returns the user's confirmed TOTP authenticators.
func (f *Factor) enrolled(ctx context.Context, userID string) ([]*store.Authenticator, error) {
	return factor.Enrolled(ctx, f.auths, userID, acr.TOTP)
}

// newID returns a random record id.
func (f *Factor) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(f.rand, b[:]); err != nil {
		return "", fmt.Errorf("totp: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// secretAD and enrollAD are the associated data that bind a sealed secret
// to its record.
func secretAD(authenticatorID string) []byte { return []byte("totp\x00" + authenticatorID) }
func enrollAD(challengeID string) []byte     { return []byte("totp-enroll\x00" + challengeID) }
