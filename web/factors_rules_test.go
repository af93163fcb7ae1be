package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/store"
)

// accountForm returns the account page's flow and CSRF tokens.
func (b *browser) accountForm() (flow, csrf string) {
	b.t.Helper()
	p := b.get("/account")
	if p.status != http.StatusOK {
		b.t.Fatalf("the account page: %d\n%s", p.status, p.body)
	}
	return strings.SplitN(strings.SplitN(p.body, `name="flow" value="`, 2)[1], `"`, 2)[0], csrfField.FindStringSubmatch(p.body)[1]
}

// A client that allows its users only some methods gets a step-up by no
// other, whatever method the form says.
func TestStepUpRefusesAMethodTheClientDoesNotAllow(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, uri, _ := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	f := e.flow()
	f.UserID, f.Level, f.Since, f.Methods = alice.ID, acr.MFA, e.clock.Now(), []acr.Method{acr.Password, acr.Passkey}
	token := b.seal(f)
	p := b.get("/stepup?flow=" + url.QueryEscape(token))
	if strings.Contains(p.body, "Code from your authenticator app") {
		t.Error("the page offers a method the client does not allow")
	}
	csrf := csrfField.FindStringSubmatch(p.body)[1]
	p = b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {totpCode(t, uri, e.clock.Now())}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("a TOTP code in a flow limited to %v: %d, want 400", f.Methods, p.status)
	}
}

// An app set up with the page's code: a mistyped code keeps it, so the
// app the user scanned still works; five wrong ones spend it, and the page
// starts again with a new one.
func TestTOTPSetUpKeepsTheSecretUntilItIsSpent(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b := e.browser("browser-1")
	alice := e.register("alice", "correct horse")
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	f := e.flow()
	f.UserID, f.Level = alice.ID, acr.MFA
	token := b.seal(f)
	p := b.get("/enroll?flow=" + url.QueryEscape(token) + "&method=TOTP")
	uri := strings.ReplaceAll(secretURI.FindString(p.body), "&amp;", "&")
	challenge := challengeField.FindStringSubmatch(p.body)[1]
	form := url.Values{"flow": {token}, "csrf": {csrfField.FindStringSubmatch(p.body)[1]}, "method": {"TOTP"},
		"challenge": {challenge}, "code": {"12 345"}}
	p = b.post("/enroll", form)
	mustContain(t, p, "Enter the six digits", `name="challenge" value="`+challenge+`"`)
	wrong := "000000"
	if totpCode(t, uri, e.clock.Now()) == wrong {
		wrong = "111111"
	}
	form.Set("code", wrong)
	for range 5 {
		b.post("/enroll", form)
	}
	form.Set("code", totpCode(t, uri, e.clock.Now()))
	p = b.post("/enroll", form)
	mustContain(t, p, "Start again: scan this new code")
	if next := strings.ReplaceAll(secretURI.FindString(p.body), "&amp;", "&"); next == "" || next == uri {
		t.Fatalf("after the spent set-up the page shows the secret %q, want a new one", next)
	}
}

// Recovery codes are how a user whose passkey is lost sets up a new one:
// a step-up with a code allows it.
func TestARecoveryCodeLetsAUserReplaceALostPasskey(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, _, codes := factorUser(t, e)
	ctx := context.Background()
	auths, _ := e.store.Authenticators().ListByUser(ctx, alice.ID)
	for _, a := range auths {
		if a.Method == acr.TOTP {
			if err := e.store.Authenticators().Delete(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	lost := &store.Authenticator{ID: "pk1", UserID: alice.ID, Method: acr.Passkey, Name: "lost phone",
		CredentialID: []byte("cred"), PublicKey: []byte("k"), BackupEligible: true, Verified: true, CreatedAt: e.clock.Now()}
	if err := e.store.Authenticators().Create(ctx, lost); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	flow, _ := b.accountForm()
	// Before: replacing the passkey needs a passkey.
	if p := b.get("/enroll?flow=" + url.QueryEscape(flow) + "&method=PASSKEY"); p.status != http.StatusSeeOther {
		t.Fatalf("setting up a passkey with a password session: %d, want a step-up first", p.status)
	}
	// The account page's way back: a recovery code.
	mustContain(t, b.get("/account"), `href="/account/recover"`)
	loc := b.get("/account/recover").header.Get("Location")
	p := b.get(loc)
	mustContain(t, p, "One of your recovery codes")
	stepUp, _ := url.Parse(loc)
	csrf := csrfField.FindStringSubmatch(p.body)[1]
	p = b.post("/stepup/verify", url.Values{"flow": {stepUp.Query().Get("flow")}, "csrf": {csrf}, "method": {"RECOVERY_CODE"}, "code": {codes[0]}})
	if p.header.Get("Location") != "/account" {
		t.Fatalf("the recovery code returns %d to %q, want the account page", p.status, p.header.Get("Location"))
	}
	flow, csrf = b.accountForm()
	if p := b.get("/enroll?flow=" + url.QueryEscape(flow) + "&method=PASSKEY"); p.status != http.StatusOK {
		t.Fatalf("after a recovery code, setting up a new passkey: %d to %q, want the set-up page", p.status, p.header.Get("Location"))
	}
	if p := b.post("/account/remove", url.Values{"flow": {flow}, "csrf": {csrf}, "authenticator": {"pk1"}}); p.header.Get("Location") != "/account?removed=1" {
		t.Fatalf("after a recovery code, removing the lost passkey: %d to %q", p.status, p.header.Get("Location"))
	}
}

// An app's code, which a phishing site can relay, does not open a change
// of a passkey: only a passkey, or a recovery code spent for it, does.
func TestAnAppsCodeDoesNotReplaceAPasskey(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, uri, _ := factorUser(t, e)
	ctx := context.Background()
	pk := &store.Authenticator{ID: "pk1", UserID: alice.ID, Method: acr.Passkey, Name: "phone",
		CredentialID: []byte("cred"), PublicKey: []byte("k"), BackupEligible: true, Verified: true, CreatedAt: e.clock.Now()}
	if err := e.store.Authenticators().Create(ctx, pk); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	token, csrf, _ := b.stepUpForm(alice, acr.MFA, acr.TOTP)
	b.handedBack(b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {totpCode(t, uri, e.clock.Now())}}))
	flow, csrf := b.accountForm()
	if p := b.get("/enroll?flow=" + url.QueryEscape(flow) + "&method=PASSKEY"); p.status != http.StatusSeeOther {
		t.Errorf("password and an app's code open the set-up of a passkey: %d", p.status)
	}
	b.post("/account/remove", url.Values{"flow": {flow}, "csrf": {csrf}, "authenticator": {"pk1"}})
	if _, err := e.store.Authenticators().Get(ctx, "pk1"); err != nil {
		t.Errorf("password and an app's code removed the passkey: %v", err)
	}
}

// The step-up page weighs the session as the engine does: a verification
// of a method the client does not take counts for nothing, so the page
// neither offers what would not complete the level nor leaves the user
// going round.
func TestTheStepUpPageCountsOnlyTheClientsMethods(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, uri, _ := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	signedIn := e.clock.Now()
	e.clock.Advance(5 * time.Minute)
	token, csrf, _ := b.stepUpForm(alice, acr.MFA, acr.TOTP)
	b.handedBack(b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {totpCode(t, uri, e.clock.Now())}}))
	// Since the flow's start, only the app's code was made; this client
	// does not take it, so the password would bring the session to 1fa.
	f := e.flow()
	f.UserID, f.Level, f.Since, f.Methods = alice.ID, acr.MFA, signedIn.Add(time.Minute), []acr.Method{acr.Password, acr.Passkey}
	p := b.get("/stepup?flow=" + url.QueryEscape(b.seal(f)))
	if strings.Contains(p.body, "Sign in again with your password") {
		t.Errorf("the page offers the password, which with the app's code uncounted reaches only 1fa:\n%s", p.body)
	}
	mustContain(t, p, "which your account cannot give yet")
}

// A disabled user's live session changes no factor.
func TestADisabledUserChangesNoFactor(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, _, _ := factorUser(t, e)
	flow, csrf := b.accountForm()
	ctx := context.Background()
	u, _ := e.store.Users().Get(ctx, alice.ID)
	u.Disabled = true
	if err := e.store.Users().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
	auths, _ := e.store.Authenticators().ListByUser(ctx, alice.ID)
	b.post("/account/remove", url.Values{"flow": {flow}, "csrf": {csrf}, "authenticator": {auths[0].ID}})
	if _, err := e.store.Authenticators().Get(ctx, auths[0].ID); err != nil {
		t.Fatalf("a disabled user removed a factor: %v", err)
	}
}

// A session whose second factor is recent but whose password is older
// than a change allows is offered the password, which completes it, not a
// dead end.
func TestAStalePasswordIsOfferedWhenItCompletesTheLevel(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, uri, _ := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	e.clock.Advance(4 * time.Minute)
	token, csrf, _ := b.stepUpForm(alice, acr.MFA, "")
	b.handedBack(b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {totpCode(t, uri, e.clock.Now())}}))
	e.clock.Advance(2 * time.Minute) // the password is now 6 minutes old, the code 2
	flow, _ := b.accountForm()
	p := b.get("/enroll?flow=" + url.QueryEscape(flow) + "&method=TOTP")
	step := b.get(p.header.Get("Location"))
	mustContain(t, step, "Sign in again with your password")
	signIn, _ := url.Parse(p.header.Get("Location"))
	csrf = b.open("/signin", signIn.Query().Get("flow"))
	back := b.post("/signin", url.Values{"flow": {signIn.Query().Get("flow")}, "csrf": {csrf}, "username": {"alice"}, "password": {"correct horse"}})
	if loc := back.header.Get("Location"); !strings.HasPrefix(loc, "/enroll?") {
		t.Fatalf("after the password the browser goes to %q, want back to the set-up page", loc)
	}
	if p := b.get(back.header.Get("Location")); p.status != http.StatusOK {
		t.Fatalf("the set-up page after the password: %d", p.status)
	}
}

// A client that takes no password shows no password form, and refuses a
// password posted anyway: it would not count, and the user would land on
// the sign-in page again and again.
func TestAClientWithoutPasswordsTakesNone(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	f := e.flow()
	f.Methods = []acr.Method{acr.Passkey}
	token := b.seal(f)
	p := b.get("/signin?flow=" + url.QueryEscape(token))
	if strings.Contains(p.body, `type="password"`) || strings.Contains(p.body, "/register") {
		t.Errorf("the sign-in page of a passkey-only client offers a password:\n%s", p.body)
	}
	mustContain(t, p, "Sign in with a passkey")
	csrf := csrfField.FindStringSubmatch(p.body)[1]
	p = b.post("/signin", url.Values{"flow": {token}, "csrf": {csrf}, "username": {"alice"}, "password": {"correct horse"}})
	if p.status != http.StatusForbidden || b.session() != "" {
		t.Fatalf("a password posted to a passkey-only client: %d, session %q; want 403 and none", p.status, b.session())
	}
	if p := b.get("/register?flow=" + url.QueryEscape(token)); p.status != http.StatusForbidden {
		t.Errorf("registering for a passkey-only client: %d, want 403", p.status)
	}
}
