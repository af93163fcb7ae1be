package demo_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	"github.com/go-jose/go-jose/v4"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/web/demo"
)

// env is the demo mounted beside a fake OP on one test server, as stepup
// mounts it beside the real one, with a clock that moves only when a test
// says so.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	op    *fakeOP
	clock *conformance.Clock
	mux   *http.ServeMux
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, httptest.NewServer, io.Discard)
}

// newEnvWith starts the demo on a server of start's, logging to log.
func newEnvWith(t *testing.T, start func(http.Handler) *httptest.Server, log io.Writer) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := start(mux)
	t.Cleanup(srv.Close)
	clock := conformance.NewClock()
	scheme, err := acr.NewScheme(map[string]acr.Level{"urn:example:strong": acr.MFA})
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.New(demo.Options{
		Issuer: srv.URL, Scheme: scheme, CookieKey: []byte(strings.Repeat("k", 32)),
		HTTPClient: srv.Client(), Now: clock.Now, Log: slog.New(slog.NewTextHandler(log, nil)), TrackKey: "demo-key",
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/demo/", d)
	return &env{t: t, srv: srv, clock: clock, mux: mux, op: newFakeOP(t, srv.URL, clock)}
}

// serveOP mounts the fake OP; until then the issuer answers 404.
func (e *env) serveOP() { e.mux.Handle("/", e.op) }

// fakeOP is an OpenID Provider reduced to what the demo calls: discovery,
// JWKS (go-oidc's oidctest), token and userinfo. Its authorization
// endpoint is the test: it reads the request from the demo's redirect
// and grants a code with the claims it chooses.
type fakeOP struct {
	t      *testing.T
	issuer string
	clock  *conformance.Clock
	key    *ecdsa.PrivateKey
	keys   *oidctest.Server

	mu      sync.Mutex
	grants  map[string]grant // by code
	idToken string           // the last ID token issued
}

type grant struct {
	challenge string
	claims    map[string]any
}

func newFakeOP(t *testing.T, issuer string, clock *conformance.Clock) *fakeOP {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := &oidctest.Server{
		PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: gooidc.ES256}},
		Algorithms: []string{gooidc.ES256},
	}
	keys.SetIssuer(issuer)
	return &fakeOP{t: t, issuer: issuer, clock: clock, key: key, keys: keys, grants: map[string]grant{}}
}

func (o *fakeOP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                o.issuer,
			"authorization_endpoint":                o.issuer + "/authorize",
			"token_endpoint":                        o.issuer + "/token",
			"userinfo_endpoint":                     o.issuer + "/userinfo",
			"end_session_endpoint":                  o.issuer + "/end_session",
			"jwks_uri":                              o.issuer + "/keys",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	case "/keys":
		o.keys.ServeHTTP(w, r)
	case "/token":
		o.token(w, r)
	case "/v1/users/user-1/actions/payment", "/v1/validate":
		o.trackAPI(w, r)
	case "/userinfo":
		writeJSON(w, http.StatusOK, map[string]string{"sub": "user-1", "preferred_username": "alice"})
	default:
		http.NotFound(w, r)
	}
}

// token redeems a code once, for the PKCE verifier of its challenge.
func (o *fakeOP) token(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	g, ok := o.grants[r.PostFormValue("code")]
	delete(o.grants, r.PostFormValue("code"))
	o.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || r.PostFormValue("grant_type") != "authorization_code" ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	claims, _ := json.Marshal(g.claims)
	idToken := oidctest.SignIDToken(o.key, "k1", gooidc.ES256, string(claims))
	o.mu.Lock()
	o.idToken = idToken
	o.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": o.accessToken(g.claims), "token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
	})
}

// accessToken is an RFC 9068 access token for the demo's API, with the
// sign-in's acr, amr and auth_time, valid for an hour: longer than the
// transfer's max_age, so that tests see the API's max_age challenge. An
// "access_token" claim in the grant replaces it.
func (o *fakeOP) accessToken(claims map[string]any) string {
	if at, ok := claims["access_token"].(string); ok {
		return at
	}
	now := o.clock.Now()
	at := map[string]any{
		"iss": o.issuer, "aud": demo.ClientID, "client_id": demo.ClientID, "sub": claims["sub"],
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "at-" + claims["nonce"].(string),
		"acr": claims["acr"], "amr": claims["amr"], "auth_time": claims["auth_time"],
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: o.key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		o.t.Fatal(err)
	}
	payload, _ := json.Marshal(at)
	jws, err := signer.Sign(payload)
	if err != nil {
		o.t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// grant answers an authorization request with a code for an ID token of
// the given claims over the defaults: alice at 1fa with a password, now.
func (o *fakeOP) grant(authorize *url.URL, claims map[string]any) (code string) {
	q := authorize.Query()
	now := o.clock.Now()
	all := map[string]any{
		"iss": o.issuer, "aud": demo.ClientID, "sub": "user-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"nonce": q.Get("nonce"), "acr": "urn:stepup:acr:1fa", "amr": []string{"pwd"}, "auth_time": now.Unix(),
	}
	for k, v := range claims {
		all[k] = v
	}
	code = "code-" + q.Get("state")
	o.mu.Lock()
	o.grants[code] = grant{challenge: q.Get("code_challenge"), claims: all}
	o.mu.Unlock()
	return code
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// browser keeps cookies and does not follow redirects, so tests see
// where each answer sends it.
type browser struct {
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, client: &c}
}

type page struct {
	status int
	header http.Header
	body   string
}

// location is where a redirect sends the browser.
func (p page) location(t *testing.T) *url.URL {
	t.Helper()
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil || p.header.Get("Location") == "" {
		t.Fatalf("status %d, no redirect:\n%.800s", p.status, p.body)
	}
	return u
}

func (p page) mustContain(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Errorf("the page lacks %q:\n%.2500s", s, p.body)
		}
	}
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form from one of the demo's own pages.
func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	return b.do(req)
}

// cookie returns the browser's cookie of that name for the demo's paths.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.srv.URL + "/demo/")
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// begin posts the home page's form for an action, as the browser's user
// clicking its button, with the CSRF token the page carries when signed in.
func (b *browser) begin(action string) page {
	b.e.t.Helper()
	form := url.Values{"action": {action}}
	if m := csrfField.FindStringSubmatch(b.get("/demo/").body); m != nil {
		form.Set("csrf", m[1])
	}
	return b.post("/demo/login", form)
}

// start begins an action and returns the authorization request it sends
// the browser to.
func (b *browser) start(action string) *url.URL {
	b.e.t.Helper()
	p := b.begin(action)
	if p.status != http.StatusSeeOther {
		b.e.t.Fatalf("login: status %d, want 303:\n%.800s", p.status, p.body)
	}
	return p.location(b.e.t)
}

// signIn runs an action through the fake OP, which issues claims, and
// returns the callback's page.
func (b *browser) signIn(action string, claims map[string]any) page {
	b.e.t.Helper()
	authorize := b.start(action)
	code := b.e.op.grant(authorize, claims)
	return b.get("/demo/callback?" + url.Values{"code": {code}, "state": {authorize.Query().Get("state")}}.Encode())
}

// callback lets the fake OP answer an authorization request with claims,
// and returns the demo's callback page.
func (b *browser) callback(authorize *url.URL, claims map[string]any) page {
	b.e.t.Helper()
	code := b.e.op.grant(authorize, claims)
	return b.get("/demo/callback?" + url.Values{"code": {code}, "state": {authorize.Query().Get("state")}}.Encode())
}

// act does an action and lets the fake OP answer each authorization
// request it leads to with claims, until the demo shows a page.
func (b *browser) act(action string, claims map[string]any) page {
	b.e.t.Helper()
	p := b.begin(action)
	for range 3 {
		if p.status != http.StatusSeeOther {
			return p
		}
		p = b.callback(p.location(b.e.t), claims)
	}
	b.e.t.Fatalf("%s: still redirecting after three sign-ins", action)
	return p
}

var csrfField = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]*)">`)

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%.1500s", p.body)
	}
	return m[1]
}

func TestAnActionSignsInThenFollowsTheAPIsChallenge(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()

	// Signed out, a transfer first signs in at the client's minimum: the
	// demo asks for nothing the API has not said it needs.
	authorize := b.start("transfer")
	q := authorize.Query()
	if authorize.Path != "/authorize" {
		t.Errorf("sent to %v, want the OP's authorization endpoint", authorize)
	}
	for k, v := range map[string]string{
		"response_type": "code", "client_id": demo.ClientID, "redirect_uri": e.srv.URL + "/demo/callback",
		"code_challenge_method": "S256", "scope": "openid profile",
		"acr_values": "", "max_age": "", "stepup_reason": "",
	} {
		if q.Get(k) != v {
			t.Errorf("%s=%q, want %q", k, q.Get(k), v)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 22 {
			t.Errorf("%s=%q: want at least 128 random bits", k, q.Get(k))
		}
	}
	if b.cookie("stepup_demo_login") == "" {
		t.Error("no login cookie")
	}

	// The API refuses the 1fa token with an RFC 9470 challenge, and the
	// demo asks the OP again with its parameters.
	p := b.callback(authorize, nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("the callback of a 1fa sign-in for a transfer: status %d, want 303\n%.1500s", p.status, p.body)
	}
	var logins int
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "stepup_demo_login" {
			logins++
		}
	}
	if logins != 1 {
		t.Errorf("the callback that follows the challenge sets the login cookie %d times, want once (RFC 6265 §4.1.1)", logins)
	}
	again := p.location(t)
	q = again.Query()
	e.op.mu.Lock()
	idToken := e.op.idToken
	e.op.mu.Unlock()
	for k, v := range map[string]string{
		"acr_values": "urn:stepup:acr:mfa", "max_age": "300", "client_id": demo.ClientID,
		"stepup_reason": "Confirm the transfer of 250.00 EUR to a new payee.",
		"id_token_hint": idToken, // the step-up is for the user signed in
	} {
		if q.Get(k) != v {
			t.Errorf("the challenge's request: %s=%q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("state") == authorize.Query().Get("state") || q.Get("nonce") == authorize.Query().Get("nonce") {
		t.Error("the challenge's request reuses the first state or nonce")
	}
	p = b.callback(again, map[string]any{"acr": "urn:stepup:acr:mfa", "amr": []string{"pwd", "otp", "mfa"}})
	p.mustContain(t, "<strong>Transfer sent</strong>",
		"<code>POST /demo/api/transfer</code>: <code>401</code><br><code>WWW-Authenticate: Bearer "+
			"error=&#34;insufficient_user_authentication&#34;, error_description=&#34;This resource needs a level of at least urn:stepup:acr:mfa&#34;, "+
			"acr_values=&#34;urn:stepup:acr:mfa&#34;, max_age=&#34;300&#34;</code><br>"+
			"The demo asked stepup again with acr_values=urn:stepup:acr:mfa and max_age=300, and you signed in.",
		"<code>POST /demo/api/transfer</code>: <code>200</code>",
		"<dt>acr</dt><dd>urn:stepup:acr:mfa</dd>")

	// Signed in, an action calls the API at once, with no new sign-in.
	for action, want := range map[string]string{"transfer": "Transfer sent", "balance": "Balance: 1,234.56 EUR"} {
		if p := b.begin(action); p.status != http.StatusOK || !strings.Contains(p.body, want) {
			t.Errorf("%s with an mfa session: status %d, want 200 with %q\n%.1500s", action, p.status, want, p.body)
		}
	}

	// Five minutes on, the transfer's max_age is spent: the API says so,
	// and the demo asks for a fresh authentication.
	e.clock.Advance(5*time.Minute + time.Second)
	if q := b.start("transfer").Query(); q.Get("max_age") != "300" || q.Get("acr_values") != "urn:stepup:acr:mfa" {
		t.Errorf("a transfer five minutes on asks for %v", q)
	}
	// An hour on, the access token has expired: the demo signs in again,
	// plainly, for the balance.
	e.clock.Advance(time.Hour)
	if q := b.start("balance").Query(); q.Get("acr_values") != "" || q.Get("max_age") != "" {
		t.Errorf("a balance with an expired access token asks for %v", q)
	}

	if p := e.browser().begin("steal"); p.status != http.StatusBadRequest {
		t.Errorf("unknown action: status %d, want 400", p.status)
	}
}

func TestDiscoveryWaitsForTheFirstSignIn(t *testing.T) {
	e := newEnv(t) // the OP answers 404 until serveOP, as before it listens
	b := e.browser()
	if p := b.get("/demo/"); p.status != http.StatusOK {
		t.Fatalf("home page without the OP: status %d", p.status)
	}
	if p := b.begin("balance"); p.status != http.StatusBadGateway {
		t.Fatalf("login without the OP: status %d, want 502", p.status)
	}
	e.serveOP()
	b.signIn("balance", nil).mustContain(t, "Balance: 1,234.56 EUR")
}

func TestTheAPIDecidesTheActionsResult(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	now := e.clock.Now().Unix()
	const unmet = "Not done: the transfer needs mfa, and you signed in at "
	for _, tc := range []struct {
		name   string
		action string
		claims map[string]any
		want   string
	}{
		{"balance at 1fa", "balance", nil, "<strong>Balance: 1,234.56 EUR</strong>"},
		{"transfer at mfa", "transfer", map[string]any{"acr": "urn:stepup:acr:mfa"}, "<strong>Transfer sent</strong>"},
		{"transfer at phr", "transfer", map[string]any{"acr": "urn:stepup:acr:phr"}, "<strong>Transfer sent</strong>"},
		{"transfer at an alias of mfa", "transfer", map[string]any{"acr": "urn:example:strong"}, "<strong>Transfer sent</strong>"},
		{"transfer at 1fa", "transfer", nil, unmet + "urn:stepup:acr:1fa. Set up a passkey or an authenticator app"},
		{"transfer at an unknown acr", "transfer", map[string]any{"acr": "urn:example:gold"}, unmet + "urn:example:gold. Set up"},
		{"transfer at mfa, signed in long ago", "transfer", map[string]any{"acr": "urn:stepup:acr:mfa", "auth_time": now - 600},
			"Not done: the transfer needs a sign-in within the last 5 minutes, and yours was 600 seconds ago. Start it again to sign in afresh."},
		{"balance without acr", "balance", map[string]any{"acr": ""}, "Not done: the balance needs 1fa, and you signed in at no level at all."},
		{"an access token the API refuses", "balance", map[string]any{"access_token": "not-a-jwt"},
			"Not done: the API refuses the access token stepup just issued."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.browser().act(tc.action, tc.claims)
			if p.status != http.StatusOK {
				t.Fatalf("status %d:\n%.1500s", p.status, p.body)
			}
			if !strings.Contains(tc.want, "Not done") {
				p.mustContain(t, tc.want)
				return
			}
			p.mustContain(t, `<p class="error" role="alert">`+tc.want)
			if strings.Contains(p.body, "Transfer sent") || strings.Contains(p.body, "Balance:") {
				t.Error("a refused action shows its result")
			}
		})
	}
}

func TestTheAPIChecksTheTokenAndTheRoutesPolicy(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	token := func(claims map[string]any) string {
		all := map[string]any{"sub": "user-1", "nonce": "n", "acr": "urn:stepup:acr:1fa", "amr": []string{"pwd"},
			"auth_time": e.clock.Now().Unix()}
		for k, v := range claims {
			all[k] = v
		}
		return e.op.accessToken(all)
	}
	call := func(method, path, token string) page {
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return e.browser().do(req)
	}
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		challenge, body           string
	}{
		{"balance at 1fa", "GET", "/demo/api/balance", token(nil), 200, "",
			`{"sub":"user-1","acr":"urn:stepup:acr:1fa","result":"Balance: 1,234.56 EUR"}`},
		{"balance without a token", "GET", "/demo/api/balance", "", 401, "Bearer", ""},
		{"balance with a bad token", "GET", "/demo/api/balance", "x.y.z", 401,
			`Bearer error="invalid_token", error_description="The access token is not valid"`, ""},
		{"transfer at 1fa", "POST", "/demo/api/transfer", token(nil), 401,
			`Bearer error="insufficient_user_authentication", error_description="This resource needs a level of at least urn:stepup:acr:mfa", acr_values="urn:stepup:acr:mfa", max_age="300"`, ""},
		{"transfer at mfa", "POST", "/demo/api/transfer", token(map[string]any{"acr": "urn:stepup:acr:mfa"}), 200, "",
			`{"sub":"user-1","acr":"urn:stepup:acr:mfa","result":"Transfer sent"}`},
		{"transfer by GET", "GET", "/demo/api/transfer", token(map[string]any{"acr": "urn:stepup:acr:mfa"}), 405, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := call(tc.method, tc.path, tc.token)
			if p.status != tc.status || p.header.Get("WWW-Authenticate") != tc.challenge ||
				tc.body != "" && strings.TrimSpace(p.body) != tc.body {
				t.Errorf("%d %q %s\nwant %d %q %s", p.status, p.header.Get("WWW-Authenticate"), p.body, tc.status, tc.challenge, tc.body)
			}
		})
	}
}

func TestCallbackPageListsTheClaims(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()
	e.clock.Advance(-42 * time.Second)
	authorize := b.start("balance")
	code := e.op.grant(authorize, map[string]any{"amr": []string{"pwd", "otp"}})
	e.clock.Advance(42 * time.Second)
	p := b.get("/demo/callback?" + url.Values{"code": {code}, "state": {authorize.Query().Get("state")}}.Encode())
	p.mustContain(t,
		"<dt>iss</dt><dd>"+e.srv.URL+"</dd>",
		"<dt>sub</dt><dd>user-1</dd>",
		"<dt>aud</dt><dd>stepup-demo</dd>",
		"<dt>acr</dt><dd>urn:stepup:acr:1fa</dd>",
		"<dt>amr</dt><dd>pwd otp</dd>",
		"<dt>auth_time</dt><dd>2026-01-02 03:03:23 UTC (42 seconds ago)</dd>",
		"<dt>nonce</dt><dd>"+authorize.Query().Get("nonce")+"</dd>",
		"<dt>preferred_username (from userinfo)</dt><dd>alice</dd>",
	)
	home := b.get("/demo/")
	home.mustContain(t, "Signed in as <strong>alice</strong> at level <code>urn:stepup:acr:1fa</code>.", "Sign out")
	// The demo's session ends with the ID token.
	e.clock.Advance(time.Hour)
	b.get("/demo/").mustContain(t, "Not signed in.")
}

func TestCallbackRefusesWhatItDidNotAskFor(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name   string
		status int
		run    func(b *browser) page
	}{
		{"another state", http.StatusBadRequest, func(b *browser) page {
			code := e.op.grant(b.start("balance"), nil)
			return b.get("/demo/callback?code=" + code + "&state=forged")
		}},
		{"no login cookie", http.StatusBadRequest, func(b *browser) page {
			a := b.start("balance")
			code := e.op.grant(a, nil)
			return e.browser().get("/demo/callback?code=" + code + "&state=" + a.Query().Get("state"))
		}},
		{"a login cookie expired", http.StatusBadRequest, func(b *browser) page {
			a := b.start("balance")
			code := e.op.grant(a, nil)
			e.clock.Advance(10 * time.Minute)
			defer e.clock.Advance(-10 * time.Minute)
			return b.get("/demo/callback?code=" + code + "&state=" + a.Query().Get("state"))
		}},
		{"a callback replayed", http.StatusBadRequest, func(b *browser) page {
			a := b.start("balance")
			cb := "/demo/callback?code=" + e.op.grant(a, nil) + "&state=" + a.Query().Get("state")
			if p := b.get(cb); p.status != http.StatusOK {
				t.Fatalf("first callback: %d", p.status)
			}
			return b.get(cb)
		}},
		{"another nonce", http.StatusBadGateway, func(b *browser) page {
			return b.signIn("balance", map[string]any{"nonce": "forged"})
		}},
		{"another audience", http.StatusBadGateway, func(b *browser) page {
			return b.signIn("balance", map[string]any{"aud": "another-client"})
		}},
		{"another issuer", http.StatusBadGateway, func(b *browser) page {
			return b.signIn("balance", map[string]any{"iss": "https://evil.example"})
		}},
		{"an expired ID token", http.StatusBadGateway, func(b *browser) page {
			return b.signIn("balance", map[string]any{"exp": e.clock.Now().Add(-time.Minute).Unix()})
		}},
		{"a code the OP refuses", http.StatusBadGateway, func(b *browser) page {
			a := b.start("balance")
			return b.get("/demo/callback?code=unknown&state=" + a.Query().Get("state"))
		}},
		{"a token signed by another key", http.StatusBadGateway, func(b *browser) page {
			saved := e.op.key
			e.op.key = otherKey
			defer func() { e.op.key = saved }()
			return b.signIn("balance", nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			p := tc.run(b)
			if p.status != tc.status {
				t.Fatalf("status %d, want %d:\n%.1500s", p.status, tc.status, p.body)
			}
			if strings.Contains(p.body, "Balance:") {
				t.Error("the balance is shown")
			}
			if tc.name != "a callback replayed" && b.cookie("stepup_demo") != "" {
				t.Error("the demo kept a session")
			}
		})
	}
}

func TestCallbackErrorIsExplained(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	for code, want := range map[string]string{
		"unmet_authentication_requirements": "stepup could not reach the level this action asks for",
		"access_denied":                     "The sign-in was cancelled or refused, so nothing was done.",
		"login_required":                    "stepup needs you to sign in before this action.",
		"server_error":                      "stepup had a problem on its side",
		"something_new":                     "The sign-in did not complete, so nothing was done.",
	} {
		t.Run(code, func(t *testing.T) {
			b := e.browser()
			a := b.start("transfer")
			p := b.get("/demo/callback?" + url.Values{
				"error": {code}, "error_description": {"<b>call +1 555</b>"}, "state": {a.Query().Get("state")},
			}.Encode())
			if p.status != http.StatusOK {
				t.Fatalf("status %d", p.status)
			}
			p.mustContain(t, want, "<code>"+code+"</code>")
			if strings.Contains(p.body, "555") {
				t.Error("the page shows the OP's error_description")
			}
		})
	}
	// An error carrying another state is not the browser's sign-in.
	b := e.browser()
	b.start("transfer")
	p := b.get("/demo/callback?error=access_denied&state=forged")
	if p.status != http.StatusBadRequest || strings.Contains(p.body, "access_denied") {
		t.Errorf("an error with a forged state: status %d\n%.800s", p.status, p.body)
	}
}

func TestLogoutNeedsTheFormOfThisBrowser(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()
	csrf := b.signIn("balance", nil).csrf(t)
	e.op.mu.Lock()
	idToken := e.op.idToken // b's
	e.op.mu.Unlock()

	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"a forged token", url.Values{"csrf": {"AAAA"}}, nil},
		{"another browser's token", url.Values{"csrf": {e.browser().signIn("balance", nil).csrf(t)}}, nil},
		{"a cross-site post", url.Values{"csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/demo/logout", strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if p := b.do(req); p.status != http.StatusForbidden {
				t.Errorf("status %d, want 403", p.status)
			}
			if b.cookie("stepup_demo") == "" {
				t.Error("the demo's session was cleared")
			}
		})
	}

	p := b.post("/demo/logout", url.Values{"csrf": {csrf}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("logout: status %d\n%.800s", p.status, p.body)
	}
	u := p.location(t)
	want := e.srv.URL + "/end_session?" + url.Values{
		"client_id": {demo.ClientID}, "post_logout_redirect_uri": {e.srv.URL + "/demo/"},
		"id_token_hint": {idToken}, // so that stepup need not ask
	}.Encode()
	if u.String() != want {
		t.Errorf("logout sends the browser to %v, want %s", u, want)
	}
	if b.cookie("stepup_demo") != "" {
		t.Error("the demo's session outlives the logout")
	}
	b.get("/demo/").mustContain(t, "Not signed in.")
	// Signed out already: back home, nothing else.
	if p := b.post("/demo/logout", url.Values{}); p.status != http.StatusSeeOther || p.location(t).Path != "/demo/" {
		t.Errorf("logout when signed out: status %d to %v", p.status, p.header.Get("Location"))
	}
}

func TestPagesCarryTheSecurityHeadersAndCookiesTheirAttributes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		start  func(http.Handler) *httptest.Server
		secure bool
	}{
		{"http", httptest.NewServer, false},
		{"https", httptest.NewTLSServer, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, tc.start, io.Discard)
			e.serveOP()
			b := e.browser()
			login := b.begin("balance")
			authorize := login.location(t)
			callback := b.get("/demo/callback?" + url.Values{
				"code": {e.op.grant(authorize, nil)}, "state": {authorize.Query().Get("state")},
			}.Encode())
			for name, p := range map[string]page{"home": b.get("/demo/"), "login": login, "callback": callback, "404": b.get("/demo/nothing")} {
				h := p.header
				if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
					h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
					h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: security headers %v", name, h)
				}
			}
			for name, p := range map[string]page{"stepup_demo_login": login, "stepup_demo": callback} {
				c := findCookie(p.header, name)
				if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/demo/" || c.Secure != tc.secure || c.MaxAge <= 0 {
					t.Errorf("cookie %s: %+v, want HttpOnly, Lax, /demo/, Secure %v, with a Max-Age", name, c, tc.secure)
				}
			}
			if c := findCookie(callback.header, "stepup_demo_login"); c == nil || c.MaxAge >= 0 {
				t.Errorf("the callback keeps the login cookie: %+v", c)
			}
		})
	}
}

func findCookie(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	scheme, _ := acr.NewScheme(nil)
	key := []byte(strings.Repeat("k", 32))
	for name, o := range map[string]demo.Options{
		"no issuer":       {Scheme: scheme, CookieKey: key},
		"trailing slash":  {Issuer: "http://localhost:8080/", Scheme: scheme, CookieKey: key},
		"no scheme":       {Issuer: "http://localhost:8080", CookieKey: key},
		"short key":       {Issuer: "http://localhost:8080", Scheme: scheme, CookieKey: key[:31]},
		"nothing at all!": {},
	} {
		if _, err := demo.New(o); err == nil || !strings.HasPrefix(err.Error(), "demo: ") {
			t.Errorf("%s: err %v, want a demo: error", name, err)
		}
	}
}
