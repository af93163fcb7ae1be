package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
)

func TestSignInStartsASessionAndHandsTheFlowBack(t *testing.T) {
	e := newEnv(t, false)
	alice := e.register("alice", "correct horse")
	b := e.browser("browser-1")
	f := b.handedBack(b.signIn(b.seal(e.flow()), "  Alice ", "correct horse"))
	if f.UserID != alice.ID || f.AuthRequestID != "ar1" || f.Unmet {
		t.Fatalf("flow handed back: %+v", f)
	}
	sess, err := e.sessions.Find(context.Background(), b.session())
	if err != nil || sess.UserID != alice.ID {
		t.Fatalf("session of the cookie: %+v, %v", sess, err)
	}
	want := store.Verification{Method: acr.Password, AuthenticatorID: "password", AMR: []string{"pwd"}, At: e.clock.Now()}
	if len(sess.Verifications) != 1 {
		t.Fatalf("verifications: %+v", sess.Verifications)
	}
	if v := sess.Verifications[0]; v.Method != want.Method || v.AuthenticatorID != want.AuthenticatorID ||
		!slices.Equal(v.AMR, want.AMR) || !v.At.Equal(want.At) {
		t.Fatalf("verification %+v, want %+v", v, want)
	}
	if acr.Assess(stepup.Verifications(sess), time.Time{}).Level != acr.OneFactor {
		t.Fatal("a password sign-in does not reach 1fa")
	}
}

func TestSignInWrongPasswordIsGeneric(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	token := b.seal(e.flow())
	wrong := b.signIn(token, "alice", "wrong horse")
	unknown := b.signIn(token, "mallory", "correct horse")
	for _, p := range []page{wrong, unknown} {
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("status %d, want 422", p.status)
		}
		mustContain(t, p, "Wrong username or password.")
	}
	if strings.Replace(wrong.body, `value="alice"`, `value="mallory"`, 1) != unknown.body {
		t.Error("a wrong password and an unknown user give different pages")
	}
	if !strings.Contains(wrong.body, `value="alice"`) || strings.Contains(wrong.body, "wrong horse") {
		t.Error("the form should keep the username and never the password")
	}
	if b.session() != "" {
		t.Error("a failed sign-in set a session cookie")
	}
}

func TestSignInIsThrottled(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	token := b.seal(e.flow())
	for i := range 5 {
		if p := b.signIn(token, "alice", "guess"); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: status %d", i+1, p.status)
		}
	}
	p := b.signIn(token, "alice", "correct horse")
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "1" {
		t.Fatalf("sixth attempt: status %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "Too many failed sign-ins. Try again in 1 second.")
	e.clock.Advance(time.Second)
	b.handedBack(b.signIn(token, "alice", "correct horse"))
}

func TestSignInSameUserAddsToTheSession(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	first := b.session()
	e.clock.Advance(time.Minute)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	// The session keeps its verifications under a new token: the old one
	// is worth nothing.
	if b.session() == first {
		t.Fatal("a second sign-in of the same user kept the session's token")
	}
	if _, err := e.sessions.Find(context.Background(), first); !errors.Is(err, stepup.ErrNoSession) {
		t.Fatalf("the token before the sign-in still finds a session: %v", err)
	}
	first = b.session()
	sess, err := e.sessions.Find(context.Background(), first)
	if err != nil || len(sess.Verifications) != 2 {
		t.Fatalf("session: %+v, %v; want two verifications", sess, err)
	}

	// A flow asking for a fresh sign-in gets a new session, and the old
	// one ends.
	fresh := e.flow()
	fresh.FreshSignIn = true
	f := b.handedBack(b.signIn(b.seal(fresh), "alice", "correct horse"))
	if f.FreshSignIn {
		t.Error("the flow still asks for a fresh sign-in after one")
	}
	if b.session() == first {
		t.Fatal("a fresh sign-in kept the session")
	}
	if _, err := e.sessions.Find(context.Background(), first); !errors.Is(err, stepup.ErrNoSession) {
		t.Fatalf("the replaced session: %v", err)
	}
}

func TestSignInReplacesAnotherUsersSession(t *testing.T) {
	e := newEnv(t, false)
	alice := e.register("alice", "correct horse")
	bob := e.register("bob", "battery staple")
	b := e.browser("browser-1")
	b.handedBack(b.signIn(b.seal(e.flow()), "bob", "battery staple"))
	bobs := b.session()
	f := b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	if f.UserID != alice.ID {
		t.Fatalf("flow user %q", f.UserID)
	}
	sess, err := e.sessions.Find(context.Background(), b.session())
	if err != nil || sess.UserID != alice.ID {
		t.Fatalf("session now: %+v, %v", sess, err)
	}
	if _, err := e.sessions.Find(context.Background(), bobs); !errors.Is(err, stepup.ErrNoSession) {
		t.Fatalf("bob's session in the same browser: %v, want it ended", err)
	}
	if n, _ := e.store.Sessions().ListByUser(context.Background(), bob.ID); len(n) != 0 {
		t.Fatalf("bob keeps %d sessions", len(n))
	}
}

// A planted session cookie of an unknown token does not survive a sign-in.
func TestSignInWithAStaleSessionCookie(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	b.setSession("planted")
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	if b.session() == "planted" {
		t.Fatal("the planted token was kept")
	}
}

func TestSignInAsAnotherUserThanTheFlowsIsRefused(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	bob := e.register("bob", "battery staple")
	b := e.browser("browser-1")
	f := e.flow()
	f.UserID = bob.ID
	token := b.seal(f)
	p := b.signIn(token, "alice", "correct horse")
	if p.status != http.StatusForbidden || p.header.Get("Location") != "" {
		t.Fatalf("status %d, Location %q", p.status, p.header.Get("Location"))
	}
	mustContain(t, p, "You are signed in to this application as someone else; sign in as the expected user.")
	if b.session() != "" {
		t.Fatal("a session was started for the wrong user")
	}
	// The expected user goes through.
	got := b.handedBack(b.signIn(token, "bob", "battery staple"))
	if got.UserID != bob.ID {
		t.Fatalf("flow user %q, want bob", got.UserID)
	}
}

func TestSignInPrefillsTheLoginHint(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	f := e.flow()
	f.LoginHint = `alice"><script>`
	p := b.get("/signin?flow=" + url.QueryEscape(b.seal(f)))
	mustContain(t, p, `value="alice&#34;&gt;&lt;script&gt;"`)
	if strings.Contains(p.body, "<script>") {
		t.Fatal("the login hint was not escaped")
	}
}

// Behind a reverse proxy every connection comes from the proxy. Failures
// are counted against the client the trusted proxy names, so one client
// guessing made-up usernames throttles itself, not every user.
func TestSignInBehindATrustedProxyThrottlesEachClientApart(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnv(t, false, func(_ *env, o *web.Options) {
		// The test's connections come from the loopback: it is the proxy.
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		o.Log = slog.New(slog.NewTextHandler(logs, nil))
	})
	e.register("alice", "correct horse")
	attacker := e.browser("browser-1")
	token := attacker.seal(e.flow())
	// What a client sends itself comes first; the proxy appends its peer.
	const from = "X-Forwarded-For"
	for i := range stepup.DefaultThrottlePolicy().IPFailures {
		p := attacker.signIn(token, fmt.Sprintf("nobody%d", i), "guess", from, "203.0.113.1, 198.51.100.7")
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("failure %d: status %d", i+1, p.status)
		}
	}
	if p := attacker.signIn(token, "nobody", "guess", from, "203.0.113.2, 198.51.100.7"); p.status != http.StatusTooManyRequests {
		t.Fatalf("the guessing client's next attempt: status %d, want 429", p.status)
	}
	alice := e.browser("browser-2")
	alice.handedBack(alice.signIn(alice.seal(e.flow()), "alice", "correct horse", from, "192.0.2.44"))
	if !strings.Contains(logs.String(), `msg="web: sign-in throttled" ip=198.51.100.7 `) {
		t.Errorf("the log does not name the throttled client:\n%s", logs)
	}
}

// A connection that is not a trusted proxy is its own client, whatever
// X-Forwarded-For it sends: otherwise each guess could name a fresh address.
func TestSignInIgnoresForwardedForFromAnUntrustedConnection(t *testing.T) {
	e := newEnv(t, false, func(_ *env, o *web.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	})
	attacker := e.browser("browser-1")
	token := attacker.seal(e.flow())
	n := stepup.DefaultThrottlePolicy().IPFailures
	for i := range n + 1 {
		p := attacker.signIn(token, fmt.Sprintf("nobody%d", i), "guess", "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		if want := http.StatusUnprocessableEntity; i == n {
			if p.status != http.StatusTooManyRequests {
				t.Fatalf("attempt %d, from a fresh forwarded address: status %d, want 429", i+1, p.status)
			}
		} else if p.status != want {
			t.Fatalf("failure %d: status %d", i+1, p.status)
		}
	}
}

// lockedBuffer is a log destination the server's goroutines and the test
// may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
