package main

import (
	"encoding/base64"
	"fmt"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

// A user who has an email code of their own is asked for it: the
// application's vouched address is for users with no factor the
// challenge allows (stepup.Vouched, the track API's doc). A form that
// says vouched=1 anyway must neither send a code to the vouched address
// nor have its code answer the challenge and become the user's factor:
// else whoever holds the link answers with an inbox the application was
// told (say by an attacker who changed the address there) instead of
// the user's own.
func TestReviewVouchedAddressIgnoredForAUserWithAFactor(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	rules := strings.Replace(paymentRules, "    level: mfa\n", "    level: mfa\n    methods: [EMAIL_OTP, SMS]\n", 1)
	delivery := fmt.Sprintf("delivery:\n  resend_cooldown: 1s\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, rules, delivery)
	user := setUpEmailAt(t, ts.issuer, mb, "olga", "olga@example.com")

	status, big := ts.call("POST", "/v1/users/"+user+"/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "big-1", "redirectUrl": rpRedirect, "custom": map[string]any{"amount": 1500},
		"email": "mallory@example.com",
	})
	if status != 200 || big["state"] != "CHALLENGE_REQUIRED" {
		t.Fatalf("a big payment: %d %v", status, big)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(big["url"].(string))
	if strings.Contains(a.body, `name="vouched"`) {
		t.Fatalf("the page offers the vouched address to a user with an address of her own:\n%.1500s", a.body)
	}
	time.Sleep(time.Second) // olga's cool-down does not matter: the code would go to mallory
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}})
	for _, m := range mb.Mails() {
		if m.To == "mallory@example.com" {
			code := codeFrom(t, m.Text)
			a.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"},
				"challenge": {challengeOf(t, a.body)}, "code": {code}})
			_, usr := ts.call("GET", "/v1/users/"+user, ts.serverKey, nil)
			t.Fatalf("a code went to the vouched address although olga has her own; answering it: callback %v, user now %v",
				a.callback, usr)
		}
	}
}

// A link opened on another device leaves the first tab asking for the
// code that device shows. That page must not poll itself into a reload:
// its script posts the form as soon as /stepup/wait says ready, which it
// says for a link opened anywhere, so the page came back every two
// seconds, with the code field empty, while the user typed the code.
func TestReviewMagicLinkElsewhereStopsWaiting(t *testing.T) {
	op, mb, _ := startOPWithDelivery(t, time.Second)
	setUpEmail(t, op, mb, "lena", "lena@example.com")
	a, link := askForLink(t, op, mb, "lena", "lena@example.com", 2)
	phone := newRP(t, op.issuer, "app", "")
	openLink(t, phone, link)
	challenge := challengeOf(t, a.body)
	// The first tab's script sees the link opened and posts its form,
	// with no code yet.
	if !linkReady(t, a) {
		t.Fatal("the waiting tab does not learn the link was opened")
	}
	a.submit("/stepup/verify", url.Values{"method": {"EMAIL_MAGIC_LINK"}, "challenge": {challenge}})
	if !strings.Contains(a.body, "Type the code it shows") {
		t.Fatalf("the first tab without the code:\n%.1000s", a.body)
	}
	if strings.Contains(a.body, "data-wait=") && linkReady(t, a) {
		t.Fatalf("the page asking for the code polls and is told ready: its script posts it again at once, every 2s, emptying the code field:\n%.1500s", a.body)
	}
}

// The challenge page shows the vouched address masked (p•••@example.com),
// yet the flow token, which is signed and not encrypted, carried it in
// full in every URL of the challenge (/stepup?flow=…, the poll's
// /stepup/wait?flow=…): in the address bar and history of whoever holds
// the link, and in the access logs of every proxy on the way.
func TestReviewVouchedAddressNotInTheFlowToken(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	delivery := fmt.Sprintf("delivery:\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, paymentRules, delivery)
	status, big := ts.call("POST", "/v1/users/app-user-7/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "big-1", "redirectUrl": rpRedirect, "custom": map[string]any{"amount": 1500},
		"email": "pat.secret@example.com", "phoneNumber": "+4915112345678",
	})
	if status != 200 || big["state"] != "CHALLENGE_REQUIRED" {
		t.Fatalf("a big payment: %d %v", status, big)
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(big["url"].(string))
	if !strings.Contains(a.body, `name="vouched" value="1"`) {
		t.Fatalf("no vouched offer:\n%.1500s", a.body)
	}
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}})
	if !strings.Contains(a.body, "p•••@example.com") {
		t.Fatalf("the page after sending does not show the masked address:\n%.1500s", a.body)
	}
	flow := regexp.MustCompile(`name="flow" value="([^".]+)\.`).FindStringSubmatch(a.body)
	if flow == nil {
		t.Fatalf("no flow token:\n%.1500s", a.body)
	}
	payload, err := base64.RawURLEncoding.DecodeString(flow[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pat.secret@example.com", "+4915112345678"} {
		if strings.Contains(string(payload), secret) {
			t.Errorf("the flow token in every URL of the challenge holds %s in clear: %s", secret, payload)
		}
	}
}

// The track API takes any address net/mail parses ("pat@localhost") and
// any E.164 string, but the code factors send only to an address with a
// dotted domain and to a mobile number of an allowed country. The page
// must not offer a code it cannot send: the user, who has no field to
// fix the address, was told "Enter an email address such as
// name@example.com".
func TestReviewVouchedOfferThatCannotBeSent(t *testing.T) {
	mb := delivertest.StartMailbox(t)
	delivery := fmt.Sprintf("delivery:\n  email: {smtp: %q, from: \"Bank <no-reply@bank.test>\", security: plaintext}\n", mb.Addr)
	ts := startTrackServerWith(t, paymentRules, delivery)
	status, big := ts.call("POST", "/v1/users/app-user-8/actions/payment", ts.serverKey, map[string]any{
		"idempotencyKey": "big-1", "redirectUrl": rpRedirect, "custom": map[string]any{"amount": 1500},
		"email": "pat@localhost",
	})
	if status != 200 || big["state"] != "CHALLENGE_REQUIRED" {
		// Refusing it in the API is a fix too.
		return
	}
	jar, _ := cookiejar.New(nil)
	a := &attempt{rp: ts.browser(jar)}
	a.openChallenge(big["url"].(string))
	if !strings.Contains(a.body, `name="vouched" value="1"`) {
		return
	}
	a.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}, "vouched": {"1"}})
	t.Fatalf("the page offered a code to pat@localhost; sending it: %d\n%.1500s", a.page.StatusCode, a.body)
}
