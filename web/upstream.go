package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
)

// Upstream is an OpenID Provider the sign-in page offers as a first
// factor (oidc/upstream.Provider).
type Upstream interface {
	ID() string
	Name() string
	// LinkByEmail says a new identity may take over the user of its
	// verified email.
	LinkByEmail() bool
	// ACRValues are the acr_values to ask the upstream for, for a flow
	// that needs level, whose relying party sent requested.
	ACRValues(level acr.Level, requested []string) []string
	// AuthURL is where the browser signs in upstream; maxAge, when not
	// negative, is the max_age to ask for.
	AuthURL(ctx context.Context, state, nonce, verifier string, acrValues []string, maxAge time.Duration) (string, error)
	// Exchange redeems a code and verifies the ID token, nonce included.
	Exchange(ctx context.Context, code, verifier, nonce string) (stepup.UpstreamIdentity, store.Verification, error)
}

// UpstreamCookie holds the pending upstream sign-in of a browser (one at a
// time): its state, nonce and PKCE verifier, and the flow it finishes,
// sealed and bound to the browser's flow binding.
const UpstreamCookie = "stepup_upstream"

// upstreamAttemptLifetime is how long a user may take at the upstream.
const upstreamAttemptLifetime = 10 * time.Minute

// upstreamAttempt is one sign-in at an upstream, from the button to the
// callback. It travels in a cookie, sealed (stepup/seal, AES-GCM): the verifier is a
// secret, and the browser must not be able to change the flow it returns
// to.
type upstreamAttempt struct {
	Upstream  string    `json:"u"`
	State     string    `json:"s"`
	Nonce     string    `json:"n"`
	Verifier  string    `json:"v"`
	Flow      string    `json:"f"`
	ExpiresAt time.Time `json:"exp"`
}

// errAttempt means an upstream attempt cookie is missing, forged,
// expired, or of another browser.
var errAttempt = errors.New("web: invalid or expired upstream attempt")

// attemptSealer is the sealer of upstream attempts, under a key derived
// from key (the pages' CSRF key) for this use alone.
func attemptSealer(key []byte) *seal.Sealer {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("stepup web upstream attempt v1"))
	k := seal.Key{Secret: [seal.KeySize]byte(mac.Sum(nil))}
	k.ID = seal.DeriveKeyID(k.Secret)
	sealer, err := seal.New(k)
	if err != nil {
		panic(err) // a derived key id is always valid
	}
	return sealer
}

// sealAttempt seals a for the browser of binding.
func (s *Server) sealAttempt(a upstreamAttempt, binding string) (string, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("web: seal upstream attempt: %w", err)
	}
	sealed, err := s.attempts.Seal(body, []byte(binding))
	if err != nil {
		return "", fmt.Errorf("web: seal upstream attempt: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openAttempt opens a sealed attempt of the browser of binding. The
// binding is the sealed data's associated data: a cookie planted from
// another browser does not open.
func (s *Server) openAttempt(sealed, binding string, now time.Time) (upstreamAttempt, error) {
	if binding == "" || len(sealed) > 4096 {
		return upstreamAttempt{}, errAttempt
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return upstreamAttempt{}, errAttempt
	}
	body, err := s.attempts.Open(raw, []byte(binding))
	if err != nil {
		return upstreamAttempt{}, errAttempt
	}
	var a upstreamAttempt
	if err := json.Unmarshal(body, &a); err != nil || !now.Before(a.ExpiresAt) || a.State == "" || a.Nonce == "" || a.Verifier == "" {
		return upstreamAttempt{}, errAttempt
	}
	return a, nil
}

// randomToken returns 32 random bytes, base64url: a state, a nonce, or a
// PKCE verifier (43 characters, RFC 7636's minimum).
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("web: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *Server) upstream(id string) Upstream {
	for _, u := range s.upstreams {
		if u.ID() == id {
			return u
		}
	}
	return nil
}

// upstreamButton is an upstream on the sign-in page.
type upstreamButton struct{ ID, Name string }

func (s *Server) upstreamButtons(flow stepup.Flow) []upstreamButton {
	if s.federation == nil || !allowed(flow, acr.Upstream) {
		return nil
	}
	var out []upstreamButton
	for _, u := range s.upstreams {
		out = append(out, upstreamButton{u.ID(), u.Name()})
	}
	return out
}

// upstreamStart sends the browser to sign in at an upstream for a flow.
func (s *Server) upstreamStart(w http.ResponseWriter, r *http.Request) {
	flow, binding, ok := s.openPost(w, r)
	if !ok || s.actionFlow(w, flow) {
		return
	}
	u := s.upstream(r.PathValue("id"))
	if u == nil || s.federation == nil || !allowed(flow, acr.Upstream) {
		s.errorPage(w, http.StatusNotFound, "Not available", "This sign-in option is not available here. Go back and choose another.")
		return
	}
	a := upstreamAttempt{Upstream: u.ID(), Flow: r.PostFormValue("flow"), ExpiresAt: s.now().Add(upstreamAttemptLifetime)}
	if a.ExpiresAt.After(flow.ExpiresAt) {
		a.ExpiresAt = flow.ExpiresAt
	}
	for _, dst := range []*string{&a.State, &a.Nonce, &a.Verifier} {
		var err error
		if *dst, err = randomToken(); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	sealed, err := s.sealAttempt(a, binding)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A flow that counts only verifications since a time (max_age,
	// prompt=login) asks the upstream for a sign-in that recent, rather
	// than take an older one of the upstream's own session that would
	// count for nothing.
	maxAge := time.Duration(-1)
	if !flow.Since.IsZero() {
		maxAge = max(0, s.now().Sub(flow.Since))
	}
	to, err := u.AuthURL(r.Context(), a.State, a.Nonce, a.Verifier, u.ACRValues(flow.Level, flow.ACRValues), maxAge)
	if err != nil {
		s.log.Error("web: upstream unreachable", "upstream", u.ID(), "err", err)
		s.errorPage(w, http.StatusBadGateway, "Sign-in unavailable",
			u.Name()+" cannot be reached right now. Try again in a moment, or sign in another way.")
		return
	}
	setCookie(w, UpstreamCookie, sealed, s.secure)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// upstreamCallback finishes a sign-in at an upstream: the attempt must be
// this browser's, for this upstream, with the state it was sent with;
// the ID token must verify, nonce included. Only then is the identity
// linked and the user signed in. Any failure links nothing and starts no
// session.
func (s *Server) upstreamCallback(w http.ResponseWriter, r *http.Request) {
	// Single use: whatever happens next, this attempt is over.
	http.SetCookie(w, &http.Cookie{Name: CookieName(UpstreamCookie, s.secure), Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	expired := func() {
		s.errorPage(w, http.StatusBadRequest, "This sign-in has expired",
			"This sign-in has expired, was used already, or was started in another browser. Go back to the application and start again.")
	}
	binding := FlowBinding(r, s.secure)
	c, err := r.Cookie(CookieName(UpstreamCookie, s.secure))
	if err != nil {
		expired()
		return
	}
	a, err := s.openAttempt(c.Value, binding, s.now())
	u := s.upstream(r.PathValue("id"))
	if err != nil || u == nil || a.Upstream != u.ID() || s.federation == nil {
		expired()
		return
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(a.State)) != 1 {
		s.log.Warn("web: upstream callback with another state", "upstream", u.ID(), "ip", s.clientIP(r))
		s.errorPage(w, http.StatusBadRequest, "This sign-in was refused",
			"The answer from "+u.Name()+" does not belong to this sign-in. Go back to the application and start again.")
		return
	}
	flow, _, ok := s.openFlowToken(w, r, a.Flow, binding)
	if !ok {
		return
	}
	if e := q.Get("error"); e != "" {
		// The code is the upstream's and safe to log in quotes; its
		// description is not shown: it is the upstream's words.
		s.log.Info("web: upstream sign-in failed", "upstream", u.ID(), "error", fmt.Sprintf("%.64q", e))
		s.render(w, http.StatusForbidden, "error", view{Title: "Sign-in did not complete",
			Error: "The sign-in at " + u.Name() + " did not complete.", Link: pageURL("/signin", a.Flow), LinkText: "Back to sign-in"})
		return
	}
	id, v, err := u.Exchange(r.Context(), q.Get("code"), a.Verifier, a.Nonce)
	if err != nil {
		s.log.Warn("web: upstream sign-in refused", "upstream", u.ID(), "err", err)
		s.errorPage(w, http.StatusBadGateway, "This sign-in was refused",
			"The sign-in at "+u.Name()+" could not be verified. Go back to the application and start again.")
		return
	}
	if !flow.Since.IsZero() && v.At.Before(flow.Since) && !v.At.Before(flow.Since.Truncate(time.Second)) {
		// auth_time counts whole seconds: a sign-in in the very second
		// the flow's Since falls in is not known to be older than it.
		v.At = flow.Since
	}
	if !flow.Since.IsZero() && (id.AuthTime.IsZero() || v.At.Before(flow.Since)) {
		// The upstream ignored max_age: its sign-in would count for
		// nothing, and the user would be back on the sign-in page with
		// no word of why. Without an auth_time (which max_age makes
		// required) its age is unknown: the token's iat is when the
		// token was minted, perhaps from a days-old upstream session.
		s.log.Info("web: upstream sign-in older than the flow allows", "upstream", u.ID(), "auth_time", v.At, "since", flow.Since)
		s.render(w, http.StatusForbidden, "error", view{Title: "Sign-in not recent enough",
			Error: "This application needs a recent sign-in, and the one at " + u.Name() + " is older. Sign out there and try again.",
			Link:  pageURL("/signin", a.Flow), LinkText: "Back to sign-in"})
		return
	}
	user, err := s.federation.Link(r.Context(), id, u.LinkByEmail())
	switch {
	case errors.Is(err, stepup.ErrUpstreamUser):
		s.errorPage(w, http.StatusForbidden, "This account is disabled", "This account is disabled. Ask your administrator.")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if s.risk != nil {
		s.risk.Attempted(user.ID)
	}
	if flow.UserID != "" && flow.UserID != user.ID {
		s.render(w, http.StatusForbidden, "error", view{Title: "Sign in", Error: msgOtherUser, Link: pageURL("/signin", a.Flow), LinkText: "Back to sign-in"})
		return
	}
	s.log.Info("web: upstream sign-in", "upstream", u.ID(), "user", user.ID, "level", v.Level)
	s.signedIn(w, r, flow, user, v)
}
