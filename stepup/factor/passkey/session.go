package passkey

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// ceremony is what a stored session was begun for.
type ceremony int

const (
	enrollment ceremony = iota
	verification
	signIn
)

// newID returns 32 random bytes, base64url: an id nobody can guess.
func (f *Factor) newID() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(f.rand, b[:]); err != nil {
		return "", fmt.Errorf("passkey: random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// saveSession keeps s for the answer to t's prompt and returns the prompt
// carrying options, the JSON of the publicKey member of the library's
// options.
func (f *Factor) saveSession(ctx context.Context, t factor.Target, s *webauthn.SessionData, options any) (factor.Prompt, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("passkey: session: %w", err)
	}
	opts, err := json.Marshal(options)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("passkey: options: %w", err)
	}
	id, err := f.newID()
	if err != nil {
		return factor.Prompt{}, err
	}
	now := f.now()
	c := &store.Challenge{
		ID: id, Method: acr.Passkey, UserID: t.UserID, FlowID: t.FlowID,
		Data: data, CreatedAt: now, ExpiresAt: now.Add(f.timeout),
	}
	if err := f.challenges.Create(ctx, c); err != nil {
		return factor.Prompt{}, fmt.Errorf("passkey: store challenge: %w", err)
	}
	return factor.Prompt{ChallengeID: id, Options: opts}, nil
}

// takeSession consumes the challenge id names and returns its session if
// it was begun for kind, for t.UserID (none for a sign-in) and t.FlowID,
// and has not expired: otherwise ErrExpired. Consumed first, it serves
// one answer, right or wrong.
func (f *Factor) takeSession(ctx context.Context, t factor.Target, id string, kind ceremony) (*webauthn.SessionData, error) {
	if id == "" {
		return nil, fmt.Errorf("passkey: the answer names no challenge: %w", factor.ErrExpired)
	}
	c, err := f.challenges.Consume(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("passkey: challenge: %w", factor.ErrExpired)
	case err != nil:
		return nil, fmt.Errorf("passkey: challenge: %w", err)
	}
	wantUser := t.UserID
	if kind == signIn {
		wantUser = ""
	}
	switch {
	case c.Method != acr.Passkey:
		return nil, fmt.Errorf("passkey: the challenge is for %s: %w", c.Method, factor.ErrExpired)
	case c.UserID != wantUser:
		return nil, fmt.Errorf("passkey: the challenge was issued to another user: %w", factor.ErrExpired)
	case c.FlowID != t.FlowID:
		return nil, fmt.Errorf("passkey: the challenge was issued to another flow: %w", factor.ErrExpired)
	case !store.Live(c.ExpiresAt, f.now()):
		return nil, fmt.Errorf("passkey: the challenge expired at %s: %w", c.ExpiresAt, factor.ErrExpired)
	}
	var s webauthn.SessionData
	if err := json.Unmarshal(c.Data, &s); err != nil {
		return nil, fmt.Errorf("passkey: stored session: %w", err)
	}
	// Only a registration session carries credential parameters; the
	// user id tells a sign-in from a verification.
	var got ceremony
	switch {
	case len(s.CredParams) > 0:
		got = enrollment
	case len(s.UserID) == 0:
		got = signIn
	default:
		got = verification
	}
	if got != kind {
		return nil, fmt.Errorf("passkey: the challenge is for another ceremony: %w", factor.ErrExpired)
	}
	return &s, nil
}
