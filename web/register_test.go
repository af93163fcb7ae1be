package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stepup-auth/stepup/stepup"
)

func (b *browser) registerForm(flowToken, username, pw, confirm string) page {
	b.t.Helper()
	csrf := b.open("/register", flowToken)
	return b.post("/register", url.Values{
		"flow": {flowToken}, "csrf": {csrf}, "username": {username}, "password": {pw}, "confirm": {confirm},
	})
}

func TestRegisterSignsInAndHandsTheFlowBack(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	p := b.registerForm(b.seal(e.flow()), "  Alice ", "correct horse", "correct horse")
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "stepup_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Lax, Path=/, not Secure in development", session)
	}
	f := b.handedBack(p)
	ctx := context.Background()
	u, err := e.store.Users().GetByUsername(ctx, "alice")
	if err != nil {
		t.Fatalf("the account is not stored under its canonical name: %v", err)
	}
	if f.UserID != u.ID {
		t.Fatalf("flow user %q, want %q", f.UserID, u.ID)
	}
	if sess, err := e.sessions.Find(ctx, session.Value); err != nil || sess.UserID != u.ID {
		t.Fatalf("session %+v, %v", sess, err)
	}
	// The canonical name signs in however it is typed.
	other := e.browser("browser-2")
	other.handedBack(other.signIn(other.seal(e.flow()), "ALICE", "correct horse"))
}

func TestRegisterShowsErrorsInline(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	token := b.seal(e.flow())
	for _, tc := range []struct {
		name, username, password, confirm, want string
	}{
		{"taken, in another case", "ALICE", "battery staple", "battery staple", "This username is taken."},
		{"too short", "bob", "short", "short", "The password must be at least 8 characters long."},
		{"mismatch", "bob", "battery staple", "battery stapler", "The passwords do not match."},
		{"password is the username", "bobbybobby", "BobbyBobby", "BobbyBobby", "The password must not be your username."},
		{"bad username", "b b", "battery staple", "battery staple", "The username must not contain spaces"},
		{"short username", "bo", "battery staple", "battery staple", "The username must be 3 to 64 characters long."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.registerForm(token, tc.username, tc.password, tc.confirm)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.status)
			}
			mustContain(t, p, tc.want, `aria-invalid="true"`)
			if tc.password != "" && strings.Contains(p.body, tc.password+`"`) {
				t.Error("the page gives the password back")
			}
		})
	}
	if _, err := e.store.Users().GetByUsername(context.Background(), "bob"); err == nil {
		t.Fatal("an account was made despite the errors")
	}
	if b.session() != "" {
		t.Fatal("a failed registration set a session cookie")
	}
}

func TestRegisterRefusedInAFlowForAKnownUser(t *testing.T) {
	e := newEnv(t, false)
	bob := e.register("bob", "battery staple")
	b := e.browser("browser-1")
	f := e.flow()
	f.UserID = bob.ID
	token := b.seal(f)
	p := b.get("/register?flow=" + url.QueryEscape(token))
	if p.status != http.StatusForbidden {
		t.Fatalf("GET: status %d", p.status)
	}
	mustContain(t, p, "cannot be created here", `href="/signin?flow=`)
	// A form from a flow without a user, posted with this flow: refused.
	csrf := b.open("/register", b.seal(e.flow()))
	p = b.post("/register", url.Values{"flow": {token}, "csrf": {csrf}, "username": {"carol"},
		"password": {"battery staple"}, "confirm": {"battery staple"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("POST: status %d", p.status)
	}
	if _, err := e.store.Users().GetByUsername(context.Background(), "carol"); err == nil {
		t.Fatal("the account was made")
	}
}

// Registrations count against the address like failed sign-ins: over the
// limit the page answers 429 with Retry-After, and says so.
func TestRegisterOverTheAddressLimitIs429(t *testing.T) {
	e := newEnv(t, false)
	limit := stepup.DefaultThrottlePolicy().IPFailures
	for i := range limit {
		b := e.browser(fmt.Sprint("browser-", i))
		b.handedBack(b.registerForm(b.seal(e.flow()), fmt.Sprint("user", i), "correct horse", "correct horse"))
	}
	b := e.browser("one-more")
	p := b.registerForm(b.seal(e.flow()), "user-over", "correct horse", "correct horse")
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
		t.Fatalf("registration %d from one address: %d, Retry-After %q; want 429 with Retry-After", limit+1, p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "Too many attempts from your network")
	if _, err := e.store.Users().GetByUsername(context.Background(), "user-over"); err == nil {
		t.Error("the account over the limit was made")
	}
}
