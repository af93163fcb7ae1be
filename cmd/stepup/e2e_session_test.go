package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/stepup-auth/stepup/config"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

// RP-Initiated Logout 1.0 §2: without an id_token_hint of the signed-in
// user, the OP MUST ask before ending the session. And RFC 6750's
// challenges at the userinfo endpoint.

// stillSignedIn reports whether r's browser still has its SSO session.
func (r *rp) stillSignedIn() bool {
	r.t.Helper()
	a := r.authorize(url.Values{"prompt": {"none"}})
	return a.callback != nil && a.callback.Query().Get("error") == ""
}

// endSession opens /end_session with query and returns where it led.
func (r *rp) endSession(query url.Values) *attempt {
	r.t.Helper()
	a := &attempt{rp: r}
	a.follow(r.browser.Get(r.issuer + "/end_session?" + query.Encode()))
	return a
}

func TestEndSessionWithoutAHintAsksFirst(t *testing.T) {
	r := signedIn(t, startOP(t), "app", "")
	a := r.endSession(nil)
	if !a.on("/sign-out") || a.page.StatusCode != http.StatusOK || !strings.Contains(a.body, `value="sign-out"`) {
		t.Fatalf("end_session without id_token_hint ended at %v (%d), want the question on %s:\n%.800s", a.page.Request.URL, a.page.StatusCode, "/sign-out", a.body)
	}
	if csp := a.page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("the question's Content-Security-Policy is %q", csp)
	}
	if !r.stillSignedIn() {
		t.Fatal("end_session without id_token_hint ended the session before the user answered")
	}
	a.submit("/sign-out", url.Values{"answer": {"stay"}})
	if !a.on("/signed-out") || !r.stillSignedIn() {
		t.Fatalf("answering 'stay signed in' ended at %v, signed in: %v; want %s, still signed in", a.page.Request.URL, r.stillSignedIn(), "/signed-out")
	}
	a = r.endSession(nil)
	a.submit("/sign-out", url.Values{"answer": {"sign-out"}})
	if !a.on("/signed-out") {
		t.Fatalf("answering 'sign out' ended at %v, want %s", a.page.Request.URL, "/signed-out")
	}
	if r.stillSignedIn() {
		t.Fatal("answering 'sign out' left the session")
	}
}

func TestEndSessionWithAnotherUsersHintAsksFirst(t *testing.T) {
	issuer := startOP(t)
	bobs, _ := registered(t, issuer, "bob")
	r := signedIn(t, issuer, "app", "")
	a := r.endSession(url.Values{"id_token_hint": {bobs.Extra("id_token").(string)}})
	if !a.on("/sign-out") {
		t.Fatalf("end_session with another user's id_token_hint ended at %v, want the question", a.page.Request.URL)
	}
	if !r.stillSignedIn() {
		t.Fatal("end_session with another user's id_token_hint ended alice's session")
	}
}

func TestEndSessionWithAHintFromAnEarlierSessionAsksFirst(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	old, oldID := a.tokens()
	hint := url.Values{"id_token_hint": {old.Extra("id_token").(string)}}
	if e := r.endSession(hint); !e.on("/signed-out") || r.stillSignedIn() {
		t.Fatalf("end_session with the session's own hint ended at %v; want signed out at once", e.page.Request.URL)
	}
	a = r.authorize(nil)
	a.signIn("alice", password)
	if _, id := a.tokens(); id.SID == "" || id.SID == oldID.SID {
		t.Fatalf("sid of the new session %q, of the old one %q: want two different ones", id.SID, oldID.SID)
	}
	if e := r.endSession(hint); !e.on("/sign-out") {
		t.Fatalf("end_session with an ID token of an earlier session ended at %v, want the question", e.page.Request.URL)
	}
	if !r.stillSignedIn() {
		t.Fatal("an ID token of an earlier session ended the new one unasked")
	}
}

func TestEndSessionQuestionBelongsToItsBrowser(t *testing.T) {
	issuer := startOP(t)
	victim := signedIn(t, issuer, "app", "")
	attacker := newRP(t, issuer, "app", "")
	signUp := attacker.authorize(nil)
	signUp.register("mallory", password)
	signUp.tokens()
	q := attacker.endSession(nil)
	if !q.on("/sign-out") {
		t.Fatalf("end_session ended at %v, want the question", q.page.Request.URL)
	}
	// The attacker's question, opened or answered in the victim's browser,
	// ends nothing there.
	intent := q.page.Request.URL.Query().Get("intent")
	a := victim.visit("/sign-out" + "?intent=" + url.QueryEscape(intent))
	if a.on("/sign-out") {
		t.Error("another browser's question was shown to the victim")
	}
	resp, err := victim.browser.PostForm(issuer+"/sign-out", url.Values{"intent": {intent}, "answer": {"sign-out"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !victim.stillSignedIn() {
		t.Fatal("another browser's answer ended the victim's session")
	}
	for _, bad := range []string{"", "forged", intent[:len(intent)-2] + "AA"} {
		resp, err := victim.browser.Get(issuer + "/sign-out" + "?intent=" + url.QueryEscape(bad))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a sign-out question with intent %q: %d, want 400", bad, resp.StatusCode)
		}
	}
}

func TestEndSessionWithoutASessionAsksNothing(t *testing.T) {
	r := newRP(t, startOP(t), "app", "")
	if a := r.endSession(nil); !a.on("/signed-out") {
		t.Fatalf("end_session in a browser without a session ended at %v, want %s", a.page.Request.URL, "/signed-out")
	}
}

// RFC 6750 §3: a protected resource answers a request without a usable
// token with 401 and a Bearer challenge; §3.1: a malformed, expired or
// revoked token is invalid_token.
func TestUserinfoRefusesWithABearerChallenge(t *testing.T) {
	issuer := startOP(t)
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	tok, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatal(err)
	}
	r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)) // a replay revokes tok
	for _, c := range []struct {
		name, authorization, challenge string
	}{
		{"no token", "", "Bearer"},
		{"a malformed token", "Bearer not-a-token", `Bearer error="invalid_token"`},
		{"a revoked token", "Bearer " + tok.AccessToken, `Bearer error="invalid_token"`},
	} {
		req, _ := http.NewRequest(http.MethodGet, issuer+"/userinfo", nil)
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != c.challenge {
			t.Errorf("userinfo with %s: %d, WWW-Authenticate %q; want 401, %q", c.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), c.challenge)
		}
		if c.authorization != "" && body.Error != "invalid_token" {
			t.Errorf("userinfo with %s: error %q, want invalid_token", c.name, body.Error)
		}
	}
}

// RFC 6749 §4.1.2: a replayed code revokes what it issued, also after the
// code's own lifetime, while its tombstone lives.
func TestAReplayAfterTheCodesLifetimeStillRevokes(t *testing.T) {
	clock := conformance.NewClockAt(time.Now())
	issuer := startOPOnStore(t, clock, "  code_lifetime: 10s\n", func(s store.Store) store.Store { return s })
	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("alice", password)
	code := a.code()
	tok, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(11 * time.Second) // past code_lifetime; the access token lives 5m
	if _, err := r.oauth.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier)); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("a replay after the code's lifetime: %v, want invalid_grant, already used", err)
	}
	if r.active(tok.AccessToken) {
		t.Fatal("the access token issued from a code replayed after its lifetime is still active")
	}
}

func TestASignOutQuestionExpires(t *testing.T) {
	clock := conformance.NewClockAt(time.Now())
	r := signedIn(t, startOPOnStore(t, clock, "", func(s store.Store) store.Store { return s }), "app", "")
	q := r.endSession(nil)
	if !q.on("/sign-out") {
		t.Fatalf("end_session ended at %v, want the question", q.page.Request.URL)
	}
	clock.Advance(11 * time.Minute) // the question lives 10; the session idles out at 30
	q.submit("/sign-out", url.Values{"answer": {"sign-out"}})
	if q.page == nil || q.page.StatusCode != http.StatusBadRequest || !strings.Contains(q.body, "expired") {
		t.Fatalf("answering a question 11 minutes old: %v, want 400 and the expired page", q.page)
	}
	if !r.stillSignedIn() {
		t.Fatal("an expired question ended the session")
	}
}

// A disabled account's token is inactive, not a server error: the
// verdict is the token's.
func TestADisabledAccountsTokenIsInactive(t *testing.T) {
	var st store.Store
	issuer := startOPOnStore(t, conformance.NewClockAt(time.Now()), "", func(s store.Store) store.Store { st = s; return s })
	r := newRP(t, issuer, "web", webSecret)
	a := r.authorize(nil)
	a.register("alice", password)
	tok, id := a.tokens()
	ctx := context.Background()
	u, err := st.Users().Get(ctx, id.Subject)
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := st.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, issuer, "web", webSecret, tok.AccessToken); got["active"] != false {
		t.Errorf("introspection of a disabled account's token: %v, want active=false", got)
	}
	if r.active(tok.AccessToken) {
		t.Error("userinfo accepts a disabled account's token")
	}
}

// failingStore is a store whose reads of one kind fail while its switch is
// on, as a store does when its disk does.
type failingStore struct {
	store.Store
	tokens, keys, clients *atomic.Bool
}

func newFailingStore(s store.Store) failingStore {
	return failingStore{s, new(atomic.Bool), new(atomic.Bool), new(atomic.Bool)}
}

var errDiskOnFire = errors.New("the disk is on fire")

func (f failingStore) AccessTokens() store.AccessTokens {
	return failingTokens{f.Store.AccessTokens(), f.tokens}
}
func (f failingStore) SigningKeys() store.SigningKeys {
	return failingKeys{f.Store.SigningKeys(), f.keys}
}
func (f failingStore) Clients() store.Clients { return failingClients{f.Store.Clients(), f.clients} }

type failingTokens struct {
	store.AccessTokens
	fail *atomic.Bool
}

func (t failingTokens) Get(ctx context.Context, id string) (*store.AccessToken, error) {
	if t.fail.Load() {
		return nil, errDiskOnFire
	}
	return t.AccessTokens.Get(ctx, id)
}

type failingKeys struct {
	store.SigningKeys
	fail *atomic.Bool
}

func (k failingKeys) List(ctx context.Context) ([]*store.SigningKey, error) {
	if k.fail.Load() {
		return nil, errDiskOnFire
	}
	return k.SigningKeys.List(ctx)
}

type failingClients struct {
	store.Clients
	fail *atomic.Bool
}

func (c failingClients) Get(ctx context.Context, id string) (*store.Client, error) {
	if c.fail.Load() {
		return nil, errDiskOnFire
	}
	return c.Clients.Get(ctx, id)
}

// startOPOnStore runs the app in process on a clock of the test's, with
// testClients and oidc settings (YAML lines under oidc:), on the memdb
// store wrapped by wrap, and returns its issuer.
func startOPOnStore(t *testing.T, clock *conformance.Clock, settings string, wrap func(store.Store) store.Store) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	cfg, problems := config.LoadBytes("stepup.yaml", []byte(fmt.Sprintf(
		"server:\n  public_url: %s\nstore:\n  memdb:\n    dir: %q\npasswords:\n  memory_kib: 8\n  iterations: 1\noidc:\n%s  clients:\n%s",
		issuer, dir, settings, testClients)), func(string) (string, bool) { return "", false })
	if problems.Err() != nil {
		t.Fatal(problems)
	}
	st, err := memdb.Open(memdb.Options{Dir: dir, SweepInterval: -1, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.DiscardHandler)
	app, err := newApp(context.Background(), cfg, wrap(st), log, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: newHandler(st, newMetrics(), log, app), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return issuer
}

// A store that cannot answer is an outage, not a verdict on the token or
// the client: a resource server that heard "inactive" would take it for a
// revocation.
func TestAStoreFailureIsAServerErrorNotAVerdict(t *testing.T) {
	clock := conformance.NewClockAt(time.Now())
	var st failingStore
	issuer := startOPOnStore(t, clock, "", func(s store.Store) store.Store { st = newFailingStore(s); return st })
	r := newRP(t, issuer, "web", webSecret)
	a := r.authorize(nil)
	a.register("alice", password)
	tok, _ := a.tokens()
	if got := introspect(t, issuer, "web", webSecret, tok.AccessToken); got["active"] != true {
		t.Fatalf("introspection while the store answers: %v, want active", got)
	}
	ask := map[string]func() *http.Request{
		"introspection": func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("web", webSecret)
			return req
		},
		"userinfo": func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, issuer+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			return req
		},
	}
	for _, c := range []struct {
		failing string
		fail    *atomic.Bool
		asks    []string
	}{
		{"token reads", st.tokens, []string{"introspection", "userinfo"}},
		{"signing key reads", st.keys, []string{"introspection", "userinfo"}},
		{"client reads", st.clients, []string{"introspection"}},
	} {
		c.fail.Store(true)
		clock.Advance(time.Minute) // past the key ring's reload
		for _, name := range c.asks {
			resp, err := http.DefaultClient.Do(ask[name]())
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusInternalServerError || body["error"] != "server_error" || body["active"] != nil {
				t.Errorf("%s while %s fail: %d %v, want 500 server_error", name, c.failing, resp.StatusCode, body)
			}
		}
		c.fail.Store(false)
	}
}
