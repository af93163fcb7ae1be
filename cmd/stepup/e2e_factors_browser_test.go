package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/stepup-auth/stepup/stepup/factor/factortest"
)

// Second factors in a real browser: passkeys through Chromium's virtual
// authenticator (the DevTools WebAuthn domain), an authenticator app
// through a code computed here from the secret the page shows.

// virtualAuthenticator gives the tab a platform authenticator that holds
// discoverable credentials and verifies the user (as a fingerprint
// reader would). synced sets the backup flags of its credentials: a
// synced passkey, as phones and password managers make them.
func virtualAuthenticator(t *testing.T, tab context.Context, synced bool) webauthn.AuthenticatorID {
	t.Helper()
	id, err := chromedp.Run(tab, func(ctx context.Context, target *chromedp.Target) (webauthn.AuthenticatorID, error) {
		if _, err := cdp.Call(ctx, target, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return "", err
		}
		res, err := cdp.Call(ctx, target, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
				HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
				DefaultBackupEligibility: synced, DefaultBackupState: synced,
			},
		})
		return res.AuthenticatorID, err
	})
	if err != nil {
		t.Fatalf("adding a virtual authenticator: %v", err)
	}
	return id
}

// setUserVerified makes the authenticator's user verification succeed
// or fail, as a fingerprint that matches or does not.
func setUserVerified(t *testing.T, tab context.Context, id webauthn.AuthenticatorID, verified bool) {
	t.Helper()
	do(t, tab, "setting user verification", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: id, IsUserVerified: verified})
		return err
	}))
}

// setBadUV makes the authenticator answer with the user-verified flag
// off, whatever happened: a response the server must refuse itself.
func setBadUV(t *testing.T, tab context.Context, id webauthn.AuthenticatorID) {
	t.Helper()
	bad := true
	do(t, tab, "overriding the UV flag", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, webauthn.SetResponseOverrideBits,
			webauthn.SetResponseOverrideBitsParams{AuthenticatorID: id, IsBadUV: &bad})
		return err
	}))
}

// waitForText waits until the page's main element says text.
func waitForText(t *testing.T, tab context.Context, text string) {
	t.Helper()
	var body string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(tab, time.Second)
		body, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		cancel()
		if strings.Contains(body, text) {
			if state, err := chromedp.Run(tab, chromedp.Evaluate[string]("document.readyState")); err == nil && state == "complete" {
				return
			}
		}
	}
	loc, _ := chromedp.Run(tab, chromedp.Location())
	t.Fatalf("the page never says %q; it is %s and shows:\n%.1500s", text, loc, body)
}

// setPresence turns the authenticator's automatic answer on or off. Off,
// it leaves every request pending: a password sign-in is then not taken
// over by the sign-in page's conditional passkey request, which a virtual
// authenticator answers at once where a person would pick the passkey.
func setPresence(t *testing.T, tab context.Context, id webauthn.AuthenticatorID, on bool) {
	t.Helper()
	do(t, tab, "setting presence", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, webauthn.SetAutomaticPresenceSimulation,
			webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: id, Enabled: on})
		return err
	}))
}

// screenshot saves the page as name.png in the folder STEPUP_SCREENSHOTS
// names, if it is set: a way to look at each page as a user sees it
// (STEPUP_SCREENSHOTS=/tmp/shots go test -run TestBrowser ./cmd/stepup).
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("STEPUP_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mainText returns the text of the page's main element.
func mainText(t *testing.T, tab context.Context) string {
	t.Helper()
	body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// demoClaims checks that the demo's page shows the ID token with acr and
// exactly the amr values wanted.
func demoClaims(t *testing.T, tab context.Context, acr string, amr ...string) {
	t.Helper()
	body := mainText(t, tab)
	if !strings.Contains(body, acr) {
		t.Errorf("the demo's ID token lacks acr %s:\n%.1500s", acr, body)
	}
	if want := "amr\n" + strings.Join(amr, " ") + "\n"; !strings.Contains(body, want) {
		t.Errorf("the demo's ID token lacks amr %q:\n%.1500s", strings.Join(amr, " "), body)
	}
}

// demoSignInWithPassword opens the demo's balance and signs in with a
// password, with the authenticator auth (if any) kept from answering.
func demoSignInWithPassword(t *testing.T, tab context.Context, issuer, user string, auth webauthn.AuthenticatorID) {
	t.Helper()
	if auth != "" {
		setPresence(t, tab, auth, false)
		defer setPresence(t, tab, auth, true)
	}
	do(t, tab, "asking for the balance", chromedp.Navigate(issuer+"/demo/"), chromedp.Click(chromedp.CSS(`button[value="balance"]`)))
	waitFor(t, tab, issuer+"/signin")
	screenshot(t, tab, "signin")
	fillIn(t, tab, "username", user, "password", password)
	waitFor(t, tab, issuer+"/demo/callback")
}

// demoSignOut signs out of the demo and of stepup.
func demoSignOut(t *testing.T, tab context.Context, issuer string) {
	t.Helper()
	do(t, tab, "opening the demo", chromedp.Navigate(issuer+"/demo/"))
	waitFor(t, tab, issuer+"/demo/")
	do(t, tab, "signing out", chromedp.Click(chromedp.CSS(`form[action="/demo/logout"] button`)))
	waitForText(t, tab, "Not signed in.")
}

// The path: a user registers with a password, the demo's transfer
// asks for more, they set up a passkey there; later they sign in with the
// passkey alone (no username), and a password session steps up with it.
func TestBrowserPasskeyEnrollSignInAndStepUp(t *testing.T) {
	tab := newTab(t)
	issuer := startDemoOP(t)
	auth := virtualAuthenticator(t, tab, true)

	do(t, tab, "opening the demo", chromedp.Navigate(issuer+"/demo"))
	do(t, tab, "asking for the balance", chromedp.Click(chromedp.CSS(`button[value="balance"]`)))
	waitFor(t, tab, issuer+"/signin")
	do(t, tab, "following the register link", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitFor(t, tab, issuer+"/register")
	fillIn(t, tab, "username", "erin", "password", password, "confirm", password)
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:1fa", "pwd")

	// The transfer asks for mfa: with no factor yet, the step-up page
	// offers to set one up.
	do(t, tab, "asking for a transfer", chromedp.Navigate(issuer+"/demo/"), chromedp.Click(chromedp.CSS(`button[value="transfer"]`)))
	waitFor(t, tab, issuer+"/stepup")
	screenshot(t, tab, "stepup-set-up")
	do(t, tab, "choosing to set up a passkey", chromedp.Click(chromedp.CSS(`a[href*="method=PASSKEY"]`)))
	waitFor(t, tab, issuer+"/enroll")
	screenshot(t, tab, "enroll-passkey")
	do(t, tab, "creating a passkey", chromedp.SendKeys(chromedp.ID("name"), "Test laptop"),
		chromedp.Click(chromedp.CSS(`form[data-webauthn] button[type="submit"]`)))
	waitForText(t, tab, "Save your recovery codes") // shown once
	if body := mainText(t, tab); strings.Count(body, "-") < 10 {
		t.Fatalf("after the first passkey the page shows:\n%.1500s", body)
	}
	screenshot(t, tab, "recovery-codes")
	do(t, tab, "going on", chromedp.Click(chromedp.CSS(`form[action="/enroll/done"] button`)))
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:phr", "pwd", "pop", "user", "swk", "mfa")
	// The demo's API refused the 1fa token with an RFC 9470 challenge,
	// which the demo followed through stepup, and took the new token.
	if body := mainText(t, tab); !strings.Contains(body, "Transfer sent") ||
		!strings.Contains(body, "The demo asked stepup again with acr_values=urn:stepup:acr:mfa and max_age=300") {
		t.Errorf("after the step-up the demo shows:\n%.1500s", body)
	}

	// Signed out, the passkey alone signs in: no username typed. The
	// sign-in page asks for a passkey in the username field's autofill
	// (conditional mediation), which a virtual authenticator answers at
	// once, as a person picking the passkey there.
	demoSignOut(t, tab, issuer)
	do(t, tab, "asking for the balance", chromedp.Click(chromedp.CSS(`button[value="balance"]`)))
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:phr", "pop", "user", "swk", "mfa")
	if body := mainText(t, tab); !strings.Contains(body, "erin") {
		t.Errorf("the passkey signed in someone else than erin:\n%.1500s", body)
	}

	// And by the page's button, in a browser without conditional
	// mediation (made so by a script that runs before the page's).
	demoSignOut(t, tab, issuer)
	do(t, tab, "turning conditional mediation off", chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: "PublicKeyCredential.isConditionalMediationAvailable = async () => false;",
		})
		return err
	}))
	do(t, tab, "asking for the balance", chromedp.Click(chromedp.CSS(`button[value="balance"]`)))
	waitFor(t, tab, issuer+"/signin")
	do(t, tab, "signing in with the passkey button", chromedp.Click(chromedp.CSS(`form[action="/signin/passkey"] button`)))
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:phr", "pop", "user", "swk", "mfa")
	if body := mainText(t, tab); !strings.Contains(body, "erin") {
		t.Errorf("the passkey signed in someone else than erin:\n%.1500s", body)
	}

	// A password session steps up with the passkey for the transfer.
	demoSignOut(t, tab, issuer)
	demoSignInWithPassword(t, tab, issuer, "erin", auth)
	do(t, tab, "asking for a transfer", chromedp.Navigate(issuer+"/demo/"), chromedp.Click(chromedp.CSS(`button[value="transfer"]`)))
	waitFor(t, tab, issuer+"/stepup")
	waitForText(t, tab, "The application says why: Confirm the transfer of 250.00 EUR to a new payee.")
	screenshot(t, tab, "stepup-passkey")
	do(t, tab, "stepping up with the passkey", chromedp.Click(chromedp.CSS(`form[data-webauthn] button[type="submit"]`)))
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:phr", "pwd", "pop", "user", "swk", "mfa")
	screenshot(t, tab, "demo-claims")

	// A payment of 1,500 from a device the track API has not seen asks
	// for a passkey on stepup's hosted challenge (the demo's example
	// rules): its link's page says what for, Continue opens it, the
	// passkey answers, and the demo validates the token.
	do(t, tab, "paying 1,500", chromedp.Navigate(issuer+"/demo/"),
		chromedp.SetValue(chromedp.ID("amount"), "1500"),
		chromedp.Click(chromedp.CSS(`form[action="/demo/pay"] button`)))
	waitFor(t, tab, issuer+"/challenge")
	waitForText(t, tab, "before it goes on with this action: payment.")
	screenshot(t, tab, "challenge")
	do(t, tab, "continuing to the challenge", chromedp.Click(chromedp.CSS(`form[action="/challenge"] button`)))
	waitFor(t, tab, issuer+"/stepup")
	do(t, tab, "confirming with the passkey", chromedp.Click(chromedp.CSS(`form[data-webauthn] button[type="submit"]`)))
	waitFor(t, tab, issuer+"/demo/paid")
	if body := mainText(t, tab); !strings.Contains(body, "Payment sent: confirmed with PASSKEY (acr urn:stepup:acr:phr") {
		t.Errorf("after the payment's challenge the demo shows:\n%.1500s", body)
	}

	do(t, tab, "opening the account page", chromedp.Navigate(issuer+"/account"))
	waitForText(t, tab, "Test laptop")
	screenshot(t, tab, "account")
	if body := mainText(t, tab); !strings.Contains(body, "synced with your other devices") || !strings.Contains(body, "10 of 10 left") {
		t.Errorf("the account page shows:\n%.1500s", body)
	}
}

// A passkey that does not verify the user (no fingerprint, no PIN) is no
// step-up: in the browser (the authenticator cannot verify) and at the
// server (a response whose UV flag is off).
func TestBrowserStepUpWithoutUserVerificationIsRefused(t *testing.T) {
	tab := newTab(t)
	issuer := startDemoOP(t)
	auth := virtualAuthenticator(t, tab, true)

	do(t, tab, "opening the demo", chromedp.Navigate(issuer+"/demo"), chromedp.Click(chromedp.CSS(`button[value="transfer"]`)))
	waitFor(t, tab, issuer+"/signin")
	do(t, tab, "following the register link", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitFor(t, tab, issuer+"/register")
	fillIn(t, tab, "username", "frank", "password", password, "confirm", password)
	waitFor(t, tab, issuer+"/stepup")
	do(t, tab, "choosing to set up a passkey", chromedp.Click(chromedp.CSS(`a[href*="method=PASSKEY"]`)))
	waitFor(t, tab, issuer+"/enroll")
	do(t, tab, "creating a passkey", chromedp.Click(chromedp.CSS(`form[data-webauthn] button[type="submit"]`)))
	waitForText(t, tab, "Save your recovery codes")
	do(t, tab, "going on", chromedp.Click(chromedp.CSS(`form[action="/enroll/done"] button`)))
	waitFor(t, tab, issuer+"/demo/callback")

	demoSignOut(t, tab, issuer)
	demoSignInWithPassword(t, tab, issuer, "frank", auth)
	do(t, tab, "asking for a transfer", chromedp.Navigate(issuer+"/demo/"), chromedp.Click(chromedp.CSS(`button[value="transfer"]`)))
	waitFor(t, tab, issuer+"/stepup")

	// The fingerprint does not match: the browser gets no assertion.
	setUserVerified(t, tab, auth, false)
	do(t, tab, "stepping up", chromedp.Click(chromedp.CSS(`form[data-webauthn] button[type="submit"]`)))
	do(t, tab, "waiting for the error", chromedp.WaitVisible(chromedp.CSS(`[data-webauthn-error]`)))
	waitFor(t, tab, issuer+"/stepup")

	// An assertion without the UV flag reaches the server, which refuses it.
	setUserVerified(t, tab, auth, true)
	setBadUV(t, tab, auth)
	do(t, tab, "stepping up", chromedp.Click(chromedp.CSS(`form[data-webauthn] button[type="submit"]`)))
	waitForText(t, tab, "Your passkey could not be verified")
	screenshot(t, tab, "stepup-refused")
}

// totpCode is the code an app that scanned uri shows at t, computed by
// hand (factortest.TOTP), apart from the server's own code.
func totpCode(t *testing.T, uri string, at time.Time) string {
	t.Helper()
	code, err := factortest.TOTP(uri, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// The demo's transfer with an authenticator app: set up with a code, it
// gives mfa; later a password session steps up with it, and the code just
// used does not work again.
func TestBrowserTOTPEnrollAndStepUp(t *testing.T) {
	tab := newTab(t)
	issuer := startDemoOP(t)

	do(t, tab, "opening the demo", chromedp.Navigate(issuer+"/demo"), chromedp.Click(chromedp.CSS(`button[value="transfer"]`)))
	waitFor(t, tab, issuer+"/signin")
	do(t, tab, "following the register link", chromedp.Click(chromedp.CSS(`a[href^="/register"]`)))
	waitFor(t, tab, issuer+"/register")
	fillIn(t, tab, "username", "grace", "password", password, "confirm", password)
	waitFor(t, tab, issuer+"/stepup")
	do(t, tab, "choosing an authenticator app", chromedp.Click(chromedp.CSS(`a[href*="method=TOTP"]`)))
	waitFor(t, tab, issuer+"/enroll")
	// The key is in a closed <details>, which has no rendered text.
	uri, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector(".secret").textContent`))
	if err != nil || !strings.HasPrefix(uri, "otpauth://totp/") {
		t.Fatalf("the page's otpauth URI: %q, %v", uri, err)
	}
	if ok, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`document.querySelector("img.qr").naturalWidth > 0`)); !ok {
		t.Error("the QR code does not load")
	}
	screenshot(t, tab, "enroll-totp")
	now := time.Now()
	fillIn(t, tab, "code", totpCode(t, uri, now))
	waitForText(t, tab, "Save your recovery codes")
	do(t, tab, "going on", chromedp.Click(chromedp.CSS(`form[action="/enroll/done"] button`)))
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:mfa", "pwd", "otp", "mfa")

	demoSignOut(t, tab, issuer)
	demoSignInWithPassword(t, tab, issuer, "grace", "")
	do(t, tab, "asking for a transfer", chromedp.Navigate(issuer+"/demo/"), chromedp.Click(chromedp.CSS(`button[value="transfer"]`)))
	waitFor(t, tab, issuer+"/stepup")
	// The code the set-up used is spent.
	screenshot(t, tab, "stepup-totp")
	fillIn(t, tab, "code", totpCode(t, uri, now))
	waitForText(t, tab, "That code is not right")
	// The next step's code, within the allowed drift, is not.
	fillIn(t, tab, "code", totpCode(t, uri, now.Add(30*time.Second)))
	waitFor(t, tab, issuer+"/demo/callback")
	demoClaims(t, tab, "urn:stepup:acr:mfa", "pwd", "otp", "mfa")
}
