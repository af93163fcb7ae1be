package totp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// qrSize is the side of the QR code in pixels: large enough to scan from
// a screen, small enough for any page.
const qrSize = 200

// BeginEnroll makes a new secret for u and returns it as an otpauth URI
// and a QR code, with the challenge FinishEnroll's answer must name. The
// secret is stored, sealed, in the challenge only: nothing is enrolled
// until the user proves their app has it.
func (f *Factor) BeginEnroll(ctx context.Context, u *store.User, t factor.Target) (factor.Prompt, error) {
	account := u.Username
	if account == "" {
		account = u.ID
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: f.issuer, AccountName: account, Period: period, SecretSize: secretSize,
		Digits: digits, Algorithm: otp.AlgorithmSHA1, Rand: f.rand,
	})
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("totp: enroll user %s: %w", u.ID, err)
	}
	secret, err := b32.DecodeString(key.Secret())
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("totp: enroll user %s: the generated secret: %w", u.ID, err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("totp: enroll user %s: QR code: %w", u.ID, err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return factor.Prompt{}, fmt.Errorf("totp: enroll user %s: QR code: %w", u.ID, err)
	}
	id, err := f.newID()
	if err != nil {
		return factor.Prompt{}, err
	}
	sealed, err := f.sealer.Seal(secret, enrollAD(id))
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("totp: enroll user %s: %w", u.ID, err)
	}
	now := f.now()
	c := &store.Challenge{
		ID: id, Method: acr.TOTP, UserID: u.ID, FlowID: t.FlowID, Data: sealed,
		MaxAttempts: enrollAttempts, CreatedAt: now, ExpiresAt: now.Add(enrollTTL),
	}
	if err := f.challenges.Create(ctx, c); err != nil {
		return factor.Prompt{}, fmt.Errorf("totp: enroll user %s: %w", u.ID, err)
	}
	return factor.Prompt{ChallengeID: id, URI: key.URL(), QRCode: qr.Bytes()}, nil
}

// FinishEnroll checks the first code of the app the user set up and, if
// it is right, stores the authenticator with that code's step as its
// last, so the code cannot verify again. Each answer spends one of the
// challenge's attempts; a right one spends the challenge.
func (f *Factor) FinishEnroll(ctx context.Context, u *store.User, t factor.Target, a factor.Answer) (factor.Result, error) {
	c, err := f.challenges.Get(ctx, a.ChallengeID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", a.ChallengeID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", a.ChallengeID, err)
	}
	// An id alone proves nothing: it may have leaked from another flow or
	// been issued to someone else. (The store hides expired challenges.)
	if c.Method != acr.TOTP || c.UserID != u.ID || c.FlowID != t.FlowID {
		return factor.Result{}, fmt.Errorf("totp: enrollment %q is not for user %s in this flow: %w", a.ChallengeID, u.ID, factor.ErrExpired)
	}
	code, err := parseCode(a.Response)
	if err != nil {
		return factor.Result{}, err
	}
	// The attempt is spent before the code is compared, so that of many
	// guesses sent at once no more than enrollAttempts are compared.
	switch _, err := f.challenges.Attempt(ctx, c.ID); {
	case errors.Is(err, store.ErrConflict):
		// Spent: as good as expired, and the user starts again with a
		// new secret.
		return factor.Result{}, fmt.Errorf("totp: enrollment %q took its %d codes; start again: %w", c.ID, enrollAttempts, factor.ErrExpired)
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, err)
	}
	secret, err := f.sealer.Open(c.Data, enrollAD(c.ID))
	if err != nil {
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, err)
	}
	now := f.now()
	step, ok, err := match(secret, code, window(now), 0)
	if err != nil {
		return factor.Result{}, err
	}
	if !ok {
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, factor.ErrWrongAnswer)
	}
	// Two right answers may race: only the one that consumes the
	// challenge enrolls, so one scan never makes two authenticators.
	switch _, err := f.challenges.Consume(ctx, c.ID); {
	case errors.Is(err, store.ErrNotFound):
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, factor.ErrExpired)
	case err != nil:
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, err)
	}
	id, err := f.newID()
	if err != nil {
		return factor.Result{}, err
	}
	sealed, err := f.sealer.Seal(secret, secretAD(id))
	if err != nil {
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, err)
	}
	name := a.Name
	if name == "" {
		name = defaultName
	}
	auth := &store.Authenticator{
		ID: id, UserID: u.ID, Method: acr.TOTP, Name: name, Secret: sealed,
		Counter: step, Verified: true, CreatedAt: now, LastUsedAt: now,
	}
	if err := f.auths.Create(ctx, auth); err != nil {
		return factor.Result{}, fmt.Errorf("totp: enrollment %q: %w", c.ID, err)
	}
	return factor.Result{Authenticator: auth, Verification: factor.Verification(auth, acr.Verification{At: now})}, nil
}
