package main

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	passwordhash "github.com/stepup-auth/stepup/stepup/password"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// The federation tests sign users in to stepup through a second,
// independent OpenID Provider on loopback (upstream_op_test.go): browser →
// stepup's sign-in page → the upstream's login → stepup's callback →
// stepup → the relying party's callback, with go-oidc as the relying party.

const mfaLevel = "urn:stepup:acr:mfa"

// federated is a stepup federating to an upstream.
type federated struct {
	op      runningOP
	up      *upstreamOP
	dataDir string
}

// startFederated runs an upstream and a stepup that federates to it, with
// more keys of the upstream's entry (four spaces in), and seed's users in
// stepup's store before it starts.
func startFederated(t *testing.T, more string, seed ...*store.User) federated {
	t.Helper()
	up := startUpstreamOP(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	if len(seed) > 0 {
		st, err := memdb.Open(memdb.Options{Dir: dataDir, SweepInterval: -1})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range seed {
			if err := st.Users().Create(context.Background(), u); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	clients := "    - id: app\n      redirect_uris: [" + rpRedirect + "]\n"
	op := startOPWithServerKeys(t, dataDir, clients, upstreamYAML(up, more))
	return federated{op: op, up: up, dataDir: dataDir}
}

// viaUpstream presses the sign-in page's button of the upstream; the
// browser then goes through the upstream's login and back to stepup.
func viaUpstream(t *testing.T, a *attempt) {
	t.Helper()
	if !a.on("/signin") {
		t.Fatalf("expected the sign-in page, got %v (callback %v)", a.page, a.callback)
	}
	if !strings.Contains(a.body, `action="/upstream/up/start"`) || !strings.Contains(a.body, "Sign in with Upstream IdP") {
		t.Fatalf("the sign-in page offers no button of the upstream:\n%.1500s", a.body)
	}
	a.submit("/upstream/up/start", nil)
}

// stopAtUpstreamCallback makes the browser stop at the redirect to
// stepup's upstream callback, and returns that URL after running start.
func stopAtUpstreamCallback(t *testing.T, r *rp, start func()) *url.URL {
	t.Helper()
	var at *url.URL
	prev := r.browser.CheckRedirect
	r.browser.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.Path, "/upstream/up/callback") {
			at = req.URL
			return http.ErrUseLastResponse
		}
		return prev(req, via)
	}
	defer func() { r.browser.CheckRedirect = prev }()
	start()
	if at == nil {
		t.Fatal("the browser never reached stepup's upstream callback")
	}
	return at
}

// links returns the upstream links and users in stepup's store, after
// stopping stepup.
func (f federated) links(t *testing.T) ([]*store.UpstreamLink, []*store.User) {
	t.Helper()
	if code := f.op.stop(t); code != 0 {
		t.Fatalf("stepup exited with %d", code)
	}
	st, err := memdb.Open(memdb.Options{Dir: f.dataDir, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	users, err := st.Users().List(ctx, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var links []*store.UpstreamLink
	for _, u := range users {
		ls, err := st.UpstreamLinks().ListByUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		links = append(links, ls...)
	}
	return links, users
}

// signedOut fails the test if the browser has a session at stepup.
func signedOut(t *testing.T, r *rp) {
	t.Helper()
	if got := r.authorize(url.Values{"prompt": {"none"}}).oauthError(); got != "login_required" {
		t.Errorf("prompt=none after the refused sign-in: %q, want login_required (no session)", got)
	}
}

func TestUpstreamTrustedACRNeedsNoStepUp(t *testing.T) {
	f := startFederated(t, "    trust:\n      acr: {\"2\": mfa}\n")
	f.up.set(func(u *upstreamOP) { u.acr, u.amr = "2", []string{"pwd", "otp"} })
	r := newRP(t, f.op.issuer, "app", "")
	before := time.Now().Add(-time.Second).Unix()
	a := r.authorize(url.Values{"acr_values": {mfaLevel}})
	viaUpstream(t, a)
	_, id := a.tokens() // fails unless the browser is back at the relying party, with no step-up
	if id.ACR != mfaLevel {
		t.Errorf("ID token acr %q, want %s: the upstream's acr 2 is trusted as mfa", id.ACR, mfaLevel)
	}
	for _, want := range []string{"pwd", "otp", "mfa"} {
		if !slices.Contains(id.AMR, want) {
			t.Errorf("ID token amr %v lacks %q", id.AMR, want)
		}
	}
	if id.AuthTime < before || id.AuthTime > time.Now().Unix() {
		t.Errorf("auth_time %d is not the upstream's sign-in just now", id.AuthTime)
	}
	// stepup asked the upstream with PKCE S256 and a nonce, and no
	// max_age: the relying party sent none.
	req := f.up.lastRequest(t)
	if req.CodeChallengeMethod != "S256" || len(req.CodeChallenge) != 43 || len(req.Nonce) < 32 || req.State == "" || req.MaxAge != nil {
		t.Errorf("the upstream's authorization request: challenge %q (%s), nonce %q, state %q, max_age %v",
			req.CodeChallenge, req.CodeChallengeMethod, req.Nonce, req.State, req.MaxAge)
	}
	links, _ := f.links(t)
	if len(links) != 1 || links[0].Issuer != f.up.issuer || links[0].Subject != "up-alice" || links[0].UserID != id.Subject {
		t.Errorf("links %+v, want one of (%s, up-alice) to %s", links, f.up.issuer, id.Subject)
	}
}

func TestUpstreamUntrustedACRStepsUp(t *testing.T) {
	// The same upstream sign-in, acr 2 with pwd and otp, and no trust
	// entry: it is one factor, and stepup asks for its own second one.
	f := startFederated(t, "")
	f.up.set(func(u *upstreamOP) { u.acr, u.amr = "2", []string{"pwd", "otp"} })

	// Asked for one factor, the relying party gets it, and none of the
	// amr the upstream claimed without being trusted.
	r1 := newRP(t, f.op.issuer, "app", "")
	a1 := r1.authorize(url.Values{"acr_values": {"urn:stepup:acr:1fa"}})
	viaUpstream(t, a1)
	if _, id := a1.tokens(); id.ACR != "urn:stepup:acr:1fa" || len(id.AMR) != 0 {
		t.Errorf("ID token acr %q amr %v, want urn:stepup:acr:1fa and no amr", id.ACR, id.AMR)
	}

	r := newRP(t, f.op.issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {mfaLevel}})
	viaUpstream(t, a)
	if a.callback != nil || !a.on("/stepup") {
		t.Fatalf("an untrusted upstream acr 2 went on to %v (page %v), want stepup's step-up page", a.callback, a.page)
	}
	// stepup's own factor on top of the upstream's one makes mfa.
	a.follow(r.browser.Get(f.op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	a.submit("/enroll/done", nil)
	_, id := a.tokens()
	if id.ACR != mfaLevel || !slices.Contains(id.AMR, "otp") || !slices.Contains(id.AMR, "mfa") {
		t.Errorf("upstream sign-in and TOTP: ID token acr %q amr %v, want %s with otp and mfa", id.ACR, id.AMR, mfaLevel)
	}
}

func TestUpstreamNonceMismatchIsRefused(t *testing.T) {
	f := startFederated(t, "    trust:\n      acr: {\"2\": mfa}\n")
	// The upstream's ID token carries another sign-in's nonce: a token
	// replayed into this one.
	f.up.set(func(u *upstreamOP) { u.acr, u.nonce = "2", "nonce-of-another-sign-in" })
	r := newRP(t, f.op.issuer, "app", "")
	a := r.authorize(nil)
	viaUpstream(t, a)
	if a.callback != nil || a.page.StatusCode < 400 || !strings.Contains(a.body, "could not be verified") {
		t.Fatalf("a token with another nonce: callback %v, page %v:\n%.600s", a.callback, a.page, a.body)
	}
	signedOut(t, r)
	if links, users := f.links(t); len(links) != 0 || len(users) != 0 {
		t.Errorf("after a refused sign-in: links %+v, users %d; want none", links, len(users))
	}
}

func TestUpstreamStateMismatchIsRefused(t *testing.T) {
	f := startFederated(t, "")
	r := newRP(t, f.op.issuer, "app", "")
	a := r.authorize(nil)
	cb := stopAtUpstreamCallback(t, r, func() { viaUpstream(t, a) })
	q := cb.Query()
	if q.Get("code") == "" || q.Get("state") == "" {
		t.Fatalf("the upstream's answer %v has no code or state", cb)
	}
	// A valid code from the upstream, with another state: what a
	// login-CSRF attacker sends the victim's browser.
	q.Set("state", "not-"+q.Get("state"))
	cb.RawQuery = q.Encode()
	a.follow(r.browser.Get(f.op.issuer + cb.RequestURI()))
	if a.callback != nil || a.page.StatusCode != http.StatusBadRequest || !strings.Contains(a.body, "does not belong to this sign-in") {
		t.Fatalf("a callback with another state: callback %v, page %v:\n%.600s", a.callback, a.page, a.body)
	}
	signedOut(t, r)
	if links, users := f.links(t); len(links) != 0 || len(users) != 0 {
		t.Errorf("after a refused sign-in: links %+v, users %d; want none", links, len(users))
	}
}

func TestUpstreamErrorIsShown(t *testing.T) {
	f := startFederated(t, "")
	f.up.set(func(u *upstreamOP) { u.signInAs = "" }) // the user declines upstream
	r := newRP(t, f.op.issuer, "app", "")
	a := r.authorize(nil)
	viaUpstream(t, a)
	if a.callback != nil || a.page.StatusCode != http.StatusForbidden || !strings.Contains(a.body, "did not complete") {
		t.Fatalf("an upstream error: callback %v, page %v:\n%.600s", a.callback, a.page, a.body)
	}
	signedOut(t, r)
	if links, users := f.links(t); len(links) != 0 || len(users) != 0 {
		t.Errorf("after an upstream error: links %+v, users %d; want none", links, len(users))
	}
}

func TestUpstreamUnverifiedEmailDoesNotLink(t *testing.T) {
	now := time.Now()
	victim := &store.User{ID: "victim", Username: "victim", Email: "victim@example.com", EmailVerified: true, CreatedAt: now, UpdatedAt: now}
	alice := &store.User{ID: "alice", Username: "alice", Email: "alice@example.com", EmailVerified: true, CreatedAt: now, UpdatedAt: now}
	f := startFederated(t, "    link_by_email: true\n", victim, alice)
	r := newRP(t, f.op.issuer, "app", "")

	// mallory's upstream account says victim@example.com, unverified.
	f.up.set(func(u *upstreamOP) { u.signInAs = "mallory" })
	a := r.authorize(nil)
	viaUpstream(t, a)
	_, mallory := a.tokens()
	if mallory.Subject == victim.ID {
		t.Fatal("an unverified upstream email signed in as the stepup user with that email")
	}

	// The control: alice's verified email links her existing account.
	r2 := newRP(t, f.op.issuer, "app", "")
	f.up.set(func(u *upstreamOP) { u.signInAs = "alice" })
	b := r2.authorize(nil)
	viaUpstream(t, b)
	if _, id := b.tokens(); id.Subject != alice.ID {
		t.Errorf("a verified upstream email with link_by_email signed in as %q, want %q", id.Subject, alice.ID)
	}

	links, users := f.links(t)
	byUser := map[string]string{}
	for _, l := range links {
		byUser[l.Subject] = l.UserID
	}
	if byUser["up-mallory"] != mallory.Subject || byUser["up-alice"] != alice.ID || len(links) != 2 {
		t.Errorf("links %v, want up-mallory to a new user %s and up-alice to alice", byUser, mallory.Subject)
	}
	for _, u := range users {
		if u.ID == mallory.Subject && u.Email != "" {
			t.Errorf("the new user took the unverified email %q", u.Email)
		}
	}
}

func TestUpstreamACRForwarding(t *testing.T) {
	for _, tt := range []struct {
		mode string
		yaml string
		want []string
	}{
		{"never", "", nil},
		{"forward", "    forward_acr: forward\n", []string{mfaLevel, "urn:okta:loa:2fa:any"}},
		{"map", "    forward_acr: map\n    acr_map: {1fa: \"1\", mfa: \"2\"}\n", []string{"2"}},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			f := startFederated(t, tt.yaml)
			r := newRP(t, f.op.issuer, "app", "")
			a := r.authorize(url.Values{"acr_values": {mfaLevel + " urn:okta:loa:2fa:any"}})
			viaUpstream(t, a)
			got := f.up.received()
			if len(got) != 1 || !slices.Equal(got[0], tt.want) {
				t.Errorf("the upstream's authorization requests had acr_values %q, want one with %q", got, tt.want)
			}
		})
	}
}

func TestUpstreamSignInMustBeRecentEnough(t *testing.T) {
	f := startFederated(t, "    trust:\n      acr: {\"2\": mfa}\n")
	r := newRP(t, f.op.issuer, "app", "")

	// The relying party's max_age goes upstream, and a sign-in that recent
	// is taken.
	f.up.set(func(u *upstreamOP) { u.acr = "2" })
	a := r.authorize(url.Values{"max_age": {"60"}})
	viaUpstream(t, a)
	if req := f.up.lastRequest(t); req.MaxAge == nil || *req.MaxAge > 60 {
		t.Errorf("the upstream was asked for max_age %v, want at most 60", req.MaxAge)
	}
	a.tokens()

	// An upstream that ignores max_age and answers with its sign-in of an
	// hour ago is refused with a reason, not sent round the sign-in page.
	r2 := newRP(t, f.op.issuer, "app", "")
	f.up.set(func(u *upstreamOP) { u.authTime = time.Now().Add(-time.Hour) })
	b := r2.authorize(url.Values{"max_age": {"60"}})
	viaUpstream(t, b)
	if b.callback != nil || b.page.StatusCode != http.StatusForbidden || !strings.Contains(b.body, "needs a recent sign-in") {
		t.Fatalf("an upstream sign-in older than max_age: callback %v, page %v:\n%.600s", b.callback, b.page, b.body)
	}
	signedOut(t, r2)
}

// An upstream that ignores max_age and sends no auth_time (OpenID Connect
// Core §3.1.2.1 requires it when max_age is asked for) gives stepup no way
// to tell how old its sign-in is: its SSO session may be days old, and the
// ID token's iat is only when the token was minted. stepup must refuse it
// for a flow that needs a recent sign-in, not take iat as the sign-in time.
func TestUpstreamWithoutAuthTimeIsNotFresh(t *testing.T) {
	f := startFederated(t, "    trust:\n      acr: {\"2\": mfa}\n")
	f.up.set(func(u *upstreamOP) { u.acr, u.noAuthTime = "2", true })
	r := newRP(t, f.op.issuer, "app", "")
	a := r.authorize(url.Values{"max_age": {"60"}, "acr_values": {mfaLevel}})
	viaUpstream(t, a)
	if a.callback != nil {
		_, id := a.tokens()
		t.Fatalf("an upstream sign-in without auth_time satisfied max_age=60: ID token acr %q auth_time %d (the upstream token's iat)", id.ACR, id.AuthTime)
	}
	if a.page.StatusCode != http.StatusForbidden || !strings.Contains(a.body, "needs a recent sign-in") {
		t.Fatalf("an upstream sign-in without auth_time under max_age: page %v:\n%.600s", a.page, a.body)
	}
	signedOut(t, r)

	// Without max_age the same sign-in is taken.
	r2 := newRP(t, f.op.issuer, "app", "")
	b := r2.authorize(nil)
	viaUpstream(t, b)
	b.tokens()
}

// An upstream sign-in stepup does not trust is one factor of unknown kind:
// the upstream's own sign-in may well have been a password, the same one
// even. The tracked-action path says so (stepup.Flow.Counted never lets a
// password answer on top of the application's sign-in), but a sign-in flow
// counted an untrusted upstream sign-in and stepup's password as two
// factor kinds: two passwords made mfa.
func TestUpstreamUntrustedAndPasswordAreNotMFA(t *testing.T) {
	now := time.Now()
	hash, err := passwordhash.Hash("correct horse battery", passwordhash.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, nil)
	if err != nil {
		t.Fatal(err)
	}
	alice := &store.User{ID: "alice", Username: "alice", Email: "alice@example.com", EmailVerified: true, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	f := startFederated(t, "    link_by_email: true\n", alice)
	r := newRP(t, f.op.issuer, "app", "")

	a := r.authorize(nil)
	viaUpstream(t, a)
	if _, id := a.tokens(); id.Subject != alice.ID || id.ACR != "urn:stepup:acr:1fa" {
		t.Fatalf("upstream sign-in: sub %q acr %q, want alice at 1fa", id.Subject, id.ACR)
	}

	// Asked for mfa, the browser is sent to step up; it goes to the
	// sign-in page of the same flow instead and types alice's password.
	b := r.authorize(url.Values{"acr_values": {mfaLevel}})
	if !b.on("/stepup") {
		t.Fatalf("asked for mfa after an untrusted upstream sign-in: %v (callback %v), want the step-up page", b.page, b.callback)
	}
	b.follow(r.browser.Get(f.op.issuer + "/signin?" + b.page.Request.URL.RawQuery))
	b.signIn("alice", "correct horse battery")
	if b.callback != nil {
		if q := b.callback.Query(); q.Get("error") == "" {
			_, id := b.tokens()
			if id.ACR == mfaLevel {
				t.Fatalf("an untrusted upstream sign-in and a password made acr %q amr %v", id.ACR, id.AMR)
			}
		}
	}
}
