package factor

import (
	"context"
	"errors"
	"fmt"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

var (
	// ErrWrongAnswer means the answer was checked and is wrong: a wrong
	// code, a WebAuthn assertion that does not verify or lacks user
	// verification. It counts as a failed verification.
	ErrWrongAnswer = errors.New("factor: the answer is not right")
	// ErrExpired means the challenge an answer names is unknown, expired,
	// already answered, or was issued to another user or flow. Nothing
	// was checked; start again.
	ErrExpired = errors.New("factor: the challenge expired or was already used")
	// ErrNotEnrolled means the user has no authenticator of the method.
	ErrNotEnrolled = errors.New("factor: nothing of this method is enrolled")
	// ErrMalformed means an answer could not be read (not a code, not
	// WebAuthn JSON). Nothing was checked.
	ErrMalformed = errors.New("factor: the answer could not be read")
	// ErrPending means an out-of-band challenge has no answer yet (a push
	// not yet approved, a magic link not yet opened): nothing was
	// checked, and the page asks again.
	ErrPending = errors.New("factor: waiting for the answer")
)

// Target is who and what a verification is for: the user (empty for a
// discoverable sign-in, which learns the user from the answer) and the
// flow the challenge is bound to, so that an answer carried into another
// flow or browser is refused.
type Target struct {
	UserID string
	FlowID string
	// Authenticators, when set, are the ids of the only authenticators a
	// verification's prompt may name: those that reach the level asked
	// (a step-up to phrh names no synced passkey), or the one address a
	// code is to be sent to.
	Authenticators []string
	// Browser identifies the browser the flow runs in (a hash of its
	// binding cookie), for factors whose answer may arrive from another
	// one: a magic link opened on another device.
	Browser string
	// Lang is the language the user reads (an Accept-Language value), for
	// the messages a factor sends.
	Lang string
}

// Prompt is what the user needs to answer: for WebAuthn, the options the
// browser passes to navigator.credentials; for an authenticator app at
// enrollment, its secret as an otpauth URI and a QR code.
type Prompt struct {
	// ChallengeID names the stored challenge the answer must name; empty
	// when the factor stores none (a TOTP code needs no challenge).
	ChallengeID string
	// Options is JSON for the browser: PublicKeyCredentialCreationOptions
	// or PublicKeyCredentialRequestOptions, in their JSON form
	// (parseCreationOptionsFromJSON, parseRequestOptionsFromJSON).
	Options []byte
	// URI is an otpauth:// URI, and QRCode a PNG of it.
	URI    string
	QRCode []byte
	// Display is what the page shows beside the prompt: the masked
	// address a code was sent to, the number a push asks the user to
	// pick on their device.
	Display string
}

// Answer is the user's answer to a prompt.
type Answer struct {
	ChallengeID string
	// Response is what the user gave: a code as typed, or the JSON of a
	// WebAuthn credential (PublicKeyCredential.toJSON()).
	Response []byte
	// Name names the authenticator being enrolled ("Work laptop").
	Name string
}

// Result is a successful verification or enrollment: the authenticator
// it proved (for a discoverable sign-in, its UserID says who signed in)
// and the verification for the session.
type Result struct {
	Authenticator *store.Authenticator
	Verification  store.Verification
}

// Factor verifies a user with one method.
type Factor interface {
	Method() acr.Method
	// BeginVerify starts a verification of t.UserID with any of their
	// authenticators of this method; ErrNotEnrolled if they have none.
	BeginVerify(ctx context.Context, t Target) (Prompt, error)
	// FinishVerify checks an answer for t: ErrWrongAnswer, ErrExpired
	// or ErrMalformed (wrapped) when it does not verify. A challenge is
	// spent by its first answer, right or wrong.
	FinishVerify(ctx context.Context, t Target, a Answer) (Result, error)
}

// Enroller is a Factor a user sets up themselves.
type Enroller interface {
	Factor
	// BeginEnroll starts setting up a new authenticator for u.
	BeginEnroll(ctx context.Context, u *store.User, t Target) (Prompt, error)
	// FinishEnroll checks the answer that proves the new authenticator
	// works, stores it, and returns it with the verification the
	// answer made (setting up a factor proves it).
	FinishEnroll(ctx context.Context, u *store.User, t Target, a Answer) (Result, error)
}

// Discoverable is a Factor that can sign a user in with no username: the
// authenticator says whose it is.
type Discoverable interface {
	BeginSignIn(ctx context.Context, t Target) (Prompt, error)
	FinishSignIn(ctx context.Context, t Target, a Answer) (Result, error)
}

// Verification returns the verification of one method by authenticator
// a, with the amr acr gives it: every factor reports its verifications so.
func Verification(a *store.Authenticator, v acr.Verification) store.Verification {
	v.Method = a.Method
	return store.Verification{
		Method: a.Method, AuthenticatorID: a.ID, AMR: acr.AMR(v),
		UserVerified: v.UserVerified, HardwareBound: v.HardwareBound, At: v.At,
	}
}

// Enrolled returns the user's confirmed authenticators of method m.
func Enrolled(ctx context.Context, auths store.Authenticators, userID string, m acr.Method) ([]*store.Authenticator, error) {
	all, err := auths.ListByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("factor: authenticators of user %s: %w", userID, err)
	}
	var out []*store.Authenticator
	for _, a := range all {
		if a.Method == m && a.Verified {
			out = append(out, a)
		}
	}
	return out, nil
}
