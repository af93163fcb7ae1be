package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/factor/deliver"

	"github.com/stepup-auth/stepup/stepup/factor/deliver/delivertest"
)

// startOPWithDelivery runs stepup with testClients, sending email to a
// real SMTP server and texts to a loopback Twilio, both inside the test.
func startOPWithDelivery(t *testing.T, cooldown time.Duration) (runningOP, *delivertest.Mailbox, *delivertest.Twilio) {
	t.Helper()
	mb := delivertest.StartMailbox(t)
	tw := delivertest.StartTwilio(t)
	// The server section's keys end where the delivery section begins.
	sections := fmt.Sprintf(`delivery:
  site_name: Example Bank
  resend_cooldown: %s
  email: {smtp: %q, from: "Example Bank <no-reply@bank.test>", security: plaintext}
  text:
    provider: twilio
    default_region: DE
    allowed_regions: [DE, AT]
    channels: [sms, whatsapp]
    twilio: {account_sid: %s, auth_token: %s, from: %q, whatsapp_from: "+14155238886", base_url: %q}
`, cooldown, mb.Addr, delivertest.TwilioAccount, delivertest.TwilioToken, delivertest.TwilioFrom, tw.URL)
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), testClients, sections)
	return op, mb, tw
}

var sixDigitCode = regexp.MustCompile(`\b\d{6}\b`)

func codeFrom(t *testing.T, text string) string {
	t.Helper()
	code := sixDigitCode.FindString(text)
	if code == "" {
		t.Fatalf("no code in %q", text)
	}
	return code
}

var sentToInput = regexp.MustCompile(`name="sent_to" value="([^"]*)"`)

// A user who signs in with a password and is asked for mfa sets up their
// email address on the step-up page: the code comes through a real SMTP
// server, the ID token says mfa with otp. In a new browser, the step-up
// sends a code to that address and takes it; the code then works no more.
func TestEmailCodeStepUp(t *testing.T) {
	op, mb, _ := startOPWithDelivery(t, time.Second)
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(nil)
	a.register("erin", password)
	a.tokens()

	a = r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	if !a.on("/stepup") || !strings.Contains(a.body, "method=EMAIL_OTP") {
		t.Fatalf("asking for mfa: the step-up page offers no email codes:\n%.1500s", a.body)
	}
	a.follow(r.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=EMAIL_OTP"))
	if !strings.Contains(a.body, `autocomplete="email"`) {
		t.Fatalf("the set-up page asks for no address:\n%.1500s", a.body)
	}
	a.submit("/enroll/send", url.Values{"method": {"EMAIL_OTP"}, "destination": {"erin@example.com"}})
	mail := mb.Wait(t, "erin@example.com", 1)
	if !strings.Contains(mail.Subject, "Example Bank") || mail.HTML == "" {
		t.Errorf("the mail: subject %q, html %d bytes", mail.Subject, len(mail.HTML))
	}
	if !strings.Contains(a.body, "e•••@example.com") || !strings.Contains(a.body, `autocomplete="one-time-code"`) {
		t.Fatalf("after sending: no masked address or code field:\n%.1500s", a.body)
	}
	a.submit("/enroll", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challengeOf(t, a.body)}, "code": {codeFrom(t, mail.Text)}})
	if !strings.Contains(a.body, "Save your recovery codes") {
		t.Fatalf("after the code:\n%.1500s", a.body)
	}
	a.submit("/enroll/done", nil)
	_, claims := a.tokens()
	if claims.ACR != "urn:stepup:acr:mfa" || strings.Join(claims.AMR, " ") != "pwd otp mfa" {
		t.Errorf("after setting up email codes: acr %q amr %v, want mfa and pwd otp mfa", claims.ACR, claims.AMR)
	}

	// Another browser: a password sign-in, then a code by email.
	r2 := newRP(t, op.issuer, "app", "")
	b := r2.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	b.signIn("erin", password)
	if !b.on("/stepup") || !strings.Contains(b.body, `action="/stepup/send"`) {
		t.Fatalf("the step-up page offers no code to send:\n%.1500s", b.body)
	}
	if n := len(mb.Mails()); n != 1 {
		t.Fatalf("showing the step-up page sent %d mails; it must wait for the user to ask", n-1)
	}
	time.Sleep(time.Second) // the cool-down since the set-up's code
	b.submit("/stepup/send", url.Values{"method": {"EMAIL_OTP"}})
	code := codeFrom(t, mb.Wait(t, "erin@example.com", 2).Text)
	challenge := challengeOf(t, b.body)
	// A wrong code keeps the page, and the code, for another try.
	b.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challenge}, "code": {wrongCode(code)}})
	if b.page == nil || b.page.StatusCode != 422 || challengeOf(t, b.body) != challenge {
		t.Fatalf("a wrong code: %v\n%.1500s", b.page, b.body)
	}
	b.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challenge}, "code": {code}})
	_, claims = b.tokens()
	if claims.ACR != "urn:stepup:acr:mfa" || strings.Join(claims.AMR, " ") != "pwd otp mfa" {
		t.Errorf("after an email code: acr %q amr %v", claims.ACR, claims.AMR)
	}

	// The same code in a third browser's step-up finds nothing.
	r3 := newRP(t, op.issuer, "app", "")
	c := r3.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	c.signIn("erin", password)
	c.submit("/stepup/verify", url.Values{"method": {"EMAIL_OTP"}, "challenge": {challenge}, "code": {code}})
	if c.callback != nil || !strings.Contains(c.body, "expired") {
		t.Fatalf("a used code in another browser: callback %v\n%.1000s", c.callback, c.body)
	}
}

func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

// SMS codes through Twilio's API: setting up a number typed in national
// form, the resend cool-down on the page, a country outside the list.
func TestSMSCodeStepUp(t *testing.T) {
	op, _, tw := startOPWithDelivery(t, 30*time.Second)
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(nil)
	a.register("sam", password)
	a.tokens()

	a = r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	flowQuery := a.page.Request.URL.RawQuery
	a.follow(r.browser.Get(op.issuer + "/enroll?" + flowQuery + "&method=SMS"))
	a.submit("/enroll/send", url.Values{"method": {"SMS"}, "destination": {"+1 876 210 1234"}})
	if a.page.StatusCode != 422 || !strings.Contains(a.body, "numbers of this country") {
		t.Fatalf("a Jamaican number with DE and AT allowed: %d\n%.1000s", a.page.StatusCode, a.body)
	}
	a.submit("/enroll/send", url.Values{"method": {"SMS"}, "destination": {"0151 1234 5678"}})
	first := tw.Wait(t, "+4915112345678", 1)
	if first.From != delivertest.TwilioFrom || !strings.Contains(first.Body, "Example Bank") {
		t.Errorf("the text: %+v", first)
	}
	challenge := challengeOf(t, a.body)
	sentTo := sentToInput.FindStringSubmatch(a.body)
	// Asking again at once: the 30 s cool-down, and the first code stays good.
	a.submit("/enroll/send", url.Values{"method": {"SMS"}, "challenge": {challenge}, "sent_to": {sentTo[1]}})
	if a.page.StatusCode != 429 || a.page.Header.Get("Retry-After") == "" || !strings.Contains(a.body, "a moment ago") {
		t.Fatalf("a resend within the cool-down: %d %q\n%.1000s", a.page.StatusCode, a.page.Header.Get("Retry-After"), a.body)
	}
	if n := len(tw.Texts()); n != 1 {
		t.Fatalf("%d texts sent, want 1", n)
	}
	a.submit("/enroll", url.Values{"method": {"SMS"}, "challenge": {challengeOf(t, a.body)}, "code": {codeFrom(t, first.Body)}})
	a.submit("/enroll/done", nil)
	_, claims := a.tokens()
	if claims.ACR != "urn:stepup:acr:mfa" || strings.Join(claims.AMR, " ") != "pwd otp sms mfa" {
		t.Errorf("after setting up SMS codes: acr %q amr %v", claims.ACR, claims.AMR)
	}
	// A code by text never reaches phr: the step-up page cannot offer it.
	a = r.authorize(url.Values{"acr_values": {"urn:stepup:acr:phr"}})
	if strings.Contains(a.body, `action="/stepup/send"`) || strings.Contains(a.body, "method=SMS") {
		t.Fatalf("a step-up to phr offers a text message:\n%.1500s", a.body)
	}
}

// Texts through the operator's own webhook: each request is a signed JSON
// POST of exactly the documented fields, which a receiver checks with
// deliver.VerifyWebhook, and its text holds the code that sets the number
// up.
func TestSMSCodeThroughTheWebhook(t *testing.T) {
	const secret = "an-sms-webhook-secret-of-32-chars!"
	got := make(chan deliver.WebhookPayload, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("the webhook got %s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		if err := deliver.VerifyWebhook([]byte(secret), r.Header, body, time.Now()); err != nil {
			t.Errorf("the webhook's signature: %v", err)
		}
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil {
			t.Errorf("the webhook's body: %v", err)
		}
		for k := range fields {
			if !slices.Contains([]string{"id", "channel", "to", "text", "created"}, k) {
				t.Errorf("the webhook's body has %q: %s", k, body)
			}
		}
		var p deliver.WebhookPayload
		_ = json.Unmarshal(body, &p)
		got <- p
	}))
	t.Cleanup(hook.Close)
	op := startOPWithServerKeys(t, filepath.Join(t.TempDir(), "data"), testClients, fmt.Sprintf(`delivery:
  text:
    provider: webhook
    default_region: DE
    webhook: {url: %q, secret: %q}
`, hook.URL, secret))
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register("uma", password)
	a.follow(r.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=SMS"))
	a.submit("/enroll/send", url.Values{"method": {"SMS"}, "destination": {"+49 151 1234 5678"}})
	var p deliver.WebhookPayload
	select {
	case p = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook got nothing")
	}
	if p.Channel != deliver.SMS || p.To != "+4915112345678" || p.ID == "" || p.Created.IsZero() {
		t.Fatalf("the webhook got %+v", p)
	}
	a.submit("/enroll", url.Values{"method": {"SMS"}, "challenge": {challengeOf(t, a.body)}, "code": {codeFrom(t, p.Text)}})
	a.submit("/enroll/done", nil)
	if _, claims := a.tokens(); strings.Join(claims.AMR, " ") != "pwd otp sms mfa" {
		t.Errorf("after a code through the webhook: amr %v", claims.AMR)
	}
}

// A provider that fails fails the send with a clear message and keeps
// nothing: once it works again, the code then sent is the one that counts.
func TestProviderFailureIsClear(t *testing.T) {
	op, _, tw := startOPWithDelivery(t, time.Second)
	r := newRP(t, op.issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register("vic", password)
	a.follow(r.browser.Get(op.issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=SMS"))
	tw.FailWith(http.StatusServiceUnavailable)
	a.submit("/enroll/send", url.Values{"method": {"SMS"}, "destination": {"+4915112345678"}})
	if a.page.StatusCode != http.StatusBadGateway || !strings.Contains(a.body, "could not be sent") || strings.Contains(a.body, `name="code"`) {
		t.Fatalf("a send Twilio refused: %d\n%.1000s", a.page.StatusCode, a.body)
	}
	tw.FailWith(0)
	time.Sleep(time.Second) // the cool-down: the failed send counted, as the provider may have sent it
	a.submit("/enroll/send", url.Values{"method": {"SMS"}, "destination": {"+4915112345678"}})
	code := codeFrom(t, tw.Wait(t, "+4915112345678", 1).Body)
	a.submit("/enroll", url.Values{"method": {"SMS"}, "challenge": {challengeOf(t, a.body)}, "code": {code}})
	if !strings.Contains(a.body, "Save your recovery codes") {
		t.Fatalf("after the provider recovered:\n%.1000s", a.body)
	}
}
