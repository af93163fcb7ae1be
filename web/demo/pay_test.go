package demo_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// trackCalls are the track API calls the fake OP received, for the tests
// to check their shape.
var trackCalls struct {
	sync.Mutex
	bodies []map[string]any
}

// trackAPI plays stepup's track API: below 1,000 a payment is allowed,
// from 1,000 challenged, above 100,000 held for review; the validation
// token "good" is a passkey confirmation of user-1, "failed" a failed one.
func (o *fakeOP) trackAPI(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer demo-key" || r.Method != http.MethodPost {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{"code": "unauthenticated"}})
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "invalid_request"}})
		return
	}
	if r.URL.Path == "/v1/validate" {
		switch body["token"] {
		case "good": // the confirmation of the last payment tracked
			trackCalls.Lock()
			key := trackCalls.bodies[len(trackCalls.bodies)-1]["idempotencyKey"]
			trackCalls.Unlock()
			writeJSON(w, http.StatusOK, map[string]any{"isValid": true, "state": "CHALLENGE_SUCCEEDED", "userId": "user-1",
				"action": "payment", "idempotencyKey": key,
				"verificationMethod": "PASSKEY", "acr": "urn:stepup:acr:phr", "amr": []string{"pop", "user", "mfa"}})
		case "other": // a confirmation of the last payment tracked, for another user
			trackCalls.Lock()
			key := trackCalls.bodies[len(trackCalls.bodies)-1]["idempotencyKey"]
			trackCalls.Unlock()
			writeJSON(w, http.StatusOK, map[string]any{"isValid": true, "state": "CHALLENGE_SUCCEEDED", "userId": "user-2",
				"action": "payment", "idempotencyKey": key})
		case "settings": // a confirmation of another action of user-1
			writeJSON(w, http.StatusOK, map[string]any{"isValid": true, "state": "CHALLENGE_SUCCEEDED", "userId": "user-1",
				"action": "changeSettings", "idempotencyKey": "not-the-demos", "verificationMethod": "TOTP",
				"acr": "urn:stepup:acr:mfa", "amr": []string{"otp", "mfa"}})
		case "failed":
			writeJSON(w, http.StatusOK, map[string]any{"isValid": false, "state": "CHALLENGE_FAILED"})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"isValid": false})
		}
		return
	}
	trackCalls.Lock()
	trackCalls.bodies = append(trackCalls.bodies, body)
	trackCalls.Unlock()
	amount, _ := body["custom"].(map[string]any)["amount"].(float64)
	switch {
	case amount > 100000:
		writeJSON(w, http.StatusOK, map[string]any{"state": "REVIEW_REQUIRED"})
	case amount >= 1000:
		writeJSON(w, http.StatusOK, map[string]any{"state": "CHALLENGE_REQUIRED", "url": o.issuer + "/challenge?token=t"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"state": "ALLOW"})
	}
}

func TestPaymentsAskTheTrackAPI(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()
	b.act("balance", nil).mustContain(t, "Balance:")
	home := b.get("/demo/")
	home.mustContain(t, `<form method="post" action="/demo/pay">`)
	csrf := home.csrf(t)
	pay := func(amount string) page {
		t.Helper()
		return b.post("/demo/pay", url.Values{"csrf": {csrf}, "amount": {amount}})
	}

	pay("50").mustContain(t, "<strong>Payment of 50.00 EUR sent: stepup&#39;s rules allowed it without a challenge.</strong>")
	trackCalls.Lock()
	last := trackCalls.bodies[len(trackCalls.bodies)-1]
	trackCalls.Unlock()
	if last["redirectUrl"] != e.srv.URL+"/demo/paid" || !strings.HasPrefix(last["deviceId"].(string), "demo-") ||
		last["ipAddress"] != "127.0.0.1" || last["idempotencyKey"] == "" || last["custom"].(map[string]any)["currency"] != "EUR" {
		t.Errorf("the track call: %v", last)
	}
	device := last["deviceId"]

	if p := pay("1,500"); p.status != http.StatusSeeOther || p.header.Get("Location") != e.srv.URL+"/challenge?token=t" {
		t.Errorf("a large payment: %d to %q, want the challenge", p.status, p.header.Get("Location"))
	}
	trackCalls.Lock()
	if again := trackCalls.bodies[len(trackCalls.bodies)-1]["deviceId"]; again != device {
		t.Errorf("the browser's device changed from %v to %v", device, again)
	}
	trackCalls.Unlock()
	pay("200000").mustContain(t, "held: stepup&#39;s rules ask a person to review it first.")

	// Back from the hosted challenge: the demo reads the token once, and
	// takes it only for the payment it started, of its user.
	for token, want := range map[string]string{
		"good":   "<strong>Payment sent: confirmed with PASSKEY (acr urn:stepup:acr:phr, amr pop user mfa).</strong>",
		"other":  `<p class="error" role="alert">Not sent: the confirmation was for another user`,
		"failed": `<p class="error" role="alert">Not sent: the confirmation was cancelled`,
	} {
		if p := pay("1500"); p.status != http.StatusSeeOther {
			t.Fatalf("a large payment: %d", p.status)
		}
		b.get("/demo/paid?token="+token).mustContain(t, want)
	}
	b.get("/demo/paid?token=good").mustContain(t, `<p class="error" role="alert">Not sent: the confirmation was for something else`)
	b.get("/demo/paid?token=replayed").mustContain(t, `<p class="error" role="alert">Not sent: this confirmation has expired`)

	for name, amount := range map[string]string{"zero": "0", "text": "lots", "negative": "-5", "huge": "1e12"} {
		if p := pay(amount); p.status != http.StatusBadRequest {
			t.Errorf("amount %s: status %d", name, p.status)
		}
	}
	if p := b.post("/demo/pay", url.Values{"amount": {"50"}}); p.status != http.StatusForbidden {
		t.Errorf("a payment without the CSRF token: %d", p.status)
	}
	if p := e.browser().post("/demo/pay", url.Values{"amount": {"50"}}); p.status != http.StatusBadRequest {
		t.Errorf("a payment signed out: %d", p.status)
	}
}
