package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/factor"
	"github.com/stepup-auth/stepup/stepup/factor/factortest"
	"github.com/stepup-auth/stepup/stepup/factor/passkey"
	"github.com/stepup-auth/stepup/stepup/factor/recovery"
	"github.com/stepup-auth/stepup/stepup/factor/totp"
	"github.com/stepup-auth/stepup/stepup/seal"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/web"
)

// withFactors gives the pages real factors over the env's store: the
// TOTP and recovery codes these tests drive over HTTP, and passkeys (whose
// ceremonies the browser tests of cmd/stepup drive in Chromium).
func withFactors(policy factor.LimitPolicy) func(*env, *web.Options) {
	return func(e *env, o *web.Options) {
		t := e.t
		sealer, err := seal.New(seal.Key{ID: "k1", Secret: [32]byte{1}})
		if err != nil {
			t.Fatal(err)
		}
		apps, err := totp.New(totp.Options{Authenticators: e.store.Authenticators(), Challenges: e.store.Challenges(),
			Sealer: sealer, Issuer: "Test", Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		codes, err := recovery.New(recovery.Options{Authenticators: e.store.Authenticators(),
			Key: []byte(strings.Repeat("r", 32)), Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		keys, err := passkey.New(passkey.Options{Authenticators: e.store.Authenticators(), Challenges: e.store.Challenges(),
			Users: e.store.Users(), RPID: "localhost", RPOrigins: []string{"http://localhost:8080"}, RPDisplayName: "Test",
			Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		o.Factors = web.Factors{
			Passkey: keys, TOTP: apps, Recovery: codes,
			Limiter:        factor.NewLimiter(e.store.Users(), policy, e.clock.Now),
			Authenticators: e.store.Authenticators(),
			ChangeWindow:   5 * time.Minute, ChangeLevel: acr.MFA,
		}
		o.Users = e.store.Users()
	}
}

// totpCode is the code an app that scanned uri shows at t.
func totpCode(t *testing.T, uri string, at time.Time) string {
	t.Helper()
	code, err := factortest.TOTP(uri, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

var (
	secretURI      = regexp.MustCompile(`otpauth://totp/[^<"]+`)
	challengeField = regexp.MustCompile(`name="challenge" value="([^"]*)"`)
	recoveryCode   = regexp.MustCompile(`<code>([0-9a-z]{5}-[0-9a-z]{5})</code>`)
)

// factorUser registers alice, signs her in with a password, and sets up
// an authenticator app from the step-up page of an mfa flow. It returns
// the browser, the app's otpauth URI, and her recovery codes.
func factorUser(t *testing.T, e *env) (*browser, *store.User, string, []string) {
	t.Helper()
	b := e.browser("browser-1")
	alice := e.register("alice", "correct horse")
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	f := e.flow()
	f.UserID, f.Level = alice.ID, acr.MFA
	token := b.seal(f)
	p := b.get("/stepup?flow=" + url.QueryEscape(token))
	mustContain(t, p, "Set up a second factor", "method=TOTP", "method=PASSKEY")
	p = b.get("/enroll?flow=" + url.QueryEscape(token) + "&method=TOTP")
	if p.status != http.StatusOK {
		t.Fatalf("the set-up page: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, `src="data:image/png;base64,`, `autocomplete="one-time-code"`)
	uri := strings.ReplaceAll(secretURI.FindString(p.body), "&amp;", "&")
	challenge := challengeField.FindStringSubmatch(p.body)[1]
	csrf := csrfField.FindStringSubmatch(p.body)[1]
	form := url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "challenge": {challenge}}

	// A wrong first code does not set it up; the same challenge goes on.
	form.Set("code", "000000")
	if totpCode(t, uri, e.clock.Now()) == "000000" {
		form.Set("code", "111111")
	}
	p = b.post("/enroll", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong first code: %d\n%s", p.status, p.body)
	}
	form.Set("code", totpCode(t, uri, e.clock.Now()))
	p = b.post("/enroll", form)
	mustContain(t, p, "Save your recovery codes")
	var codes []string
	for _, m := range recoveryCode.FindAllStringSubmatch(p.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10:\n%s", len(codes), p.body)
	}
	got := b.handedBack(b.post("/enroll/done", url.Values{"flow": {token}, "csrf": {csrf}}))
	if got.AuthRequestID != f.AuthRequestID {
		t.Fatalf("handed back %+v", got)
	}
	return b, alice, uri, codes
}

// level is what the browser's session now proves.
func (b *browser) level() acr.Level {
	sess, err := b.e.sessions.Find(context.Background(), b.session())
	if err != nil {
		b.t.Fatal(err)
	}
	return acr.Assess(stepup.Verifications(sess), time.Time{}).Level
}

// A first factor is set up right after a password sign-in, proves itself
// (the session reaches mfa), and comes with ten recovery codes.
func TestFirstFactorIsSetUpFromTheStepUpPage(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, _, _, _ := factorUser(t, e)
	if l := b.level(); l != acr.MFA {
		t.Fatalf("after setting up an authenticator app the session is at %v, want mfa", l)
	}
}

// stepUpForm opens the step-up page of an mfa flow for user with method
// and returns the flow token and the form's CSRF token.
func (b *browser) stepUpForm(user *store.User, level acr.Level, method acr.Method) (string, string, page) {
	b.t.Helper()
	f := b.e.flow()
	f.UserID, f.Level, f.Since = user.ID, level, b.e.clock.Now()
	f.ExpiresAt = f.Since.Add(2 * time.Hour)
	token := b.seal(f)
	p := b.get("/stepup?flow=" + url.QueryEscape(token) + "&method=" + string(method))
	if p.status != http.StatusOK {
		b.t.Fatalf("the step-up page: %d\n%s", p.status, p.body)
	}
	return token, csrfField.FindStringSubmatch(p.body)[1], p
}

func TestStepUpWithAnAuthenticatorApp(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, uri, _ := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))

	// Since the flow began, only the password counts: the page asks for
	// the app's code, strongest method first, with recovery codes to
	// switch to.
	token, csrf, p := b.stepUpForm(alice, acr.MFA, "")
	mustContain(t, p, "Code from your authenticator app", `autocomplete="one-time-code"`, "method=RECOVERY_CODE")
	verify := func(code string) page {
		return b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {code}})
	}
	code := totpCode(t, uri, e.clock.Now())
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if p := verify(wrong); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "That code is not right") {
		t.Fatalf("a wrong code: %d\n%s", p.status, p.body)
	}
	before := b.session()
	b.handedBack(verify(code))
	if b.session() == before {
		t.Error("the step-up kept the session's token")
	}
	if l := b.level(); l != acr.MFA {
		t.Fatalf("after the app's code the session is at %v, want mfa", l)
	}
	// The same code again is a replay.
	token, csrf, _ = b.stepUpForm(alice, acr.MFA, "")
	if p := b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {code}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a replayed code: %d\n%s", p.status, p.body)
	}
}

func TestStepUpWithARecoveryCode(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, _, codes := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	token, csrf, _ := b.stepUpForm(alice, acr.MFA, acr.RecoveryCode)
	form := url.Values{"flow": {token}, "csrf": {csrf}, "method": {"RECOVERY_CODE"}, "code": {strings.ToUpper(codes[3])}}
	b.handedBack(b.post("/stepup/verify", form))
	if l := b.level(); l != acr.MFA {
		t.Fatalf("after a recovery code the session is at %v, want mfa", l)
	}
	token, csrf, _ = b.stepUpForm(alice, acr.MFA, acr.RecoveryCode)
	form.Set("flow", token)
	form.Set("csrf", csrf)
	if p := b.post("/stepup/verify", form); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("a used recovery code: %d\n%s", p.status, p.body)
	}
}

// After five wrong codes the user waits; after the policy's run of
// failures the account takes no more, even the right code.
func TestStepUpAttemptsAreLimited(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{FreeFailures: 5, FirstDelay: 30 * time.Second, LockAfter: 8}))
	b, alice, uri, _ := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))
	token, csrf, _ := b.stepUpForm(alice, acr.MFA, "")
	verify := func(code string) page {
		return b.post("/stepup/verify", url.Values{"flow": {token}, "csrf": {csrf}, "method": {"TOTP"}, "code": {code}})
	}
	wrong := func() string {
		if totpCode(t, uri, e.clock.Now()) == "000000" {
			return "111111"
		}
		return "000000"
	}
	for i := range 5 {
		if p := verify(wrong()); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d", i+1, p.status)
		}
	}
	p := verify(totpCode(t, uri, e.clock.Now()))
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "30" {
		t.Fatalf("the right code after five wrong ones: %d, Retry-After %q, want 429 and 30", p.status, p.header.Get("Retry-After"))
	}
	mustContain(t, p, "Too many failed attempts. Try again in 30 seconds.")
	// The waits grow, and the session must be kept alive meanwhile.
	for range 3 {
		e.clock.Advance(15 * time.Minute)
		if p := verify(wrong()); p.status != http.StatusUnprocessableEntity {
			t.Fatalf("a wrong code after the wait: %d\n%s", p.status, p.body)
		}
	}
	e.clock.Advance(15 * time.Minute)
	p = verify(totpCode(t, uri, e.clock.Now()))
	if p.status != http.StatusForbidden {
		t.Fatalf("the right code after the run of failures: %d, want 403 (locked)\n%s", p.status, p.body)
	}
	mustContain(t, p, "locked")
}

// A user with a factor changes their factors only after a fresh step-up:
// the password alone cannot add a factor, remove one, or make new
// recovery codes.
func TestChangingFactorsNeedsAFreshStepUp(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b, alice, uri, _ := factorUser(t, e)
	e.clock.Advance(time.Hour)
	b.handedBack(b.signIn(b.seal(e.flow()), "alice", "correct horse"))

	p := b.get("/account")
	if p.status != http.StatusOK {
		t.Fatalf("the account page: %d\n%s", p.status, p.body)
	}
	mustContain(t, p, "Authenticator app", "Recovery code", "10 of 10 left", "Add a passkey")
	csrf := csrfField.FindStringSubmatch(p.body)[1]
	accountFlow := regexp.MustCompile(`name="flow" value="([^"]+)"`).FindStringSubmatch(p.body)[1]
	auths, err := e.store.Authenticators().ListByUser(context.Background(), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var app *store.Authenticator
	for _, a := range auths {
		if a.Method == acr.TOTP {
			app = a
		}
	}
	remove := url.Values{"flow": {accountFlow}, "csrf": {csrf}, "authenticator": {app.ID}}
	for _, try := range []struct {
		what string
		p    page
	}{
		{"removing the app", b.post("/account/remove", remove)},
		{"new recovery codes", b.post("/account/recovery", url.Values{"flow": {accountFlow}, "csrf": {csrf}})},
		{"adding an app", b.get("/enroll?flow=" + url.QueryEscape(accountFlow) + "&method=TOTP")},
	} {
		if loc := try.p.header.Get("Location"); try.p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/stepup?flow=") {
			t.Errorf("%s with a password session: %d to %q, want a step-up first", try.what, try.p.status, loc)
		}
	}
	if _, err := e.store.Authenticators().Get(context.Background(), app.ID); err != nil {
		t.Fatalf("the app is gone without a step-up: %v", err)
	}

	// The step-up it asks for returns to the account page; within the
	// window, the removal goes through.
	loc := b.post("/account/remove", remove).header.Get("Location")
	stepUp, _ := url.Parse(loc)
	p = b.get(loc)
	csrfStep := csrfField.FindStringSubmatch(p.body)[1]
	p = b.post("/stepup/verify", url.Values{"flow": {stepUp.Query().Get("flow")}, "csrf": {csrfStep}, "method": {"TOTP"},
		"code": {totpCode(t, uri, e.clock.Now())}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		t.Fatalf("the step-up for a change returns %d to %q, want the account page", p.status, p.header.Get("Location"))
	}
	if p := b.post("/account/remove", remove); p.header.Get("Location") != "/account?removed=1" {
		t.Fatalf("removing after the step-up: %d to %q", p.status, p.header.Get("Location"))
	}
	if _, err := e.store.Authenticators().Get(context.Background(), app.ID); err == nil {
		t.Fatal("the app is still there after a fresh step-up")
	}
}

// A page of the site's own flow returns only to a path of this site.
func TestLocalFlowsReturnOnlyToThisSite(t *testing.T) {
	e := newEnv(t, false, withFactors(factor.LimitPolicy{}))
	b := e.browser("browser-1")
	alice := e.register("alice", "correct horse")
	for _, next := range []string{"//evil.example/x", "/\\evil.example", "https://evil.example/"} {
		f := stepup.Flow{UserID: alice.ID, Level: acr.OneFactor, Next: next, ExpiresAt: e.clock.Now().Add(time.Minute)}
		token := b.seal(f)
		csrf := b.open("/signin", token)
		p := b.post("/signin", url.Values{"flow": {token}, "csrf": {csrf}, "username": {"alice"}, "password": {"correct horse"}})
		if loc := p.header.Get("Location"); loc != "/account" {
			t.Errorf("Next %q: sent to %q, want /account", next, loc)
		}
	}
}
