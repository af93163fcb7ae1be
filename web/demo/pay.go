package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The demo's payments ask stepup's track API, as a bank's backend would:
// POST /v1/users/{sub}/actions/payment with the amount, the browser's
// address, user agent and device, and the page to come back to. The rules
// of the action "payment" decide (the demo ships example rules: a small
// payment passes, a large one from a new device needs a passkey); a
// challenge runs on stepup's hosted page, which sends the browser back to
// /demo/paid with a token the demo validates.

const (
	payPath  = "/demo/pay"
	paidPath = "/demo/paid"
	// payCookie holds the idempotency key of the payment under way, which
	// the confirmation on the way back must name.
	payCookie = "stepup_demo_pay"
	// deviceCookie names this browser to the track API's device signal.
	deviceCookie   = "stepup_demo_device"
	deviceLifetime = 400 * 24 * time.Hour
	// maxAmount keeps the demo's amounts to what a form should hold.
	maxAmount = 1_000_000_000
)

// pay tracks a payment of the signed-in user.
func (s *Server) pay(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	sess, raw, ok := s.session(r)
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "Sign in first", "Sign in (view the balance) before you pay.", "")
		return
	}
	if !s.validCSRF(r.PostFormValue("csrf"), raw) {
		s.forbidden(w)
		return
	}
	amount, err := strconv.ParseFloat(strings.ReplaceAll(r.PostFormValue("amount"), ",", ""), 64)
	if err != nil || amount <= 0 || amount > maxAmount {
		s.errorPage(w, http.StatusBadRequest, "Not an amount", "Enter an amount above 0, such as 50 or 1500.", "")
		return
	}
	if s.trackKey == "" {
		s.errorPage(w, http.StatusServiceUnavailable, "Payments are off", "This demo has no key for stepup's track API.", "")
		return
	}
	key := random()
	body := map[string]any{
		"userAgent": r.UserAgent(), "deviceId": s.device(w, r), "redirectUrl": s.issuer + paidPath,
		"idempotencyKey": key, "custom": map[string]any{"amount": amount, "currency": "EUR"},
	}
	// The browser's address as this server sees it: behind a reverse
	// proxy that is the proxy's, which a real backend would know better.
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		body["ipAddress"] = host
	}
	var out struct {
		State string `json:"state"`
		URL   string `json:"url"`
	}
	if err := s.trackAPI(r.Context(), http.MethodPost, "/v1/users/"+url.PathEscape(sess.Subject)+"/actions/payment", body, &out); err != nil {
		s.fail(w, r, "The demo could not ask stepup's track API. The cause is in the stepup log.", err)
		return
	}
	what := fmt.Sprintf("Payment of %s EUR", formatAmount(amount))
	v := view{Title: "Pay", Session: sess, Claims: sess.fields(s.now()), CSRF: s.csrfToken(raw)}
	switch out.State {
	case "ALLOW":
		v.Result = what + " sent: stepup's rules allowed it without a challenge."
	case "CHALLENGE_REQUIRED":
		expires := s.now().Add(loginLifetime)
		value, err := seal(s.cookies, payCookie, key, expires)
		if err != nil {
			s.fail(w, r, "The demo could not start the confirmation.", err)
			return
		}
		s.setCookie(w, payCookie, value, expires)
		http.Redirect(w, r, out.URL, http.StatusSeeOther)
		return
	case "REVIEW_REQUIRED":
		v.Result, v.Refused = what+" held: stepup's rules ask a person to review it first.", true
	default:
		v.Result, v.Refused = what+" refused by stepup's rules.", true
	}
	s.render(w, http.StatusOK, "result", v)
}

// paid is where stepup's hosted challenge sends the browser back: the
// demo validates the token with the track API, once, and checks that it
// confirms the payment this browser started, for its signed-in user.
func (s *Server) paid(w http.ResponseWriter, r *http.Request) {
	sess, raw, _ := s.session(r)
	key, _, _ := readCookie[string](s.cookies, r, payCookie)
	s.setCookie(w, payCookie, "", time.Time{}) // a confirmation is read once
	var out struct {
		IsValid        bool     `json:"isValid"`
		State          string   `json:"state"`
		UserID         string   `json:"userId"`
		Action         string   `json:"action"`
		IdempotencyKey string   `json:"idempotencyKey"`
		Method         string   `json:"verificationMethod"`
		ACR            string   `json:"acr"`
		AMR            []string `json:"amr"`
	}
	if err := s.trackAPI(r.Context(), http.MethodPost, "/v1/validate", map[string]any{"token": r.URL.Query().Get("token")}, &out); err != nil {
		s.fail(w, r, "The demo could not ask stepup's track API. The cause is in the stepup log.", err)
		return
	}
	v := view{Title: "Pay"}
	if sess != nil {
		v.Session, v.Claims, v.CSRF = sess, sess.fields(s.now()), s.csrfToken(raw)
	}
	switch {
	case out.IsValid && (out.Action != "payment" || key == "" || out.IdempotencyKey != key):
		// A valid confirmation, but of something else than the payment
		// this browser started: a backend checks what it validates.
		v.Result, v.Refused = "Not sent: the confirmation was for something else than this payment.", true
	case out.IsValid && sess != nil && out.UserID == sess.Subject:
		v.Result = fmt.Sprintf("Payment sent: confirmed with %s (acr %s, amr %s).", out.Method, out.ACR, strings.Join(out.AMR, " "))
	case out.IsValid:
		v.Result, v.Refused = "Not sent: the confirmation was for another user than the one signed in.", true
	case out.State == "CHALLENGE_FAILED":
		v.Result, v.Refused = "Not sent: the confirmation was cancelled or did not reach what stepup's rules ask for.", true
	default:
		v.Result, v.Refused = "Not sent: this confirmation has expired or was used already.", true
	}
	s.render(w, http.StatusOK, "result", v)
}

// device returns this browser's demo device id, giving it one if it has
// none. The track API keeps a caller's device ids apart from stepup's own.
func (s *Server) device(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(deviceCookie); err == nil && len(c.Value) == 22 {
		return "demo-" + c.Value
	}
	id := random()
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: id, Path: cookiePath, MaxAge: int(deviceLifetime / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return "demo-" + id
}

// trackAPI calls stepup's track API with the demo's server key.
func (s *Server) trackAPI(ctx context.Context, method, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, s.issuer+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.trackKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("demo: track API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return fmt.Errorf("demo: track API: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: track API %s %s answered %s: %.300s", method, path, resp.Status, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("demo: track API: %w", err)
	}
	return nil
}

// formatAmount writes 1500 as "1,500.00".
func formatAmount(a float64) string {
	s := strconv.FormatFloat(a, 'f', 2, 64)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "." + cents
}
