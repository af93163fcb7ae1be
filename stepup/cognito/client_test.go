package cognito

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The client's errors: stepup's error body, an answer too big, and no
// answer at all, each an error, never a decision.
func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/validate":
			_, _ = io.WriteString(w, `{"isValid":true,"state":"CHALLENGE_SUCCEEDED","pad":"`+strings.Repeat("a", maxResponse)+`"}`)
		default:
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"error":{"code":"conflict","message":"the idempotencyKey was used for a different request"}}`)
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, testKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Track(context.Background(), "u", "signIn", Track{IdempotencyKey: "k"})
	var api *APIError
	if !errors.As(err, &api) || api.Status != http.StatusConflict || api.Code != "conflict" || !strings.Contains(err.Error(), "409 conflict") {
		t.Errorf("a 409: %v", err)
	}
	if v, err := c.Validate(context.Background(), "t"); err == nil || v.IsValid {
		t.Errorf("an answer over the limit: %+v %v", v, err)
	}
	srv.Close()
	if _, err := c.Recorded(context.Background(), "u", "signIn", "k"); err == nil || !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("stepup down: %v", err)
	}
}

// Path parts are escaped: a userId cannot reach another endpoint.
func TestClientEscapesPaths(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		_, _ = io.WriteString(w, `{"state":"ALLOW"}`)
	}))
	defer srv.Close()
	c, _ := NewClient(srv.URL+"/", testKey, nil)
	if _, err := c.Track(context.Background(), "../../validate", "signIn", Track{}); err != nil {
		t.Fatal(err)
	}
	if got != "/v1/users/..%2F..%2Fvalidate/actions/signIn" {
		t.Errorf("path %s", got)
	}
}

// The client follows no redirect: the API key goes to stepup's URL alone,
// never after a redirect to plain http on the same host (Go keeps the
// Authorization header for the same host, whatever the scheme or port).
func TestClientFollowsNoRedirect(t *testing.T) {
	var leaked string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization")
		_, _ = io.WriteString(w, `{"state":"ALLOW"}`)
	}))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer tls.Close()
	c, err := NewClient(tls.URL, testKey, tls.Client())
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Track(context.Background(), "u", "signIn", Track{IdempotencyKey: "k"})
	if leaked != "" {
		t.Errorf("the API key went over plain http after a redirect: %q", leaked)
	}
	if err == nil || d.State == StateAllow {
		t.Errorf("a redirect answered %+v, %v; want an error", d, err)
	}
}
