package recovery

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// Count is how many codes Generate makes.
	Count = 10
	// MinKeySize is the least size of Options.Key, in bytes.
	MinKeySize = 32
	// authenticatorName names the authenticator holding a user's codes.
	authenticatorName = "Recovery codes"
)

// Options configure a Factor. Authenticators and Key are required.
type Options struct {
	Authenticators store.Authenticators
	// Key is the HMAC key the codes are stored under, at least
	// MinKeySize random bytes, kept outside the store (configuration).
	// Changing it invalidates every code.
	Key []byte
	// Now defaults to time.Now, Rand to crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// Factor is the recovery-code factor. It is safe for concurrent use.
type Factor struct {
	auths store.Authenticators
	key   []byte
	now   func() time.Time
	rand  io.Reader
}

var _ factor.Factor = (*Factor)(nil)

// New returns a Factor, or an error naming every option that is wrong.
func New(o Options) (*Factor, error) {
	var errs []error
	if o.Authenticators == nil {
		errs = append(errs, errors.New("recovery: option Authenticators is required"))
	}
	if len(o.Key) < MinKeySize {
		errs = append(errs, fmt.Errorf("recovery: option Key has %d bytes, want at least %d random bytes", len(o.Key), MinKeySize))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	f := &Factor{auths: o.Authenticators, key: slices.Clone(o.Key), now: o.Now, rand: o.Rand}
	if f.now == nil {
		f.now = time.Now
	}
	if f.rand == nil {
		f.rand = rand.Reader
	}
	return f, nil
}

// Method returns acr.RecoveryCode.
func (f *Factor) Method() acr.Method { return acr.RecoveryCode }

// Generate makes new recovery codes for the user and returns them, as
// xxxxx-xxxxx, to show once. The user's previous codes stop working.
func (f *Factor) Generate(ctx context.Context, userID string) ([]string, error) {
	codes, err := f.newCodes()
	if err != nil {
		return nil, err
	}
	hashes := make([][]byte, len(codes))
	for i, c := range codes {
		hashes[i] = f.hash(userID, c)
	}
	var id [16]byte
	if _, err := io.ReadFull(f.rand, id[:]); err != nil {
		return nil, fmt.Errorf("recovery: random id: %w", err)
	}
	// The old lists are read before the new one is stored and deleted
	// after: a failure midway leaves the old codes working (the caller
	// shows an error, not new codes), and two calls racing leave both of
	// their lists rather than neither.
	old, err := f.lists(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := f.now()
	a := &store.Authenticator{
		ID: base64.RawURLEncoding.EncodeToString(id[:]), UserID: userID, Method: acr.RecoveryCode,
		Name: authenticatorName, Data: encodeHashes(hashes), Verified: true, CreatedAt: now,
	}
	if err := f.auths.Create(ctx, a); err != nil {
		return nil, fmt.Errorf("recovery: codes of user %s: %w", userID, err)
	}
	for _, o := range old {
		if err := f.auths.Delete(ctx, o.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("recovery: the previous codes of user %s: %w", userID, err)
		}
	}
	shown := make([]string, len(codes))
	for i, c := range codes {
		shown[i] = display(c)
	}
	return shown, nil
}

// Remaining returns how many unused codes a holds: 0 if it is not a
// recovery-code authenticator or its list cannot be read.
func Remaining(a *store.Authenticator) int {
	if a == nil || a.Method != acr.RecoveryCode {
		return 0
	}
	hashes, err := decodeHashes(a.Data)
	if err != nil {
		return 0
	}
	return len(hashes)
}

// Remaining is the package's Remaining, as a method: what a caller that
// holds the factor behind an interface (the hosted pages) asks.
func (f *Factor) Remaining(a *store.Authenticator) int { return Remaining(a) }

// BeginVerify checks that the user has a code left, and returns an empty
// prompt: the codes are on the user's paper.
func (f *Factor) BeginVerify(ctx context.Context, t factor.Target) (factor.Prompt, error) {
	lists, err := f.lists(ctx, t.UserID)
	if err != nil {
		return factor.Prompt{}, err
	}
	for _, a := range lists {
		if Remaining(a) > 0 {
			return factor.Prompt{}, nil
		}
	}
	return factor.Prompt{}, fmt.Errorf("recovery: user %s has no recovery code left: %w", t.UserID, factor.ErrNotEnrolled)
}

// lists returns the user's recovery-code authenticators.
func (f *Factor) lists(ctx context.Context, userID string) ([]*store.Authenticator, error) {
	return factor.Enrolled(ctx, f.auths, userID, acr.RecoveryCode)
}
