package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

// Codes and links in a real browser: a user sets up their email address
// with the code a real SMTP server received, and later steps up with a
// magic link opened in another tab of the same browser; the first tab,
// waiting, goes on by itself (web/static/wait.js) back to the relying
// party.
func TestBrowserEmailCodeThenMagicLink(t *testing.T) {
	tab := newTab(t)
	app := newRelyingParty(t)
	mb := delivertest.StartMailbox(t)
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), fmt.Sprintf(`    - id: spa
      redirect_uris: [%s/callback]
`, app.url), fmt.Sprintf("delivery:\n  resend_cooldown: 1s\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr))
	r := newRP(t, op.issuer, "spa", "")
	r.oauth.RedirectURL = app.url + "/callback"
	authorize := func(extra ...oauth2.AuthCodeOption) {
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), gooidc.Nonce(randomString()),
			oauth2.SetAuthURLParam("acr_values", "urn:stepup:acr:mfa")}, extra...)
		do(t, tab, "opening the authorization request", chromedp.Navigate(r.oauth.AuthCodeURL(randomString(), opts...)))
	}

	authorize()
	waitFor(t, tab, op.issuer+"/signin")
	do(t, tab, "following the register link", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitFor(t, tab, op.issuer+"/register")
	fillIn(t, tab, "username", "nina", "password", password, "confirm", password)
	waitFor(t, tab, op.issuer+"/stepup")
	do(t, tab, "choosing email codes", chromedp.Click(chromedp.CSS(`a[href*="method=EMAIL_OTP"]`)))
	waitFor(t, tab, op.issuer+"/enroll")
	fillIn(t, tab, "destination", "nina@example.com")
	waitForText(t, tab, "n•••@example.com")
	fillIn(t, tab, "code", codeFrom(t, mb.Wait(t, "nina@example.com", 1).Text))
	waitForText(t, tab, "Save your recovery codes")
	do(t, tab, "going on", chromedp.Click(chromedp.CSS(`form[action="/enroll/done"] button`)))
	app.arrival(t, "/callback")

	// A new sign-in, then the link.
	time.Sleep(time.Second) // the address's cool-down
	authorize(oauth2.SetAuthURLParam("prompt", "login"))
	waitFor(t, tab, op.issuer+"/signin")
	fillIn(t, tab, "username", "nina", "password", password)
	waitFor(t, tab, op.issuer+"/stepup")
	do(t, tab, "choosing a link", chromedp.Click(chromedp.CSS(`a[href*="method=EMAIL_MAGIC_LINK"]`)))
	waitForText(t, tab, "We will email a link")
	do(t, tab, "sending the link", chromedp.Click(chromedp.CSS(`form[action="/stepup/send"] button`)))
	waitForText(t, tab, "We sent a link to n•••@example.com")
	link := magicLinkIn.FindString(mb.Wait(t, "nina@example.com", 2).Text)

	// The mail opens in another tab of the same browser.
	other, cancel := chromedp.NewContext(tab)
	defer cancel()
	other, cancelTimeout := context.WithTimeout(other, time.Minute)
	defer cancelTimeout()
	do(t, other, "opening the link", chromedp.Navigate(link))
	waitForText(t, other, "This link confirms it's you")
	do(t, other, "pressing Continue", chromedp.Click(chromedp.CSS(`form[action="/magic"] button`)))
	waitForText(t, other, "Go back to the tab")

	// The first tab goes on by itself.
	if back := app.arrival(t, "/callback"); back.Query().Get("code") == "" {
		t.Fatalf("the waiting tab brought %s, want a code", back)
	}
}
