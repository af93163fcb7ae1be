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
