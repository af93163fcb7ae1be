package oidc

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/rules"
	"github.com/stepup-auth/stepup/stepup/store"
)

// The flow of an authorization request: /authorize stores the request,
// binds it to the browser (the flow cookie) and asks the engine whether the
// session is enough. If it is not, a signed flow sends the browser straight
// to the hosted sign-in or step-up page, which hands it back in process
// (Continue) when it is done; the same evaluation runs again there. If it
// is, the browser goes on to flowStart, which completes the request: the
// code goes to the relying party from a request of the bound browser, so no
// unbound link can hand it to another.

// errUnmet is RFC 9470's error for an authentication the OP cannot make
// meet an essential requirement.
func errUnmet(description string) *oidc.Error {
	return &oidc.Error{ErrorType: "unmet_authentication_requirements", Description: description}
}

func (p *Provider) flowStart(w http.ResponseWriter, r *http.Request) {
	rec, err := p.store.AuthRequests().Get(r.Context(), r.URL.Query().Get("id"))
	if err != nil || rec.Done {
		p.expired(w, r)
		return
	}
	// The request belongs to the browser that sent it to /authorize: no
	// other (one that learnt the id from a leaked URL or a phishing link)
	// can go on with it.
	binding := p.opts.FlowBinding(r)
	if binding == "" || rec.Binding != bindingHash(binding) {
		p.expired(w, r)
		return
	}
	// /authorize decided (and counted) this request already, unless it came
	// by POST: a POSTed request goes uncounted by velocity, a rare path
	// not worth a stored mark.
	p.act(w, r, rec, p.decide(r.Context(), r, rec, binding, false))
}

// decide is the step of a request the browser brings with its cookies
// (at /authorize or /flow/start), before any hosted page handed it back.
// attempt marks the first, which the velocity signals count.
func (p *Provider) decide(ctx context.Context, browser *http.Request, rec *store.AuthRequest, binding string, attempt bool) step {
	sess, err := p.session(browser)
	if err != nil {
		return step{err: oidc.ErrServerError().WithParent(err)}
	}
	return p.next(ctx, rec, binding, nil, sess, p.origin(browser), attempt)
}

// origin is where a browser's request comes from: as withOrigin read it
// from the request the server received, for the requests zitadel/oidc
// rebuilds without its connection's address.
func (p *Provider) origin(r *http.Request) stepup.Origin {
	if o, ok := r.Context().Value(originKey{}).(stepup.Origin); ok {
		return o
	}
	if p.opts.Origin == nil {
		return stepup.Origin{}
	}
	return p.opts.Origin(r)
}

type originKey struct{}

// withOrigin puts each request's origin in its context.
func (p *Provider) withOrigin(next http.Handler) http.Handler {
	if p.opts.Origin == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), originKey{}, p.opts.Origin(r))))
	})
}

// bindingHash is how an authorization request remembers its browser.
func bindingHash(binding string) string { return hashToken("flow-binding\x00" + binding) }

// session returns the browser's SSO session, nil without one.
func (p *Provider) session(r *http.Request) (*store.Session, error) {
	sess, err := p.opts.Session(r)
	if errors.Is(err, stepup.ErrNoSession) {
		return nil, nil
	}
	return sess, err
}

// Continue takes back a flow the hosted pages are done with, in the
// browser that holds it, with the browser's session as the pages left it
// (nil if none): it completes the authorization request, sends the
// browser on to another page, or ends the request with an error. The
// pages have checked the flow token against the browser; the request must
// still be pending and bound to the same browser.
func (p *Provider) Continue(w http.ResponseWriter, r *http.Request, flow stepup.Flow, sess *store.Session) {
	binding := p.opts.FlowBinding(r)
	rec, err := p.store.AuthRequests().Get(r.Context(), flow.AuthRequestID)
	if err != nil || rec.Done || binding == "" || rec.Binding != bindingHash(binding) {
		p.expired(w, r)
		return
	}
	p.act(w, r, rec, p.next(r.Context(), rec, binding, &flow, sess, p.origin(r), false))
}

// Pending reports whether the authorization request a flow completes still
// waits: stored, not expired, not done. The hosted pages ask before they
// act on a flow (web.Options.Pending).
func (p *Provider) Pending(ctx context.Context, flow stepup.Flow) (bool, error) {
	rec, err := p.store.AuthRequests().Get(ctx, flow.AuthRequestID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("oidc: auth request of a flow: %w", err)
	}
	return !rec.Done, nil
}

// requirement is what an authorization request asks for.
type requirement struct {
	level     acr.Level
	values    []string // the ACR values the level came from, for the acr claim
	essential bool     // an essential acr claim: unmet means an error, never a lower acr
}

// require reads acr_values and the claims parameter. An essential acr in
// the claims parameter wins; any one of its values satisfies it, so its
// level is the lowest understood. Otherwise the first understood acr_values
// entry, then a voluntary claims request. Values stepup does not understand
// are ignored; an essential request of none it understands cannot be met.
func (p *Provider) require(rec *store.AuthRequest) (requirement, error) {
	claims, err := ParseClaims(string(rec.Claims))
	if err != nil {
		return requirement{}, err
	}
	values, essential, err := claims.ACR()
	if err != nil {
		return requirement{}, errUnmet("the id_token and userinfo members ask for essential acr values with none in common")
	}
	scheme := p.opts.Scheme
	// An essential acr without values asks only that an acr come back,
	// which it always does: acr_values still set the level, a floor it
	// must not lower.
	if essential && len(values) > 0 {
		l, ok := scheme.Lowest(values)
		if !ok {
			return requirement{}, errUnmet("none of the essential acr values is supported")
		}
		return requirement{level: l, values: values, essential: true}, nil
	}
	if l, ok := scheme.Target(rec.ACRValues); ok {
		return requirement{level: l, values: rec.ACRValues}, nil
	}
	if l, ok := scheme.Target(values); ok {
		return requirement{level: l, values: values}, nil
	}
	return requirement{}, nil
}

// step is what happens next to an authorization request: exactly one of
// an error for the relying party, a hosted page to send the browser to,
// or completion with the session's assurance.
type step struct {
	err       error
	page      string
	sess      *store.Session
	assurance acr.Assurance
	req       requirement
}

// act carries out a step in the browser's response.
func (p *Provider) act(w http.ResponseWriter, r *http.Request, rec *store.AuthRequest, s step) {
	switch {
	case s.err != nil:
		p.fail(w, r, rec, s.err)
	case s.page != "":
		http.Redirect(w, r, s.page, http.StatusSeeOther)
	default:
		p.complete(w, r, rec, s.sess, s.assurance, s.req)
	}
}

// next decides what happens to an authorization request now, given the
// browser's session (nil if none), the flow a hosted page handed back, if
// any, and where the browser's request comes from; attempt marks the
// request's first decision (stepup.Request.Attempt).
func (p *Provider) next(ctx context.Context, rec *store.AuthRequest, binding string, back *stepup.Flow, sess *store.Session,
	origin stepup.Origin, attempt bool) step {
	req, err := p.require(rec)
	if err != nil {
		return step{err: err}
	}
	if back != nil && back.Cancelled {
		// A sign-in held for review and given up goes as a refused one
		// does: the session it made ends.
		if back.Held && sess != nil {
			if err := p.endSessionOf(ctx, rec, sess); err != nil {
				return step{err: oidc.ErrServerError().WithParent(err)}
			}
		}
		// RFC 6749 §4.1.2.1: the resource owner denied the request.
		return step{err: oidc.ErrAccessDenied().WithDescription("the user cancelled the sign-in")}
	}
	cl, err := p.store.Clients().Get(ctx, rec.ClientID)
	if err != nil {
		return step{err: oidc.ErrServerError().WithParent(err)}
	}
	none := slices.Contains(rec.Prompt, oidc.PromptNone)

	// Whose request is it? An id_token_hint fixes the user; a login_hint
	// or a hosted sign-in names one. A session of anyone else does not
	// count: the flow never switches user silently.
	wantUser := rec.IDTokenHintSubject
	if back != nil && back.UserID != "" {
		if wantUser != "" && back.UserID != wantUser {
			return step{err: oidc.ErrLoginRequired().WithDescription("signed in as another user than the id_token_hint names")}
		}
		wantUser = back.UserID
	}
	if sess != nil && wantUser != "" && sess.UserID != wantUser {
		sess = nil
	}
	if sess != nil {
		// A disabled account's session signs nobody in.
		switch _, err := p.activeUser(ctx, sess.UserID); {
		case errors.Is(err, errUserDisabled), errors.Is(err, store.ErrNotFound):
			sess = nil
		case err != nil:
			return step{err: oidc.ErrServerError().WithParent(err)}
		}
	}
	if sess != nil && wantUser == "" && rec.LoginHint != "" && !p.hintMatches(ctx, rec.LoginHint, sess.UserID) {
		sess = nil
	}

	var verifications []acr.Verification
	userID := wantUser
	if sess != nil {
		verifications = stepup.Verifications(sess)
		userID = sess.UserID
	}
	d, err := p.opts.Engine.Decide(ctx, stepup.Request{
		ClientID: cl.ID, UserID: userID, Requested: req.level,
		MaxAge: rec.MaxAge, FlowStarted: rec.CreatedAt, Verifications: verifications,
		Origin: origin, Attempt: attempt,
	})
	if err != nil {
		return step{err: oidc.ErrServerError().WithParent(err)}
	}
	p.logDecision(rec, userID, d)
	// The level the relying party cannot bargain down: its client's
	// minimum, raised by the rules when they challenged. A voluntary
	// acr_values request may be answered with less; these may not.
	minimum := acr.OneFactor
	if l, ok := p.opts.Scheme.Level(cl.MinimumACR); ok {
		minimum = l
	}
	if d.Rules != nil && d.Rules.Result.Outcome == rules.Challenge {
		minimum = max(minimum, d.Rules.Result.Level)
	}
	if d.Outcome == stepup.Review && p.opts.Reviews != nil && sess != nil && userID != "" {
		approved, s := p.review(ctx, rec, binding, sess, userID, d, none)
		if !approved {
			return s
		}
		// Approved: the session decides, as if the rules had not held it.
		d.Outcome = stepup.Challenge
		if d.Assurance.Level.Satisfies(d.Level) {
			d.Outcome = stepup.Allow
		}
	}
	p.recordDecision(ctx, rec, userID, d)
	switch {
	case d.Outcome == stepup.Allow:
		return step{sess: sess, assurance: d.Assurance, req: req}
	case d.Outcome != stepup.Challenge:
		// The session this very request signed in goes too.
		if sess != nil {
			if err := p.endSessionOf(ctx, rec, sess); err != nil {
				return step{err: oidc.ErrServerError().WithParent(err)}
			}
		}
		return step{err: oidc.ErrAccessDenied()}
	case none && (sess == nil || d.Assurance.Level == acr.None):
		// Nothing of the session counts (max_age passed, prompt=login):
		// what is missing is a sign-in, not a step-up (Core §3.1.2.6).
		return step{err: oidc.ErrLoginRequired()}
	case none:
		return step{err: oidc.ErrInteractionRequired().WithDescription("a step-up to %s is needed", d.Level)}
	case back != nil && back.Unmet:
		// The hosted pages could not reach the level. An essential
		// request or the client's own minimum is an error; a voluntary
		// request is answered with the level actually reached.
		if req.essential || sess == nil || !d.Assurance.Level.Satisfies(minimum) {
			return step{err: errUnmet("the requested authentication level could not be reached")}
		}
		return step{sess: sess, assurance: d.Assurance, req: req}
	}
	return p.toHostedPage(rec, binding, sess, userID, wantUser, d)
}

// logDecision logs what the rules decided when it refuses, holds or
// challenges a sign-in, or when a rule failed: the operator's record of why
// a relying party got access_denied or its user a step-up.
func (p *Provider) logDecision(rec *store.AuthRequest, userID string, d stepup.Decision) {
	ev := d.Rules
	if ev == nil || d.Outcome == stepup.Allow && ev.Result.Outcome == rules.Allow && len(ev.Result.Errors) == 0 {
		return
	}
	level := slog.LevelInfo
	if len(ev.Result.Errors) > 0 {
		level = slog.LevelWarn
	}
	p.log.Log(context.Background(), level, "oidc: rules decided", "client", rec.ClientID, "user", userID,
		"action", d.Action, "version", ev.Version, "outcome", d.Outcome.String(), "rule", ev.Result.Rule,
		"matched", ev.Result.Matched, "errors", ev.Result.Errors, "values", ev.Values, "reasons", d.Reasons)
}

// review is the step of a sign-in the rules hold for review: it waits on
// the review page until a person decides (through the track API, on the
// action record keyed by the authorization request's id), then goes on
// as the session allows, or is refused.
func (p *Provider) review(ctx context.Context, rec *store.AuthRequest, binding string, sess *store.Session,
	userID string, d stepup.Decision, none bool) (bool, step) {
	if none {
		return false, step{err: oidc.ErrInteractionRequired().WithDescription("the sign-in waits for a review")}
	}
	state, err := p.opts.Reviews.Hold(ctx, userID, d.Action, rec.ID, d)
	switch {
	case err != nil:
		return false, step{err: oidc.ErrServerError().WithParent(err)}
	case state == stepup.StateReviewFailed:
		if err := p.endSessionOf(ctx, rec, sess); err != nil {
			return false, step{err: oidc.ErrServerError().WithParent(err)}
		}
		return false, step{err: oidc.ErrAccessDenied().WithDescription("the sign-in was refused on review")}
	case state == stepup.StateReviewSucceeded:
		return true, step{}
	}
	p.log.Info("oidc: a sign-in waits for review", "user", userID, "action", d.Action, "key", rec.ID)
	flow := stepup.Flow{AuthRequestID: rec.ID, UserID: userID, Level: d.Level, Since: d.Since, Methods: d.Methods,
		ExpiresAt: rec.ExpiresAt, ReturnTo: origin(rec.RedirectURI), Held: true}
	token, err := p.opts.Flows.Seal(flow, binding)
	if err != nil {
		return false, step{err: oidc.ErrServerError().WithParent(err)}
	}
	return false, step{page: p.opts.ReviewPath + "?flow=" + url.QueryEscape(token)}
}

// recordDecision stores a sign-in's final decision (allowed, blocked, or
// refused on review), when the rules took part in it. A failure costs the
// record, not the sign-in: it is logged.
func (p *Provider) recordDecision(ctx context.Context, rec *store.AuthRequest, userID string, d stepup.Decision) {
	if p.opts.Decisions == nil || d.Outcome == stepup.Challenge || d.Outcome == stepup.Review && p.opts.Reviews != nil {
		return // not an end yet: a step-up, or a hold, which keeps its own record
	}
	if d.Outcome == stepup.Review {
		// Without holds, a review refuses the sign-in: that is what
		// happened to it.
		d.Outcome = stepup.Block
		d.Reasons = append(slices.Clone(d.Reasons), "held for review, which refuses a sign-in here (rules.review: block)")
	}
	if err := p.opts.Decisions.Record(ctx, userID, d.Action, rec.ID, d); err != nil {
		p.log.Warn("oidc: storing a decision", "err", err)
	}
}

// endSessionOf ends sess if this very request signed it in (the hosted
// sign-in page made it before the rules could weigh the user): a sign-in
// the rules or a person refused leaves nothing to go on with. An older
// session, which another sign-in made, stays.
func (p *Provider) endSessionOf(ctx context.Context, rec *store.AuthRequest, sess *store.Session) error {
	if sess.CreatedAt.Before(rec.CreatedAt) {
		return nil
	}
	if err := p.store.Sessions().Delete(ctx, sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// hintMatches reports whether a login_hint names the session's user. An
// unknown or malformed hint names nobody, so it does not end the session.
func (p *Provider) hintMatches(ctx context.Context, hint, userID string) bool {
	name, err := stepup.CanonicalUsername(hint)
	if err != nil {
		return true
	}
	u, err := p.store.Users().GetByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	// A failed lookup must not keep a session the hint may not name.
	return err == nil && u.ID == userID
}

// toHostedPage sends the browser to sign in, or to step up when its session
// is the right user's and has a fresh first factor.
func (p *Provider) toHostedPage(rec *store.AuthRequest, binding string, sess *store.Session, userID, wantUser string,
	d stepup.Decision) step {
	fresh := sess == nil || d.Assurance.Level == acr.None
	// A step-up is for the session's user. A fresh sign-in (prompt=login,
	// max_age passed) may be anyone's unless an id_token_hint names the
	// user: signing in is never a silent switch.
	if fresh {
		userID = wantUser
	}
	flow := stepup.Flow{
		AuthRequestID: rec.ID, UserID: userID, LoginHint: hint(rec.LoginHint),
		Level: d.Level, Since: d.Since, Methods: d.Methods, FreshSignIn: fresh, ExpiresAt: rec.ExpiresAt,
		ReturnTo: origin(rec.RedirectURI), Reason: rec.Reason, ACRValues: forwardable(rec.ACRValues),
	}
	token, err := p.opts.Flows.Seal(flow, binding)
	if err != nil {
		return step{err: oidc.ErrServerError().WithParent(err)}
	}
	page := p.opts.StepUpPath
	if fresh {
		page = p.opts.SignInPath
	}
	return step{page: page + "?flow=" + url.QueryEscape(token)}
}

// origin is the scheme and host (with its port) of a redirect URI.
func origin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// complete records how the user authenticated and sends the code.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, rec *store.AuthRequest, sess *store.Session,
	a acr.Assurance, req requirement) {
	rec.UserID = sess.UserID
	rec.SessionID = sess.Name() // the session's lasting name, which sid is made of
	rec.AuthTime = a.AuthTime
	rec.ACR = p.opts.Scheme.Claim(a.Level, req.values)
	if req.essential {
		rec.ACR = p.opts.Scheme.EssentialClaim(a.Level, req.values)
	}
	rec.AMR = a.AMR
	rec.Done = true
	// The code seals the request's id; the request keeps only its hash.
	code, err := p.op.Crypto().Encrypt(rec.ID)
	if err != nil {
		p.fail(w, r, rec, oidc.ErrServerError().WithParent(err))
		return
	}
	rec.CodeHash, rec.CodeIssuedAt = hashToken(code), p.now()
	// Once the code is exchanged, the request is its tombstone, which
	// tells a replay from another client's mistake: it must outlive the
	// code by the access token lifetime, however late in its own life the
	// sign-in finished.
	if until := rec.CodeIssuedAt.Add(p.opts.Lifetimes.Code + p.opts.Lifetimes.AccessToken); rec.ExpiresAt.Before(until) {
		rec.ExpiresAt = until
	}
	if err := p.store.AuthRequests().Update(r.Context(), rec); err != nil {
		// A concurrent completion of the same request (a double click)
		// won: this one must not issue a second code.
		p.expired(w, r)
		return
	}
	callback, err := op.AuthResponseURL(rec.RedirectURI, oidc.ResponseTypeCode, oidc.ResponseMode(rec.ResponseMode),
		&op.CodeResponseType{Code: code, State: rec.State}, p.op.Encoder())
	if err != nil {
		p.fail(w, r, rec, err)
		return
	}
	// The sign-in succeeded: its device becomes known. A failure to note
	// it costs the user a "new device" next time, not this sign-in.
	if err := p.opts.Engine.Remember(r.Context(), sess.UserID, p.origin(r)); err != nil {
		p.log.Warn("oidc: remembering the device", "err", err)
	}
	http.Redirect(w, r, callback, http.StatusFound)
}

// fail ends the request with an error for the relying party.
func (p *Provider) fail(w http.ResponseWriter, r *http.Request, rec *store.AuthRequest, err error) {
	p.logServerError(err)
	_ = p.store.AuthRequests().Delete(r.Context(), rec.ID)
	op.AuthRequestError(w, r, authRequest{rec}, err, p.op)
}

// logServerError logs an authorization's server error: the relying party
// gets only "server_error".
func (p *Provider) logServerError(err error) {
	var oe *oidc.Error
	if errors.As(err, &oe) && oe.ErrorType == oidc.ServerError {
		p.log.Error("oidc: authorization failed", "err", err)
	}
}

var expiredPage = template.Must(template.New("expired").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Sign-in expired</title>
<p>This sign-in has expired, was already used, or was opened in another browser.
Go back to the application and start again.</p></html>`))

var signedOutPage = template.Must(template.New("signed-out").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Signed out</title>
<p>You are signed out.</p></html>`))

// signedOut is where a logout without a post_logout_redirect_uri ends.
func signedOut(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	_ = signedOutPage.Execute(w, nil)
}

// expired answers a request that cannot go on, without redirecting: its
// redirect_uri cannot be trusted to be the one that started it.
func (p *Provider) expired(w http.ResponseWriter, _ *http.Request) { badRequest(w, expiredPage) }

// badRequest answers 400 with a page of static text.
func badRequest(w http.ResponseWriter, page *template.Template) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(http.StatusBadRequest)
	_ = page.Execute(w, nil)
}

// The flow travels in URLs and, through an upstream sign-in, in a cookie
// of at most 4096 bytes: what it carries of the request's free text is
// bounded, so that a long login_hint or acr_values cannot make a flow
// that never finishes.
const (
	maxHintLen      = 256 // longer than any username or address
	maxForwarded    = 8   // acr_values forwarded upstream
	maxForwardedLen = 128 // each
)

// hint is the login_hint a flow carries: none when it is longer than
// any username could be, as an OP may ignore a hint (Core §3.1.2.1).
func hint(h string) string {
	if len(h) > maxHintLen {
		return ""
	}
	return h
}

// forwardable is what of the relying party's acr_values a flow keeps to
// forward upstream: the first few, each of a sane length. The level
// stepup asks for was decided from them all before.
func forwardable(vs []string) []string {
	var out []string
	for _, v := range vs {
		if len(out) == maxForwarded {
			break
		}
		if len(v) <= maxForwardedLen {
			out = append(out, v)
		}
	}
	return out
}
