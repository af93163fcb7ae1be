package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepup-auth/stepup/acr"
)

// The resource-server half of step-up, end to end: an API protected by
// acr.Middleware checks stepup's access tokens with keys it discovers,
// answers a token that falls short with an RFC 9470 challenge, and the
// client turns the challenge into a new authorization request whose
// step-up gives a token the API takes.
func TestAnAPIStepsUpThroughRFC9470(t *testing.T) {
	ctx := context.Background()
	issuer := startOP(t)
	keys, err := acr.NewRemoteKeySet(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := acr.NewVerifier(keys, acr.VerifierConfig{Issuer: issuer, Audience: "app"})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := acr.FromContext(r.Context())
		io.WriteString(w, c.Subject+" "+c.ACR)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /balance", acr.Middleware(v, acr.Require(acr.OneFactor))(ok))
	mux.Handle("POST /transfer", acr.Middleware(v, acr.Require(acr.MFA, acr.MaxAge(5*time.Minute)))(ok))
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	call := func(method, path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	r := newRP(t, issuer, "app", "")
	a := r.authorize(nil)
	a.register("judy", password)
	tok, id := a.tokens()
	if resp := call("GET", "/balance", tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("the balance with a 1fa token: %d", resp.StatusCode)
	}
	for _, tt := range []struct{ token, want string }{
		{"", "Bearer"},
		{"not-a-token", `Bearer error="invalid_token", error_description="The access token is not valid"`},
	} {
		resp := call("POST", "/transfer", tt.token)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != tt.want {
			t.Errorf("token %q: %d %q, want 401 %q", tt.token, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tt.want)
		}
	}

	resp := call("POST", "/transfer", tok.AccessToken)
	ch, err := acr.ParseChallenge(resp)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the transfer with a 1fa token: %d, %v", resp.StatusCode, err)
	}
	if ch.Error != acr.CodeInsufficientUserAuthentication || strings.Join(ch.ACRValues, " ") != "urn:stepup:acr:mfa" ||
		!ch.HasMaxAge || ch.MaxAge != 5*time.Minute {
		t.Fatalf("the challenge: %+v", ch)
	}

	// The client asks again with the challenge's parameters; stepup asks
	// for a second factor, which judy sets up.
	a = r.authorize(ch.AuthParams())
	if !a.on("/stepup") {
		t.Fatalf("the challenge's request: not on the step-up page but %v", a.page)
	}
	a.follow(r.browser.Get(issuer + "/enroll?" + a.page.Request.URL.RawQuery + "&method=TOTP"))
	uri := strings.ReplaceAll(otpauthURI.FindString(a.body), "&amp;", "&")
	a.submit("/enroll", url.Values{"method": {"TOTP"}, "challenge": {challengeOf(t, a.body)}, "code": {totpCode(t, uri, time.Now())}})
	a.submit("/enroll/done", nil)
	stepped, _ := a.tokens()
	resp = call("POST", "/transfer", stepped.AccessToken)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != id.Subject+" urn:stepup:acr:mfa" {
		t.Fatalf("the transfer with the stepped-up token: %d %q", resp.StatusCode, body)
	}
}
