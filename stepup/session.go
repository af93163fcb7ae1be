package stepup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// ErrNoSession means a session token names no live session: unknown,
// logged out, or past its idle or absolute timeout.
var ErrNoSession = errors.New("stepup: no session")

// SessionPolicy bounds how long an SSO session lives. The defaults follow
// NIST SP 800-63B for AAL2: reauthentication at least every 12 hours, and
// after 30 minutes without activity.
type SessionPolicy struct {
	Idle     time.Duration
	Absolute time.Duration
}

// DefaultSessionPolicy returns the NIST AAL2 bounds.
func DefaultSessionPolicy() SessionPolicy {
	return SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
}

// maxVerifications bounds what a long session keeps: the newest ones are
// all a level or a max_age can ever need.
const maxVerifications = 16

// Sessions keeps SSO sessions. The browser holds a random token; the store
// keys the session by the token's SHA-256, so a leaked store reveals no
// usable cookie.
type Sessions struct {
	store  store.Sessions
	policy SessionPolicy
	now    func() time.Time
	rand   io.Reader
}

// NewSessions returns the session service. now and random default to the
// real clock and crypto/rand.
func NewSessions(st store.Sessions, p SessionPolicy, now func() time.Time, random io.Reader) *Sessions {
	if now == nil {
		now = time.Now
	}
	if random == nil {
		random = rand.Reader
	}
	return &Sessions{store: st, policy: p, now: now, rand: random}
}

// sessionID is the store key of a session token.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Start begins a session for a user who has just verified v, and returns
// the token for the session cookie.
func (s *Sessions) Start(ctx context.Context, userID string, v store.Verification) (string, *store.Session, error) {
	token, err := s.newToken()
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	sess := &store.Session{
		ID:            sessionID(token),
		Lineage:       sessionID(token),
		UserID:        userID,
		Verifications: []store.Verification{v},
		CreatedAt:     now,
		LastSeenAt:    now,
	}
	sess.ExpiresAt = s.expiry(sess, now)
	if err := s.store.Create(ctx, sess); err != nil {
		return "", nil, fmt.Errorf("stepup: start session: %w", err)
	}
	return token, sess, nil
}

// newToken returns a random session token.
func (s *Sessions) newToken() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("stepup: session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// expiry is when a session seen at now lapses: after the idle timeout, and
// never later than the absolute one.
func (s *Sessions) expiry(sess *store.Session, now time.Time) time.Time {
	idle := now.Add(s.policy.Idle)
	absolute := sess.CreatedAt.Add(s.policy.Absolute)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// Find returns the live session a token names, and records the activity.
// Recording is a write, so it happens only when a tenth of the idle
// timeout has passed since the last one.
func (s *Sessions) Find(ctx context.Context, token string) (*store.Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	sess, err := s.store.Get(ctx, sessionID(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("stepup: find session: %w", err)
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) < s.policy.Idle/10 {
		return sess, nil
	}
	sess.LastSeenAt = now
	sess.ExpiresAt = s.expiry(sess, now)
	switch err := s.store.Update(ctx, sess); {
	case err == nil, errors.Is(err, store.ErrConflict):
		// A conflict means another request touched or changed it: the
		// activity is recorded either way; return what is stored.
		if err != nil {
			return s.reload(ctx, sess.ID)
		}
		return sess, nil
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrNoSession
	default:
		return nil, fmt.Errorf("stepup: touch session: %w", err)
	}
}

func (s *Sessions) reload(ctx context.Context, id string) (*store.Session, error) {
	sess, err := s.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	return sess, err
}

// Elevate records a completed verification in the session under a new
// token, and ends the old token: the token a session had before its level
// rose (read off a shared computer, planted by an attacker) is worth
// nothing after, as OWASP asks of any change of privilege. It returns the
// new token for the session cookie.
func (s *Sessions) Elevate(ctx context.Context, sess *store.Session, v store.Verification) (string, *store.Session, error) {
	token, err := s.newToken()
	if err != nil {
		return "", nil, err
	}
	next := sess.Clone()
	next.ID, next.Lineage, next.Version = sessionID(token), sess.Name(), 0
	next.Verifications = append(next.Verifications, v)
	if n := len(next.Verifications); n > maxVerifications {
		next.Verifications = next.Verifications[n-maxVerifications:]
	}
	now := s.now()
	next.LastSeenAt = now
	next.ExpiresAt = s.expiry(next, now)
	// The old token ends first: a session signed out meanwhile is gone,
	// and must not come back under the new token.
	switch err := s.store.Delete(ctx, sess.ID); {
	case errors.Is(err, store.ErrNotFound):
		return "", nil, ErrNoSession
	case err != nil:
		return "", nil, fmt.Errorf("stepup: elevate session: end the old token: %w", err)
	}
	if err := s.store.Create(ctx, next); err != nil {
		return "", nil, fmt.Errorf("stepup: elevate session: %w", err)
	}
	return token, next, nil
}

// End logs a session out.
func (s *Sessions) End(ctx context.Context, token string) error {
	err := s.store.Delete(ctx, sessionID(token))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("stepup: end session: %w", err)
	}
	return nil
}

// Verifications returns a session's verifications as acr.Assess takes them.
func Verifications(sess *store.Session) []acr.Verification {
	out := make([]acr.Verification, len(sess.Verifications))
	for i, v := range sess.Verifications {
		out[i] = acr.Verification{
			Method: v.Method, At: v.At, UserVerified: v.UserVerified,
			HardwareBound: v.HardwareBound, AMR: v.AMR, Level: v.Level,
		}
	}
	return out
}
