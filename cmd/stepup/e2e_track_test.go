package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/stepup/api/apikey"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
)

const paymentRules = `action: payment
default: ALLOW
rules:
  - id: big
    priority: 10
    when: action.custom.?amount.orValue(0) > 1000
    outcome: CHALLENGE
    level: mfa
`

// trackServer is a stepup serving the track and admin APIs, with a
// server key and an admin key.
type trackServer struct {
	op                  runningOP
	t                   *testing.T
	issuer              string
	serverKey, adminKey string
}

func startTrackServer(t *testing.T) *trackServer {
	t.Helper()
	return startTrackServerWith(t, paymentRules, "")
}

// startTrackServerWith is startTrackServer with a rule set of its own and
// more keys of the rules section, as YAML lines indented by two spaces.
func startTrackServerWith(t *testing.T, rules, rulesKeys string) *trackServer {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	// The keys go into the store before the server opens it, as
	// `stepup apikeys create` would put them.
	st, err := memdb.Open(memdb.Options{Dir: data, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ts := &trackServer{t: t}
	for kind, dst := range map[string]*string{"server": &ts.serverKey, "admin": &ts.adminKey} {
		key, rec, err := apikey.Generate(kind, "test-"+kind, nil, time.Time{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.APIKeys().Create(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		*dst = key
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.op = startOPWithServerKeys(t, data, testClients, "rules:\n  files: ["+rulesFile+"]\n"+rulesKeys)
	ts.issuer = ts.op.issuer
	return ts
}

// browser is a user's browser with jar, stopping at the backend's
// redirect URL.
func (ts *trackServer) browser(jar http.CookieJar) *rp {
	return &rp{t: ts.t, issuer: ts.issuer, browser: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), rpRedirect) {
				return http.ErrUseLastResponse
			}
			return nil
		}}}
}

// log is what the server logged so far.
func (ts *trackServer) log() string { return ts.op.log.String() }

// call makes an API request with key and decodes the JSON answer.
func (ts *trackServer) call(method, path, key string, body any) (int, map[string]any) {
	ts.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.issuer+path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if len(data) > 0 && json.Unmarshal(data, &out) != nil {
		ts.t.Fatalf("%s %s: %d, not JSON: %.300s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

func (ts *trackServer) track(user, key string, amount int) map[string]any {
	ts.t.Helper()
	status, out := ts.call("POST", "/v1/users/"+user+"/actions/payment", ts.serverKey, map[string]any{
		"ipAddress": "198.51.100.7", "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
		"idempotencyKey": key, "redirectUrl": rpRedirect, "custom": map[string]any{"amount": amount},
	})
	if status != http.StatusOK {
		ts.t.Fatalf("track %s %s: %d %v", user, key, status, out)
	}
	return out
}

// The path: track → CHALLENGE_REQUIRED → the challenge answered
// on the hosted page (a first authenticator app, set up there) → validate
// → CHALLENGE_SUCCEEDED with acr and amr; the same idempotency key gives
// the same record; a rule changed through the admin API applies to the
// next call, with no restart.
func TestTrackAPIEndToEnd(t *testing.T) {
	ts := startTrackServer(t)
	// The application's user is stepup's carl, who set up an
	// authenticator app when a relying party asked for mfa.
	user, uri := registerWithTOTP(t, ts.issuer, "carl")

	if got := ts.track(user, "small-1", 50); got["state"] != "ALLOW" || got["url"] != nil {
		t.Fatalf("a small payment: %v", got)
	}
	big := ts.track(user, "big-1", 1500)
	if big["state"] != "CHALLENGE_REQUIRED" || big["requiredLevel"] != "urn:stepup:acr:mfa" || big["url"] == nil ||
		big["token"] == nil || !strings.Contains(big["ruleIds"].([]any)[0].(string), "big") {
		t.Fatalf("a big payment: %v", big)
	}
	if again := ts.track(user, "big-1", 1500); again["actionId"] != big["actionId"] || again["state"] != "CHALLENGE_REQUIRED" {
		t.Fatalf("the same idempotency key again: %v, want the record %v", again, big["actionId"])
	}

	// The user's browser, signed in nowhere, opens the hosted challenge
	// (its page, then Continue) and answers with the app.
	jar, _ := cookiejar.New(nil)
	r := ts.browser(jar)
	a := &attempt{rp: r}
	a.openChallenge(big["url"].(string))
	if !a.on("/stepup") || !strings.Contains(a.body, `name="code"`) {
		t.Fatalf("the challenge link: on %v\n%.1500s", a.page.Request.URL, a.body)
	}
	// The next step's code: the set-up used this one.
	a.submit("/stepup/verify", url.Values{"method": {"TOTP"},
		"code": {totpCode(t, uri, time.Now().Add(30*time.Second))}})
	if a.callback == nil || a.callback.Query().Get("token") == "" {
		t.Fatalf("after the challenge the browser is at %v (page %v)\n%.1500s", a.callback, a.page, a.body)
	}
	// The challenge signed nobody in to stepup.
	u, _ := url.Parse(ts.issuer)
	for _, c := range jar.Cookies(u) {
		if c.Name == "stepup_session" {
			t.Error("the challenge left a stepup session in the browser")
		}
	}

	token := a.callback.Query().Get("token")
	status, v := ts.call("POST", "/v1/validate", ts.serverKey, map[string]any{"token": token})
	if status != http.StatusOK || v["isValid"] != true || v["state"] != "CHALLENGE_SUCCEEDED" || v["userId"] != user ||
		v["actionId"] != big["actionId"] || v["action"] != "payment" || v["idempotencyKey"] != "big-1" ||
		v["verificationMethod"] != "TOTP" || v["acr"] != "urn:stepup:acr:mfa" || !sameStrings(v["amr"], "otp", "mfa") {
		t.Fatalf("validate: %d %v", status, v)
	}
	if _, v := ts.call("POST", "/v1/validate", ts.serverKey, map[string]any{"token": token}); v["isValid"] != false {
		t.Fatalf("the token a second time: %v", v)
	}
	if _, rec := ts.call("GET", "/v1/users/"+user+"/actions/payment/big-1", ts.serverKey, nil); rec["state"] != "CHALLENGE_SUCCEEDED" {
		t.Fatalf("the record: %v", rec)
	}
	if _, usr := ts.call("GET", "/v1/users/"+user, ts.serverKey, nil); !sameStrings(usr["enrolledMethods"], "TOTP", "RECOVERY_CODE") {
		t.Fatalf("the user: %v", usr)
	}

	// An analyst tries blocking from 100 over the decisions made so far
	// (newest first: the 1,500 payment, then the 50 one): only the 1,500
	// one would change.
	blockFrom100 := strings.Replace(strings.Replace(paymentRules, "> 1000", "> 100", 1), "outcome: CHALLENGE\n    level: mfa", "outcome: BLOCK", 1)
	status, sim := ts.call("POST", "/admin/v1/simulate", ts.adminKey, map[string]any{"spec_yaml": blockFrom100, "recent": 10})
	if results, _ := sim["results"].([]any); status != http.StatusOK || len(results) != 2 || fmt.Sprint(sim["changed"]) != "[0]" ||
		results[0].(map[string]any)["record"] != big["actionId"] {
		t.Fatalf("simulating over the stored decisions: %d %v", status, sim)
	}

	// The analyst publishes it through the admin API; the next call
	// follows it, with no restart.
	status, pub := ts.call("PUT", "/admin/v1/actions/payment/rules", ts.adminKey, map[string]any{
		"base_version": 1, "comment": "block from 100", "spec_yaml": blockFrom100,
	})
	if status != http.StatusOK {
		t.Fatalf("publishing the new rules: %d %v", status, pub)
	}
	if got := ts.track(user, "mid-1", 500); got["state"] != "BLOCK" {
		t.Fatalf("500 after the change: %v, want BLOCK", got)
	}

	// A body that is not JSON, or too big, is refused as such.
	for _, tc := range []struct {
		ctype, body string
		status      int
	}{
		{"application/x-www-form-urlencoded", "amount=5", http.StatusUnsupportedMediaType},
		{"application/json", `{"userAgent":"` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge},
		{"application/json", `{"amount":5}`, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest("POST", ts.issuer+"/v1/users/"+user+"/actions/payment", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+ts.serverKey)
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("a %s body of %d bytes: %d, want %d", tc.ctype, len(tc.body), resp.StatusCode, tc.status)
		}
	}

	// Keys: none, or the wrong kind, are refused.
	for name, key := range map[string]string{"no key": "", "an admin key": ts.adminKey, "a made-up key": "su_server_x_y"} {
		if status, out := ts.call("POST", "/v1/users/u/actions/payment", key, map[string]any{}); status != http.StatusUnauthorized {
			t.Errorf("%s on the track API: %d %v", name, status, out)
		}
	}
	if status, _ := ts.call("PUT", "/admin/v1/actions/payment/rules", ts.serverKey, map[string]any{}); status != http.StatusUnauthorized {
		t.Errorf("a server key on the admin API: %d", status)
	}
}

// registerWithTOTP registers username through a relying party's sign-in,
// sets up an authenticator app on the step-up page when the relying party
// asks for mfa, and returns their sub (stepup's user id) and the app's
// otpauth URI.
func registerWithTOTP(t *testing.T, issuer, username string) (sub, uri string) {
	t.Helper()
	r := newRP(t, issuer, "app", "")
	a := r.authorize(url.Values{"acr_values": {"urn:stepup:acr:mfa"}})
	a.register(username, password)
	if !a.on("/stepup") {
		t.Fatalf("asking for mfa: on %v", a.page)
	}
	a.follow(r.browser.Get(issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri = strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	a.submit("/enroll/done", nil)
	_, id := a.tokens()
	return id.Subject, uri
}

// sameStrings reports whether a JSON list holds exactly want, in any order.
func sameStrings(v any, want ...string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, x := range list {
			found = found || x == w
		}
		if !found {
			return false
		}
	}
	return true
}
