package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
	"github.com/stepup-auth/stepup/web/demo"
)

// The demo relying party under /demo is an OpenID Connect client of the
// server it runs on: these tests drive it with a browser that follows
// every redirect, since its callback is on the server itself.

// startDemoOP runs stepup with the built-in defaults (the demo on) and no
// client of its own, and returns its issuer URL.
func startDemoOP(t *testing.T) string {
	t.Helper()
	return startOPWithClients(t, filepath.Join(t.TempDir(), "data"), "").issuer
}

// newBrowser returns a browser that follows all redirects, as the rp of
// e2e_test.go with no relying party of the test's own.
func newBrowser(t *testing.T, issuer string) *rp {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &rp{t: t, issuer: issuer, browser: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// visit opens path and follows it wherever it leads.
func (r *rp) visit(path string) *attempt {
	r.t.Helper()
	a := &attempt{rp: r}
	a.follow(r.browser.Get(r.issuer + path))
	return a
}

// cookie returns the browser's cookie of that name for the demo's paths.
func (r *rp) cookie(name string) string {
	u, _ := url.Parse(r.issuer + "/demo/")
	for _, c := range r.browser.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// demoAction clicks an action's button on the demo's home page.
func (r *rp) demoAction(action string) *attempt {
	r.t.Helper()
	a := r.visit("/demo/")
	a.submit("/demo/login", url.Values{"action": {action}})
	return a
}

// claim returns the value the demo's page shows for a claim.
func (a *attempt) claim(name string) string {
	m := regexp.MustCompile(`<dt>` + regexp.QuoteMeta(name) + `</dt><dd>([^<]*)</dd>`).FindStringSubmatch(a.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// mustShow fails unless the page is path, answered 200, and shows every text.
func (a *attempt) mustShow(path string, texts ...string) {
	a.rp.t.Helper()
	if !a.on(path) || a.page.StatusCode != http.StatusOK {
		a.rp.t.Fatalf("want 200 on %s, got %v (callback %v):\n%.1500s", path, a.page, a.callback, a.body)
	}
	for _, s := range texts {
		if !strings.Contains(a.body, s) {
			a.rp.t.Errorf("the page %s lacks %q:\n%.3000s", path, s, a.body)
		}
	}
}

func TestDemoSignsInShowsTheClaimsAndIsHonestAboutTheTransfer(t *testing.T) {
	issuer := startDemoOP(t)
	b := newBrowser(t, issuer)
	b.visit("/demo").mustShow("/demo/", "Not signed in.", "View balance (needs 1fa)",
		"Transfer money (needs mfa within 5 minutes)")

	// View balance: sign-in at 1fa, by registering.
	a := b.demoAction("balance")
	a.register("alice", password)
	a.mustShow("/demo/callback", "Balance: 1,234.56 EUR")
	want := map[string]string{
		"iss": issuer, "aud": demo.ClientID, "acr": "urn:stepup:acr:1fa", "amr": "pwd",
		"preferred_username (from userinfo)": "alice",
	}
	for name, v := range want {
		if got := a.claim(name); got != v {
			t.Errorf("claim %s shows %q, want %q", name, got, v)
		}
	}
	sub := a.claim("sub")
	if sub == "" || a.claim("nonce") == "" {
		t.Errorf("sub %q, nonce %q: want both shown", sub, a.claim("nonce"))
	}
	if at := a.claim("auth_time"); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ seconds? ago\)$`).MatchString(at) {
		t.Errorf("auth_time shows %q, want a readable time and its age", at)
	}
	b.visit("/demo/").mustShow("/demo/", "Signed in as <strong>alice</strong> at level <code>urn:stepup:acr:1fa</code>.")

	// The session cookie holds the ID token and the access token: it must
	// stay under the 4 KB a browser keeps.
	if n := len(b.cookie("stepup_demo")); n == 0 || n > 4000 {
		t.Errorf("the demo's session cookie is %d bytes", n)
	}

	// Transfer: the API answers the 1fa token with a challenge, which
	// leads to stepup's step-up page; a user who goes on without setting
	// up a factor gets a 1fa token, and the demo says so rather than
	// sending.
	a = b.demoAction("transfer")
	if !a.on("/stepup") {
		t.Fatalf("a transfer with a 1fa session: the browser is on %v, want the step-up page", a.page.Request.URL)
	}
	a.submit("/stepup", url.Values{"action": {"continue"}})
	a.mustShow("/demo/callback", "Not done: the transfer needs mfa, and you signed in at urn:stepup:acr:1fa. "+
		"Set up a passkey or an authenticator app",
		"The demo asked stepup again with acr_values=urn:stepup:acr:mfa and max_age=300, and you signed in.")
	if strings.Contains(a.body, "Transfer sent") {
		t.Error("the demo claims the transfer was sent at 1fa")
	}
	if a.claim("sub") != sub || a.claim("acr") != "urn:stepup:acr:1fa" {
		t.Errorf("after the transfer: sub %q acr %q, want %q at 1fa", a.claim("sub"), a.claim("acr"), sub)
	}

	// Reloading the callback does not redeem the code twice.
	again := b.visit(a.page.Request.URL.RequestURI())
	if again.page.StatusCode != http.StatusBadRequest || !strings.Contains(again.body, "This sign-in has expired") {
		t.Errorf("reloading the callback: %d\n%.600s", again.page.StatusCode, again.body)
	}

	// Sign out goes through the OP's end_session, which ends the stepup
	// session too, and back home.
	a.submit("/demo/logout", nil)
	a.mustShow("/demo/", "Not signed in.")
	if a = b.demoAction("balance"); !a.on("/signin") {
		t.Errorf("after signing out, a new sign-in lands on %v, want the sign-in page", a.page.Request.URL)
	}
}

func TestDemoCancelledStepUpIsExplained(t *testing.T) {
	b := newBrowser(t, startDemoOP(t))
	a := b.demoAction("transfer")
	a.register("bob", password)
	if !a.on("/stepup") {
		t.Fatalf("a transfer: the browser is on %v, want the step-up page", a.page.Request.URL)
	}
	a.submit("/stepup", url.Values{"action": {"cancel"}})
	if !a.on("/demo/callback") || strings.Contains(a.body, "Transfer sent") {
		t.Fatalf("after cancelling the step-up: %v\n%.1500s", a.page.Request.URL, a.body)
	}
}

func TestDemoDisabledServesNothingAndRemovesItsClient(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	on := startServer(t, writeConfig(t, dir, ""))
	if code, _ := get(t, on.url+"/demo/"); code != http.StatusOK {
		t.Fatalf("demo on by default: /demo/ answers %d", code)
	}
	on.stop(t)
	if c := demoClient(t, dir); c == nil || c.Source != "demo" || c.RedirectURIs[0] != "http://localhost:8080/demo/callback" {
		t.Fatalf("demo on: the stored client is %+v, want stepup-demo from source demo", c)
	}

	off := startServer(t, writeConfig(t, dir, "demo:\n  enabled: false\n"))
	for _, path := range []string{"/demo/", "/demo", "/demo/login", "/demo/api/balance", "/demo/callback"} {
		if code, _ := get(t, off.url+path); code != http.StatusNotFound {
			t.Errorf("demo off: %s answers %d, want 404", path, code)
		}
	}
	off.stop(t)
	if c := demoClient(t, dir); c != nil {
		t.Errorf("demo off: the client is still stored: %+v", c)
	}
}

// demoClient reads the demo's client from a stopped server's data folder,
// or returns nil when there is none.
func demoClient(t *testing.T, dir string) *store.Client {
	t.Helper()
	st, err := memdb.Open(memdb.Options{Dir: dir, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Clients().Get(context.Background(), demo.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The demo's payments under the example rules it ships: 50 passes, 1,500
// from a device not yet confirmed asks for a passkey, on stepup's hosted
// challenge page. (The browser test answers one with a passkey.)
func TestDemoPaymentsFollowTheExampleRules(t *testing.T) {
	issuer := startDemoOP(t)
	b := newBrowser(t, issuer)
	a := b.demoAction("balance")
	a.register("pat", password)
	a.mustShow("/demo/callback", "Balance: 1,234.56 EUR")

	a = b.visit("/demo/")
	a.submit("/demo/pay", url.Values{"amount": {"50"}})
	a.mustShow("/demo/pay", "Payment of 50.00 EUR sent: stepup&#39;s rules allowed it without a challenge.")

	a = b.visit("/demo/")
	a.submit("/demo/pay", url.Values{"amount": {"1500"}})
	if !a.on("/challenge") || !strings.Contains(a.body, "<strong>payment</strong>") {
		t.Fatalf("a payment of 1,500: on %v, want stepup's challenge page for the payment\n%.1500s", a.page.Request.URL, a.body)
	}
	a.submit("/challenge", nil)
	if !a.on("/stepup") {
		t.Fatalf("a payment of 1,500: on %v, want stepup's step-up page\n%.1500s", a.page.Request.URL, a.body)
	}
	// pat has no passkey yet: the page says where to set one up (a
	// challenge link sets up nothing), and offers neither an app nor the
	// password.
	if !strings.Contains(a.body, "a passkey") || !strings.Contains(a.body, "Set up a passkey or an authenticator app on your account page") ||
		strings.Contains(a.body, `name="code"`) || strings.Contains(a.body, "/signin?") {
		t.Errorf("the challenge should ask for a passkey, and say where to set one up:\n%.3000s", a.body)
	}
}
