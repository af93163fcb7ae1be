package demo_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log the server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newLoggedEnv is newEnv with the demo's log kept. The OP is not served:
// the test mounts it, possibly wrapped.
func newLoggedEnv(t *testing.T) (*env, *syncBuffer) {
	log := &syncBuffer{}
	return newEnvWith(t, httptest.NewServer, log), log
}

// Another site must not make the demo call its API for the user: not by a
// link to the action (a top-level GET carries the SameSite=Lax session
// cookie), nor by a form it posts, nor by a post without this browser's
// CSRF token.
func TestAnActionFromAnotherSiteIsNotDone(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()
	if p := b.act("transfer", map[string]any{"acr": "urn:stepup:acr:mfa"}); !strings.Contains(p.body, "Transfer sent") {
		t.Fatalf("the user's own transfer was not sent:\n%.800s", p.body)
	}
	csrf := csrfField.FindStringSubmatch(b.get("/demo/").body)[1]

	link, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/demo/login?action=transfer", nil)
	link.Header.Set("Sec-Fetch-Site", "cross-site")
	for name, req := range map[string]*http.Request{
		"a link":               link,
		"a cross-site post":    formPost(e, url.Values{"action": {"transfer"}, "csrf": {csrf}}, "https://evil.example"),
		"a post without token": formPost(e, url.Values{"action": {"transfer"}}, e.srv.URL),
		"another token":        formPost(e, url.Values{"action": {"transfer"}, "csrf": {"AAAA"}}, e.srv.URL),
	} {
		if p := b.do(req); strings.Contains(p.body, "Transfer sent") || p.status == http.StatusOK {
			t.Errorf("%s: status %d\n%.600s", name, p.status, p.body)
		}
	}
	if p := b.do(formPost(e, url.Values{"action": {"transfer"}, "csrf": {csrf}}, e.srv.URL)); !strings.Contains(p.body, "Transfer sent") {
		t.Errorf("the form of the demo's own page: status %d\n%.600s", p.status, p.body)
	}
}

func formPost(e *env, form url.Values, origin string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/demo/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	return req
}

// A step-up the API asks for names the session's user to the OP, and an
// answer for another user (the OP's own session changed hands) is refused
// and leaves the demo's session as it was.
func TestAnActionForOneUserIsNotDoneForAnother(t *testing.T) {
	e := newEnv(t)
	e.serveOP()
	b := e.browser()
	b.act("balance", nil).mustContain(t, "<dt>sub</dt><dd>user-1</dd>")
	before := b.cookie("stepup_demo")

	authorize := b.start("transfer")
	if authorize.Query().Get("id_token_hint") == "" {
		t.Error("the step-up request names no user")
	}
	p := b.callback(authorize, map[string]any{"sub": "user-2", "acr": "urn:stepup:acr:mfa"})
	if strings.Contains(p.body, "Transfer sent") || !strings.Contains(p.body, "stepup answered for another user") {
		t.Errorf("an answer for user-2 to user-1's step-up: status %d\n%.1500s", p.status, p.body)
	}
	if b.cookie("stepup_demo") != before {
		t.Error("the demo's session changed to the other user")
	}
}

// The pages point to the log when the API refuses a fresh token or cannot
// check tokens at all: the log must say why.
func TestAnAPIRefusalLogsItsCause(t *testing.T) {
	e, log := newLoggedEnv(t)
	e.serveOP()
	p := e.browser().act("balance", map[string]any{"access_token": "not-a-jwt"})
	p.mustContain(t, "The cause is in the stepup log.")
	if !strings.Contains(log.String(), "acr: invalid token") {
		t.Errorf("the log lacks the verifier's cause:\n%s", log.String())
	}
}

func TestAnAPIThatCannotCheckTokensLogsWhy(t *testing.T) {
	e, log := newLoggedEnv(t)
	var keyFetches atomic.Int32
	e.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// go-oidc's fetch of the ID token's keys works; the API's, after
		// it, does not.
		if r.URL.Path == "/keys" && keyFetches.Add(1) > 1 {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		e.op.ServeHTTP(w, r)
	}))
	p := e.browser().act("balance", nil)
	p.mustContain(t, "The cause is in the stepup log.")
	if !strings.Contains(log.String(), "/keys: 500") {
		t.Errorf("the log lacks why the API's key set failed:\n%s", log.String())
	}
}

// While the issuer does not answer, API requests do not queue behind one
// another, and a failed discovery is not retried by every request.
func TestAnAPIWhoseIssuerIsSlowDoesNotQueueRequests(t *testing.T) {
	e, _ := newLoggedEnv(t)
	const delay = 300 * time.Millisecond
	var discoveries atomic.Int32
	e.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/openid-configuration" {
			discoveries.Add(1)
			time.Sleep(delay)
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		e.op.ServeHTTP(w, r)
	}))
	call := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/demo/api/balance", nil)
		req.Header.Set("Authorization", "Bearer x.y.z")
		if resp, err := e.srv.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}
	const n = 5
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(call)
	}
	wg.Wait()
	if took := time.Since(start); took > 3*delay {
		t.Errorf("%d concurrent API requests took %v with an issuer that answers in %v: they queue", n, took.Round(10*time.Millisecond), delay)
	}
	after := discoveries.Load()
	call()
	if discoveries.Load() != after {
		t.Error("a request right after a failed discovery asks the issuer again")
	}
}

// An API called before the OP listens answers 503, and once the OP
// listens (and the failure's back-off has passed), it works.
func TestAnAPIStartedBeforeTheOPRetriesItsKeys(t *testing.T) {
	e := newEnv(t)
	call := func() int {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/demo/api/balance", nil)
		req.Header.Set("Authorization", "Bearer "+e.op.accessToken(map[string]any{
			"sub": "user-1", "nonce": "n", "acr": "urn:stepup:acr:1fa", "amr": []string{"pwd"}, "auth_time": e.clock.Now().Unix(),
		}))
		return e.browser().do(req).status
	}
	if got := call(); got != http.StatusServiceUnavailable {
		t.Fatalf("before the OP listens: %d, want 503", got)
	}
	e.serveOP()
	if got := call(); got != http.StatusServiceUnavailable {
		t.Errorf("right after the failure: %d, want 503 (the failure is kept a few seconds)", got)
	}
	e.clock.Advance(5 * time.Second)
	if got := call(); got != http.StatusOK {
		t.Errorf("once the OP listens: %d, want 200", got)
	}
}
