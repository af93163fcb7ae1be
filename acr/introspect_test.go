package acr_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// introspectionServer is an RFC 7662 endpoint that answers every token
// with answer, and records what it was asked.
type introspectionServer struct {
	*httptest.Server
	mu       sync.Mutex
	answer   map[string]any
	status   int
	requests int
	auth     string
	form     url.Values
	accept   string
	hold     chan struct{} // if set, each answer waits for it to close
}

func newIntrospectionServer(t *testing.T, answer map[string]any) *introspectionServer {
	t.Helper()
	s := &introspectionServer{answer: answer, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		hold := s.hold
		s.mu.Unlock()
		if hold != nil {
			<-hold
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		s.auth = r.Header.Get("Authorization")
		s.accept = r.Header.Get("Accept")
		r.ParseForm()
		s.form = r.PostForm
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		json.NewEncoder(w).Encode(s.answer)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *introspectionServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// activeAnswer is what stepup answers for a live 1fa token at now.
func activeAnswer(now time.Time) map[string]any {
	return map[string]any{
		"active": true, "iss": "https://id.example", "sub": "alice", "aud": []string{"api", "app"},
		"client_id": "app", "scope": "openid", "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"acr": "urn:stepup:acr:1fa", "amr": []string{"pwd"}, "auth_time": now.Add(-time.Minute).Unix(),
	}
}

func newTestIntrospector(t *testing.T, s *introspectionServer, c acr.IntrospectorConfig) *acr.Introspector {
	t.Helper()
	if c.Issuer == "" {
		c.Issuer = "https://id.example"
	}
	if c.Audience == "" {
		c.Audience = "api"
	}
	in, err := acr.NewIntrospector(s.URL, "api", "api-secret", c)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestIntrospectorVerify(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	with := func(k string, v any) map[string]any {
		a := activeAnswer(now)
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
		return a
	}
	tests := []struct {
		name     string
		answer   map[string]any
		status   int
		audience string
		invalid  bool // the error wraps ErrInvalidToken
		failure  bool // an error without ErrInvalidToken
	}{
		{name: "active", answer: activeAnswer(now)},
		{name: "active without iss", answer: with("iss", nil)},
		{name: "no aud", answer: with("aud", nil), invalid: true},
		{name: "another API's token", answer: with("aud", "other-api"), invalid: true},
		{name: "a refresh token", answer: with("token_type", "refresh_token"), invalid: true},
		{name: "a bearer token", answer: with("token_type", "Bearer")},
		{name: "audience", answer: activeAnswer(now), audience: "api"},
		{name: "inactive", answer: map[string]any{"active": false}, invalid: true},
		{name: "inactive with claims", answer: with("active", false), invalid: true},
		{name: "wrong iss", answer: with("iss", "https://evil.example"), invalid: true},
		{name: "wrong aud", answer: activeAnswer(now), audience: "other-api", invalid: true},
		{name: "expired", answer: with("exp", now.Add(-time.Minute).Unix()), invalid: true},
		{name: "no exp", answer: with("exp", nil), invalid: true},
		{name: "nbf in the future", answer: with("nbf", now.Add(time.Hour).Unix()), invalid: true},
		{name: "iat in the future", answer: with("iat", now.Add(time.Hour).Unix()), invalid: true},
		{name: "auth_time in the future", answer: with("auth_time", now.Add(time.Hour).Unix()), invalid: true},
		{name: "no sub", answer: with("sub", nil), invalid: true},
		{name: "no active", answer: with("active", nil), failure: true},
		{name: "active not a boolean", answer: with("active", "true"), failure: true},
		{name: "server error", answer: activeAnswer(now), status: http.StatusInternalServerError, failure: true},
		{name: "client refused", answer: map[string]any{"error": "invalid_client"}, status: http.StatusUnauthorized, failure: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newIntrospectionServer(t, tt.answer)
			if tt.status != 0 {
				s.status = tt.status
			}
			in := newTestIntrospector(t, s, acr.IntrospectorConfig{Audience: tt.audience, Now: func() time.Time { return now }})
			c, err := in.Verify(context.Background(), "opaque-token")
			switch {
			case tt.invalid:
				if !errors.Is(err, acr.ErrInvalidToken) {
					t.Fatalf("Verify: %v, want ErrInvalidToken", err)
				}
			case tt.failure:
				if err == nil || errors.Is(err, acr.ErrInvalidToken) {
					t.Fatalf("Verify: %v, want an error without ErrInvalidToken", err)
				}
			case err != nil:
				t.Fatalf("Verify: %v", err)
			default:
				if c.Subject != "alice" || c.ClientID != "app" || c.Level != acr.OneFactor || c.ACR != "urn:stepup:acr:1fa" ||
					!c.Expiry.Equal(now.Add(5*time.Minute)) || !c.AuthTime.Equal(now.Add(-time.Minute)) ||
					strings.Join(c.AMR, " ") != "pwd" || strings.Join(c.Audience, " ") != "api app" || c.Scope != "openid" {
					t.Fatalf("claims: %+v", c)
				}
			}
		})
	}
}

// The request is an RFC 7662 §2.1 one, with the client authenticated as
// RFC 6749 §2.3.1 says: id and secret form-urlencoded, then joined.
func TestIntrospectorRequest(t *testing.T) {
	s := newIntrospectionServer(t, activeAnswer(time.Now()))
	in, err := acr.NewIntrospector(s.URL, "api:1%x y", "s3cr:t", acr.IntrospectorConfig{Issuer: "https://id.example", Audience: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Verify(context.Background(), "opaque-token"); err != nil {
		t.Fatal(err)
	}
	// base64("api%3A1%25x+y:s3cr%3At")
	if want := "Basic YXBpJTNBMSUyNXgreTpzM2NyJTNBdA=="; s.auth != want {
		t.Errorf("Authorization: %q, want %q", s.auth, want)
	}
	if s.form.Get("token") != "opaque-token" || s.form.Get("token_type_hint") != "access_token" {
		t.Errorf("form: %v", s.form)
	}
	if s.accept != "application/json" {
		t.Errorf("Accept: %q", s.accept)
	}
}

// An active answer is kept for CacheTTL, never past exp; an inactive one
// is never kept.
func TestIntrospectorCache(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	s := newIntrospectionServer(t, activeAnswer(now))
	in := newTestIntrospector(t, s, acr.IntrospectorConfig{Now: clock, CacheTTL: time.Minute})
	verify := func(wantRequests int, wantErr error) {
		t.Helper()
		_, err := in.Verify(context.Background(), "opaque-token")
		if !errors.Is(err, wantErr) {
			t.Fatalf("Verify: %v, want %v", err, wantErr)
		}
		if got := s.count(); got != wantRequests {
			t.Fatalf("requests: %d, want %d", got, wantRequests)
		}
	}
	verify(1, nil)
	verify(1, nil) // from the cache
	now = now.Add(time.Minute)
	verify(2, nil) // the TTL is over

	t0 := now
	s.mu.Lock()
	s.answer = activeAnswer(t0)
	s.mu.Unlock()
	in = newTestIntrospector(t, s, acr.IntrospectorConfig{Now: clock, CacheTTL: time.Hour})
	verify(3, nil)
	now = t0.Add(5*time.Minute - time.Second)
	verify(3, nil) // the TTL is not over, nor the exp
	now = t0.Add(5 * time.Minute)
	verify(4, nil) // the exp is over (the leeway is not): asked again,
	verify(5, nil) // and again, never kept

	s.mu.Lock()
	s.answer = activeAnswer(now)
	s.answer["active"] = false
	s.mu.Unlock()
	in = newTestIntrospector(t, s, acr.IntrospectorConfig{Now: clock})
	verify(6, acr.ErrInvalidToken)
	verify(7, acr.ErrInvalidToken)

	in = newTestIntrospector(t, s, acr.IntrospectorConfig{Now: clock, CacheSize: -1})
	s.mu.Lock()
	s.answer = activeAnswer(now)
	s.mu.Unlock()
	verify(8, nil)
	verify(9, nil)
}

func TestNewIntrospectorRefuses(t *testing.T) {
	for _, tt := range []struct{ endpoint, clientID, issuer, want string }{
		{"http://id.example/introspect", "api", "https://id.example", "must be https"},
		{"http://localhost.example/introspect", "api", "https://id.example", "must be https"},
		{"/introspect", "api", "https://id.example", "not an absolute URL"},
		{"https://id.example/introspect", "", "https://id.example", "client id is required"},
		{"https://id.example/introspect", "api", "", "issuer is required"},
		{"https://id.example/introspect", "api", "https://id.example", "audience is required"},
	} {
		audience := "api"
		if tt.want == "audience is required" {
			audience = ""
		}
		_, err := acr.NewIntrospector(tt.endpoint, tt.clientID, "secret", acr.IntrospectorConfig{Issuer: tt.issuer, Audience: audience})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q %q %q: %v, want %q", tt.endpoint, tt.clientID, tt.issuer, err, tt.want)
		}
	}
	for _, ok := range []string{"https://id.example/introspect", "http://localhost:8080/i", "http://127.0.0.1:1/i", "http://[::1]:1/i"} {
		if _, err := acr.NewIntrospector(ok, "api", "secret", acr.IntrospectorConfig{Issuer: "https://id.example", Audience: "api"}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// Middleware takes an Introspector as it takes a Verifier.
func TestMiddlewareWithIntrospector(t *testing.T) {
	s := newIntrospectionServer(t, activeAnswer(time.Now()))
	in := newTestIntrospector(t, s, acr.IntrospectorConfig{Audience: "api"})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := acr.FromContext(r.Context())
		w.Write([]byte(c.Subject))
	})
	call := func(r acr.Requirement) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer opaque-token")
		w := httptest.NewRecorder()
		acr.Middleware(in, r)(ok).ServeHTTP(w, req)
		return w
	}
	if w := call(acr.Require(acr.OneFactor)); w.Code != http.StatusOK || w.Body.String() != "alice" {
		t.Errorf("1fa route: %d %q", w.Code, w.Body)
	}
	w := call(acr.Require(acr.MFA))
	if got := w.Header().Get("WWW-Authenticate"); w.Code != http.StatusUnauthorized ||
		!strings.Contains(got, `error="insufficient_user_authentication"`) || !strings.Contains(got, `acr_values="urn:stepup:acr:mfa"`) {
		t.Errorf("mfa route: %d %q", w.Code, got)
	}
	s.mu.Lock()
	s.status = http.StatusBadGateway
	s.mu.Unlock()
	in = newTestIntrospector(t, s, acr.IntrospectorConfig{})
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer opaque-token")
	rec := httptest.NewRecorder()
	acr.Middleware(in, acr.Require(acr.OneFactor))(ok).ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("an unreachable introspection: %d, want 503", rec.Code)
	}
}

// Requests carrying the same token at once share one request to the
// endpoint, and a token too long for any server is refused without one:
// bad tokens, which no cache keeps, cannot flood the authorization server.
func TestIntrospectorSharesAndBoundsRequests(t *testing.T) {
	s := newIntrospectionServer(t, map[string]any{"active": false})
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	in := newTestIntrospector(t, s, acr.IntrospectorConfig{})
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if _, err := in.Verify(context.Background(), "bad-token"); !errors.Is(err, acr.ErrInvalidToken) {
				t.Error(err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // all 200 wait on the one request
	close(hold)
	wg.Wait()
	if n := s.count(); n != 1 {
		t.Errorf("200 requests with one token made %d requests to the endpoint, want 1", n)
	}
	if _, err := in.Verify(context.Background(), strings.Repeat("x", acr.MaxTokenLength+1)); !errors.Is(err, acr.ErrInvalidToken) || s.count() != 1 {
		t.Errorf("a token over MaxTokenLength: %v, %d requests; want ErrInvalidToken and none", err, s.count())
	}
}
