package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// These tests drive the hosted pages in headless Chromium, which enforces
// what an HTTP client does not: the Content-Security-Policy (form-action
// covers the redirects a form submission leads to), cookie rules, and the
// pages' forms as a user fills them in.

// chromium returns the browser to drive. It is skipped on a machine
// without one, except under CI, where every test must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("STEPUP_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed (apt-get install -y chromium), and CI runs every test")
	}
	t.Skip("Chromium is not installed (apt-get install -y chromium; or set STEPUP_CHROMIUM)")
	return ""
}

// newTab starts a headless Chromium with an empty profile and returns a
// tab in it, closed with the test.
func newTab(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()), chromedp.DisableGPU,
		// The machine's network is closed: no calls home, no QUIC.
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	t.Cleanup(func() { cancel(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// do runs browser actions, failing the test with what the tab shows.
func do(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		loc, _ := chromedp.Run(tab, chromedp.Location())
		t.Fatalf("%s: %v (the tab is on %s)", what, err, loc)
	}
}

// waitFor waits until the tab is on page (that URL, with any query), and
// the page has loaded: a navigation started while another is still
// loading aborts it.
func waitFor(t *testing.T, tab context.Context, page string) {
	t.Helper()
	var loc string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var err error
		if loc, err = chromedp.Run(tab, chromedp.Location()); err != nil || loc != page && !strings.HasPrefix(loc, page+"?") {
			continue
		}
		if state, err := chromedp.Run(tab, chromedp.Evaluate[string]("document.readyState")); err == nil && state == "complete" {
			return
		}
	}
	body, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
	t.Fatalf("the tab stays on %s, want %s; it shows:\n%.800s", loc, page, body)
}

// fillIn types values into the inputs they name (by id) and submits the
// form of the last one.
func fillIn(t *testing.T, tab context.Context, fields ...string) {
	t.Helper()
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		actions = append(actions, chromedp.SendKeys(chromedp.ID(fields[i]), fields[i+1]))
	}
	actions = append(actions, chromedp.Submit(chromedp.ID(fields[len(fields)-2])))
	do(t, tab, "filling in "+strings.Join(fields, " "), actions...)
}

// relyingParty is a server on its own origin that records the requests
// the browser brings back to it.
type relyingParty struct {
	url  string // http://localhost:PORT
	hits chan *url.URL
}

func newRelyingParty(t *testing.T) *relyingParty {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relyingParty{url: fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port), hits: make(chan *url.URL, 8)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits <- req.URL
		fmt.Fprintln(w, "the relying party")
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return r
}

// arrival waits for the browser to bring a request to path.
func (r *relyingParty) arrival(t *testing.T, path string) *url.URL {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case u := <-r.hits:
			if u.Path == path {
				return u
			}
		case <-timeout:
			t.Fatalf("the browser never reached the relying party's %s", path)
			return nil
		}
	}
}

// A sign-in is answered with a redirect to the relying party, and the
// sign-out question with one to its post-logout URI: both on another
// origin, which the pages' form-action must allow or Chromium stops the
// user on the form.
func TestBrowserSignInAndOutReturnToARelyingPartyOnAnotherOrigin(t *testing.T) {
	tab := newTab(t)
	app := newRelyingParty(t)
	op := startOPWithClients(t, filepath.Join(t.TempDir(), "data"), fmt.Sprintf(`    - id: spa
      redirect_uris: [%[1]s/callback]
      post_logout_redirect_uris: [%[1]s/signed-out]
`, app.url))
	r := newRP(t, op.issuer, "spa", "")
	r.oauth.RedirectURL = app.url + "/callback"

	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	do(t, tab, "opening the authorization request",
		chromedp.Navigate(r.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce))))
	waitFor(t, tab, op.issuer+"/signin")
	do(t, tab, "following the register link", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitFor(t, tab, op.issuer+"/register")
	fillIn(t, tab, "username", "carol", "password", password, "confirm", password)

	back := app.arrival(t, "/callback")
	waitFor(t, tab, app.url+"/callback")
	if back.Query().Get("state") != state || back.Query().Get("code") == "" {
		t.Fatalf("the relying party got %s, want a code and state %q", back, state)
	}
	tok, err := r.oauth.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the code the browser brought: %v", err)
	}
	if claims := r.verifyIDToken(tok, nonce); claims.ACR != "urn:stepup:acr:1fa" {
		t.Errorf("acr %q, want urn:stepup:acr:1fa", claims.ACR)
	}

	// Signing out without a hint asks first; the answer goes back to the
	// relying party.
	do(t, tab, "opening end_session", chromedp.Navigate(op.issuer+"/end_session?"+url.Values{
		"client_id": {"spa"}, "post_logout_redirect_uri": {app.url + "/signed-out"}, "state": {"bye"},
	}.Encode()))
	waitFor(t, tab, op.issuer+"/sign-out")
	do(t, tab, "answering the sign-out question", chromedp.Click(chromedp.CSS(`button[value="sign-out"]`)))
	if out := app.arrival(t, "/signed-out"); out.Query().Get("state") != "bye" {
		t.Errorf("the relying party got %s after sign-out, want state bye", out)
	}
	waitFor(t, tab, app.url+"/signed-out")

	// Signed out: a new request lands on the sign-in page again.
	do(t, tab, "opening a new authorization request",
		chromedp.Navigate(r.oauth.AuthCodeURL(randomString(), oauth2.S256ChallengeOption(verifier))))
	waitFor(t, tab, op.issuer+"/signin")
}

// The newcomer's path of the README, in a real browser: the demo signs in
// by registering, shows the claims, and signs out.
func TestBrowserDemoRegistersShowsTheClaimsAndSignsOut(t *testing.T) {
	tab := newTab(t)
	issuer := startDemoOP(t)
	do(t, tab, "opening the demo", chromedp.Navigate(issuer+"/demo"))
	do(t, tab, "asking for the balance", chromedp.Click(chromedp.CSS(`button[value="balance"]`)))
	waitFor(t, tab, issuer+"/signin")
	do(t, tab, "following the register link", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitFor(t, tab, issuer+"/register")
	fillIn(t, tab, "username", "dave", "password", password, "confirm", password)
	waitFor(t, tab, issuer+"/demo/callback")
	body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Balance: 1,234.56 EUR", "urn:stepup:acr:1fa", "preferred_username (from userinfo)", "dave"} {
		if !strings.Contains(body, want) {
			t.Errorf("the demo's page lacks %q:\n%.1500s", want, body)
		}
	}
	do(t, tab, "signing out", chromedp.Click(chromedp.CSS(`form[action="/demo/logout"] button`)))
	waitFor(t, tab, issuer+"/demo/")
	if body, _ = chromedp.Run(tab, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "Not signed in.") {
		t.Errorf("after signing out the demo shows:\n%.800s", body)
	}
}
