package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// The demo's API is its resource server: each route states its policy with
// acr.Require, and acr.Middleware checks stepup's JWT access tokens against
// it, answering a token that falls short with an RFC 9470 challenge. The
// demo's pages call it over HTTP with the signed-in user's access token, as
// a web application's backend calls its API.
const apiPrefix = "/demo/api/"

// mountAPI adds the API's routes to mux.
func (s *Server) mountAPI(mux *http.ServeMux) {
	for _, a := range actions {
		mux.Handle(a.Method+" "+apiPrefix+a.Name, acr.Middleware(s.verifier, a.Needs)(s.apiHandler(a)))
	}
}

// apiResult is the API's answer to an action it allows.
type apiResult struct {
	Subject string `json:"sub"`
	ACR     string `json:"acr"`
	Result  string `json:"result"`
}

func (s *Server) apiHandler(a action) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := acr.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(apiResult{Subject: c.Subject, ACR: c.ACR, Result: a.Done})
	})
}

// lazyVerifier is an acr.Verifier of stepup's access tokens for the demo's
// audience, built at the first request: the server is not listening yet
// when the demo is built, so its keys cannot be discovered then. A failed
// discovery is kept for retryAfter, during which the API answers 503 at
// once rather than have every request wait on an issuer that does not
// answer; then the next request tries again.
type lazyVerifier struct {
	s *Server

	mu       sync.Mutex
	v        *acr.Verifier
	err      error
	failedAt time.Time
}

// retryAfter is how long a failed discovery is kept.
const retryAfter = 5 * time.Second

var _ acr.TokenVerifier = (*lazyVerifier)(nil)

// Verify checks an access token. The middleware answers with a fixed
// description; the cause goes to the log here.
func (l *lazyVerifier) Verify(ctx context.Context, raw string) (*acr.Claims, error) {
	v, err := l.get(ctx)
	if err != nil {
		l.s.log.Error("demo: the API cannot check tokens", "err", err)
		return nil, err
	}
	c, err := v.Verify(ctx, raw)
	switch {
	case errors.Is(err, acr.ErrInvalidToken):
		l.s.log.Info("demo: the API refuses a token", "err", err)
	case err != nil:
		l.s.log.Error("demo: the API cannot check tokens", "err", err)
	}
	return c, err
}

// Now gives acr.Middleware the demo's clock for the routes' MaxAge.
func (l *lazyVerifier) Now() time.Time { return l.s.now() }

// get returns the verifier, building it at the first call. The lock is not
// held while the issuer is asked: first requests that race each build
// one, and the first to finish is kept.
func (l *lazyVerifier) get(ctx context.Context) (*acr.Verifier, error) {
	l.mu.Lock()
	v, err, failedAt := l.v, l.err, l.failedAt
	l.mu.Unlock()
	if v != nil {
		return v, nil
	}
	if err != nil && l.s.now().Sub(failedAt) < retryAfter {
		return nil, err
	}
	v, err = l.build(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.v != nil:
		return l.v, nil
	case err != nil:
		l.err, l.failedAt = err, l.s.now()
		return nil, err
	}
	l.v = v
	return v, nil
}

func (l *lazyVerifier) build(ctx context.Context) (*acr.Verifier, error) {
	keys, err := acr.NewRemoteKeySet(ctx, l.s.issuer, acr.WithHTTPClient(l.s.client), acr.WithClock(l.s.now))
	if err != nil {
		return nil, fmt.Errorf("demo: the API's key set: %w", err)
	}
	v, err := acr.NewVerifier(keys, acr.VerifierConfig{
		Issuer: l.s.issuer, Audience: ClientID, Scheme: l.s.scheme, Now: l.s.now,
	})
	if err != nil {
		return nil, fmt.Errorf("demo: the API's verifier: %w", err)
	}
	return v, nil
}
