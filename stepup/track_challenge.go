package stepup

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The hosted pages answer a tracked action's challenge as a flow whose
// completion target is the action (Flow.ActionID): Peek reads what a
// challenge link names and changes nothing, for the page a link opens
// (which link previews of mail and chat apps fetch too); Open turns the
// challenge into that flow, bound to the first browser that asks to
// answer it; Session gives the pages what the challenge has proved so far;
// Verified records each verification; Finish ends the challenge and says
// where the browser goes: the caller's redirect URL with a validation
// token, which the backend checks with Validate.

// Token purposes: a challenge link's token cannot pass for a validation
// token, nor the other way round.
const (
	purposeChallenge = "challenge"
	purposeValidate  = "validate"
)

// Peek returns the action whose challenge a link's token names, while it
// waits for its answer, and binds it to no browser: anything may fetch a
// link (a mail client's link preview does, before the user clicks), and
// only Open, which the user asks for, takes the challenge. A challenge
// that another browser than binding's owns already is ErrActionToken, as
// Open would answer.
func (t *Tracker) Peek(ctx context.Context, token, binding string) (Tracked, error) {
	id, err := t.tokens.open(purposeChallenge, token)
	if err != nil {
		return Tracked{}, ErrActionToken
	}
	rec, err := t.pending(ctx, id)
	if err != nil {
		return Tracked{}, err
	}
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return Tracked{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	if doc.Binding != "" && subtle.ConstantTimeCompare([]byte(doc.Binding), []byte(bindingHash(binding))) != 1 {
		return Tracked{}, ErrActionToken
	}
	return t.tracked(rec)
}

// Open returns the flow that answers the challenge a link's token names,
// for the browser whose flow binding is binding. The first browser to
// open a challenge owns it: the same link opened elsewhere (forwarded,
// leaked in a log) is ErrActionToken.
func (t *Tracker) Open(ctx context.Context, token, binding string) (Flow, error) {
	id, err := t.tokens.open(purposeChallenge, token)
	if err != nil || binding == "" {
		return Flow{}, ErrActionToken
	}
	rec, err := t.pending(ctx, id)
	if err != nil {
		return Flow{}, err
	}
	mine := bindingHash(binding)
	tr, err := t.update(ctx, rec, ErrActionToken, func(cur *store.ActionRecord, doc *record) (string, error) {
		if !t.isPending(cur) {
			return "", ErrActionToken
		}
		switch {
		case doc.Binding == "":
			doc.Binding = mine
		case subtle.ConstantTimeCompare([]byte(doc.Binding), []byte(mine)) != 1:
			return "", ErrActionToken
		}
		return cur.State, nil
	})
	if err != nil {
		return Flow{}, err
	}
	return t.flow(tr), nil
}

// flow is the flow of a pending challenge.
func (t *Tracker) flow(tr Tracked) Flow {
	c := tr.Challenge
	return Flow{
		ActionID: tr.ID, UserID: tr.UserID, Level: c.Level, Since: c.Since, Methods: c.Methods,
		ExpiresAt: tr.CreatedAt.Add(t.ttl), ReturnTo: originOf(c.RedirectURL),
	}
}

// Vouched returns where the application of flow's action vouches its user
// reads messages, for the pages: the flow's token does not carry it.
func (t *Tracker) Vouched(ctx context.Context, flow Flow) (Vouched, error) {
	rec, err := t.pending(ctx, flow.ActionID)
	if err != nil {
		return Vouched{}, err
	}
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return Vouched{}, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	if doc.Challenge == nil {
		return Vouched{}, nil
	}
	return doc.Challenge.Vouched, nil
}

// Session returns what a challenge has proved so far as a session the
// hosted pages can weigh: the application's sign-in and the answers. It
// is never stored, and no cookie carries it.
func (t *Tracker) Session(ctx context.Context, flow Flow) (*store.Session, error) {
	rec, err := t.pending(ctx, flow.ActionID)
	if err != nil {
		return nil, err
	}
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return nil, fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	sess := &store.Session{ID: "action:" + rec.ID, UserID: rec.UserID, CreatedAt: rec.CreatedAt}
	for _, v := range append([]acr.Verification{appSignIn(rec.CreatedAt)}, doc.Answers...) {
		sess.Verifications = append(sess.Verifications, store.Verification{
			Method: v.Method, AMR: v.AMR, UserVerified: v.UserVerified, HardwareBound: v.HardwareBound, Level: v.Level, At: v.At,
		})
	}
	return sess, nil
}

// Verified records a verification the hosted pages made for a challenge.
func (t *Tracker) Verified(ctx context.Context, flow Flow, v store.Verification) error {
	rec, err := t.pending(ctx, flow.ActionID)
	if err != nil {
		return err
	}
	_, err = t.update(ctx, rec, ErrActionToken, func(cur *store.ActionRecord, doc *record) (string, error) {
		if !t.isPending(cur) {
			return "", ErrActionToken
		}
		doc.Answers = append(doc.Answers, acr.Verification{
			Method: v.Method, At: v.At, UserVerified: v.UserVerified, HardwareBound: v.HardwareBound, AMR: v.AMR,
		})
		return cur.State, nil
	})
	return err
}

// Finish ends a challenge the hosted pages hand back: it succeeded when
// its answers reach the level asked for, and failed otherwise (the user
// cancelled, or could not reach it). It returns where the browser goes:
// the caller's redirect URL with a validation token, or "" without one.
func (t *Tracker) Finish(ctx context.Context, flow Flow) (string, error) {
	rec, err := t.pending(ctx, flow.ActionID)
	if err != nil {
		return "", err
	}
	tr, err := t.update(ctx, rec, ErrActionToken, func(cur *store.ActionRecord, doc *record) (string, error) {
		if !t.isPending(cur) { // finished a moment ago
			return "", ErrActionToken
		}
		vs := append([]acr.Verification{appSignIn(rec.CreatedAt)}, doc.Answers...)
		a := acr.Assess(flow.Counted(vs), doc.Challenge.Since)
		if flow.Cancelled || len(doc.Answers) == 0 || !a.Level.Satisfies(doc.Challenge.Level) {
			return StateChallengeFailed, nil
		}
		last := doc.Answers[len(doc.Answers)-1]
		doc.Verified = &Verified{Method: last.Method, Level: a.Level, AMR: a.AMR, At: last.At}
		return StateChallengeSucceeded, nil
	})
	if err != nil {
		return "", err
	}
	if tr.State == StateChallengeSucceeded {
		if err := t.remember(ctx, rec); err != nil {
			return "", err
		}
	}
	if flow.ReturnTo == "" {
		return "", nil // no redirect URL: the page says the user may close it
	}
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return "", fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	return redirectWith(doc.Challenge.RedirectURL, t.tokens.seal(purposeValidate, tr.ID, t.now().Add(t.ttl)))
}

// remember makes the tracked request's device known, now that the user
// answered its challenge there.
func (t *Tracker) remember(ctx context.Context, rec *store.ActionRecord) error {
	var doc record
	if err := json.Unmarshal(rec.Decision, &doc); err != nil {
		return fmt.Errorf("stepup: action %s: %w", rec.ID, err)
	}
	o := Origin{DeviceID: doc.Device, UserAgent: doc.UserAgent}
	o.IP, _ = netip.ParseAddr(doc.IP) // none: the zero address
	return t.engine.Remember(ctx, rec.UserID, o)
}

// pending returns the record of a challenge still waiting for its answer.
func (t *Tracker) pending(ctx context.Context, id string) (*store.ActionRecord, error) {
	rec, err := t.actions.Get(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrActionToken
	case err != nil:
		return nil, fmt.Errorf("stepup: action %s: %w", id, err)
	case !t.isPending(rec):
		return nil, ErrActionToken
	}
	return rec, nil
}

// isPending reports whether rec's challenge still waits for an answer.
func (t *Tracker) isPending(rec *store.ActionRecord) bool {
	return rec.State == StateChallengeRequired && t.now().Before(rec.CreatedAt.Add(t.ttl))
}

// originOf is the scheme and host of a URL, "" if it has none.
func originOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// bindingHash is how a challenge remembers its browser.
func bindingHash(binding string) string {
	sum := sha256.Sum256([]byte("action-binding\x00" + binding))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// actionTokens signs the tokens of tracked actions: the record id and an
// expiry, with an HMAC over a purpose. Challenge tokens are as short-lived
// as the challenge; a record's state and its Validated mark make each
// token's effect happen once.
type actionTokens struct {
	key []byte
	now func() time.Time
}

type actionToken struct {
	ID  string `json:"id"`
	Exp int64  `json:"exp"`
}

func (a actionTokens) seal(purpose, id string, exp time.Time) string {
	body, _ := json.Marshal(actionToken{ID: id, Exp: exp.Unix()}) // two plain fields
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(a.mac(purpose, payload))
}

// maxActionToken bounds what open reads: a token is under 100 bytes.
const maxActionToken = 512

func (a actionTokens) open(purpose, token string) (string, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > maxActionToken {
		return "", ErrActionToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, a.mac(purpose, payload)) {
		return "", ErrActionToken
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", ErrActionToken
	}
	var tok actionToken
	if err := json.Unmarshal(body, &tok); err != nil || tok.ID == "" || !a.now().Before(time.Unix(tok.Exp, 0)) {
		return "", ErrActionToken
	}
	return tok.ID, nil
}

func (a actionTokens) mac(purpose, payload string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("stepup action token\x00" + purpose + "\x00" + payload))
	return m.Sum(nil)
}
