package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

const (
	// enrollTTL is how long a user has to scan the code with their app.
	enrollTTL = 10 * time.Minute
	// qrSize is the side of the QR code in pixels, as for TOTP.
	qrSize = 200
	// EnrollScheme is the scheme of an enrollment URI.
	EnrollScheme = "stepup-push"
	// defaultName names a device that gave no name.
	defaultName = "Phone"
	// The longest name and platform a device may give, in characters.
	maxName     = 64
	maxPlatform = 32
)

// ErrEnrollment means a device's enrollment was refused: its token is
// unknown, expired or used, or its proof does not verify. Nothing was
// stored.
var ErrEnrollment = errors.New("push: the enrollment is refused")

// BeginEnroll starts setting up a push device for u: it returns an
// enrollment URI, and a QR code of it, for the user's app to scan, with
// the challenge FinishEnroll names. The URI holds a one-time token that
// lets one device enroll within ten minutes:
//
//	stepup-push://enroll?server=<PublicURL>&token=<token>
//
// The caller decides who may enroll: a new device lets its holder
// approve sign-ins, so the page asks for a step-up first.
func (f *Factor) BeginEnroll(ctx context.Context, u *store.User, t factor.Target) (factor.Prompt, error) {
	id, err := f.newID()
	if err != nil {
		return factor.Prompt{}, err
	}
	var secret [32]byte
	if _, err := io.ReadFull(f.rand, secret[:]); err != nil {
		return factor.Prompt{}, fmt.Errorf("push: enroll user %s: %w", u.ID, err)
	}
	hash := sha256.Sum256(secret[:])
	now := f.now()
	f.dropUnconfirmed(ctx, u.ID, now)
	c := &store.Challenge{
		ID: id, Method: acr.Push, UserID: u.ID, FlowID: t.FlowID, SecretHash: hash[:],
		Data:        (&record{Kind: kindEnroll, State: StatePending}).encode(),
		MaxAttempts: 1, CreatedAt: now, ExpiresAt: now.Add(enrollTTL),
	}
	if err := f.challenges.Create(ctx, c); err != nil {
		return factor.Prompt{}, fmt.Errorf("push: enroll user %s: %w", u.ID, err)
	}
	uri := EnrollScheme + "://enroll?" + url.Values{
		"server": {f.publicURL},
		"token":  {id + "." + base64.RawURLEncoding.EncodeToString(secret[:])},
	}.Encode()
	code, err := qrPNG(uri)
	if err != nil {
		return factor.Prompt{}, fmt.Errorf("push: enroll user %s: %w", u.ID, err)
	}
	return factor.Prompt{ChallengeID: id, URI: uri, QRCode: code}, nil
}

// dropUnconfirmed deletes u's devices that enrolled but were never
// confirmed on the page (the user started again, or it was not their
// phone) once their enrollment can no longer be confirmed. They are no
// factor, but they should not pile up. Best effort: a device left now is
// dropped at the next enrollment.
func (f *Factor) dropUnconfirmed(ctx context.Context, userID string, now time.Time) {
	auths, err := f.auths.ListByUser(ctx, userID)
	if err != nil {
		return
	}
	for _, a := range auths {
		if a.Method == acr.Push && !a.Verified && now.Sub(a.CreatedAt) > enrollTTL {
			if err := f.auths.Delete(ctx, a.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				f.log.WarnContext(ctx, "push: an unconfirmed device could not be dropped", "device", a.ID, "err", err)
			}
		}
	}
}

func qrPNG(s string) ([]byte, error) {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	if code, err = barcode.Scale(code, qrSize, qrSize); err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, code); err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	return b.Bytes(), nil
}

// FinishEnroll tells the page how enrollment a.ChallengeID stands:
// ErrPending until a device enrolled with its token, then the device and
// the verification its enrollment made, once. ErrExpired when it is gone
// or not u's in this flow. The page should first show the user which
// device enrolled (EnrolledDevice) and call this once they confirm it:
// whoever photographed the QR code could have enrolled first.
func (f *Factor) FinishEnroll(ctx context.Context, u *store.User, t factor.Target, a factor.Answer) (factor.Result, error) {
	c, auth, err := f.enrolledWith(ctx, u, t, a.ChallengeID)
	if err != nil {
		return factor.Result{}, err
	}
	if _, err := f.challenges.Consume(ctx, c.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return factor.Result{}, fmt.Errorf("push: enrollment %q: %w", c.ID, factor.ErrExpired)
		}
		return factor.Result{}, fmt.Errorf("push: enrollment %q: %w", c.ID, err)
	}
	if !auth.Verified {
		auth.Verified = true
		if err := f.auths.Update(ctx, auth); err != nil {
			return factor.Result{}, fmt.Errorf("push: enrollment %q: confirming device %s: %w", c.ID, auth.ID, err)
		}
	}
	return factor.Result{Authenticator: auth, Verification: factor.Verification(auth, acr.Verification{At: f.now()})}, nil
}

// EnrolledDevice returns, changing nothing, the device that enrolled with
// enrollment id of u in t's flow, for the page to show before the user
// confirms it: ErrPending until one did, ErrExpired as FinishEnroll.
func (f *Factor) EnrolledDevice(ctx context.Context, u *store.User, t factor.Target, id string) (*store.Authenticator, error) {
	_, auth, err := f.enrolledWith(ctx, u, t, id)
	return auth, err
}

// enrolledWith returns enrollment id of u in t's flow and the device that
// enrolled with it.
func (f *Factor) enrolledWith(ctx context.Context, u *store.User, t factor.Target, id string) (*store.Challenge, *store.Authenticator, error) {
	c, err := f.challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, fmt.Errorf("push: enrollment %q: %w", id, factor.ErrExpired)
	case err != nil:
		return nil, nil, fmt.Errorf("push: enrollment %q: %w", id, err)
	}
	r, ok := decode(c, kindEnroll)
	if !ok || c.Method != acr.Push || c.UserID != u.ID || c.FlowID != t.FlowID {
		return nil, nil, fmt.Errorf("push: enrollment %q is not for user %s in this flow: %w", id, u.ID, factor.ErrExpired)
	}
	if r.State == StatePending {
		return nil, nil, fmt.Errorf("push: enrollment %q: %w", c.ID, factor.ErrPending)
	}
	auth, err := f.auths.Get(ctx, r.Authenticator)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The device took the token and is storing its device now (or
		// failed to: then the enrollment expires, and the user starts
		// again). Spending the enrollment here would leave that device
		// stored and never confirmed.
		return nil, nil, fmt.Errorf("push: enrollment %q: its device is not stored yet: %w", c.ID, factor.ErrPending)
	case err != nil:
		return nil, nil, fmt.Errorf("push: enrollment %q: %w", c.ID, err)
	}
	if auth.UserID != u.ID || auth.Method != acr.Push {
		return nil, nil, fmt.Errorf("push: enrollment %q names another user's device: %w", c.ID, factor.ErrExpired)
	}
	return c, auth, nil
}

// Enrollment is what a device sends to enroll.
type Enrollment struct {
	// Token is the token of the enrollment URI.
	Token string
	// PublicKey is the device's P-256 public key (ParsePublicKey).
	PublicKey string
	// Name names the device for its user ("Alice's Pixel"); Platform
	// says what it is ("android", "ios").
	Name     string
	Platform string
	// Proof is the device's signature of EnrollProof(Token, PublicKey).
	Proof []byte
}

// deviceData is the Data of a push authenticator.
type deviceData struct {
	Platform string `json:"platform,omitempty"`
}

// EnrollDevice enrolls the device that sends e, for the user whose
// enrollment token it holds, and returns its authenticator: its ID is the
// device id of its requests from now on. A token enrolls one device.
func (f *Factor) EnrollDevice(ctx context.Context, e Enrollment) (*store.Authenticator, error) {
	id, secret, ok := splitToken(e.Token)
	if !ok {
		return nil, fmt.Errorf("%w: the token is malformed", ErrEnrollment)
	}
	c, err := f.challenges.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: enrollment %q is unknown or expired", ErrEnrollment, id)
	case err != nil:
		return nil, fmt.Errorf("push: enrollment %q: %w", id, err)
	}
	hash := sha256.Sum256(secret)
	r, ok := decode(c, kindEnroll)
	if !ok || c.Method != acr.Push || subtle.ConstantTimeCompare(hash[:], c.SecretHash) != 1 {
		return nil, fmt.Errorf("%w: the token of enrollment %q is wrong", ErrEnrollment, id)
	}
	if r.State != StatePending {
		return nil, fmt.Errorf("%w: enrollment %q is used", ErrEnrollment, id)
	}
	key, der, err := ParsePublicKey(e.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEnrollment, err)
	}
	if !Verify(key, EnrollProof(e.Token, e.PublicKey), e.Proof) {
		return nil, fmt.Errorf("%w: the proof of the key does not verify", ErrEnrollment)
	}
	name, err := cleanText("name", e.Name, maxName)
	if err != nil {
		return nil, err
	}
	platform, err := cleanText("platform", e.Platform, maxPlatform)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = defaultName
	}
	authID, err := f.newID()
	if err != nil {
		return nil, err
	}
	now := f.now()
	r.State, r.Authenticator, r.AnsweredAt = stateEnrolled, authID, now
	c.Data = r.encode()
	// The token is taken before the device is stored, by a compare-and-set:
	// of two devices racing with one token, one enrolls.
	switch err := f.challenges.Update(ctx, c); {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: enrollment %q was used meanwhile", ErrEnrollment, id)
	case err != nil:
		return nil, fmt.Errorf("push: enrollment %q: %w", id, err)
	}
	data, err := json.Marshal(deviceData{Platform: platform})
	if err != nil {
		return nil, fmt.Errorf("push: enrollment %q: %w", id, err)
	}
	// Not Verified until the page that asked confirms it (FinishEnroll):
	// until then it is no factor of the user's, so that the page's own
	// rules for a user's first factor still see none, and it gets no push.
	auth := &store.Authenticator{
		ID: authID, UserID: c.UserID, Method: acr.Push, Name: name, PublicKey: der,
		Data: data, CreatedAt: now, LastUsedAt: now,
	}
	if err := f.auths.Create(ctx, auth); err != nil {
		return nil, fmt.Errorf("push: enrollment %q: %w", id, err)
	}
	return auth, nil
}

// Platform returns what a push device said it is at enrollment.
func Platform(a *store.Authenticator) string {
	var d deviceData
	if json.Unmarshal(a.Data, &d) != nil {
		return ""
	}
	return d.Platform
}

// splitToken reads "<challenge id>.<secret>": a 16-byte id and a 32-byte
// secret, both base64url.
func splitToken(token string) (string, []byte, bool) {
	id, s, ok := strings.Cut(token, ".")
	if !ok || !isBase64URL(id, 22, 22) || !isBase64URL(s, 43, 43) {
		return "", nil, false
	}
	secret, err := base64.RawURLEncoding.DecodeString(s)
	return id, secret, err == nil
}

// cleanText trims s and refuses it if it is not valid UTF-8, holds control
// characters, or is longer than n characters: it is shown to the user on
// their account page.
func cleanText(what, s string, n int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n || strings.ContainsFunc(s, unicode.IsControl) {
		return "", fmt.Errorf("%w: the %s is not text of at most %d characters", ErrProtocol, what, n)
	}
	return s, nil
}
