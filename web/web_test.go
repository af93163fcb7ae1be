package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
	"github.com/stepup-auth/stepup/stepup"
	"github.com/stepup-auth/stepup/stepup/password"
	"github.com/stepup-auth/stepup/stepup/store"
	"github.com/stepup-auth/stepup/stepup/store/conformance"
	"github.com/stepup-auth/stepup/stepup/store/memdb"
	"github.com/stepup-auth/stepup/web"
)

// env is a running set of hosted pages on a real memdb store, with a
// clock that moves only when a test says so.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	store    store.Store
	clock    *conformance.Clock
	flows    *stepup.Flows
	sessions *stepup.Sessions
	accounts *stepup.Accounts
	handler  http.Handler
	// back is what the pages last handed back to the completion target.
	back struct {
		flow stepup.Flow
		sess *store.Session
	}
}

// handedBackPath is where the stand-in completion target of these tests
// sends the browser; the OpenID Provider's own is tested end to end in
// cmd/stepup.
const handedBackPath = "/completion-target"

// newEnv starts the pages; each option, if any, changes their Options.
func newEnv(t *testing.T, secureCookies bool, options ...func(*env, *web.Options)) *env {
	t.Helper()
	clock := conformance.NewClock()
	st, err := memdb.Open(memdb.Options{Dir: t.TempDir(), Now: clock.Now, SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	flows, err := stepup.NewFlows([]byte(strings.Repeat("f", 32)), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	sessions := stepup.NewSessions(st.Sessions(), stepup.DefaultSessionPolicy(), clock.Now, nil)
	cheap := password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 16}
	accounts := stepup.NewAccounts(st.Users(), stepup.AccountPolicy{Password: cheap},
		stepup.NewThrottle(stepup.DefaultThrottlePolicy(), clock.Now), clock.Now, nil)
	e := &env{t: t, store: st, clock: clock, flows: flows, sessions: sessions, accounts: accounts}
	o := web.Options{
		Flows: flows, Sessions: sessions, Accounts: accounts,
		HandBack: func(w http.ResponseWriter, r *http.Request, flow stepup.Flow, sess *store.Session) {
			e.back.flow, e.back.sess = flow, sess
			http.Redirect(w, r, handedBackPath, http.StatusSeeOther)
		},
		CSRFKey: []byte(strings.Repeat("c", 32)), SecureCookies: secureCookies, Now: clock.Now,
	}
	for _, option := range options {
		option(e, &o)
	}
	e.handler = web.New(o).Handler()
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

// flow is a typical flow the OP starts: a sign-in for an authorization
// request.
func (e *env) flow() stepup.Flow {
	return stepup.Flow{
		AuthRequestID: "ar1", Level: acr.OneFactor,
		ExpiresAt: e.clock.Now().Add(10 * time.Minute),
	}
}

func (e *env) register(username, pw string) *store.User {
	e.t.Helper()
	u, err := e.accounts.Register(context.Background(), username, pw, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser is one browser: a cookie jar holding its flow binding, and no
// following of redirects, so tests see where each page sends it.
type browser struct {
	e       *env
	t       *testing.T
	client  *http.Client
	binding string
	base    *url.URL
}

func (e *env) browser(binding string) *browser {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	base, _ := url.Parse(e.srv.URL)
	jar.SetCookies(base, []*http.Cookie{{Name: web.FlowCookie, Value: binding, Path: "/"}})
	return &browser{
		e: e, t: e.t, binding: binding, base: base,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// seal returns the token of f for this browser, as the OP hands it out.
func (b *browser) seal(f stepup.Flow) string {
	b.t.Helper()
	token, err := b.e.flows.Seal(f, b.binding)
	if err != nil {
		b.t.Fatal(err)
	}
	return token
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form; header, if given, holds extra request headers.
func (b *browser) post(path string, form url.Values, header ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// open loads a page of a flow and returns its form's CSRF token.
func (b *browser) open(path, flowToken string) string {
	b.t.Helper()
	p := b.get(path + "?flow=" + url.QueryEscape(flowToken))
	if p.status != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", path, p.status, p.body)
	}
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("GET %s: no CSRF field in\n%s", path, p.body)
	}
	return m[1]
}

// signIn fills in and posts the sign-in form of a flow; header, if given,
// holds extra headers of the post.
func (b *browser) signIn(flowToken, username, pw string, header ...string) page {
	b.t.Helper()
	csrf := b.open("/signin", flowToken)
	return b.post("/signin", url.Values{"flow": {flowToken}, "csrf": {csrf}, "username": {username}, "password": {pw}}, header...)
}

// handedBack checks that the page p answered is the completion target's,
// and returns the flow the pages handed it, with the session they handed
// along, which must be the browser's.
func (b *browser) handedBack(p page) stepup.Flow {
	b.t.Helper()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != handedBackPath {
		b.t.Fatalf("status %d to %q, want the completion target's 303\n%s", p.status, p.header.Get("Location"), p.body)
	}
	back := b.e.back
	b.e.back.flow, b.e.back.sess = stepup.Flow{}, nil
	// The session handed back is the browser's live one as it now stands,
	// with every verification the page added.
	live, _ := b.e.sessions.Find(context.Background(), b.session())
	switch {
	case back.sess == nil && live != nil:
		b.t.Fatal("the browser has a live session, but none was handed back")
	case back.sess != nil && (live == nil || back.sess.ID != live.ID || len(back.sess.Verifications) != len(live.Verifications)):
		b.t.Fatalf("the session handed back (%+v) is not the browser's as it stands (%+v)", back.sess, live)
	}
	return back.flow
}

// session returns the browser's session cookie value, "" without one.
func (b *browser) session() string {
	for _, c := range b.client.Jar.Cookies(b.base) {
		if c.Name == web.SessionCookie {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setSession(token string) {
	b.client.Jar.SetCookies(b.base, []*http.Cookie{{Name: web.SessionCookie, Value: token, Path: "/"}})
}

func mustContain(t *testing.T, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("the page does not say %q:\n%s", w, p.body)
		}
	}
}
