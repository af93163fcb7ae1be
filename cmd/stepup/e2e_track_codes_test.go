package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

// A rule that asks a big payment for a code by email or text (no
// authenticator app) gets one through the track API: the challenge page
// offers the email code and no other method, and validate says so.
func TestTrackChallengeWithAnEmailCode(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	rules := strings.Replace(paymentRules, "    level: mfa\n", "    level: mfa\n    methods: [EMAIL_OTP, SMS]\n", 1)
	delivery := fmt.Sprintf("delivery:\n  resend_cooldown: 1s\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, rules, delivery)
	user := setUpEmailAt(t, ts.issuer, mb, "olga", "olga@example.com")

	big := ts.track(user, "big-1", 1500)
	if big["state"] != "CHALLENGE_REQUIRED" || !sameStrings(big["allowedMethods"], "EMAIL_OTP", "SMS") {
		t.Fatalf("a big payment: %v", big)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(big["url"].(string))
	if !a.on("/stepup") || !strings.Contains(a.body, `action="/stepup/send"`) || strings.Contains(a.body, "method=EMAIL_MAGIC_LINK") {
		t.Fatalf("the challenge page: want an email code and no link, which the rule does not allow\n%.1500s", a.body)
	}
	time.Sleep(time.Second) // the address's cool-down since it was set up
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}})
	code := codeFrom(t, mb.Wait(t, "olga@example.com", 2).Text)
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challengeOf(t, a.body)}, "code": {code}})
	if a.callback == nil || a.callback.Query().Get("token") == "" {
		t.Fatalf("after the code the browser is at %v\n%.1500s", a.page, a.body)
	}
	status, v := ts.call("POST", "/v1/validate", ts.serverKey, map[string]any{"token": a.callback.Query().Get("token")})
	if status != http.StatusOK || v["state"] != "CHALLENGE_SUCCEEDED" || v["verificationMethod"] != "EMAIL_OTP" ||
		v["acr"] != "urn:stepup:acr:mfa" || !sameStrings(v["amr"], "otp", "mfa") {
		t.Fatalf("validate: %d %v", status, v)
	}
	if _, usr := ts.call("GET", "/v1/users/"+user, ts.serverKey, nil); !sameStrings(usr["enrolledMethods"], "EMAIL_OTP", "RECOVERY_CODE") {
		t.Fatalf("the user: %v", usr)
	}
}

// A user the track API knows only by id has no factor; the application
// vouches for their email address in the call, and the challenge sends a
// code there: the right code answers the challenge and sets the address
// up as their factor. Whoever holds the link cannot send the code
// elsewhere: the destination is in the signed flow, not the form.
func TestTrackChallengeToAVouchedAddress(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	delivery := fmt.Sprintf("delivery:\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, paymentRules, delivery)

	status, big := ts.call("POST", "/v1/users/app-user-7/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "big-1", "redirectUrl": rpRedirect, "custom": map[string]any{"amount": 1500},
		"email": "pat@example.com",
	})
	if status != http.StatusOK || big["state"] != "CHALLENGE_REQUIRED" {
		t.Fatalf("a big payment: %d %v", status, big)
	}
	if status, out := ts.call("POST", "/v1/users/app-user-7/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "big-1", "redirectUrl": rpRedirect, "custom": map[string]any{"amount": 1500},
		"email": "mallory@example.com",
	}); status != http.StatusConflict {
		t.Fatalf("the same key with another address: %d %v, want 409", status, out)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(big["url"].(string))
	if !strings.Contains(a.body, `name="vouched" value="1"`) || !strings.Contains(a.body, "the application has for you") {
		t.Fatalf("the challenge page offers no code to the vouched address:\n%.1500s", a.body)
	}
	// A form naming another destination changes nothing: there is no
	// such field, and the code goes to the vouched address.
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}, "destination": {"mallory@example.com"}})
	mail := mb.Wait(t, "pat@example.com", 1)
	if n := len(mb.Mails()); n != 1 {
		t.Fatalf("%d mails sent, want the one to pat", n)
	}
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}, "challenge": {challengeOf(t, a.body)},
		"code": {codeFrom(t, mail.Text)}})
	if a.callback == nil {
		t.Fatalf("after the code: %v\n%.1500s", a.page, a.body)
	}
	status, v := ts.call("POST", "/v1/validate", ts.serverKey, map[string]any{"token": a.callback.Query().Get("token")})
	if status != http.StatusOK || v["state"] != "CHALLENGE_SUCCEEDED" || v["verificationMethod"] != "EMAIL_OTP" {
		t.Fatalf("validate: %d %v", status, v)
	}
	if _, usr := ts.call("GET", "/v1/users/app-user-7", ts.serverKey, nil); !sameStrings(usr["enrolledMethods"], "EMAIL_OTP") {
		t.Fatalf("the user after the code: %v, want the address set up", usr)
	}
}

// Sending again within the cool-down (a double click, the Back button)
// is refused, and the page asks for the code already on its way, which
// then answers the challenge.
func TestSendingTwiceAsksForTheCodeOnItsWay(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	delivery := fmt.Sprintf("delivery:\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, paymentRules, delivery)
	status, big := ts.call("POST", "/v1/users/app-user-8/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "big-1", "redirectUrl": rpRedirect, "custom": map[string]any{"amount": 1500}, "email": "quinn@example.com",
	})
	if status != http.StatusOK {
		t.Fatalf("track: %d %v", status, big)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(big["url"].(string))
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}})
	first := challengeOf(t, a.body)
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}})
	if a.page.StatusCode != http.StatusTooManyRequests || !strings.Contains(a.body, "a moment ago") || challengeOf(t, a.body) != first {
		t.Fatalf("a second send at once: %d, want 429 asking for the first code\n%.1500s", a.page.StatusCode, a.body)
	}
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}, "challenge": {first},
		"code": {codeFrom(t, mb.Wait(t, "quinn@example.com", 1).Text)}})
	if a.callback == nil {
		t.Fatalf("the code on its way: %v\n%.1500s", a.page, a.body)
	}
}
