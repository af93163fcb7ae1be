package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stepup-auth/stepup/acr"
)

// An API that takes stepup's opaque access tokens: its Middleware asks
// stepup's introspection endpoint, found by discovery, with the API's
// client credentials, and applies the same requirements as to a JWT.
func TestAnAPIIntrospectsOpaqueTokens(t *testing.T) {
	const secret = "a-long-enough-secret-for-the-opaque-client"
	issuer := startOP(t)
	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disco struct {
		Endpoint string `json:"introspection_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disco)
	resp.Body.Close()
	if err != nil || disco.Endpoint == "" {
		t.Fatalf("discovery: %q, %v", disco.Endpoint, err)
	}
	in, err := acr.NewIntrospector(disco.Endpoint, "opaque", secret, acr.IntrospectorConfig{Issuer: issuer, Audience: "opaque"})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := acr.FromContext(r.Context())
		io.WriteString(w, c.Subject+" "+c.ACR)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /balance", acr.Middleware(in, acr.Require(acr.OneFactor))(ok))
	mux.Handle("POST /transfer", acr.Middleware(in, acr.Require(acr.MFA))(ok))
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	call := func(method, path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, api.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	a := newRP(t, issuer, "opaque", secret).authorize(nil)
	a.register("oscar", password)
	tok, id := a.tokens()
	resp = call("GET", "/balance", tok.AccessToken)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != id.Subject+" urn:stepup:acr:1fa" {
		t.Fatalf("the balance with a 1fa opaque token: %d %q", resp.StatusCode, body)
	}
	resp = call("POST", "/transfer", tok.AccessToken)
	ch, err := acr.ParseChallenge(resp)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || ch.Error != acr.CodeInsufficientUserAuthentication ||
		len(ch.ACRValues) != 1 || ch.ACRValues[0] != "urn:stepup:acr:mfa" {
		t.Fatalf("the transfer with a 1fa opaque token: %d %+v %v", resp.StatusCode, ch, err)
	}
	if resp := call("GET", "/balance", tok.AccessToken+"x"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the balance with a forged token: %d", resp.StatusCode)
	}
}
