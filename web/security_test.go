package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/web"
)

func TestFlowFromAnotherBrowserIsRefused(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	victim, attacker := e.browser("victim"), e.browser("attacker")
	token := attacker.seal(e.flow())
	noCookie := e.browser("")
	for _, tc := range []struct {
		name string
		b    *browser
		path string
	}{
		{"another browser, sign-in", victim, "/signin?flow=" + url.QueryEscape(token)},
		{"another browser, register", victim, "/register?flow=" + url.QueryEscape(token)},
		{"another browser, step-up", victim, "/stepup?flow=" + url.QueryEscape(token)},
		{"no flow cookie", noCookie, "/signin?flow=" + url.QueryEscape(token)},
		{"no flow", attacker, "/signin"},
		{"garbage", attacker, "/signin?flow=..%00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.b.get(tc.path)
			if p.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", p.status)
			}
			mustContain(t, p, "This sign-in link has expired, was used already, or was opened in another browser. Go back to the application and start again.")
		})
	}
	// Posting it from another browser, even with that browser's own CSRF
	// token, goes nowhere either.
	csrf := victim.open("/signin", victim.seal(e.flow()))
	p := victim.post("/signin", url.Values{"flow": {token}, "csrf": {csrf}, "username": {"alice"}, "password": {"correct horse"}})
	if p.status != http.StatusBadRequest || victim.session() != "" {
		t.Fatalf("POST from another browser: status %d", p.status)
	}
	// An expired flow.
	e.clock.Advance(10 * time.Minute)
	if p := attacker.get("/signin?flow=" + url.QueryEscape(token)); p.status != http.StatusBadRequest {
		t.Fatalf("expired flow: status %d", p.status)
	}
}

func TestFormsNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t, false)
	e.register("alice", "correct horse")
	b := e.browser("browser-1")
	token := b.seal(e.flow())
	good := b.open("/signin", token)
	other := e.browser("browser-2")
	othersToken := other.open("/signin", other.seal(e.flow()))
	fields := func(csrf string) url.Values {
		v := url.Values{"flow": {token}, "username": {"alice"}, "password": {"correct horse"},
			"confirm": {"correct horse"}, "action": {"continue"}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	for _, path := range []string{"/signin", "/register", "/stepup"} {
		for _, tc := range []struct {
			name   string
			csrf   string
			header []string
		}{
			{"no token", "", nil},
			{"bad token", "AAAA", nil},
			{"not base64", "!!!", nil},
			{"another browser's token", othersToken, nil},
			{"cross-site", good, []string{"Sec-Fetch-Site", "cross-site"}},
			{"same-site subdomain", good, []string{"Sec-Fetch-Site", "same-site"}},
			{"foreign origin", good, []string{"Origin", "https://evil.example"}},
		} {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				p := b.post(path, fields(tc.csrf), tc.header...)
				if p.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403", p.status)
				}
				mustContain(t, p, "did not come from this site")
			})
		}
	}
	if b.session() != "" {
		t.Fatal("a refused form signed in")
	}
	// The same form from this site goes through.
	p := b.post("/signin", fields(good), "Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
	b.handedBack(p)
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	token := url.QueryEscape(b.seal(e.flow()))
	for _, path := range []string{
		"/signin?flow=" + token, "/register?flow=" + token, "/stepup?flow=" + token,
		"/signin", "/static/style.css", "/static/", "/nothing",
	} {
		p := b.get(path)
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-store",
		} {
			if got := p.header.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
	}
	if p := b.get("/static/style.css"); p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %q", p.status, p.header.Get("Content-Type"))
	}
	if p := b.get("/static/"); p.status != http.StatusNotFound {
		t.Errorf("/static/ lists the folder: %d", p.status)
	}
}

var (
	inputTag = regexp.MustCompile(`<input [^>]*>`)
	// A script element with content is inline code; the pages' only script
	// is an empty element with a src.
	inlineStyle  = regexp.MustCompile(`(?i)<script[^>]*>[^<]|<script>|<style|\sstyle=|\son[a-z]+=|javascript:`)
	externalLink = regexp.MustCompile(`(?i)(src|href)="(https?:)?//`)
)

// inputs returns the input tags of a page by name.
func inputs(body string) map[string]string {
	out := make(map[string]string)
	for _, tag := range inputTag.FindAllString(body, -1) {
		if m := regexp.MustCompile(`name="([^"]+)"`).FindStringSubmatch(tag); m != nil {
			out[m[1]] = tag
		}
	}
	return out
}

func TestPagesCarryAutocompleteAndNoInlineCode(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	raw := b.seal(e.flow())
	token := url.QueryEscape(raw)
	// The step-up page is for a signed-in user.
	e.register("alice", "correct horse")
	b.handedBack(b.signIn(raw, "alice", "correct horse"))
	for path, want := range map[string]map[string][]string{
		"/signin": {
			"username": {`autocomplete="username"`, "required"},
			"password": {`type="password"`, `autocomplete="current-password"`, "required"},
		},
		"/register": {
			"username": {`autocomplete="username"`, "required"},
			"password": {`type="password"`, `autocomplete="new-password"`, "required"},
			"confirm":  {`type="password"`, `autocomplete="new-password"`, "required"},
		},
		"/stepup": {},
	} {
		p := b.get(path + "?flow=" + token)
		in := inputs(p.body)
		for _, hidden := range []string{"flow", "csrf"} {
			if !strings.Contains(in[hidden], `type="hidden"`) {
				t.Errorf("%s: no hidden %s field", path, hidden)
			}
		}
		for name, attrs := range want {
			for _, a := range attrs {
				if !strings.Contains(in[name], a) {
					t.Errorf("%s: input %q is %q, without %s", path, name, in[name], a)
				}
			}
		}
		if m := inlineStyle.FindString(p.body); m != "" {
			t.Errorf("%s: inline code or style %q, which the CSP would block", path, m)
		}
		if m := externalLink.FindString(p.body); m != "" {
			t.Errorf("%s: external resource %q", path, m)
		}
	}
	signin := b.get("/signin?flow=" + token)
	mustContain(t, signin, `href="/register?flow=`+token+`"`)
}

func TestCookies(t *testing.T) {
	for _, tc := range []struct {
		secure bool
		name   string
	}{{true, "__Host-stepup_flow"}, {false, "stepup_flow"}} {
		w := httptest.NewRecorder()
		web.SetFlowCookie(w, "binding-1", tc.secure)
		c := w.Result().Cookies()
		// __Host- also needs Secure, Path=/ and no Domain, or browsers
		// drop the cookie.
		if len(c) != 1 || c[0].Name != tc.name || c[0].Value != "binding-1" || c[0].Secure != tc.secure ||
			!c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode || c[0].Path != "/" || c[0].Domain != "" {
			t.Fatalf("secure=%v: flow cookie %+v", tc.secure, c)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if web.FlowBinding(r, tc.secure) != "" {
			t.Fatal("a binding without a cookie")
		}
		r.AddCookie(c[0])
		if got := web.FlowBinding(r, tc.secure); got != "binding-1" {
			t.Fatalf("secure=%v: FlowBinding = %q", tc.secure, got)
		}
		// Served over HTTPS, a cookie without the prefix is not ours: a
		// sibling subdomain may have planted it.
		if tc.secure {
			planted := httptest.NewRequest(http.MethodGet, "/", nil)
			planted.AddCookie(&http.Cookie{Name: web.FlowCookie, Value: "attacker"})
			if got := web.FlowBinding(planted, true); got != "" {
				t.Fatalf("an unprefixed cookie was read as the binding: %q", got)
			}
		}
	}
}

func TestSessionCookieIsSecureOutsideDevelopment(t *testing.T) {
	e := newEnv(t, true)
	e.register("alice", "correct horse")
	token, err := e.flows.Seal(e.flow(), "browser-1")
	if err != nil {
		t.Fatal(err)
	}
	get := httptest.NewRequest(http.MethodGet, "/signin?flow="+url.QueryEscape(token), nil)
	flowCookie := &http.Cookie{Name: web.CookieName(web.FlowCookie, true), Value: "browser-1"}
	get.AddCookie(flowCookie)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, get)
	csrf := csrfField.FindStringSubmatch(w.Body.String())
	if csrf == nil {
		t.Fatalf("no CSRF field:\n%s", w.Body)
	}
	form := url.Values{"flow": {token}, "csrf": {csrf[1]}, "username": {"alice"}, "password": {"correct horse"}}
	post := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(flowCookie)
	w = httptest.NewRecorder()
	e.handler.ServeHTTP(w, post)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", w.Code, w.Body)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range w.Result().Cookies() {
		if c.Name == "__Host-"+web.SessionCookie {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Fatalf("session cookie %+v", c)
			}
			r.AddCookie(c)
		}
	}
	sess, got, err := web.SessionFromRequest(r, e.sessions, true)
	if err != nil || sess.UserID == "" || got == "" {
		t.Fatalf("SessionFromRequest = %+v, %q, %v", sess, got, err)
	}
}

func TestOversizedFormIsRefused(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	token := b.seal(e.flow())
	csrf := b.open("/signin", token)
	p := b.post("/signin", url.Values{"flow": {token}, "csrf": {csrf}, "username": {"alice"},
		"password": {strings.Repeat("x", 128<<10)}})
	if p.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", p.status)
	}
}

// A flow's sign-in is answered with a redirect to its relying party, and
// form-action governs redirects too: the pages of a flow must allow the
// relying party's origin, or the browser stops on the sign-in page.
func TestFlowPagesLetTheirFormsEndAtTheRelyingParty(t *testing.T) {
	e := newEnv(t, false)
	b := e.browser("browser-1")
	flow := e.flow()
	flow.ReturnTo = "https://rp.example:8443"
	token := url.QueryEscape(b.seal(flow))
	want := "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"form-action 'self' https://rp.example:8443; " +
		"frame-ancestors 'none'; base-uri 'none'"
	for _, path := range []string{"/signin?flow=" + token, "/register?flow=" + token, "/stepup?flow=" + token} {
		if got := b.get(path).header.Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: Content-Security-Policy = %q, want %q", path, got, want)
		}
	}
	// A flow token that does not open widens nothing.
	other := e.browser("browser-2")
	if got := other.get("/signin?flow=" + token).header.Get("Content-Security-Policy"); strings.Contains(got, "rp.example") {
		t.Errorf("a flow of another browser: Content-Security-Policy = %q", got)
	}
}
